//! Ranking catalog pigments against a patient's hair target on their scalp skin.
//!
//! For each pigment (documented in `docs/model.md` § Ranking):
//!
//! - `timeline`: predicted Lab at each requested month (0 = healed) and its ΔE00 to the hair
//!   target.
//! - `score` = [`W_HEALED`] · ΔE00(healed) + (1 − [`W_HEALED`]) · the time-average of ΔE00
//!   over the first [`SCORE_HORIZON_MONTHS`] months (trapezoid rule, monthly). Lower is
//!   better. The healed match counts most; the average penalises pigments that drift away.
//! - `touch_up_months`: the first month at which the predicted look has drifted more than
//!   [`TOUCH_UP_DE00`] from its healed look, searched up to [`TOUCH_UP_HORIZON_MONTHS`]
//!   (null if it never does), to 0.1 month.

use crate::catalog::{Catalog, Method, Pigment};
use crate::color::{delta_e00, lab_from_array, Lab};
use crate::model::{
    healed_concentration, retention, Fading, ModelParams, PigmentOptics, Skin, Sun,
};

/// Weight of the healed ΔE00 in the score.
pub const W_HEALED: f64 = 0.5;
/// Months averaged by the score.
pub const SCORE_HORIZON_MONTHS: f64 = 36.0;
/// Drift from the healed look that calls for a touch-up: the upper end of the 2–3 ΔE00
/// acceptability range for skin-like colours.
pub const TOUCH_UP_DE00: f32 = 3.0;
/// Longest horizon searched for the touch-up.
pub const TOUCH_UP_HORIZON_MONTHS: f64 = 120.0;
/// Default timeline months.
pub const DEFAULT_MONTHS: [f64; 7] = [0.0, 1.0, 3.0, 6.0, 12.0, 24.0, 36.0];

/// Settings of the ranking.
#[derive(Debug, Clone)]
pub struct RankOptions {
    /// Sun exposure.
    pub sun: Sun,
    /// Timeline months (ascending, unique).
    pub months: Vec<f64>,
    /// Model parameters.
    pub params: ModelParams,
}

impl Default for RankOptions {
    fn default() -> Self {
        RankOptions {
            sun: Sun::default(),
            months: DEFAULT_MONTHS.to_vec(),
            params: ModelParams::default(),
        }
    }
}

/// One point of a predicted timeline.
#[derive(Debug, Clone, Copy)]
pub struct TimePoint {
    /// Months since the treatment healed.
    pub month: f64,
    /// Predicted look.
    pub lab: Lab,
    /// ΔE00 to the hair target.
    pub delta_e00: f32,
}

/// One ranked pigment.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The catalog entry.
    pub pigment: Pigment,
    /// Dilution used (parts diluent per part ink).
    pub dilution: f64,
    /// Effective dermal concentration when healed.
    pub concentration: f64,
    /// Fading parameters used.
    pub fading: Fading,
    /// Masstone the model used (measured, or derived from a healed swatch).
    pub masstone: Lab,
    /// Score (lower is better).
    pub score: f64,
    /// Predicted healed look.
    pub healed: Lab,
    /// ΔE00 healed look vs hair target.
    pub delta_e00_healed: f32,
    /// Months until a touch-up is due.
    pub touch_up_months: Option<f64>,
    /// Predicted look over time.
    pub timeline: Vec<TimePoint>,
    /// Notes about this candidate (e.g. a healed swatch the model cannot reproduce).
    pub warnings: Vec<String>,
}

/// The optics of a catalog pigment, and whether its healed swatch had to be clamped.
pub fn pigment_optics(p: &Pigment, params: &ModelParams) -> (PigmentOptics, bool) {
    match (p.measurement.method, p.measurement.skin_lab) {
        (Method::HealedSwatch, Some(skin_lab)) => {
            let skin = Skin::new(lab_from_array(skin_lab), params);
            let months = p.measurement.months_healed.unwrap_or(0.0);
            // Healed swatches are assumed measured under low sun (documented).
            let c = healed_concentration(params, p.strength(), p.dilution())
                * retention(&p.fading(), Sun::Low, months);
            skin.invert(p.lab(), c)
        }
        _ => (PigmentOptics::from_masstone(p.lab()), false),
    }
}

/// The predicted look of `optics` at concentration `c0` after `months`.
fn look(
    skin: &Skin,
    optics: &PigmentOptics,
    c0: f64,
    fading: &Fading,
    sun: Sun,
    months: f64,
) -> Lab {
    skin.dot(optics, c0 * retention(fading, sun, months))
}

