//! Text for people: the terminal rendering of every document (swatches, tables wrapped to
//! the terminal), and the escaping that keeps text from a file from steering the terminal.

use super::*;
use crate::color::{lab_to_hex, lab_to_srgb8, Lab};

/// Human output of `catalog show`.
pub fn render_catalog(
    path: &str,
    cat: &crate::catalog::Catalog,
    color: bool,
    width: usize,
) -> String {
    use std::fmt::Write;
    let compact = width < WIDE_COLUMNS;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{path}: {} — {} pigments",
        cat.name.as_deref().unwrap_or("(unnamed)"),
        cat.pigments.len()
    );
    if let Some(steps) = &cat.dilution_steps {
        let v: Vec<String> = steps.iter().map(|d| format!("{d}")).collect();
        let _ = writeln!(s, "dilution steps: {}", v.join(", "));
    }
    let _ = writeln!(
        s,
        "\n{}",
        if compact {
            "  id                   swatch        L*    a*    b*  T½ mo  sun s  method"
        } else {
            "  id                     swatch     L*     a*     b*     base        T½ (mo)    sun s  method             history"
        }
    );
    for p in &cat.pigments {
        let f = p.fading();
        let method = serde_json::to_value(p.measurement.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = if compact {
            writeln!(
                s,
                "  {:<20} {:<10} {:>5.1} {:>5.1} {:>5.1} {:>6.1} {:>6.2}  {}",
                shorten(&p.id, 20),
                swatch(p.lab(), color),
                p.lab[0],
                p.lab[1],
                p.lab[2],
                f.half_life_months,
                f.sun_sensitivity,
                shorten(&method, 12)
            )
        } else {
            writeln!(
                s,
                "  {:<22} {:<10} {:>6.1} {:>6.1} {:>6.1}    {:<10} {:>8.1} {:>8.2}  {:<18} {}",
                shorten(&p.id, 22),
                swatch(p.lab(), color),
                p.lab[0],
                p.lab[1],
                p.lab[2],
                p.base.name(),
                f.half_life_months,
                f.sun_sensitivity,
                method,
                p.history.len()
            )
        };
    }
    wrap_lines(&s, width)
}

/// Human output of `catalog diff`.
pub fn render_diff(changes: &[crate::catalog::diff::Change]) -> String {
    use std::fmt::Write;
    if changes.is_empty() {
        return "no differences\n".into();
    }
    let mut s = String::new();
    for c in changes {
        let de = c
            .lab_delta_e00
            .map_or(String::new(), |d| format!(" (colour moved {d:.2} ΔE00)"));
        let _ = writeln!(
            s,
            "{:<8} {}{}{de}",
            wire_name(&c.kind),
            c.pigment_id,
            if c.fields.is_empty() {
                String::new()
            } else {
                format!(": {}", c.fields.join(", "))
            }
        );
    }
    s
}

/// Human output of `calibrate`.
pub fn render_calibrate(o: &CalibrateOut) -> String {
    use std::fmt::Write;
    let p = &o.profile;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "card found in {} ({}), reference {:?}, model {}",
        p.source_photo,
        p.detection,
        p.reference_set,
        p.correction.model.name()
    );
    let _ = writeln!(
        s,
        "\n{:>4} {:<20} {:>6} {:>6} {:>6} {:>11} {:>6} {:>9}",
        "#", "patch", "ref L*", "a*", "b*", "ΔE00 before", "after", "held out"
    );
    for r in &p.patches {
        let flag = if r.clipped {
            "  clipped"
        } else if r.outlier {
            "  OUTLIER"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "{:>4} {:<20} {:>6.1} {:>6.1} {:>6.1} {:>11.2} {:>6.2} {:>9}{flag}",
            r.index,
            r.name.chars().take(20).collect::<String>(),
            r.reference_lab[0],
            r.reference_lab[1],
            r.reference_lab[2],
            r.before_de00,
            r.after_de00,
            r.held_out_de00
                .map_or("—".to_string(), |v| format!("{v:.2}"))
        );
    }
    let q = &p.residuals;
    let _ = writeln!(
        s,
        "\nΔE00 mean before {:.2} → after {:.2} (max {:.2}); held out: mean {:.2}, max {:.2}",
        q.before_mean_de00,
        q.after_mean_de00,
        q.after_max_de00,
        q.held_out_mean_de00,
        q.held_out_max_de00
    );
    if let Some(w) = &o.written_to {
        let _ = writeln!(s, "profile written to {w}");
    } else {
        let _ = writeln!(s, "(no --out: profile not written)");
    }
    for w in &p.warnings {
        let _ = writeln!(s, "note: {w}");
    }
    s
}

