//! Fitting ageing from dated follow-up measurements of healed work (`catalog fit-fading`,
//! docs/calibration.md § Fading).
//!
//! Three stages, each on what the follow-ups can say:
//!
//! 1. **Depth and migration** (pooled over every pigment). Each follow-up (months since
//!    treatment, Lab of the healed work, Lab of the skin beside it) is inverted through the
//!    appearance model to a concentration *and* a depth: deeper pigment is seen through more
//!    scattering tissue, lighter and bluer, which a mere loss of pigment is not. The depths
//!    against years give the healed depth and the migration rate (least squares, 95 %
//!    intervals from Student's t).
//! 2. **Spread** (pooled), from the optional measured dot diameters: diameter = d₀·(1 + r·years).
//! 3. **Fading** (per pigment). Each follow-up is inverted to a concentration at the band's
//!    depth at that time; times the dot's area growth, that is the pigment left,
//!    `A·[p + (1 − p)·exp(−ln 2 · τ / T½)]` with `τ = months · (1 + s · sun)`, fitted in logs by
//!    Levenberg–Marquardt. The scale `A` is free, so neither the dilution used nor the healing
//!    loss has to be known. The plateau `p` is fitted when the follow-ups can pin it (at least
//!    [`MIN_POINTS_PLATEAU`] at [`MIN_MONTHS_PLATEAU`] different months), otherwise held at the
//!    pigment's current value. Intervals from the Gauss–Newton covariance and Student's t.
//!
//! A rate is written into the catalog only when the follow-ups pin it at least as well as the
//! default assumes it (its 95 % half-width at most the default value); otherwise it is
//! reported and the catalog keeps what it had.

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
    /// Measured diameter of the healed dots at this follow-up, mm (optional: fits the
    /// spread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dot_mm: Option<f64>,
}

/// The follow-ups CSV's columns: eight required, then the optional `sun` and `dot_mm`.
pub const CSV_COLUMNS: [&str; 10] = [
    "pigment_id",
    "months",
    "L",
    "a",
    "b",
    "skin_L",
    "skin_a",
    "skin_b",
    "sun",
    "dot_mm",
];

/// Read follow-ups from JSON (an array of objects) or CSV with the header
/// `pigment_id,months,L,a,b,skin_L,skin_a,skin_b[,sun][,dot_mm]`.
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
            && r.lab.iter().chain(&r.skin_lab).all(|v| v.is_finite())
            && r.dot_mm
                .is_none_or(|d| d.is_finite() && d > 0.0 && d <= 5.0);
        if !ok {
            return Err(Error::follow_ups(
                path,
                format!(
                    "follow-up {} ({}): months must be ≥ 0, dot_mm in (0, 5] and every value \
                     finite",
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
    let need = &CSV_COLUMNS[..8];
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
    let dot_col = col("dot_mm");
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
            dot_mm: match dot_col.and_then(|c| f.get(c)).filter(|s| !s.is_empty()) {
                None => None,
                Some(v) => Some(
                    v.parse::<f64>()
                        .map_err(|_| format!("line {row}: dot_mm is not a number"))?,
                ),
            },
        });
    }
    Ok(out)
}

/// Fewest follow-ups of one pigment for a half-life.
pub const MIN_POINTS: usize = 3;
/// Fewest follow-ups of one pigment, and fewest different months among them, for the plateau
/// to be fitted rather than held.
pub const MIN_POINTS_PLATEAU: usize = 5;
/// See [`MIN_POINTS_PLATEAU`].
pub const MIN_MONTHS_PLATEAU: usize = 3;

/// The fitted fading of one pigment.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FadingFit {
    /// Catalog id.
    pub pigment_id: String,
    /// Follow-ups used.
    pub points: usize,
    /// Half-life of the clearable pigment, months (sun-free, given `sun_sensitivity`).
    pub half_life_months: f64,
    /// 95 % interval of the half-life; the upper end is null when the data cannot rule out
    /// no fading at all.
    pub ci95_months: (f64, Option<f64>),
    /// Share of the healed pigment that stays for good.
    pub plateau: f64,
    /// Whether the plateau was fitted (else it is the pigment's current value, held).
    pub plateau_fitted: bool,
    /// 95 % interval of the plateau, when fitted.
    pub plateau_ci95: Option<(f64, f64)>,
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

