//! The visual report: one self-contained HTML page (`--report FILE.html`) or a swatch sheet
//! image (`--report FILE.png`) for the technician and the patient.
//!
//! Everything is embedded (photos as base64 PNG thumbnails, swatches as inline SVG), no
//! script, no network. Colours are written as sRGB hex, the same values as the JSON.

use std::fmt::Write;
use std::path::Path;

use base64::Engine;
use image::{Rgb, RgbImage};

use crate::analysis::segment::ClusterClass;
use crate::analysis::tones::Role;
use crate::analysis::Analysis;
use crate::color::{lab_from_array, lab_to_hex, lab_to_srgb8, Lab};
use crate::error::{Error, Result};
use crate::input::{LoadLimits, Photo};
use crate::model::Dots;
use crate::output::Output;
use crate::rank::{Candidate, Look, Setup};

/// Months shown as swatches for each candidate.
pub const REPORT_MONTHS: [f64; 5] = [0.0, 6.0, 12.0, 24.0, 36.0];
/// Candidates shown.
pub const REPORT_TOP: usize = 5;
/// Longest side of the photo thumbnails.
pub const THUMB_SIDE: u32 = 360;

/// What the report needs beyond the JSON document.
pub struct ReportInput<'a> {
    /// The output document (what `--json` prints).
    pub output: &'a Output,
    /// The analysis (for the photos and their pixel roles).
    pub analysis: &'a Analysis,
    /// Match only: the model set up for this patient, and the ranked candidates.
    pub matched: Option<(&'a Setup<'a>, &'a [Candidate], Dots)>,
    /// Colour correction applied to the photos, if any.
    pub profile: Option<&'a crate::calibration::Profile>,
    /// `preview --report`: the treated part of the photo before and at each month shown,
    /// as (caption, image); empty otherwise.
    pub previews: &'a [(String, image::RgbImage)],
    /// The patient's name or reference (`--patient`).
    pub patient: Option<&'a str>,
    /// The clinic (`--clinic`).
    pub clinic: Option<&'a str>,
    /// A name shown for the first photo instead of its path (the web page stores photos
    /// under their hash; the technician knows them by the file name they opened).
    pub photo_name: Option<&'a str>,
}

fn hex(lab: Lab) -> String {
    lab_to_hex(lab)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The role each pixel of `thumb` played in an automatic separation (the class of its
/// nearest cluster by CIEDE2000, or hair where it was found by texture, unless its region
/// was left out by place): hair blue, scalp green, neither grey.
pub fn role_map(
    thumb: &RgbImage,
    sep: &crate::analysis::segment::AutoSeparation,
    profile: Option<&crate::calibration::Profile>,
) -> RgbImage {
    let mut map = thumb.clone();
    let (w, h) = (thumb.width().max(1) as f32, thumb.height().max(1) as f32);
    for (x, y, px) in map.enumerate_pixels_mut() {
        let p = thumb.get_pixel(x, y).0;
        let mut lab = crate::color::lab_from_srgb8(p[0], p[1], p[2]);
        if let Some(pr) = profile {
            lab = pr.correction.apply_lab(lab);
        }
        let (fx, fy) = ((x as f32 + 0.5) / w, (y as f32 + 0.5) / h);
        let nearest = (0..sep.clusters.len())
            .min_by(|&i, &j| {
                crate::color::delta_e00(lab, sep.clusters[i].lab)
                    .total_cmp(&crate::color::delta_e00(lab, sep.clusters[j].lab))
            })
            .map(|i| {
                let light = sep
                    .light_hair
                    .as_ref()
                    .is_some_and(|l| l.takes_at(lab, i, fx, fy));
                if light {
                    ClusterClass::Hair
                } else {
                    sep.clusters[i].class
                }
            })
            .filter(|_| !sep.background_at(fx, fy));
        *px = match nearest {
            Some(ClusterClass::Hair) => Rgb([40, 70, 200]),
            Some(ClusterClass::Scalp) => Rgb([120, 200, 120]),
            _ => Rgb([200, 200, 200]),
        };
    }
    map
}

/// The photo with the roles of [`role_map`] laid over it, quietly: hair and scalp pixels
/// tinted 40 % towards blue and green, pixels that were neither greyed and lightened, so the
/// photo stays recognisable under its reading.
pub fn tinted(thumb: &RgbImage, roles: &RgbImage) -> RgbImage {
    let mut out = thumb.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let p = px.0;
        let mix = |c: [u8; 3], t: f32| -> [u8; 3] {
            std::array::from_fn(|k| {
                (f32::from(p[k]) * (1.0 - t) + f32::from(c[k]) * t).round() as u8
            })
        };
        px.0 = match roles.get_pixel(x, y).0 {
            [40, 70, 200] => mix([40, 70, 200], 0.4),
            [120, 200, 120] => mix([60, 170, 60], 0.4),
            _ => {
                let luma = (0.2126 * f32::from(p[0])
                    + 0.7152 * f32::from(p[1])
                    + 0.0722 * f32::from(p[2]))
                .round() as u8;
                let grey = [luma; 3];
                std::array::from_fn(|k| (f32::from(grey[k]) * 0.5 + 255.0 * 0.5).round() as u8)
            }
        };
    }
    out
}

/// A thumbnail of a photo and a map of the roles its pixels played (PNG bytes each).
fn thumbnails(
    photo: &Photo,
    a: &Analysis,
    regions: &[(Role, crate::input::Region)],
    used_for: &[crate::analysis::PhotoUse],
    profile: Option<&crate::calibration::Profile>,
) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let thumb = photo.image.thumbnail(THUMB_SIDE, THUMB_SIDE).to_rgb8();
    let (tw, th) = thumb.dimensions();
    let scale = f64::from(photo.info.width) / f64::from(tw);
    let mut map = thumb.clone();
    let mut have_map = false;
    if let Some(sep) = a
        .auto
        .as_ref()
        .filter(|_| used_for.contains(&crate::analysis::PhotoUse::Auto))
    {
        have_map = true;
        map = tinted(&thumb, &role_map(&thumb, sep, profile));
    } else if !regions.is_empty() {
        have_map = true;
        for &(role, r) in regions {
            let colour = match role {
                Role::Hair => Rgb([40, 70, 200]),
                Role::Scalp => Rgb([60, 170, 60]),
            };
            let (x0, y0) = (
                (f64::from(r.x) / scale) as u32,
                (f64::from(r.y) / scale) as u32,
            );
            let x1 = ((f64::from(r.x + r.w) / scale) as u32).min(tw.saturating_sub(1));
            let y1 = ((f64::from(r.y + r.h) / scale) as u32).min(th.saturating_sub(1));
            for t in 0..2 {
                for x in x0..=x1 {
                    map.put_pixel(x, (y0 + t).min(th - 1), colour);
                    map.put_pixel(x, y1.saturating_sub(t), colour);
                }
                for y in y0..=y1 {
                    map.put_pixel((x0 + t).min(tw - 1), y, colour);
                    map.put_pixel(x1.saturating_sub(t), y, colour);
                }
            }
        }
    }
    let enc = |img: &RgbImage| -> Result<Vec<u8>> {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, image::ImageFormat::Png)
            .map_err(|e| Error::Internal(format!("PNG encoding: {e}")))?;
        Ok(buf.into_inner())
    };
    Ok((enc(&thumb)?, if have_map { Some(enc(&map)?) } else { None }))
}

