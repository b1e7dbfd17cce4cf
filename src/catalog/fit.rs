//! Fitting a pigment's fading from dated follow-up measurements of healed work
//! (`catalog fit-fading`, docs/calibration.md § Fading).
//!
//! Each follow-up (months since treatment, measured Lab of the healed work, Lab of the skin
//! beside it) is inverted through the appearance model to the concentration left in the skin,
//! `c`. The model says `ln c = ln c₀ − (ln 2 / T½) · τ`, with `τ = months · (1 + s · sun)`:
//! a straight line, fitted by least squares. The intercept is free, so neither the dilution
//! used nor the healing loss has to be known. The half-life's 95 % interval comes from the
//! slope's standard error and Student's t with n − 2 degrees of freedom.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::color::{delta_e00, lab_from_array};
use crate::error::{Error, Result};
use crate::model::{ModelParams, Skin, Sun};

/// One follow-up measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    /// Catalog id of the pigment used.
    pub pigment_id: String,
    /// Months since the treatment.
    pub months: f64,
    /// Measured Lab of the healed work (D65).
    pub lab: [f64; 3],
    /// Lab of the untreated skin beside it.
    pub skin_lab: [f64; 3],
    /// Sun exposure of the patient (default moderate).
    #[serde(default)]
    pub sun: Option<Sun>,
}

/// Minimum follow-ups per pigment.
pub const MIN_POINTS: usize = 3;

/// Read follow-ups from JSON (an array of objects) or CSV with the header
/// `pigment_id,months,L,a,b,skin_L,skin_a,skin_b[,sun]`.
pub fn load_followups(path: &Path) -> Result<Vec<FollowUp>> {
    let bytes = crate::io::files::read_input(path, "a follow-ups file", 64 << 20)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::follow_ups(
            path,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    let trimmed = text.trim_start();
    let rows: Vec<FollowUp> = if trimmed.starts_with('[') {
        serde_json::from_str(trimmed)
            .map_err(|e| Error::follow_ups(path, format!("follow-ups JSON: {e}")))?
    } else {
        parse_csv(&text).map_err(|m| Error::follow_ups(path, m))?
    };
    for (i, r) in rows.iter().enumerate() {
        let ok = r.months.is_finite()
            && r.months >= 0.0
            && r.lab.iter().chain(&r.skin_lab).all(|v| v.is_finite());
        if !ok {
            return Err(Error::follow_ups(
                path,
                format!(
                    "follow-up {} ({}): months must be ≥ 0 and every value finite",
                    i + 1,
                    r.pigment_id
                ),
            ));
        }
    }
    if rows.is_empty() {
        return Err(Error::follow_ups(path, "no follow-ups in the file"));
    }
    Ok(rows)
}

fn parse_csv(text: &str) -> std::result::Result<Vec<FollowUp>, String> {
    let mut rdr = crate::io::csv::reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.iter().all(String::is_empty) {
        return Err("empty file".into());
    }
    let need = [
        "pigment_id",
        "months",
        "L",
        "a",
        "b",
        "skin_L",
        "skin_a",
        "skin_b",
    ];
    let col = |name: &str| header.iter().position(|h| h == name);
    let idx: Vec<usize> = need
        .iter()
        .map(|n| {
            col(n).ok_or(format!(
                "CSV header lacks column {n:?} (need {})",
                need.join(",")
            ))
        })
        .collect::<std::result::Result<_, _>>()?;
    let sun_col = col("sun");
    let mut out = Vec::new();
    for rec in rdr.records() {
        let f = rec.map_err(|e| format!("CSV: {e}"))?;
        let row = crate::io::csv::line(&f);
        let num = |k: usize| -> std::result::Result<f64, String> {
            f.get(idx[k])
                .ok_or(format!("line {row}: missing column {}", need[k]))?
                .parse::<f64>()
                .map_err(|_| format!("line {row}: {} is not a number", need[k]))
        };
        let sun = match sun_col.and_then(|c| f.get(c)).filter(|s| !s.is_empty()) {
            None => None,
            Some("low") => Some(Sun::Low),
            Some("moderate") => Some(Sun::Moderate),
            Some("high") => Some(Sun::High),
            Some(other) => {
                return Err(format!(
                    "line {row}: sun must be low, moderate or high, got {other:?}"
                ))
            }
        };
        out.push(FollowUp {
            pigment_id: f
                .get(idx[0])
                .ok_or(format!("line {row}: no pigment_id"))?
                .to_string(),
            months: num(1)?,
            lab: [num(2)?, num(3)?, num(4)?],
            skin_lab: [num(5)?, num(6)?, num(7)?],
            sun,
        });
    }
    Ok(out)
}

/// The fitted fading of one pigment.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FadingFit {
    /// Catalog id.
    pub pigment_id: String,
    /// Follow-ups used.
    pub points: usize,
    /// Half-life, months (sun-free, given `sun_sensitivity`).
    pub half_life_months: f64,
    /// 95 % interval of the half-life; the upper end is null when the data cannot rule out
    /// no fading at all.
    pub ci95_months: (f64, Option<f64>),
    /// Sun sensitivity held fixed (from the catalog or the base default).
    pub sun_sensitivity: f64,
    /// RMS ΔE00 between each follow-up and the model at its inverted concentration: how well
    /// the model reproduces the measured colours.
    pub inversion_rms_de00: f64,
}