/// A catalog-wide ageing parameter estimated from the follow-ups.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AgeingFit {
    /// The catalog `model` field: `depth_mm`, `migration_mm_per_year` or `spread_per_year`.
    pub parameter: String,
    /// The estimate (null when the follow-ups cannot give one).
    pub value: Option<f64>,
    /// Its 95 % interval.
    pub ci95: Option<(f64, f64)>,
    /// Follow-ups used.
    pub points: usize,
    /// Whether it was written into the catalog.
    pub written: bool,
    /// Why it was or was not written.
    pub note: String,
}

/// Everything [`fit`] estimated.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Pigments' fading.
    pub fits: Vec<FadingFit>,
    /// Pigments left out.
    pub refusals: Vec<Refusal>,
    /// Depth, migration and spread.
    pub ageing: Vec<AgeingFit>,
    /// The catalog's model parameters with the written ageing rates applied.
    pub params: ModelParams,
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

/// A straight line y = a + b·x by least squares, with the slope's and intercept's standard
/// errors (`None` with fewer than three points or no spread in x).
struct Line {
    a: f64,
    b: f64,
    se_a: f64,
    se_b: f64,
    n: usize,
}

fn line(pts: &[(f64, f64)]) -> Option<Line> {
    let n = pts.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= 1e-12 {
        return None;
    }
    let b = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let a = my - b * mx;
    let s2 = pts.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum::<f64>() / (nf - 2.0);
    Some(Line {
        a,
        b,
        se_a: (s2 * (1.0 / nf + mx * mx / sxx)).sqrt(),
        se_b: (s2 / sxx).sqrt(),
        n,
    })
}

