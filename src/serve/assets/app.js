// smpmatch chair-side page: plain JavaScript, no library, no network but this server.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { setup: null, photos: [], current: -1, seq: 0, match: null, frames: null };
const COLOURS = { hair: "#2846c8", scalp: "#2e8b2e", exclude: "#6b21a8", reference: "#0e7490", area: "#c2410c" };

function say(text, warn) {
  const s = $("status");
  s.textContent = text;
  s.className = warn ? "warn" : "muted";
}

async function api(path, body, raw) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: raw ? { "Content-Type": "application/octet-stream" } : { "Content-Type": "application/json" },
    body: raw ? body : JSON.stringify(body),
  };
  const res = await fetch(path, init);
  if (!res.ok) {
    let msg = res.status + " " + res.statusText;
    try { const e = await res.json(); if (e.error) msg = e.error.message; } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
  return res;
}

function photo() { return state.photos[state.current]; }

// ---- setup ----
async function init() {
  state.setup = await (await api("/api/setup")).json();
  const cat = $("catalog");
  state.setup.catalogs.forEach((c, i) => cat.add(new Option(`${c.name} (${c.pigments.length} inks)`, i)));
  state.setup.profiles.forEach((p, i) => $("profile").add(new Option(p, i)));
  fillInks();
  cat.addEventListener("change", () => { fillInks(); rematch(); });
  ["profile", "sun", "density", "dot"].forEach((id) => $(id).addEventListener("change", rematch));
  $("files").addEventListener("change", (e) => openFiles(e.target.files));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); openFiles(e.dataTransfer.files); });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); } });
  $("clear").addEventListener("click", () => { const p = photo(); if (!p) return; p.hair = []; p.scalp = []; p.exclude = []; p.reference = []; p.area = null; edited(); });
  $("show-auto").addEventListener("change", showAuto);
  ["hair", "scalp", "exclude", "reference", "area"].forEach((role) => $(role + "-text").addEventListener("change", (e) => {
    const p = photo(); if (!p) return;
    const rects = parseRects(e.target.value, p);
    if (rects === null) { say(`${role}: write rectangles as X,Y,W,H inside the photo, separated by ";"`, true); return; }
    if (role === "area") p.area = rects[0] || null; else p[role] = rects;
    edited();
  }));
  setupDrawing();
  for (const p of state.setup.photos) state.photos.push({ ...p, hair: [], scalp: [], exclude: [], reference: [], area: null });
  if (state.photos.length) { renderPhotoList(); select(0); }
  $("preview-btn").addEventListener("click", preview);
  $("month").addEventListener("input", showFrame);
  $("wipe-pos").addEventListener("input", wipe);
  $("ink").addEventListener("change", () => { if (state.frames) preview(); });
  $("dilution").addEventListener("change", () => { if (state.frames) preview(); });
  $("save-btn").addEventListener("click", saveConsultation);
  $("report-btn").addEventListener("click", () => saveReport("html"));
  $("report-png-btn").addEventListener("click", () => saveReport("png"));
  $("card-btn").addEventListener("click", calibrate);
  $("find-btn").addEventListener("click", findRecords);
  findRecords();
}

function fillInks() {
  const ink = $("ink");
  while (ink.options.length > 1) ink.remove(1);
  const c = state.setup.catalogs[$("catalog").value || 0];
  if (c) c.pigments.forEach(([id, name]) => ink.add(new Option(name, id)));
}

// ---- photos ----
async function openFiles(files) {
  for (const f of files) {
    say(`Reading ${f.name}…`);
    if (f.size > state.setup.max_photo_bytes) { say(`${f.name}: larger than the ${state.setup.max_photo_bytes} bytes limit`, true); continue; }
    try {
      const up = await (await api("/api/photos", f, true)).json();
      const known = state.photos.findIndex((p) => p.sha256 === up.sha256);
      if (known >= 0) { select(known); continue; }
      state.photos.push({ ...up, name: f.name, hair: [], scalp: [], exclude: [], reference: [], area: null });
      renderPhotoList();
      select(state.photos.length - 1);
    } catch (e) {
      say(`${f.name}: ${e.message}`, true);
    }
  }
}

function renderPhotoList() {
  const ul = $("photos");
  ul.textContent = "";
  state.photos.forEach((p, i) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = `${p.name} (${p.width}×${p.height})`;
    b.setAttribute("aria-pressed", String(i === state.current));
    b.addEventListener("click", () => select(i));
    li.append(b);
    ul.append(li);
  });
}

function select(i) {
  state.current = i;
  state.frames = null;
  $("preview-out").hidden = true;
  renderPhotoList();
  const img = $("photo");
  img.onload = () => { sizeCanvas(); draw(); rematch(); };
  img.src = "/api/photos/" + photo().sha256;
  $("auto").removeAttribute("src");
}