/// A pigment that could not be fitted, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Refusal {
    /// Catalog id.
    pub pigment_id: String,
    /// Why.
    pub reason: String,
}

/// Two-sided 95 % Student t quantiles for 1–30 degrees of freedom (standard tables).
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

fn t975(dof: usize) -> f64 {
    match dof {
        0 => f64::INFINITY,
        1..=30 => T975[dof - 1],
        _ => 1.96 + 2.4 / dof as f64,
    }
}

/// The concentration whose predicted dot is closest (ΔE00) to `lab` on `skin`, searched in
/// ln c over [1e-4, 1e3], and the remaining ΔE00.
fn invert_concentration(
    skin: &Skin,
    optics: &crate::model::PigmentOptics,
    lab: crate::color::Lab,
) -> (f64, f64) {
    let f = |u: f64| f64::from(delta_e00(skin.dot(optics, u.exp()), lab));
    let (lo, hi) = ((1e-4f64).ln(), (1e3f64).ln());
    let grid: Vec<f64> = (0..=60)
        .map(|i| lo + (hi - lo) * f64::from(i) / 60.0)
        .collect();
    let i = (0..grid.len())
        .min_by(|&a, &b| f(grid[a]).total_cmp(&f(grid[b])))
        .unwrap_or(0);
    let (a, b) = (grid[i.saturating_sub(1)], grid[(i + 1).min(grid.len() - 1)]);
    let (u, _) = crate::numeric::golden_section_min(f, a, b, 1e-6);
    (u.exp(), f(u))
}

/// Fit every pigment that has follow-ups.
pub fn fit(
    catalog: &Catalog,
    rows: &[FollowUp],
    params: &ModelParams,
) -> (Vec<FadingFit>, Vec<Refusal>) {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.pigment_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let (mut fits, mut refusals) = (Vec::new(), Vec::new());
    for id in ids {
        let refuse = |reason: String| Refusal {
            pigment_id: id.to_string(),
            reason,
        };
        let Some(p) = catalog.pigments.iter().find(|p| p.id == id) else {
            refusals.push(refuse("not in the catalog".into()));
            continue;
        };
        let s = p.fading().sun_sensitivity;
        let optics = crate::model::Constituent::mix(&p.constituents(params).0);
        let mine: Vec<&FollowUp> = rows.iter().filter(|r| r.pigment_id == id).collect();
        let mut pts = Vec::new();
        let mut sq = 0.0;
        for r in &mine {
            let skin = Skin::new(lab_from_array(r.skin_lab), params);
            let (c, de) = invert_concentration(&skin, &optics, lab_from_array(r.lab));
            sq += de * de;
            let tau = r.months * (1.0 + s * r.sun.unwrap_or_default().level());
            pts.push((tau, c.ln()));
        }
        let mut months: Vec<f64> = mine.iter().map(|r| r.months).collect();
        months.sort_by(f64::total_cmp);
        months.dedup();
        if pts.len() < MIN_POINTS || months.len() < 2 {
            refusals.push(refuse(format!(
                "{} follow-up(s) at {} distinct month(s): need at least {MIN_POINTS} at 2 or \
                 more different months to fit a half-life with an interval",
                pts.len(),
                months.len()
            )));
            continue;
        }
        let n = pts.len() as f64;
        let (mx, my) = (
            pts.iter().map(|p| p.0).sum::<f64>() / n,
            pts.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let slope = sxy / sxx;
        let k = -slope;
        if k.is_nan() || k <= 0.0 {
            refusals.push(refuse(
                "the follow-ups show no fading (the work did not lighten over time); a \
                 half-life cannot be fitted"
                    .into(),
            ));
            continue;
        }
        let intercept = my - slope * mx;
        let sse: f64 = pts
            .iter()
            .map(|p| (p.1 - intercept - slope * p.0).powi(2))
            .sum();
        let se = (sse / (n - 2.0) / sxx).sqrt();
        let t = t975(pts.len() - 2);
        let ln2 = std::f64::consts::LN_2;
        let r1 = |x: f64| (x * 10.0).round() / 10.0;
        fits.push(FadingFit {
            pigment_id: id.to_string(),
            points: pts.len(),
            half_life_months: r1(ln2 / k),
            ci95_months: (
                r1(ln2 / (k + t * se)),
                (k - t * se > 0.0).then(|| r1(ln2 / (k - t * se))),
            ),
            sun_sensitivity: s,
            inversion_rms_de00: ((sq / n).sqrt() * 100.0).round() / 100.0,
        });
    }
    (fits, refusals)
}