/// Human output of `catalog measure`.
pub fn render_measure(o: &MeasureOut) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for m in &o.measured {
        let was = match (m.previous_lab, m.change_de00) {
            (Some(p), Some(d)) => {
                format!(
                    "was L*{:6.2} a*{:6.2} b*{:6.2}; ΔE00 {d:.2}",
                    p[0], p[1], p[2]
                )
            }
            _ => "new".to_string(),
        };
        let _ = writeln!(
            s,
            "{:<20} {}L*{:6.2} a*{:6.2} b*{:6.2}  ({was}; spread {:.2}, {} px)",
            m.pigment_id,
            if m.tint { "tint " } else { "" },
            m.lab[0],
            m.lab[1],
            m.lab[2],
            m.spread_de00,
            m.pixels
        );
    }
    let _ = writeln!(
        s,
        "{}",
        if o.written {
            format!(
                "{} updated{}",
                o.catalog,
                o.backup.as_ref().map_or(String::new(), |b| format!(
                    " (previous version kept as {b})"
                ))
            )
        } else {
            format!("dry run: {} not changed", o.catalog)
        }
    );
    for w in &o.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// Human output of `catalog fit-fading`.
pub fn render_fit_fading(o: &FitFadingOut) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for f in &o.fits {
        let plateau = match f.plateau_ci95 {
            Some((lo, hi)) => format!("plateau {:.2} ({lo:.2}–{hi:.2})", f.plateau),
            None if f.plateau_fitted => format!("plateau {:.2}", f.plateau),
            None => format!("plateau {:.2} held", f.plateau),
        };
        let _ = writeln!(
            s,
            "{:<20} half-life {:6.1} months, 95 % interval {:.1}–{}, {plateau} ({} follow-ups, sun sensitivity {}, model fit {:.2} ΔE00)",
            f.pigment_id,
            f.half_life_months,
            f.ci95_months.0,
            f.ci95_months.1.map_or("unbounded".to_string(), |v| format!("{v:.1}")),
            f.points,
            f.sun_sensitivity,
            f.inversion_rms_de00
        );
    }
    for a in &o.ageing {
        let value = match (a.value, a.ci95) {
            (Some(v), Some((lo, hi))) => format!("{v} (95 % {lo} to {hi})"),
            (Some(v), None) => v.to_string(),
            _ => "—".into(),
        };
        let _ = writeln!(s, "{:<22} {value}: {}", a.parameter, a.note);
    }
    for r in &o.refusals {
        let _ = writeln!(s, "{:<20} not fitted: {}", r.pigment_id, r.reason);
    }
    let _ = writeln!(
        s,
        "{}",
        if o.written {
            format!("{} updated", o.catalog)
        } else {
            format!("dry run: {} not changed", o.catalog)
        }
    );
    s
}

/// A truecolour swatch (two cells), or the hex code without colour.
pub fn swatch(lab: Lab, color: bool) -> String {
    if color {
        let [r, g, b] = lab_to_srgb8(lab);
        // Brackets in the terminal's own colour frame the patch, so a near-black swatch
        // still shows on a dark background (and a near-white one on a light background).
        format!("[\x1b[48;2;{r};{g};{b}m  \x1b[0m]")
    } else {
        format!("[{}]", lab_to_hex(lab))
    }
}