fn png_bytes(img: &RgbImage) -> Result<Vec<u8>> {
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| Error::Internal(format!("PNG encoding: {e}")))?;
    Ok(png.into_inner())
}

fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// A skin square with one dot: how a single healed dot looks on this skin.
fn dot_svg(skin: Lab, dot: Lab, size: u32) -> String {
    let r = f64::from(size) * 0.3;
    format!(
        r#"<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}"><rect width="{size}" height="{size}" fill="{}"/><circle cx="{c}" cy="{c}" r="{r:.1}" fill="{}"/></svg>"#,
        hex(skin),
        hex(dot),
        c = f64::from(size) / 2.0
    )
}

/// Deterministic dot centres in the unit square, uniformly at random from a fixed hash
/// (SplitMix64): the random placement the coverage formula assumes (docs/model.md §7).
fn dot_positions(n: usize) -> Vec<(f64, f64)> {
    let unit = |k: u64| {
        // splitmix64 adds its increment first; the offsets keep the historic sequence.
        let x = k
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x2545_F491_4F6C_DD1D)
            .wrapping_sub(0x9E37_79B9_7F4A_7C15);
        (crate::numeric::splitmix64(x) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n as u64)
        .map(|i| (unit(2 * i), unit(2 * i + 1)))
        .collect()
}

/// A square of skin `side_mm` wide with dots at `dots` density, `px` pixels wide.
fn patch_svg(skin: Lab, dot: Lab, dots: Dots, side_mm: f64, px: u32) -> String {
    let area_cm2 = (side_mm / 10.0).powi(2);
    let n = (dots.density_per_cm2 * area_cm2).round() as usize;
    let scale = f64::from(px) / side_mm;
    let r = dots.diameter_mm / 2.0 * scale;
    let mut s = format!(
        r#"<svg width="{px}" height="{px}" viewBox="0 0 {px} {px}"><rect width="{px}" height="{px}" fill="{}"/>"#,
        hex(skin)
    );
    for (x, y) in dot_positions(n) {
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{r:.2}" fill="{}"/>"#,
            x * f64::from(px),
            y * f64::from(px),
            hex(dot)
        );
    }
    s.push_str("</svg>");
    s
}

