//! Dilution: each ink's best dilution among the catalog's steps, decided by the model's
//! predicted look alone. "Lighter first" is a plan choice (the first session one step
//! lighter, `plan`), not a scoring rule.

use super::*;

/// Dilution steps used when the catalog lists none: the shade numbers of common SMP
/// dilution charts (practitioner sources).
pub const DEFAULT_DILUTION_STEPS: [f64; 10] =
    [0.0, 1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0, 25.0, 30.0];

/// The dilution chosen for a recipe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dilution {
    /// The clinic step used (or the catalog's fixed dilution).
    pub step: f64,
    /// The continuous optimum; None for a catalog entry with a fixed dilution.
    pub optimum: Option<f64>,
    /// Score at the continuous optimum.
    pub optimum_score: Option<f64>,
}

/// Minimise `score(dilution)` over [0, max(steps)]: the continuous optimum (a grid in
/// ln(1 + d), where equal steps are equal changes of concentration ratio, then golden-section
/// search around the best grid point), and the clinic step to use: the best-scoring of the
/// clinic's `steps` (the lighter on an exact tie).
pub fn solve_dilution(score: impl Fn(f64) -> f64, steps: &[f64]) -> (Dilution, f64) {
    let best_step = best_step(&score, steps);
    let min = best_step.1;
    let d_max = steps.iter().copied().fold(0.0, f64::max);
    let u_max = d_max.ln_1p();
    const GRID: usize = 16;
    let su = |u: f64| score(u.exp_m1());
    let grid: Vec<f64> = (0..=GRID).map(|i| u_max * i as f64 / GRID as f64).collect();
    let vals: Vec<f64> = grid.iter().map(|&u| su(u)).collect();
    let i = (0..=GRID)
        .min_by(|&a, &b| vals[a].total_cmp(&vals[b]))
        .unwrap_or(0);
    let (lo, hi) = (grid[i.saturating_sub(1)], grid[(i + 1).min(GRID)]);
    let (mut u, mut s) = crate::numeric::golden_section_min(su, lo, hi, 1e-3);
    if vals[i] < s {
        (u, s) = (grid[i], vals[i]);
    }
    let opt = (u.exp_m1().max(0.0) * 100.0).round() / 100.0;
    (
        Dilution {
            step: best_step.0,
            optimum: Some(opt),
            optimum_score: Some(s.min(min)),
        },
        best_step.1,
    )
}

/// The clinic step with the lowest score (the more diluted on an exact tie): (step, score).
pub(super) fn best_step(score: impl Fn(f64) -> f64, steps: &[f64]) -> (f64, f64) {
    steps
        .iter()
        .map(|&d| (d, score(d)))
        .fold((f64::NAN, f64::INFINITY), |a, b| {
            if b.1 < a.1 || (b.1 == a.1 && b.0 > a.0) {
                b
            } else {
                a
            }
        })
}

/// [`best_step`] for a search that only needs the best step exactly when it scores at most
/// `bound()` (re-read per step; it may only fall). `score(d, limit)` is `None` once the step
/// is sure to score above `limit`; a step is abandoned above the best step so far or above
/// the bound. When the best step scores at most the final bound, it and its score are exactly
/// [`best_step`]'s; otherwise the score returned is above that bound (infinite when every step
/// was abandoned).
pub(super) fn best_step_below(
    score: impl Fn(f64, f64) -> Option<f64>,
    steps: &[f64],
    bound: impl Fn() -> f64,
) -> (f64, f64) {
    let mut best = (f64::NAN, f64::INFINITY);
    for &d in steps {
        let Some(s) = score(d, best.1.min(bound())) else {
            continue;
        };
        if s < best.1 || (s == best.1 && d > best.0) {
            best = (d, s);
        }
    }
    best
}

impl Setup<'_> {
    /// The clinic's dilution steps, or [`DEFAULT_DILUTION_STEPS`].
    pub fn steps(&self) -> Vec<f64> {
        self.catalog
            .dilution_steps
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_DILUTION_STEPS.to_vec())
    }

    /// The best dilution of a recipe and the score there. Recipes whose inks all carry a
    /// fixed `dilution` in the catalog are not diluted further.
    pub fn best_dilution(&self, parts: &[Part], steps: &[f64]) -> (Dilution, f64) {
        let fixed = parts
            .iter()
            .map(|p| self.catalog.pigments[p.ink].dilution)
            .collect::<Option<Vec<f64>>>()
            .and_then(|v| v.first().copied());
        match fixed {
            Some(d) => (
                Dilution {
                    step: d,
                    optimum: None,
                    optimum_score: None,
                },
                self.score(parts, d),
            ),
            None => solve_dilution(|d| self.score(parts, d), steps),
        }
    }

    /// Everything about one recipe at one dilution.
    pub fn evaluate(&self, parts: &[Part], dilution: Dilution, months: &[f64]) -> Candidate {
        let d = dilution.step;
        let healed = self.look(parts, d, 0.0);
        let (de_dot, de_area) = self.delta_e00(healed);
        let timeline = months
            .iter()
            .map(|&m| {
                let look = self.look(parts, d, m);
                let (dd, da) = self.delta_e00(look);
                TimePoint {
                    month: m,
                    look,
                    delta_e00_dot: dd,
                    delta_e00_area: da,
                }
            })
            .collect();
        let mut warnings = Vec::new();
        let components = parts
            .iter()
            .map(|p| {
                let ink = self.ink(p.ink);
                let pigment = self.catalog.pigments[p.ink].clone();
                if ink.clamped {
                    warnings.push(crate::warning::Warning::new(
                        crate::warning::WarningCode::HealedSwatchClamped,
                        format!(
                        "{}: its measurements cannot be reproduced by the model (a healed swatch \
                         lighter than its skin, or a tint not between the white and the \
                         masstone); its optics were clamped",
                        pigment.id
                    ),
                    ));
                }
                Component {
                    fading: ink
                        .constituents
                        .first()
                        .filter(|_| ink.constituents.len() == 1)
                        .map_or_else(|| pigment.fading(), |c| c.fading),
                    constituents: ink.constituents.clone(),
                    pigment,
                    share: p.share,
                    masstone: ink.mix_optics().masstone(),
                }
            })
            .collect();
        Candidate {
            id: recipe_id(self.catalog, parts),
            parts: parts.to_vec(),
            components,
            dilution,
            concentration: self.concentration(parts, d),
            coverage: self.coverage,
            score: self.score(parts, d),
            uncertainty: 0.0,
            tied_with_best: false,
            healed,
            delta_e00_dot: de_dot,
            delta_e00_area: de_area,
            touch_up_months: self.touch_up(parts, d),
            timeline,
            warnings,
        }
    }
}