/// Score, timeline and touch-up of one pigment at one dilution.
pub fn evaluate(
    pigment: &Pigment,
    dilution: f64,
    skin: &Skin,
    target: Lab,
    opts: &RankOptions,
) -> Candidate {
    let params = &opts.params;
    let (optics, clamped) = pigment_optics(pigment, params);
    let fading = pigment.fading();
    let c0 = healed_concentration(params, pigment.strength(), dilution);
    let at = |m: f64| look(skin, &optics, c0, &fading, opts.sun, m);
    let healed = at(0.0);
    let de_healed = delta_e00(healed, target);

    // Time-average of ΔE00 over the score horizon, trapezoid rule on whole months.
    let n = SCORE_HORIZON_MONTHS as usize;
    let de: Vec<f64> = (0..=n)
        .map(|m| f64::from(delta_e00(at(m as f64), target)))
        .collect();
    let avg = (de.iter().sum::<f64>() - 0.5 * (de[0] + de[n])) / n as f64;
    let score = W_HEALED * f64::from(de_healed) + (1.0 - W_HEALED) * avg;

    let timeline = opts
        .months
        .iter()
        .map(|&m| {
            let lab = at(m);
            TimePoint {
                month: m,
                lab,
                delta_e00: delta_e00(lab, target),
            }
        })
        .collect();

    let mut warnings = Vec::new();
    if clamped {
        warnings.push(format!(
            "{}: the healed swatch cannot be reproduced by the model on its skin (it is lighter \
             than the skin in some channel); its optics were clamped",
            pigment.id
        ));
    }
    Candidate {
        pigment: pigment.clone(),
        dilution,
        concentration: c0,
        fading,
        masstone: optics.masstone(),
        score,
        healed,
        delta_e00_healed: de_healed,
        touch_up_months: touch_up(|m| delta_e00(at(m), healed)),
        timeline,
        warnings,
    }
}

/// First month in (0, horizon] at which `drift(m)` exceeds [`TOUCH_UP_DE00`], to 0.1 month.
pub fn touch_up(drift: impl Fn(f64) -> f32) -> Option<f64> {
    let mut lo = 0.0;
    let mut m = 1.0;
    while m <= TOUCH_UP_HORIZON_MONTHS {
        if drift(m) > TOUCH_UP_DE00 {
            let mut hi = m;
            while hi - lo > 0.01 {
                let mid = 0.5 * (lo + hi);
                if drift(mid) > TOUCH_UP_DE00 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            return Some((hi * 10.0).round() / 10.0);
        }
        lo = m;
        m += 1.0;
    }
    None
}

/// Rank every pigment of `catalog` (at its listed dilution), best first. Ties in score are
/// broken by pigment id so the order is deterministic.
pub fn rank(catalog: &Catalog, hair_target: Lab, scalp: Lab, opts: &RankOptions) -> Vec<Candidate> {
    let skin = Skin::new(scalp, &opts.params);
    let mut out: Vec<Candidate> = catalog
        .pigments
        .iter()
        .map(|p| evaluate(p, p.dilution(), &skin, hair_target, opts))
        .collect();
    out.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then_with(|| a.pigment.id.cmp(&b.pigment.id))
    });
    out
}

/// Parse `--months` (comma-separated, non-negative, at most 1200).
pub fn parse_months(s: &str) -> Result<Vec<f64>, String> {
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let m: f64 = part
            .parse()
            .map_err(|_| format!("{part:?} is not a number of months"))?;
        if !(m.is_finite() && (0.0..=1200.0).contains(&m)) {
            return Err(format!("months must lie in 0–1200, got {part}"));
        }
        v.push(m);
    }
    if v.is_empty() {
        return Err("give at least one month, e.g. 0,6,12".into());
    }
    v.sort_by(f64::total_cmp);
    v.dedup();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_up_finds_the_crossing() {
        // drift = m / 10: crosses 3.0 at m = 30.
        let t = touch_up(|m| (m / 10.0) as f32).expect("crosses");
        assert!((t - 30.0).abs() <= 0.1, "{t}");
        assert_eq!(touch_up(|_| 1.0), None);
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_months("12,0,6,6").ok(), Some(vec![0.0, 6.0, 12.0]));
        assert!(parse_months("-1").is_err());
        assert!(parse_months("").is_err());
        assert!(parse_months("x").is_err());
    }
}