function sizeCanvas() {
  const img = $("photo"), c = $("marks");
  c.width = img.naturalWidth; c.height = img.naturalHeight;
}

// ---- regions ----
function rectText(r) { return r.map((v) => Math.round(v)).join(","); }

function parseRects(text, p) {
  if (!text.trim()) return [];
  const out = [];
  for (const part of text.split(";")) {
    const v = part.split(",").map((s) => Number(s.trim()));
    if (v.length !== 4 || v.some((x) => !Number.isInteger(x) || x < 0)) return null;
    if (v[2] < 1 || v[3] < 1 || v[0] + v[2] > p.width || v[1] + v[3] > p.height) return null;
    out.push(v);
  }
  return out;
}

function syncText() {
  const p = photo();
  $("hair-text").value = p ? p.hair.map(rectText).join("; ") : "";
  $("scalp-text").value = p ? p.scalp.map(rectText).join("; ") : "";
  $("exclude-text").value = p ? p.exclude.map(rectText).join("; ") : "";
  $("reference-text").value = p ? p.reference.map(rectText).join("; ") : "";
  $("area-text").value = p && p.area ? rectText(p.area) : "";
}

function draw(live) {
  const c = $("marks"), g = c.getContext("2d"), p = photo();
  g.clearRect(0, 0, c.width, c.height);
  if (!p) return;
  const k = c.width / p.width;
  const box = (r, colour, dashed) => {
    g.strokeStyle = colour; g.lineWidth = Math.max(2, c.width / 300);
    g.setLineDash(dashed ? [8, 6] : []);
    g.strokeRect(r[0] * k, r[1] * k, r[2] * k, r[3] * k);
  };
  p.hair.forEach((r) => box(r, COLOURS.hair));
  p.scalp.forEach((r) => box(r, COLOURS.scalp));
  p.exclude.forEach((r) => {
    box(r, COLOURS.exclude);
    g.fillStyle = "rgba(107, 33, 168, 0.25)";
    g.fillRect(r[0] * k, r[1] * k, r[2] * k, r[3] * k);
  });
  p.reference.forEach((r) => box(r, COLOURS.reference, true));
  if (p.area) box(p.area, COLOURS.area, true);
  if (p.card) {
    // Where the card was found: its outline and patch centres.
    g.strokeStyle = "#d0009c"; g.setLineDash([]); g.lineWidth = Math.max(2, c.width / 250);
    g.beginPath();
    p.card.outline.forEach(([x, y], i) => (i ? g.lineTo(x * k, y * k) : g.moveTo(x * k, y * k)));
    g.closePath(); g.stroke();
    g.fillStyle = "#d0009c";
    p.card.centres.forEach(([x, y]) => { g.beginPath(); g.arc(x * k, y * k, Math.max(2, c.width / 300), 0, 7); g.fill(); });
  }
  if (live) box(live.rect, COLOURS[live.tool] || "#000");
}

function tool() { return document.querySelector("input[name=tool]:checked").value; }

function setupDrawing() {
  const c = $("marks");
  let start = null;
  const at = (e) => {
    const p = photo(), b = c.getBoundingClientRect();
    const x = (e.clientX - b.left) / b.width * p.width, y = (e.clientY - b.top) / b.height * p.height;
    return [Math.min(Math.max(x, 0), p.width), Math.min(Math.max(y, 0), p.height)];
  };
  const rectOf = (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1])].map(Math.round);
  c.addEventListener("pointerdown", (e) => {
    if (!photo()) return;
    e.preventDefault();
    c.setPointerCapture(e.pointerId);
    start = { at: at(e), x: e.clientX, y: e.clientY };
  });
  c.addEventListener("pointermove", (e) => {
    if (!start || tool() === "erase") return;
    draw({ tool: tool(), rect: rectOf(start.at, at(e)) });
  });
  c.addEventListener("pointerup", (e) => {
    if (!start) return;
    const p = photo(), end = at(e), t = tool();
    const moved = Math.hypot(e.clientX - start.x, e.clientY - start.y) > 6;
    let r;
    if (moved) {
      r = rectOf(start.at, end);
    } else {
      // A tap: a square of 6 % of the shorter side, centred on it, inside the photo.
      const s = Math.max(4, Math.round(0.06 * Math.min(p.width, p.height)));
      r = [Math.min(Math.max(Math.round(end[0] - s / 2), 0), p.width - s), Math.min(Math.max(Math.round(end[1] - s / 2), 0), p.height - s), s, s];
    }
    start = null;
    if (t === "erase") {
      const inside = (q) => end[0] >= q[0] && end[0] <= q[0] + q[2] && end[1] >= q[1] && end[1] <= q[1] + q[3];
      p.hair = p.hair.filter((q) => !inside(q));
      p.scalp = p.scalp.filter((q) => !inside(q));
      p.exclude = p.exclude.filter((q) => !inside(q));
      p.reference = p.reference.filter((q) => !inside(q));
      if (p.area && inside(p.area)) p.area = null;
    } else if (r[2] >= 2 && r[3] >= 2) {
      r[2] = Math.min(r[2], p.width - r[0]); r[3] = Math.min(r[3], p.height - r[1]);
      if (t === "area") p.area = r; else p[t].push(r);
    }
    edited(t === "area");
  });
}