/// The concentration whose predicted dot at `depth_mm` is closest (ΔE00) to `lab` on `skin`,
/// searched in ln c over [1e-4, 1e3], and the remaining ΔE00.
fn invert_concentration(
    skin: &Skin,
    optics: &crate::model::PigmentOptics,
    lab: crate::color::Lab,
    depth_mm: f64,
) -> (f64, f64) {
    let f = |u: f64| f64::from(delta_e00(skin.dot_at(&[(*optics, u.exp())], depth_mm), lab));
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

/// Deepest band top the joint inversion considers, mm: below about a millimetre a band no
/// longer changes a dot's colour enough to place it.
const DEEPEST_MM: f64 = 1.0;

/// The concentration and depth that reproduce `lab` on `skin` (Levenberg–Marquardt on the
/// Lab residual, from the best of three depths), and the remaining ΔE00.
fn invert_concentration_and_depth(
    skin: &Skin,
    optics: &crate::model::PigmentOptics,
    lab: crate::color::Lab,
    params: &ModelParams,
) -> (f64, f64, f64) {
    let goal = [f64::from(lab.l), f64::from(lab.a), f64::from(lab.b)];
    let shallowest = params.skin.epidermis_mm;
    let resid = |u: &[f64; 2]| {
        let d = skin.dot64(optics, u[0].exp(), u[1]);
        vec![d[0] - goal[0], d[1] - goal[1], d[2] - goal[2]]
    };
    let mut best: Option<crate::numeric::LeastSquares<2>> = None;
    for z in [0.12, 0.3, 0.6] {
        let (c, _) = invert_concentration(skin, optics, lab, z);
        let fit = crate::numeric::levenberg_marquardt(
            resid,
            [c.ln(), z],
            ([(1e-4f64).ln(), shallowest], [(1e3f64).ln(), DEEPEST_MM]),
        );
        if best.as_ref().is_none_or(|b| fit.cost < b.cost) {
            best = Some(fit);
        }
    }
    let u = best.map_or([0.0, params.depth_mm], |b| b.params);
    let de = delta_e00(skin.dot_at(&[(*optics, u[0].exp())], u[1]), lab);
    (u[0].exp(), u[1], f64::from(de))
}

/// Fit depth, migration and spread (pooled) and every pigment's fading that has follow-ups.
/// `params` are the catalog's model parameters ([`Catalog::model_params`]).
pub fn fit(catalog: &Catalog, rows: &[FollowUp], params: &ModelParams) -> Fitted {
    let optics_of = |id: &str| {
        catalog
            .pigments
            .iter()
            .find(|p| p.id == id)
            .map(|p| crate::model::Constituent::mix(&p.constituents(params).0))
    };
    let skins: Vec<Skin> = rows
        .iter()
        .map(|r| Skin::new(lab_from_array(r.skin_lab), params))
        .collect();
    let mut eff = *params;
    let mut ageing = Vec::new();

    // 1. Depth and migration, pooled.
    let depths: Vec<(f64, f64)> = rows
        .iter()
        .zip(&skins)
        .filter_map(|(r, skin)| {
            let o = optics_of(&r.pigment_id)?;
            let (_, z, _) = invert_concentration_and_depth(skin, &o, lab_from_array(r.lab), params);
            Some((r.months / 12.0, z))
        })
        .collect();
    let span = |pts: &[(f64, f64)]| {
        let (lo, hi) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p.0), h.max(p.0))
            });
        (hi - lo).max(0.0)
    };
    let depth_line = (span(&depths) >= 1.0).then(|| line(&depths)).flatten();
    match depth_line {
        Some(l) => {
            let t = t975(l.n - 2);
            let depth_ci = (l.a - t * l.se_a, l.a + t * l.se_a);
            ageing.push(AgeingFit {
                parameter: "depth_mm".into(),
                value: Some(round(l.a, 3)),
                ci95: Some((round(depth_ci.0, 3), round(depth_ci.1, 3))),
                points: l.n,
                written: false,
                note: "reported, not written: the healed depth is the clinic's technique; set \
                       model.depth_mm if it agrees with what you aim for"
                    .into(),
            });
            let (rate, half) = (l.b, t * l.se_b);
            let default = params.migration_mm_per_year;
            let (written, note) = if !half.is_finite() || half > default.max(0.005) {
                (
                    false,
                    format!(
                        "not pinned by these follow-ups (±{:.4} mm/year at 95 %, wider than the \
                         ±{:.4} the default assumes); kept {default}",
                        half,
                        default.max(0.005)
                    ),
                )
            } else if rate + half < 0.0 {
                (
                    false,
                    "the pigment seems to rise toward the surface, which tissue does not do: \
                     check the follow-ups' skin and lighting; kept the catalog's value"
                        .into(),
                )
            } else {
                eff.migration_mm_per_year = rate.clamp(0.0, 0.1);
                (
                    true,
                    format!("written (95 % ±{half:.4} mm/year, {} follow-ups)", l.n),
                )
            };
            ageing.push(AgeingFit {
                parameter: "migration_mm_per_year".into(),
                value: Some(round(rate, 4)),
                ci95: Some((round(rate - half, 4), round(rate + half, 4))),
                points: l.n,
                written,
                note,
            });
        }
        None => ageing.push(AgeingFit {
            parameter: "migration_mm_per_year".into(),
            value: None,
            ci95: None,
            points: depths.len(),
            written: false,
            note: "needs at least 3 follow-ups spanning a year or more".into(),
        }),
    }

    // 2. Spread, pooled, from measured dot diameters.
    let dots: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| r.dot_mm.map(|d| (r.months / 12.0, d)))
        .collect();
    let dot_line = (span(&dots) > 0.0).then(|| line(&dots)).flatten();
    match &dot_line {
        Some(l) if l.a > 0.0 => {
            let t = t975(l.n - 2);
            let (rate, half) = (l.b / l.a, t * l.se_b / l.a);
            let default = params.spread_per_year.max(0.01);
            let (written, note) = if !half.is_finite() || half > default {
                (
                    false,
                    format!(
                        "not pinned by these follow-ups (±{half:.4} a year at 95 %, wider than \
                         ±{default}); kept {}",
                        params.spread_per_year
                    ),
                )
            } else if rate + half < 0.0 {
                (
                    false,
                    "the dots seem to shrink: check the measured diameters; kept the \
                     catalog's value"
                        .into(),
                )
            } else {
                eff.spread_per_year = rate.clamp(0.0, 0.5);
                (
                    true,
                    format!(
                        "written (healed diameter {:.2} mm, 95 % ±{half:.4} a year, {} dots \
                         measured)",
                        l.a, l.n
                    ),
                )
            };
            ageing.push(AgeingFit {
                parameter: "spread_per_year".into(),
                value: Some(round(rate, 4)),
                ci95: Some((round(rate - half, 4), round(rate + half, 4))),
                points: l.n,
                written,
                note,
            });
        }
        _ => ageing.push(AgeingFit {
            parameter: "spread_per_year".into(),
            value: None,
            ci95: None,
            points: dots.len(),
            written: false,
            note: "needs dot_mm at 3 or more follow-ups at 2 or more different months".into(),
        }),
    }
    // The dot's area growth at a follow-up: measured when its diameter was, else the model's.
    let growth = |r: &FollowUp| match (r.dot_mm, &dot_line) {
        (Some(d), Some(l)) if l.a > 0.0 => (d / l.a).powi(2),
        _ => eff.spread_at(r.months).powi(2),
    };

    // 3. Fading, per pigment.
    let mut ids: Vec<&str> = rows.iter().map(|r| r.pigment_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let (mut fits, mut refusals) = (Vec::new(), Vec::new());
    for id in ids {
        let refuse = |reason: String| Refusal {
            pigment_id: id.to_string(),
            reason,
        };
        let (Some(p), Some(optics)) = (catalog.pigments.iter().find(|p| p.id == id), optics_of(id))
        else {
            refusals.push(refuse("not in the catalog".into()));
            continue;
        };
        let current = p.fading();
        let s = current.sun_sensitivity;
        let mut pts = Vec::new();
        let mut sq = 0.0;
        let mut months = Vec::new();
        for (r, skin) in rows.iter().zip(&skins).filter(|(r, _)| r.pigment_id == id) {
            let (c, de) =
                invert_concentration(skin, &optics, lab_from_array(r.lab), eff.depth_at(r.months));
            sq += de * de;
            let tau = r.months * (1.0 + s * r.sun.unwrap_or_default().level());
            pts.push((tau, (c * growth(r)).ln()));
            months.push(r.months);
        }
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
        let free_plateau = pts.len() >= MIN_POINTS_PLATEAU && months.len() >= MIN_MONTHS_PLATEAU;
        let k_lo = std::f64::consts::LN_2 / crate::catalog::MAX_HALF_LIFE_MONTHS;
        let k_hi = std::f64::consts::LN_2 / 0.5;
        let model = |u: &[f64; 3], tau: f64| {
            let p = u[2];
            u[0] + (p + (1.0 - p) * (-u[1].exp() * tau).exp()).max(1e-12).ln()
        };
        let start_a = pts
            .iter()
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map_or(0.0, |p| p.1);
        let held = current.plateau.clamp(0.0, 0.95);
        let plateau_bounds = if free_plateau {
            (0.0, 0.95)
        } else {
            (held, held)
        };
        let mut best: Option<crate::numeric::LeastSquares<3>> = None;
        for (k0, p0) in [(1.0 / 24.0, held), (1.0 / 96.0, held), (1.0 / 24.0, 0.0)] {
            let fit = crate::numeric::levenberg_marquardt(
                |u: &[f64; 3]| pts.iter().map(|&(tau, y)| y - model(u, tau)).collect(),
                [
                    start_a,
                    f64::ln(k0),
                    p0.clamp(plateau_bounds.0, plateau_bounds.1),
                ],
                (
                    [-30.0, k_lo.ln(), plateau_bounds.0],
                    [30.0, k_hi.ln(), plateau_bounds.1],
                ),
            );
            if best.as_ref().is_none_or(|b| fit.cost < b.cost) {
                best = Some(fit);
            }
        }
        let Some(fit) = best else { continue };
        let [_, ln_k, plateau] = fit.params;
        if ln_k <= k_lo.ln() + 1e-3 {
            refusals.push(refuse(
                "the follow-ups show no fading (the work did not lighten over time); a \
                 half-life cannot be fitted"
                    .into(),
            ));
            continue;
        }
        let n_params = if free_plateau { 3 } else { 2 };
        // With the plateau held its column of the Jacobian is zero: take the 2 × 2 block.
        let cov = covariance_of(&pts, &fit.params, free_plateau, &model);
        let t = t975(pts.len().saturating_sub(n_params));
        let ln2 = std::f64::consts::LN_2;
        let half_life = ln2 / ln_k.exp();
        let se_k = cov.map(|c| c[1][1].max(0.0).sqrt());
        let ci = match se_k {
            Some(se) if se.is_finite() => {
                let hi = ln2 / (ln_k - t * se).exp();
                (
                    round(ln2 / (ln_k + t * se).exp(), 1),
                    (hi <= crate::catalog::MAX_HALF_LIFE_MONTHS).then(|| round(hi, 1)),
                )
            }
            _ => (round(half_life, 1), None),
        };
        let plateau_ci95 = if free_plateau {
            cov.map(|c| c[2][2].max(0.0).sqrt())
                .filter(|se| se.is_finite())
                .map(|se| {
                    (
                        round((plateau - t * se).max(0.0), 3),
                        round((plateau + t * se).min(1.0), 3),
                    )
                })
        } else {
            None
        };
        fits.push(FadingFit {
            pigment_id: id.to_string(),
            points: pts.len(),
            half_life_months: round(half_life, 1),
            ci95_months: ci,
            plateau: round(plateau, 3),
            plateau_fitted: free_plateau,
            plateau_ci95,
            sun_sensitivity: s,
            inversion_rms_de00: round((sq / pts.len() as f64).sqrt(), 2),
        });
    }
    Fitted {
        fits,
        refusals,
        ageing,
        params: eff,
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Gauss–Newton covariance s²·(JᵀJ)⁻¹ of the fading fit, over the fitted parameters only
/// (the plateau's row and column are left zero when it is held).
fn covariance_of(
    pts: &[(f64, f64)],
    u: &[f64; 3],
    free_plateau: bool,
    model: &impl Fn(&[f64; 3], f64) -> f64,
) -> Option<[[f64; 3]; 3]> {
    let n = if free_plateau { 3 } else { 2 };
    if pts.len() <= n {
        return None;
    }
    const H: f64 = 1e-6;
    let jac: Vec<[f64; 3]> = pts
        .iter()
        .map(|&(tau, _)| {
            std::array::from_fn(|j| {
                if j >= n {
                    return 0.0;
                }
                let (mut a, mut b) = (*u, *u);
                a[j] += H;
                b[j] -= H;
                (model(&a, tau) - model(&b, tau)) / (2.0 * H)
            })
        })
        .collect();
    let sse: f64 = pts
        .iter()
        .map(|&(tau, y)| (y - model(u, tau)).powi(2))
        .sum();
    let s2 = sse / (pts.len() - n) as f64;
    let m = nalgebra::DMatrix::from_fn(n, n, |a, b| jac.iter().map(|r| r[a] * r[b]).sum::<f64>());
    let inv = m.try_inverse()?;
    Some(std::array::from_fn(|a| {
        std::array::from_fn(|b| {
            if a < n && b < n {
                s2 * inv[(a, b)]
            } else {
                0.0
            }
        })
    }))
}