fn fmt_lab(v: [f64; 3]) -> String {
    format!("L*{:5.1} a*{:5.1} b*{:5.1}", v[0], v[1], v[2])
}

/// A dilution in words: "undiluted", or "1 part ink : N parts diluent".
pub fn dilution_words(parts_diluent: f64) -> String {
    if parts_diluent <= 0.0 {
        "undiluted".into()
    } else {
        let n = format!("{parts_diluent}");
        let unit = if parts_diluent == 1.0 {
            "part"
        } else {
            "parts"
        };
        format!("1 part ink : {n} {unit} diluent")
    }
}

/// One zone of the plan in words: "hairline, front 10 mm: 30 → 100 dots/cm², 0.35 → 0.5 mm
/// across; sparse single dots …".
pub fn zone_line(z: &super::ZoneOut) -> String {
    let name = match z.zone {
        crate::plan::ZoneName::Hairline => "hairline",
        crate::plan::ZoneName::MidScalp => "mid-scalp",
        crate::plan::ZoneName::Crown => "crown",
    };
    let range = |a: f64, b: f64| {
        if a == b {
            format!("{a}")
        } else {
            format!("{a} → {b}")
        }
    };
    format!(
        "{name}{}: {} dots/cm², {} mm across; {}",
        z.width_mm
            .map_or(String::new(), |w| format!(", front {w} mm")),
        range(z.density_per_cm2_front, z.density_per_cm2_back),
        range(z.dot_diameter_mm_front, z.dot_diameter_mm_back),
        z.how
    )
}

/// What a ΔE00 means to the eye, printed with the first ΔE00 a reader meets.
pub const DELTA_E00_LEGEND: &str = "ΔE00 is the colour difference: about 1 is barely visible \
     side by side, 2 visible, 5 clearly different, 10 another shade";