function edited(areaOnly) {
  syncText(); draw();
  if (!areaOnly) rematch();
  else if (state.frames) preview();
}

function showAuto() {
  const a = $("auto"), p = photo();
  a.hidden = !($("show-auto").checked && p && !p.hair.length && !p.scalp.length && a.getAttribute("src"));
}

// ---- the match ----
function num(id) { const v = $(id).value; return v === "" ? undefined : Number(v); }

function ask(extra) {
  const p = photo();
  const a = { photo: p.sha256, catalog: Number($("catalog").value || 0), hair: p.hair, scalp: p.scalp, exclude: p.exclude, reference: p.reference, sun: $("sun").value };
  if ($("profile").value !== "") a.profile = Number($("profile").value);
  if (num("density") !== undefined) a.density_per_cm2 = num("density");
  if (num("dot") !== undefined) a.dot_mm = num("dot");
  return Object.assign(a, extra || {});
}

let timer = null;
function rematch() {
  if (!photo()) return;
  clearTimeout(timer);
  timer = setTimeout(doMatch, 120);
}

async function doMatch() {
  const seq = ++state.seq, t0 = performance.now();
  say("Measuring…");
  try {
    const m = await (await api("/api/match", ask())).json();
    if (seq !== state.seq) return;
    state.match = m;
    const ms = Math.round(performance.now() - t0);
    renderMatch(m, ms);
    if (state.frames) preview();
  } catch (e) {
    if (seq !== state.seq) return;
    state.match = null;
    $("answer").textContent = "";
    $("ranking").hidden = true;
    say(e.message, true);
  }
}

function renderMatch(m, ms) {
  const r = m.result, ans = $("answer");
  ans.textContent = "";
  (m.answer || "").split("\n").filter((l) => l.trim()).forEach((line, i) => {
    const el = document.createElement("p");
    el.textContent = line.trim();
    if (i === 0) el.className = "first";
    ans.append(el);
  });
  const seg = r.segmentation;
  const auto = seg && seg.method === "auto";
  const conf = auto ? seg.confidence : null;
  let msg = auto
    ? (conf >= 0.8 ? `Hair and scalp separated automatically, confidence ${conf.toFixed(2)}.`
      : `Not sure of the automatic separation (confidence ${conf.toFixed(2)}): check the overlay and draw hair and scalp.`)
    : "Measured in the regions drawn.";
  msg += ` Updated in ${ms} ms.`;
  say(msg, auto && conf < 0.8);
  (r.warnings || []).forEach((w) => {
    const el = document.createElement("p");
    el.className = "warn";
    el.textContent = "⚠ " + w.message;
    ans.append(el);
  });
  const a = $("auto");
  if (m.overlay) a.src = m.overlay; else a.removeAttribute("src");
  showAuto();
  const tb = $("ranking").querySelector("tbody");
  tb.textContent = "";
  (r.ranking || []).forEach((c) => {
    const tr = document.createElement("tr");
    const cell = (text, cls) => { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td); return td; };
    cell(String(c.rank));
    cell(c.name);
    const sw = cell("");
    const s = document.createElement("span"); s.className = "sw"; s.style.background = c.healed_hex; s.title = c.healed_hex; sw.append(s);
    cell(c.dilution === 0 ? "undiluted" : `1 : ${c.dilution}`, "num");
    cell(c.score.toFixed(1), "num");
    cell(c.uncertainty.toFixed(1), "num");
    cell(c.touch_up_months == null ? "—" : Math.round(c.touch_up_months).toString(), "num");
    tb.append(tr);
  });
  $("ranking").hidden = !(r.ranking && r.ranking.length);
}