fn flat_svg(lab: Lab, w: u32, h: u32) -> String {
    format!(
        r#"<svg width="{w}" height="{h}"><rect width="{w}" height="{h}" fill="{}"/></svg>"#,
        hex(lab)
    )
}

/// Frames the report's before/after comparison can switch between (one CSS rule each).
const MAX_FRAMES: usize = 8;

const CSS: &str = r#"
@page { size: A4; margin: 12mm; }
body { font: 11pt/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 16px; max-width: 1000px; }
h1 { font-size: 18pt; margin: 0 0 4px; } h2 { font-size: 13pt; margin: 18px 0 6px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; } td, th { padding: 3px 6px; text-align: left; vertical-align: middle; }
th { font-weight: 600; font-size: 9.5pt; color: #555; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.photos figure { display: inline-block; margin: 0 12px 8px 0; } figcaption { font-size: 9pt; color: #555; }
.bar { display: inline-block; height: 10px; background: #888; vertical-align: middle; }
.warn { color: #8a3b00; } .muted { color: #666; font-size: 9pt; }
.legend { color: #555; font-size: 8.5pt; max-width: 60em; }
.tied { font-size: 8.5pt; color: #8a3b00; }
section { break-inside: avoid; }
img, svg { max-width: 100%; height: auto; }
p, li, figcaption, td { overflow-wrap: break-word; }
.photos figure { max-width: 100%; }
table { display: block; max-width: 100%; overflow-x: auto; }
@media print { table { display: table; overflow: visible; } }
.compare input { position: absolute; opacity: 0; }
.compare label { display: inline-block; padding: 2px 10px; margin: 0 4px 6px 0; border: 1px solid #999; border-radius: 12px; font-size: 9.5pt; cursor: pointer; }
.compare input:checked + label { background: #222; color: #fff; border-color: #222; }
.compare input:focus-visible + label { outline: 2px solid #06c; }
.wipe { position: relative; display: block; width: fit-content; max-width: 100%; line-height: 0; }
.wipe figure { margin: 0; } .wipe figcaption { display: none; }
.wipe .base img { display: block; max-width: 100%; height: auto; }
.wipe .over { position: absolute; top: 0; left: 0; bottom: 0; width: 50%; min-width: 16px; max-width: 100%; overflow: hidden; resize: horizontal; border-right: 2px solid #fff; box-shadow: 1px 0 0 #000; }
.wipe .over figure { display: none; height: 100%; } .wipe .over img { height: 100%; width: auto; max-width: none; }
#frame0:checked ~ .wipe .f0, #frame1:checked ~ .wipe .f1, #frame2:checked ~ .wipe .f2, #frame3:checked ~ .wipe .f3, #frame4:checked ~ .wipe .f4, #frame5:checked ~ .wipe .f5, #frame6:checked ~ .wipe .f6, #frame7:checked ~ .wipe .f7 { display: block; }
@media print { .compare input, .compare label, .hint { display: none; } .wipe { display: block; line-height: 1.35; } .wipe figcaption { display: block; } .wipe .over { position: static; width: auto !important; resize: none; border: 0; box-shadow: none; overflow: visible; } .wipe .over figure { display: block; height: auto; margin-top: 8px; } .wipe .over img { height: auto; max-width: 100%; } }
"#;

/// The HTML page.
pub fn html(input: &ReportInput<'_>) -> Result<String> {
    let o = input.output;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>smpmatch report</title><style>{CSS}</style></head><body>"
    );
    let _ = write!(
        s,
        "<h1>SMP pigment match</h1><p class=\"muted\">smpmatch {} · {} · colours are sRGB renderings of the measured and predicted CIELAB values{}</p>",
        esc(&o.smpmatch_version),
        esc(o.command.name()),
        o.calibration.as_ref().map_or(String::new(), |c| format!(
            " · calibrated with {} (held-out ΔE00 {:.2})",
            esc(&c.profile),
            c.held_out_mean_de00
        ))
    );

    // Who and when, for a report handed to a patient.
    let who: Vec<String> = [
        input.patient.map(|p| format!("patient: {}", esc(p))),
        input.clinic.map(|c| format!("clinic: {}", esc(c))),
        o.plan
            .as_ref()
            .and_then(|p| p.dates.as_ref())
            .map(|d| format!("first session: {}", esc(&d.first_session))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !who.is_empty() {
        let _ = write!(s, "<p class=\"who\">{}</p>", who.join(" · "));
    }

    // The answer first, in the words of the terminal output (one place for its wording).
    if let Some(answer) = super::render_answer(o, false) {
        s.push_str("<section class=\"answer\"><h2>Recommendation</h2>");
        for line in answer.lines() {
            let _ = write!(s, "<p>{}</p>", esc(line.trim()));
        }
        let _ = write!(
            s,
            "<p class=\"muted\">{}</p></section>",
            esc(super::DELTA_E00_LEGEND)
        );
    }

    // The consultation preview: the first frame ("before") under each later one, with a
    // handle to wipe between them and a button per month (script-free: CSS only, so the page
    // works where scripts are blocked, as in mail readers). Printed, every frame is shown.
    if let Some(((before_caption, before), frames)) = input.previews.split_first() {
        s.push_str(
            "<section class=\"photos\"><h2>Preview on the photo</h2><div class=\"compare\">",
        );
        for (i, (caption, _)) in frames.iter().take(MAX_FRAMES).enumerate() {
            let _ = write!(
                s,
                "<input type=\"radio\" name=\"frame\" id=\"frame{i}\"{}><label for=\"frame{i}\">{}</label>",
                if i == 0 { " checked" } else { "" },
                esc(caption)
            );
        }
        let _ = write!(
            s,
            "<div class=\"wipe\"><figure class=\"base\"><img alt=\"{0}\" src=\"{1}\"><figcaption>{0}</figcaption></figure><div class=\"over\">",
            esc(before_caption),
            data_uri(&png_bytes(before)?)
        );
        for (i, (caption, img)) in frames.iter().take(MAX_FRAMES).enumerate() {
            let _ = write!(
                s,
                "<figure class=\"f{i}\"><img alt=\"{0}\" src=\"{1}\"><figcaption>{0}</figcaption></figure>",
                esc(caption),
                data_uri(&png_bytes(img)?)
            );
        }
        let _ = write!(
            s,
            "</div></div><p class=\"muted hint\">Left of the white line: the chosen month; right of it: {}. \
             Drag the corner at the bottom of the line to move it.</p></div></section>",
            esc(before_caption)
        );
    }

    // Photos.
    s.push_str("<section class=\"photos\"><h2>Photos</h2>");
    for (i, u) in input.analysis.inputs.iter().enumerate() {
        let photo = Photo::load(Path::new(&u.info.path), LoadLimits::default())?;
        let shown = input
            .photo_name
            .filter(|_| i == 0)
            .unwrap_or(u.info.path.as_str());
        let (thumb, map) = thumbnails(
            &photo,
            input.analysis,
            &u.regions,
            &u.used_for,
            input.profile,
        )?;
        let _ = write!(
            s,
            "<figure><img alt=\"photo\" src=\"{}\"><figcaption>{} · {}×{} · used for {}</figcaption></figure>",
            data_uri(&thumb),
            esc(shown),
            u.info.width,
            u.info.height,
            esc(&u.used_for.iter().map(super::wire_name).collect::<Vec<_>>().join(", "))
        );
        if let Some(m) = map {
            // Closed by default: the photo first, the program's reading of it on request.
            let _ = write!(
                s,
                "<details class=\"roles\"><summary>Show which pixels were read as hair and scalp</summary><figure><img alt=\"pixel roles\" src=\"{}\"><figcaption>tinted <span style=\"color:#2846c8\">■ blue: hair</span> <span style=\"color:#3caa3c\">■ green: scalp</span>; greyed: neither (left out)</figcaption></figure></details>",
                data_uri(&m)
            );
        }
    }
    s.push_str("</section>");

    // Tones.
    s.push_str("<section><h2>Measured tones</h2><table>");
    let role_rows = |s: &mut String, title: &str, r: &crate::output::RoleOut| {
        let _ = write!(
            s,
            "<tr><th>{title}</th><td>{}</td><td>target L* {:.1} a* {:.1} b* {:.1}</td><td class=\"muted\">spread {:.1} ΔE00</td></tr>",
            flat_svg(lab_from_array(r.target_lab), 48, 28),
            r.target_lab[0],
            r.target_lab[1],
            r.target_lab[2],
            r.target_spread_de00
        );
        for t in &r.tones {
            let _ = write!(
                s,
                "<tr><td></td><td>{}</td><td><span class=\"bar\" style=\"width:{:.0}px\"></span> {:.1} %</td><td class=\"muted\">L* {:.1} a* {:.1} b* {:.1}</td></tr>",
                flat_svg(lab_from_array(t.lab), 32, 18),
                t.weight * 160.0,
                t.weight * 100.0,
                t.lab[0],
                t.lab[1],
                t.lab[2]
            );
        }
    };
    if let Some(h) = &o.hair {
        role_rows(&mut s, "hair", h);
    }
    if let Some(sc) = &o.scalp {
        role_rows(&mut s, "scalp", &sc.tones);
        let _ = write!(
            s,
            "<tr><td></td><td colspan=\"3\">ITA {:.1}° → {} skin</td></tr>",
            sc.ita_deg,
            sc.skin_category.label()
        );
    }
    if let Some(st) = &o.stubble {
        let _ = write!(
            s,
            "<tr><th>stubble look</th><td>{}</td><td colspan=\"2\">the hair-bearing area seen from a distance{}</td></tr>",
            flat_svg(lab_from_array(st.lab), 48, 28),
            st.hair_area_fraction
                .map_or(String::new(), |f| format!(" (hair covers {:.0} %)", f * 100.0))
        );
    }
    s.push_str("</table><p class=\"legend\">Target: the colour each ink is matched to (for hair, its heaviest dark tone; for the scalp, its heaviest skin tone). Bars: each tone's share of the role's pixels. Spread: how far the role's pixels lie from the target, ΔE00. ITA: the skin's individual typology angle (higher is lighter).</p></section>");

    if let (Some((setup, cands, dots)), Some(ranking)) = (input.matched, &o.ranking) {
        let skin = setup.targets().scalp;
        s.push_str("<section><h2>Candidates on this skin, healed and over time</h2><table><tr><th>#</th><th>pigment</th><th>dilution</th>");
        for m in REPORT_MONTHS {
            let _ = write!(
                s,
                "<th>{}</th>",
                if m == 0.0 {
                    "healed".to_string()
                } else {
                    format!("{m} mo")
                }
            );
        }
        s.push_str("<th>over time</th><th class=\"num\">ΔE00 dot</th><th class=\"num\">ΔE00 area</th><th class=\"num\">score</th><th>touch-up</th></tr>");
        for (c, out) in cands.iter().zip(ranking).take(REPORT_TOP) {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}{}</td><td>{}</td>",
                out.rank,
                esc(&out.name),
                if out.tied_with_best {
                    " <span class=\"tied\">tied with #1</span>"
                } else {
                    ""
                },
                esc(&super::dilution_words(out.dilution))
            );
            for m in REPORT_MONTHS {
                let look: Look = setup.look(&c.parts, c.dilution.step, m);
                let _ = write!(s, "<td>{}</td>", dot_svg(skin, look.dot, 40));
            }
            let _ = write!(
                s,
                "<td class=\"muted\">{}</td>",
                esc(&change_over_report(setup, c))
            );
            let _ = write!(
                s,
                "<td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.2} ± {:.2}</td><td>{}</td></tr>",
                out.delta_e00_dot,
                out.delta_e00_area,
                out.score,
                out.uncertainty,
                out.touch_up_months
                    .map_or("not within 10 years".into(), |m| format!("{:.1} years", m / 12.0))
            );
        }
        let _ = write!(
            s,
            "</table><p class=\"legend\">Each swatch: one healed dot of the ink on this skin, healed and after the months shown. ΔE00 dot: a healed dot against the hair target, up close. ΔE00 area: the treated area seen from a distance against the stubble look. Score: the two combined (lower is better) ± its uncertainty; “tied with #1”: within that uncertainty of the best. Touch-up: when fading moves a dot {} ΔE00 from its healed look. {}.</p>",
            crate::rank::TOUCH_UP_DE00,
            esc(super::DELTA_E00_LEGEND)
        );
        if let Some(conf) = &o.confidence {
            let _ = write!(s, "<p>{}</p>", esc(&conf.summary));
        }
        s.push_str("</section>");

        if let Some(best) = cands.first() {
            let shown = recommended_dots(o, dots);
            let healed = setup.look(&best.parts, best.dilution.step, 0.0);
            let _ = write!(
                s,
                "<section><h2>The look at the recommended density</h2><table><tr><td>{}</td><td>{}</td><td>{}</td></tr><tr><td class=\"muted\">{} · {} dots/cm² of {} mm, 2 × 2 cm</td><td class=\"muted\">its average from a distance</td><td class=\"muted\">the patient's stubble look</td></tr></table></section>",
                patch_svg(skin, healed.dot, shown, 20.0, 220),
                flat_svg(setup.area(healed.dot, shown.coverage()), 110, 220),
                flat_svg(setup.targets().stubble, 110, 220),
                esc(&crate::output::candidate_name(best)),
                shown.density_per_cm2,
                shown.diameter_mm
            );
        }
        if let Some(p) = &o.plan {
            let _ = write!(
                s,
                "<section><h2>Plan: {}</h2><table><tr><th>session</th><th>week</th><th>dilution</th><th>dots/cm²</th><th>healed look</th><th class=\"num\">ΔE00 area</th><th>purpose</th></tr>",
                esc(o
                    .ranking
                    .as_ref()
                    .and_then(|r| r.first())
                    .map_or(p.pigment_id.as_str(), |c| c.name.as_str()))
            );
            for x in &p.sessions {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.1}</td><td>{}</td></tr>",
                    x.index,
                    x.week,
                    esc(&super::dilution_words(x.dilution)),
                    x.density_per_cm2,
                    flat_svg(lab_from_array(x.lab), 48, 20),
                    x.delta_e00,
                    esc(&super::wire_name(&x.purpose))
                );
            }
            let _ = write!(
                s,
                "</table><p class=\"legend\">Week: weeks after the first session. Healed look: the treated area from a distance once that session has healed; ΔE00 area: against the stubble look. Dilution: parts diluent to one part ink.</p><p>Touch-up: {}. Recommended density (every session above builds to it): {} dots/cm².</p></section>",
                p.touch_up_months.map_or("not needed within 10 years".into(), |m| format!(
                    "about {:.1} years after the last session",
                    m / 12.0
                )),
                p.suggested_density_per_cm2
            );
            if !p.zones.is_empty() {
                s.push_str("<section><h2>By zone</h2><ul>");
                for z in &p.zones {
                    let _ = write!(s, "<li>{}</li>", esc(&super::zone_line(z)));
                }
                s.push_str("</ul><p class=\"legend\">The hairline is graded over its front band: sparse, finer dots at the line, the full density behind it. The numbers are the practice described in words, not measurements.</p></section>");
            }
        }
    }

    if !o.warnings.is_empty() {
        s.push_str("<section><h2>Warnings</h2><ul>");
        for w in &o.warnings {
            let _ = write!(s, "<li class=\"warn\">{}</li>", esc(&w.message));
        }
        s.push_str("</ul></section>");
    }
    s.push_str(ASSUMPTIONS);
    s.push_str("</body></html>\n");
    Ok(s)
}

const ASSUMPTIONS: &str = "<section><h2>What the prediction assumes</h2><ul class=\"muted\">\
<li>Colours come from the photos as the camera recorded them, corrected only if a calibration profile was given.</li>\
<li>A healed dot is modelled as pigment under a thin layer of skin that scatters blue light more, which is why black heals blue-grey; about a third of the pigment is lost while healing.</li>\
<li>After healing, pigment is cleared slowly towards a part that stays for good; faster in the sun, at a rate of its own for each colorant, so mixed inks can shift in hue. Dots slowly sink and spread. The touch-up is due when a dot has visibly changed (3 ΔE00).</li>\
<li>From a distance, dots and skin blend into an average whose darkness depends on dot size and density.</li>\
<li>Catalog colours marked illustrative are not measurements; the predictions are only as good as the catalog.</li>\
<li>Rates of fading, depth and spread that no study measured are the program's assumptions; the uncertainty (±) on each score includes the main ones (fading rates, the permanent share, depth, how the skin scatters).</li>\
</ul></section>";

/// The dots the patient is advised to get: the plan's recommended density (the one every
/// session builds to) at the treatment's dot size; the treatment's own without a plan.
fn recommended_dots(o: &Output, dots: Dots) -> Dots {
    Dots {
        density_per_cm2: o
            .plan
            .as_ref()
            .map_or(dots.density_per_cm2, |p| p.suggested_density_per_cm2),
        ..dots
    }
}

/// How much a candidate's healed dot changes over the months the report shows (ΔE00), in
/// words ("too little to see" under 1, about the smallest difference seen side
/// by side): swatches that look alike are then explained, not taken for a rendering fault.
fn change_over_report(setup: &Setup<'_>, c: &Candidate) -> String {
    let last = REPORT_MONTHS[REPORT_MONTHS.len() - 1];
    let first = setup.look(&c.parts, c.dilution.step, REPORT_MONTHS[0]).dot;
    let change = crate::color::delta_e00(first, setup.look(&c.parts, c.dilution.step, last).dot);
    if change < 1.0 {
        format!("changes {change:.1} ΔE00 by {last:.0} months: too little to see")
    } else {
        format!("changes {change:.1} ΔE00 by {last:.0} months")
    }
}

/// Width of the swatch sheet, px.
pub const SHEET_WIDTH: u32 = 980;
/// Side of one swatch on the sheet, px.
pub const SHEET_CELL: u32 = 96;

/// The swatch sheet as an image, labelled so that it can travel alone (a message, a
/// print-out): the recommendation in plain words, the preview frames when there are any,
/// the measured hair, scalp and stubble, then one row per candidate (ink name and dilution,
/// then a dot on the patient's skin at healed, 6, 12, 24, 36 months, a 1 cm square at the
/// chosen density, and the stubble look beside it), a legend for every column, and what a
/// ΔE00 means.
pub fn png(input: &ReportInput<'_>) -> RgbImage {
    use super::raster::{disc, fill, frame, Face, Pen, INK, MUTED};
    const CELL: u32 = SHEET_CELL;
    const GAP: u32 = 8;
    const MARGIN: u32 = 16;
    const LABEL: u32 = SHEET_WIDTH - 2 * MARGIN - 7 * (CELL + GAP) + GAP;
    const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
    const EDGE: Rgb<u8> = Rgb([150, 150, 150]);
    let o = input.output;
    let pen = Pen::new();
    let text_w = (SHEET_WIDTH - 2 * MARGIN) as f32;
    let left = MARGIN as f32;
    // Drawn on a canvas taller than any sheet, then cut to the height used.
    let mut img = RgbImage::from_pixel(SHEET_WIDTH, 6000, WHITE);
    let mut y = MARGIN;
    let para = |img: &mut RgbImage, y: &mut u32, face, size, colour, text: &str| {
        *y += pen.paragraph(img, face, size, (left, *y as f32), text_w, colour, text);
    };

    para(&mut img, &mut y, Face::Bold, 22.0, INK, "SMP pigment match");
    let who: Vec<String> = [
        input.patient.map(|p| format!("patient: {p}")),
        input.clinic.map(|c| format!("clinic: {c}")),
        o.plan
            .as_ref()
            .and_then(|p| p.dates.as_ref())
            .map(|d| format!("first session: {}", d.first_session)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !who.is_empty() {
        para(
            &mut img,
            &mut y,
            Face::Regular,
            13.0,
            MUTED,
            &who.join(" · "),
        );
    }
    y += 8;
    if let Some(answer) = super::render_answer(o, false) {
        for (i, line) in answer.lines().enumerate() {
            let face = if i == 0 { Face::Bold } else { Face::Regular };
            para(&mut img, &mut y, face, 15.0, INK, line.trim());
        }
        y += 10;
    }

    // The preview: before, healed and the last month, side by side.
    let frames: Vec<&(String, RgbImage)> = match input.previews.len() {
        0 => Vec::new(),
        1..=3 => input.previews.iter().collect(),
        n => vec![
            &input.previews[0],
            &input.previews[1],
            &input.previews[n - 1],
        ],
    };
    if !frames.is_empty() {
        para(
            &mut img,
            &mut y,
            Face::Bold,
            15.0,
            INK,
            "Preview on the photo",
        );
        let slot = (SHEET_WIDTH - 2 * MARGIN - 2 * GAP) / 3;
        let mut tallest = 0;
        for (i, (caption, frame_img)) in frames.iter().enumerate() {
            let thumb = image::imageops::thumbnail(frame_img, slot, 260);
            let x = MARGIN + i as u32 * (slot + GAP);
            image::imageops::replace(&mut img, &thumb, i64::from(x), i64::from(y));
            let used = thumb.height()
                + 4
                + pen.paragraph(
                    &mut img,
                    Face::Regular,
                    12.0,
                    (x as f32, (y + thumb.height() + 4) as f32),
                    slot as f32,
                    MUTED,
                    caption,
                );
            tallest = tallest.max(used);
        }
        y += tallest + 12;
    }

    let at = |i: u32| MARGIN + LABEL + i * (CELL + GAP);
    let swatch = |img: &mut RgbImage, x: u32, y: u32, lab: Lab| {
        fill(img, (x, y), (CELL, CELL), Rgb(lab_to_srgb8(lab)));
        frame(img, (x, y), (CELL, CELL), EDGE);
    };
    let caption = |img: &mut RgbImage, x: u32, y: u32, text: &str| {
        pen.paragraph(
            img,
            Face::Regular,
            12.0,
            (x as f32, y as f32),
            CELL as f32,
            MUTED,
            text,
        )
    };
    let label = |img: &mut RgbImage, y: u32, face, size, colour, text: &str| {
        pen.paragraph(
            img,
            face,
            size,
            (left, y as f32),
            (LABEL - 10) as f32,
            colour,
            text,
        )
    };

    // What was measured.
    let firsts = [
        (o.hair.as_ref().map(|r| r.target_lab), "hair (target)"),
        (o.scalp.as_ref().map(|r| r.tones.target_lab), "scalp"),
        (
            o.stubble.as_ref().map(|r| r.lab),
            "stubble look: hair and scalp from a distance",
        ),
    ];
    label(&mut img, y, Face::Bold, 14.0, INK, "Measured on the photo");
    let mut below = 0;
    for (i, (lab, name)) in firsts.iter().enumerate() {
        if let Some(l) = lab {
            swatch(&mut img, at(i as u32), y, lab_from_array(*l));
            below = below.max(caption(&mut img, at(i as u32), y + CELL + 4, name));
        }
    }
    y += CELL + 4 + below + 14;

    if let Some((setup, cands, dots)) = input.matched {
        let skin = setup.targets().scalp;
        let dots = recommended_dots(o, dots);
        let density = dots.density_per_cm2;
        // Column headings.
        let mut heads: Vec<String> = REPORT_MONTHS
            .iter()
            .map(|&m| {
                if m == 0.0 {
                    "healed".to_string()
                } else {
                    format!("{m:.0} months")
                }
            })
            .collect();
        heads.push(format!("1 cm² at {density:.0} dots/cm²"));
        heads.push("your stubble look".to_string());
        label(&mut img, y, Face::Bold, 14.0, INK, "Inks, best first");
        let mut tallest = 0;
        for (k, h) in heads.iter().enumerate() {
            tallest = tallest.max(caption(&mut img, at(k as u32), y, h));
        }
        y += tallest.max(pen.line_height(Face::Bold, 14.0)) + 4;

        for c in cands.iter().take(REPORT_TOP) {
            let name = crate::output::candidate_name(c);
            let mut used = label(&mut img, y, Face::Bold, 13.0, INK, &name);
            used += label(
                &mut img,
                y + used,
                Face::Regular,
                12.0,
                INK,
                &super::dilution_words(c.dilution.step),
            );
            used += label(
                &mut img,
                y + used,
                Face::Regular,
                12.0,
                MUTED,
                &format!(
                    "score {:.1} ± {:.1} (lower is closer){}",
                    c.score,
                    c.uncertainty,
                    if c.tied_with_best {
                        ", tied with the best"
                    } else {
                        ""
                    }
                ),
            );
            let first = setup.look(&c.parts, c.dilution.step, REPORT_MONTHS[0]);
            let _ = label(
                &mut img,
                y + used,
                Face::Regular,
                12.0,
                MUTED,
                &change_over_report(setup, c),
            );
            for (k, &m) in REPORT_MONTHS.iter().enumerate() {
                let x = at(k as u32);
                let look = setup.look(&c.parts, c.dilution.step, m);
                swatch(&mut img, x, y, skin);
                let half = f64::from(CELL) / 2.0;
                disc(
                    &mut img,
                    (f64::from(x) + half, f64::from(y) + half),
                    f64::from(CELL) * 0.3,
                    Rgb(lab_to_srgb8(look.dot)),
                );
            }
            // A 1 × 1 cm dot patch at the chosen density, then the stubble look.
            let x = at(REPORT_MONTHS.len() as u32);
            let mut patch = RgbImage::from_pixel(CELL, CELL, Rgb(lab_to_srgb8(skin)));
            let n = density.round() as usize;
            let r = dots.diameter_mm / 2.0 * f64::from(CELL) / 10.0;
            for (px, py) in dot_positions(n) {
                disc(
                    &mut patch,
                    (px * f64::from(CELL), py * f64::from(CELL)),
                    r,
                    Rgb(lab_to_srgb8(first.dot)),
                );
            }
            image::imageops::replace(&mut img, &patch, i64::from(x), i64::from(y));
            frame(&mut img, (x, y), (CELL, CELL), EDGE);
            swatch(
                &mut img,
                at(REPORT_MONTHS.len() as u32 + 1),
                y,
                setup.targets().stubble,
            );
            y += CELL.max(used + pen.line_height(Face::Regular, 12.0)) + GAP + 4;
        }
        y += 6;
        para(
            &mut img,
            &mut y,
            Face::Regular,
            12.0,
            MUTED,
            &format!(
                "Each row is one ink at its chosen dilution. The first five squares show one healed \
                 dot on this patient's skin as the model predicts it at each time; the next \
                 square is 1 cm of skin with {density:.0} dots of {:.2} mm, as seen from a \
                 distance it blends into the stubble look beside it. The score is the colour \
                 difference to the hair and stubble over three years, lower is closer; ± is its \
                 uncertainty, and inks within it of the best are tied.",
                dots.diameter_mm
            ),
        );
        para(
            &mut img,
            &mut y,
            Face::Regular,
            12.0,
            MUTED,
            super::DELTA_E00_LEGEND,
        );
    }
    y += 4;
    para(
        &mut img,
        &mut y,
        Face::Regular,
        11.0,
        MUTED,
        &format!(
            "smpmatch {} · colours are sRGB renderings of measured and predicted CIELAB values; \
             a screen or printer shows them only as faithfully as it is calibrated",
            o.smpmatch_version
        ),
    );
    y += MARGIN;
    image::imageops::crop_imm(&img, 0, 0, SHEET_WIDTH, y.min(img.height())).to_image()
}

/// Write the report: HTML or PNG by extension, atomically.
pub fn write(out: &crate::io::files::OutputFile, input: &ReportInput<'_>) -> Result<()> {
    let path = &out.given;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html") | Some("htm") => crate::io::files::write_atomic(out, &html(input)?),
        Some("png") => {
            let mut buf = std::io::Cursor::new(Vec::new());
            png(input)
                .write_to(&mut buf, image::ImageFormat::Png)
                .map_err(|e| Error::Internal(format!("PNG encoding: {e}")))?;
            crate::io::files::write_atomic_bytes(out, buf.get_ref())
        }
        _ => Err(Error::usage(format!(
            "--report {}: the file name must end in .html or .png",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_comparison_frame_has_its_css_rule() {
        for i in 0..MAX_FRAMES {
            assert!(
                CSS.contains(&format!("#frame{i}:checked ~ .wipe .f{i}")),
                "{i}"
            );
        }
        assert!(!CSS.contains(&format!("#frame{MAX_FRAMES}:")));
    }
}