/// The answer, in plain words, before any detail: the ink, how to dilute it, the density and
/// dot size, the sessions, when the touch-up falls, and how sure the ranking is.
pub fn render_answer(o: &Output, color: bool) -> Option<String> {
    use std::fmt::Write;
    let plan = o.plan.as_ref()?;
    let best = o.ranking.as_ref()?.first()?;
    let dots = o.settings.dots.as_ref()?;
    let bold = |t: &str| {
        if color {
            format!("\x1b[1m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}, {}, {} dots/cm², {} mm across",
        bold("Recommended:"),
        bold(&best.name),
        dilution_words(best.dilution),
        plan.suggested_density_per_cm2,
        dots.diameter_mm
    );
    let spacing = o.settings.session_spacing_weeks.unwrap_or_default();
    let steps: Vec<String> = plan
        .sessions
        .iter()
        .map(|x| {
            format!(
                "week {}: {}, {}/cm²",
                x.week,
                dilution_words(x.dilution),
                x.density_per_cm2
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "  {} sessions {} weeks apart ({})",
        plan.sessions.len(),
        spacing,
        steps.join("; ")
    );
    let sun = o
        .settings
        .sun
        .map(|x| format!("{x:?}").to_lowercase())
        .unwrap_or_default();
    let years = |m: f64| format!("{:.0}", m / 12.0);
    let _ = match (plan.touch_up_months, &plan.dates) {
        (Some(m), Some(d)) => {
            let range = match (&d.touch_up_earliest, &d.touch_up_latest) {
                (Some(a), Some(b)) => format!("{a} to {b}"),
                (Some(a), None) => format!("{a} or later"),
                _ => String::new(),
            };
            writeln!(
                s,
                "  touch-up: around {} ({range}), about {} years after the last session on \
                 {}, at {sun} sun",
                d.touch_up.as_deref().unwrap_or("?"),
                years(m),
                d.last_session
            )
        }
        (Some(m), None) => writeln!(
            s,
            "  touch-up: about {} years after the last session ({}–{}), at {sun} sun",
            years(m),
            plan.touch_up_months_earliest.map_or("?".into(), years),
            plan.touch_up_months_latest.map_or("more".into(), years),
        ),
        (None, _) => writeln!(
            s,
            "  touch-up: not needed within {:.0} years at {sun} sun",
            crate::rank::TOUCH_UP_HORIZON_MONTHS / 12.0
        ),
    };
    if let Some(c) = &o.confidence {
        let _ = if c.tied_with_best_names.is_empty() {
            writeln!(
                s,
                "  how sure: clearly the best of the catalog for this photo; no other ink \
                 comes within the uncertainty of the model and the photo colours"
            )
        } else {
            let n = c.tied_with_best_names.len();
            writeln!(
                s,
                "  how sure: not clearly the best: {} {} as well within the uncertainty; \
                 choose among them by stock, experience or a test patch",
                c.tied_with_best_names.join(" / "),
                if n == 1 { "scores" } else { "score" }
            )
        };
    }
    if let Some(seg) = o
        .segmentation
        .as_ref()
        .filter(|g| g.confidence < f64::from(crate::analysis::segment::SURE))
    {
        let _ = writeln!(
            s,
            "  {} the hair/scalp separation of this photo is unsure (confidence {:.2}): check \
             the targets below, or give --hair-region and --scalp-region",
            bold("check:"),
            seg.confidence
        );
    }
    // A warning that says the measured skin is the wrong one changes the answer's footing:
    // it belongs beside the answer, not only in the list below.
    for w in o
        .warnings
        .iter()
        .filter(|w| w.code == crate::warning::WarningCode::ScalpRedderThanReference)
    {
        let _ = writeln!(s, "  {} {}", bold("check:"), w.message);
    }
    if !o.warnings.is_empty() {
        let _ = writeln!(
            s,
            "  {} warning{} below",
            o.warnings.len(),
            if o.warnings.len() == 1 { "" } else { "s" }
        );
    }
    Some(s)
}

/// Render the document for a person: the answer first
/// ([`render_answer`]), then the details.
///
/// `width` is the terminal width in columns: below [`WIDE_COLUMNS`] the ranking and plan
/// use compact tables, and every line is wrapped to fit.
pub fn render_text(o: &Output, color: bool, width: usize, verbose: bool) -> String {
    use std::fmt::Write;
    let compact = width < WIDE_COLUMNS;
    let mut s = String::new();
    let answer = render_answer(o, color);
    if let Some(answer) = &answer {
        let _ = writeln!(s, "{answer}");
    }
    // After an answer, the measurements in brief unless --verbose; `analyze` (no answer)
    // always shows them in full.
    let brief = answer.is_some() && !verbose;
    let sw = |v: [f64; 3]| swatch(crate::color::lab_from_array(v), color);
    if brief {
        if let (Some(h), Some(sc)) = (&o.hair, &o.scalp) {
            let _ = writeln!(
                s,
                "measured: hair {} {}; scalp {} {}, ITA {:.0}° ({} skin){}",
                sw(h.target_lab),
                fmt_lab(h.target_lab),
                sw(sc.tones.target_lab),
                fmt_lab(sc.tones.target_lab),
                sc.ita_deg,
                sc.skin_category.label(),
                o.stubble
                    .as_ref()
                    .map(|st| format!("; stubble look {} {}", sw(st.lab), fmt_lab(st.lab)))
                    .unwrap_or_default()
            );
        }
        if let Some(seg) = &o.segmentation {
            let _ = writeln!(
                s,
                "  automatic hair/scalp separation, confidence {:.2} (--verbose: photos, \
                 tones, blends)",
                seg.confidence
            );
        }
    }
    for i in o.inputs.iter().filter(|_| !brief) {
        let _ = writeln!(
            s,
            "photo  {}  {}×{} {} {}-bit, {} ({}), used for {}",
            i.path,
            i.width,
            i.height,
            i.format,
            i.bit_depth,
            i.color_space,
            wire_name(&i.color_space_source),
            i.used_for
                .iter()
                .map(wire_name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(c) = &o.calibration {
        let _ = writeln!(
            s,
            "calibrated with {} ({}, card photo {}, held-out ΔE00 {:.2})",
            c.profile,
            c.model.name(),
            c.source_photo,
            c.held_out_mean_de00
        );
    }
    if let Some(seg) = o.segmentation.as_ref().filter(|_| !brief) {
        let _ = writeln!(
            s,
            "automatic hair/scalp separation, confidence {:.2}",
            seg.confidence
        );
    }
    let role = |s: &mut String, title: &str, r: &RoleOut| {
        let _ = writeln!(
            s,
            "\n{title}: target {} {}  (spread {:.1} ΔE00; {} px sampled, {} shadow + {} highlight trimmed)",
            sw(r.target_lab),
            fmt_lab(r.target_lab),
            r.target_spread_de00,
            r.pixels_sampled,
            r.pixels_trimmed.shadow,
            r.pixels_trimmed.highlight
        );
        for t in &r.tones {
            let bar = "█".repeat((t.weight * 20.0).round() as usize);
            let _ = writeln!(
                s,
                "  {} {}  {:5.1} %  {bar}",
                sw(t.lab),
                fmt_lab(t.lab),
                100.0 * t.weight
            );
        }
    };
    if let Some(h) = o.hair.as_ref().filter(|_| !brief) {
        role(&mut s, "hair", h);
    }
    if let Some(sc) = o.scalp.as_ref().filter(|_| !brief) {
        role(&mut s, "scalp", &sc.tones);
        let _ = writeln!(
            s,
            "  ITA {:.1}° → {} skin",
            sc.ita_deg,
            sc.skin_category.label()
        );
    }
    if let Some(st) = o.stubble.as_ref().filter(|_| !brief) {
        let frac = st
            .hair_area_fraction
            .map(|f| format!(", hair covers {:.0} % of the area", 100.0 * f))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "\nstubble look (area average): {} {}{frac}",
            sw(st.lab),
            fmt_lab(st.lab)
        );
    }
    if let Some(r) = &o.ranking {
        if let Some(d) = &o.settings.dots {
            // Inks are compared at one density; when the plan then recommends another, say
            // so here, so that two densities never stand side by side unexplained.
            let plan_sets = o
                .plan
                .as_ref()
                .filter(|p| p.suggested_density_per_cm2 != d.density_per_cm2)
                .map(|p| {
                    format!(
                        "; inks compared at this density, the plan below sets {}/cm²",
                        p.suggested_density_per_cm2
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "\nevery recipe at its best dilution ({} mm dots at {}/cm², {:.0} % coverage{plan_sets}; \
                 ΔE00 dot = close up vs hair, area = at a distance vs stubble):",
                d.diameter_mm,
                d.density_per_cm2,
                100.0 * d.coverage
            );
        }
        if compact {
            let _ = writeln!(
                s,
                "  # recipe               dil. healed    ΔE00 dot/area score±unc touch-up"
            );
        } else {
            let _ = writeln!(
                s,
                "  # recipe                              dilution    dot    area  ΔE00 dot  ΔE00 area  score ± unc   touch-up"
            );
        }
        for c in r.iter().filter(|_| compact) {
            let tu = c
                .touch_up_months
                .map(|m| format!("{:.1} y", m / 12.0))
                .unwrap_or_else(|| "never".into());
            let _ = writeln!(
                s,
                "{:>3} {:<20} {:>3}:1 {} {:>5.1} / {:<5.1} {:5.2}±{:<4.2} {}{}",
                c.rank,
                shorten(&c.name, 20),
                c.dilution,
                sw(c.healed_lab),
                c.delta_e00_dot,
                c.delta_e00_area,
                c.score,
                c.uncertainty,
                if c.tied_with_best { "tied " } else { "" },
                tu,
            );
        }
        for c in r.iter().filter(|_| !compact) {
            let tu = c
                .touch_up_months
                .map(|m| format!("{:4.1} y", m / 12.0))
                .unwrap_or_else(|| " never".into());
            let name = shorten(&c.name, 34);
            let dil = match c.dilution_optimum {
                Some(opt) => format!("{:>3}:1 ({:>4.1})", c.dilution, opt),
                None => format!("{:>3}:1 fixed", c.dilution),
            };
            let _ = writeln!(
                s,
                "{:>3} {:<34} {:<12} {} {} {:8.1} {:10.1} {:6.2} ± {:<4.2} {}{:>8}",
                c.rank,
                name,
                dil,
                sw(c.healed_lab),
                sw(c.area_lab),
                c.delta_e00_dot,
                c.delta_e00_area,
                c.score,
                c.uncertainty,
                if c.tied_with_best { "tied" } else { "    " },
                tu,
            );
        }
        let _ = writeln!(
            s,
            "  {}",
            if compact {
                "(dil.: parts diluent per part ink, 0:1 = undiluted; score: lower is better, the \
                 ΔE00 close up and at a distance over 3 years, ± its uncertainty; tied: within \
                 it of the best)"
            } else {
                "(dilution: parts diluent per part ink, 0:1 = undiluted, the continuous optimum \
                 in brackets; score: lower is better, the ΔE00 close up and at a distance over \
                 3 years, ± its uncertainty; tied: within it of the best)"
            }
        );
        let _ = writeln!(s, "  ({DELTA_E00_LEGEND})");
        if let Some(best) = r.first().filter(|_| !brief) {
            let cols: Vec<String> = best
                .timeline
                .iter()
                .map(|t| format!("{}m {:.1}", t.month, t.delta_e00_area))
                .collect();
            let _ = writeln!(
                s,
                "  {} over time, ΔE00 area: {}",
                best.name,
                cols.join(" · ")
            );
        }
    }
    if let Some(b) = o.blends.as_ref().filter(|_| !brief) {
        if b.considered > 0 {
            let gain = match (&b.best, b.best_gain_de00) {
                (Some(id), Some(g)) if b.ranked > 0 => {
                    format!("best {id}, {:.1} ΔE00 better than the best single ink", -g)
                }
                (Some(id), Some(g)) => format!(
                    "none beats the best single ink by {} ΔE00 (best {id}: {:+.1})",
                    crate::rank::BLEND_MARGIN_DE00,
                    g
                ),
                _ => String::new(),
            };
            let _ = writeln!(s, "  blends: {} tried; {gain}", b.considered);
        }
    }
    // The confidence is stated with the answer, in names (the JSON's `summary` uses ids).
    if let Some(p) = &o.plan {
        let _ = writeln!(
            s,
            "\nplan for {} ({} sessions):",
            o.ranking
                .as_ref()
                .and_then(|r| r.first())
                .map_or(p.pigment_id.as_str(), |c| c.name.as_str()),
            p.sessions.len()
        );
        if compact {
            for x in &p.sessions {
                let _ = writeln!(
                    s,
                    "  {}. week {}: {}:1, {} dots/cm² → {} ΔE00 {:.1} — {}",
                    x.index,
                    x.week,
                    x.dilution,
                    x.density_per_cm2,
                    sw(x.lab),
                    x.delta_e00,
                    wire_name(&x.purpose)
                );
            }
        } else {
            let _ = writeln!(
                s,
                "  session  week  dilution  dots/cm²  coverage  healed look  ΔE00 area  ΔE00 dot  purpose"
            );
        }
        for x in p.sessions.iter().filter(|_| !compact) {
            let _ = writeln!(
                s,
                "  {:>7} {:>5} {:>7}:1 {:>9} {:>8.0} %  {}  {:>9.1} {:>9.1}  {}",
                x.index,
                x.week,
                x.dilution,
                x.density_per_cm2,
                100.0 * x.coverage,
                sw(x.lab),
                x.delta_e00,
                x.delta_e00_dot,
                wire_name(&x.purpose)
            );
        }
        let sun = o
            .settings
            .sun
            .map(|s| format!("{s:?}").to_lowercase())
            .unwrap_or_default();
        let _ = match p.touch_up_months {
            Some(m) => writeln!(
                s,
                "  touch-up: about {:.1} years ({m} months) after the last session, at {sun} sun",
                m / 12.0
            ),
            None => writeln!(
                s,
                "  touch-up: not needed within {} years at {sun} sun",
                crate::rank::TOUCH_UP_HORIZON_MONTHS / 12.0
            ),
        };
        let _ = writeln!(
            s,
            "  recommended density (used by every session above): {} dots/cm² ({:.0} % coverage, area ΔE00 {:.1})",
            p.suggested_density_per_cm2,
            100.0 * p.suggested_coverage,
            p.suggested_delta_e00
        );
        if !p.zones.is_empty() {
            let _ = writeln!(s, "  by zone:");
        }
        for z in &p.zones {
            let _ = writeln!(s, "    {}", zone_line(z));
        }
    }
    if !o.warnings.is_empty() {
        let _ = writeln!(s);
        for w in &o.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
    }
    wrap_lines(&s, width)
}

/// Human output of `preview`: what was drawn, and the warnings.
pub fn render_preview(p: &PreviewOut) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {}, {}, {} dots/cm² ({} drawn over {:.1} cm²), {:.2} mm dots, {}",
        p.written_to,
        p.name,
        dilution_words(p.dilution),
        p.density_per_cm2,
        p.dots,
        p.area_mm2 / 100.0,
        p.dot_diameter_mm,
        if p.month == 0.0 {
            "healed".to_string()
        } else {
            format!("{} months after healing", p.month)
        }
    );
    let _ = writeln!(
        s,
        "  area {}; scale {:.2} px/mm ({})",
        match p.area_source.as_str() {
            "found" => "found where the scalp shows (check it: see the warning)",
            "mask" => "from the mask",
            _ => "the region given",
        },
        p.px_per_mm,
        p.scale_source
    );
    let _ = writeln!(
        s,
        "  dot colour on the scalp target L* {:.1} a* {:.1} b* {:.1}",
        p.dot_lab[0], p.dot_lab[1], p.dot_lab[2]
    );
    for w in &p.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

/// `text` cut to `n` characters, with an ellipsis when cut.
fn shorten(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Terminal width from which the wide tables are used.
pub const WIDE_COLUMNS: usize = 125;

/// Columns a string takes on a terminal: characters, not counting ANSI escape sequences.
pub fn display_width(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for ch in s.chars() {
        match (in_escape, ch) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Wrap every line wider than `width` at spaces, continuing with a 4-space indent.
pub fn wrap_lines(text: &str, width: usize) -> String {
    let width = width.max(20);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if display_width(line) <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut cur = " ".repeat(indent);
        let mut fresh = true;
        for word in line
            .trim_start_matches(' ')
            .split(' ')
            .filter(|w| !w.is_empty())
        {
            if !fresh && display_width(&cur) + 1 + display_width(word) > width {
                out.push_str(cur.trim_end());
                out.push('\n');
                cur = " ".repeat(indent + 4);
                fresh = true;
            }
            if !fresh {
                cur.push(' ');
            }
            cur.push_str(word);
            fresh = false;
        }
        out.push_str(cur.trim_end());
        out.push('\n');
    }
    out
}

/// `text` safe to print on a terminal: every control character (C0, DEL, C1) but newline
/// and tab is shown as `\u{..}`, so a catalog name or a file name cannot move the cursor,
/// retitle the window or hide text (`ESC`, `OSC … BEL`, `CR`, `NUL`). With `allow_sgr`, the
/// colour swatches smpmatch itself writes (see `swatch_sgr_len`) pass unchanged.
pub fn escape_terminal(text: &str, allow_sgr: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' || c == '\t' || !c.is_control() {
            out.push(c);
            continue;
        }
        if c == '\x1b' && allow_sgr {
            if let Some(len) = swatch_sgr_len(&text[i..]) {
                out.push_str(&text[i..i + len]);
                for _ in 1..len {
                    chars.next();
                }
                continue;
            }
        }
        out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
    }
    out
}

/// The length of the colour sequence at the start of `text` if it is one smpmatch writes
/// (a truecolour background `ESC[48;2;R;G;Bm`, or the reset `ESC[0m`), else None: any other
/// sequence (conceal, clear screen, cursor moves) is escaped even with colour on.
fn swatch_sgr_len(text: &str) -> Option<usize> {
    // Reset and bold (the recommendation's headline), then the swatch background.
    if text.starts_with("\x1b[0m") || text.starts_with("\x1b[1m") {
        return Some(4);
    }
    let body = text.strip_prefix("\x1b[48;2;")?;
    let end = body.find('m')?;
    let ok = body[..end].split(';').count() == 3
        && body[..end]
            .split(';')
            .all(|n| !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()));
    ok.then_some("\x1b[48;2;".len() + end + 1)
}

/// [`escape_terminal`] without colour: for warnings and messages.
pub fn escape_text(text: &str) -> String {
    escape_terminal(text, false)
}

/// A wire enum's value as it appears in JSON (its serde name), for text output: one
/// spelling, the JSON one.
pub fn wire_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// `predict` as text: the ink, the fitted skin, and the dot at each month.
pub fn render_prediction(p: &super::PredictOut) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let k = &p.skin;
    let _ = writeln!(
        s,
        "{} ({}) at {}:1 (parts diluent per part ink), band {} mm deep, {} sun",
        p.name,
        p.pigment_id,
        p.dilution,
        p.params.depth_mm,
        super::wire_name(&p.sun)
    );
    let _ = writeln!(
        s,
        "skin L* {:.1} a* {:.1} b* {:.1}: melanin {:.1} %, blood {:.2} %, scattering ×{:.2}{} \
         (model skin {:.2} ΔE00 from it{})",
        p.skin_lab[0],
        p.skin_lab[1],
        p.skin_lab[2],
        100.0 * k.melanin,
        100.0 * k.blood,
        k.scattering,
        if k.gloss_seen < 1.0 {
            format!(", surface gloss seen {:.2}", k.gloss_seen)
        } else {
            String::new()
        },
        k.fit_delta_e00,
        if k.in_published_range.melanin
            && k.in_published_range.blood
            && k.in_published_range.scattering
        {
            ""
        } else {
            "; a value outside its published range"
        }
    );
    let _ = writeln!(
        s,
        "  {:>5} {:>5} {:>5} {:>5} {:>4} {:>8} {:>4} {:>8} {:>4} {:>11} {:>5}",
        "month",
        "L*",
        "a*",
        "b*",
        "hue°",
        "cast Δa*",
        "Δb*",
        "depth mm",
        "left",
        "ΔE00 healed",
        "skin"
    );
    for t in &p.timeline {
        let _ = writeln!(
            s,
            "  {:>5} {:>5.1} {:>5.1} {:>5.1} {:>4.0} {:>8.1} {:>4.1} {:>8.3} {:>3.0}% {:>11.1} {:>5.1}",
            t.month,
            t.lab[0],
            t.lab[1],
            t.lab[2],
            t.hue_deg,
            t.cast[0],
            t.cast[1],
            t.depth_mm,
            100.0 * t.pigment_left,
            t.delta_e00_to_healed,
            t.delta_e00_to_skin
        );
    }
    s
}

#[cfg(test)]
mod escape_tests {
    use super::escape_terminal;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let name = "Ink\x1b]0;owned\x07\r\0\x1b[2J\u{9b}31m";
        let shown = escape_terminal(name, false);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert_eq!(
            shown,
            "Ink\\u{1b}]0;owned\\u{7}\\u{d}\\u{0}\\u{1b}[2J\\u{9b}31m"
        );
        // Our own colour sequences survive when colour is on; nothing else does.
        let ours = "\x1b[48;2;1;2;3m    \x1b[0m line\n\tnext";
        assert_eq!(escape_terminal(ours, true), ours);
        assert_eq!(escape_terminal("\x1b[2J", true), "\\u{1b}[2J");
        assert_eq!(escape_terminal("\x1b[8m", true), "\\u{1b}[8m");
    }
}