// ---- preview ----
async function preview() {
  const p = photo();
  if (!p) return;
  // No drawn area: the server looks for where the scalp shows through the hair.
  const extra = p.area ? { area: p.area } : {};
  if ($("ink").value) extra.ink = $("ink").value;
  if (num("dilution") !== undefined) extra.dilution = num("dilution");
  if (num("scale") !== undefined) extra.px_per_mm = num("scale");
  const seq = ++state.seq;
  say("Drawing the preview…");
  try {
    const pv = await (await api("/api/preview", ask(extra))).json();
    if (seq !== state.seq) return;
    state.frames = pv;
    $("before").src = pv.before;
    $("wipe-before").src = pv.before;
    $("preview-out").hidden = false;
    const o = pv.preview;
    $("preview-note").textContent = `${o.name}, ${o.dilution === 0 ? "undiluted" : "1 part ink : " + o.dilution + " parts diluent"}, ${o.density_per_cm2} dots/cm², ${o.dots} dots drawn; a healed dot is ${pv.delta_e00_dot.toFixed(1)} ΔE00 from the hair` +
      (o.scale_source === "estimated" ? " — scale estimated: give the scale (px/mm) for true dot sizes." : ".") +
      (o.area_source === "found" ? " Area found where the scalp shows through the hair: check it, or draw it with the “Treated area” tool." : "");
    showFrame();
    say("Preview ready.");
  } catch (e) {
    if (seq === state.seq) say(e.message, true);
  }
}

function showFrame() {
  if (!state.frames) return;
  const i = Number($("month").value), f = state.frames.frames[i];
  if (!f) return;
  $("after").src = f.image;
  $("wipe-after").src = f.image;
  wipe();
  const words = f.month === 0 ? "healed" : `${f.month} months after healing`;
  $("after-cap").textContent = words;
  $("month-out").textContent = words;
  $("month").setAttribute("aria-valuetext", words);
}

// The before/after wipe: the after frame shown right of the slider's position.
function wipe() {
  const v = Number($("wipe-pos").value);
  $("wipe-after").style.clipPath = `inset(0 0 0 ${v}%)`;
  $("wipe-pos").setAttribute("aria-valuetext", `${v} % before, ${100 - v} % after`);
}

// ---- saving ----
async function saveConsultation() {
  const p = photo(), ref = $("patient").value.trim();
  if (!p) { say("Open a photo first.", true); return; }
  if (!ref) { say("Give the patient's reference to save.", true); $("patient").focus(); return; }
  const extra = { patient: ref };
  if ($("ink").value) extra.ink = $("ink").value;
  if (num("dilution") !== undefined) extra.dilution = num("dilution");
  try {
    const s = await (await api("/api/consultations", ask(extra))).json();
    $("saved").textContent = `Saved consultation ${s.id} for ${s.patient}.`;
    $("find").value = s.patient;
    findRecords();
  } catch (e) { say(e.message, true); }
}

async function calibrate() {
  const p = photo();
  if (!p) { say("Open the card photo first.", true); return; }
  say("Looking for the card…");
  try {
    const c = await (await api("/api/calibrate", { photo: p.sha256 })).json();
    p.card = c;
    draw();
    const sel = $("profile");
    sel.add(new Option(c.name, c.index));
    sel.value = String(c.index);
    say(`Card found: colours corrected to ${c.held_out_mean_de00.toFixed(2)} ΔE00 on patches left out of the fit (${c.before_mean_de00.toFixed(1)} before). The calibration is selected for the patient photos.` +
      (c.warnings.length ? " " + c.warnings.join(" ") : ""));
  } catch (e) { say(e.message, true); }
}

async function saveReport(format) {
  const p = photo();
  if (!p) { say("Open a photo first.", true); return; }
  const extra = {};
  if (p.area) extra.area = p.area;
  if ($("ink").value) extra.ink = $("ink").value;
  if (num("dilution") !== undefined) extra.dilution = num("dilution");
  if (num("scale") !== undefined) extra.px_per_mm = num("scale");
  if ($("patient").value.trim()) extra.patient = $("patient").value.trim();
  extra.format = format;
  extra.name = p.name;
  try {
    say("Writing the report…");
    const blob = await (await api("/api/report", ask(extra))).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "smpmatch-report." + format;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    $("saved").textContent = `Report saved (smpmatch-report.${format} in your downloads).`;
    say("Report ready.");
  } catch (e) { say(e.message, true); }
}

async function findRecords() {
  const q = $("find").value.trim();
  try {
    const list = await (await api("/api/consultations" + (q ? "?patient=" + encodeURIComponent(q) : ""))).json();
    const ul = $("records");
    ul.textContent = "";
    list.slice(0, 50).forEach((c) => {
      const li = document.createElement("li");
      const hair = c.hair_lab ? ` hair L* ${c.hair_lab[0].toFixed(1)}` : "";
      li.textContent = `#${c.id} · ${c.patient} · ${c.created.slice(0, 10)} · ${c.pigment_id || "?"}, dilution ${c.dilution ?? "?"}, ${c.density_per_cm2 ?? "?"}/cm²${hair}`;
      li.dataset.id = c.id;
      ul.append(li);
    });
    if (!list.length) { const li = document.createElement("li"); li.className = "muted"; li.textContent = "No consultations yet."; ul.append(li); }
  } catch (e) { say(e.message, true); }
}

init().catch((e) => say(e.message, true));
