//! Ranking: every catalog ink (and two-ink blend) at its best dilution, scored against the
//! patient's hair on their scalp skin, with an uncertainty and ties.
//!
//! A **recipe** is one or two inks, their shares of the ink, and a dilution (parts diluent
//! per part ink). Its predicted look has two scales (docs/model.md § Dot scale):
//!
//! - the **dot**: skin holding the pigment, seen up close, compared with the hair target;
//! - the **area**: dots and the skin between them averaged in linear light at the treatment's
//!   coverage, seen at conversational distance, compared with the patient's stubble look.
//!
//! `score` = [`W_DOT`] · S(dot) + (1 − [`W_DOT`]) · S(area), where for each scale
//! S = [`W_HEALED`] · ΔE00(healed) + (1 − [`W_HEALED`]) · time-average of ΔE00 over the
//! first [`SCORE_HORIZON_MONTHS`] months (Simpson's rule, step [`SCORE_STEP_MONTHS`]).
//! Lower is better; the unit is ΔE00.

mod blends;
mod dilution;
mod uncertainty;
pub use uncertainty::{HALF_LIFE_RANGE, PLATEAU_RANGE};

pub use blends::*;
pub use dilution::*;
pub use uncertainty::*;

use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::catalog::{Catalog, Pigment};
use crate::color::{delta_e00, mix_linear, Lab};
use crate::model::skin::BandOptics;
use crate::model::{
    healed_concentration, retention, Constituent, Dots, Fading, ModelParams, PigmentOptics, Skin,
    Sun,
};

/// Weight of the healed ΔE00 in each scale's score.
pub const W_HEALED: f64 = 0.5;

/// Weight of the close-up (dot vs hair) scale in the score; the area scale gets the rest.
pub const W_DOT: f64 = 0.5;

/// Months averaged by the score.
pub const SCORE_HORIZON_MONTHS: f64 = 36.0;

/// Step of Simpson's rule over the horizon (the looks change smoothly, as exponentials with
/// half-lives of two years and more, so 6 months integrates to < 0.01 ΔE00).
pub const SCORE_STEP_MONTHS: f64 = 6.0;

/// Drift of the dot from its healed look that calls for a touch-up: the upper end of the
/// 2–3 ΔE00 acceptability range for skin-like colours.
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
    /// Dot size and density.
    pub dots: Dots,
    /// Search two-ink blends.
    pub blends: bool,
    /// Share step of blends, in (0, 0.5].
    pub blend_step: f64,
    /// Measurement uncertainty of the photo colours (ΔE00, 1σ), see [`Uncertainty`].
    pub measurement_de00: f64,
    /// Multiplies every pigment's fading half-life (1 = as catalogued).
    pub half_life_scale: f64,
    /// Standard error of the hair target (ΔE00): its cluster's spread / √pixels.
    pub target_standard_error: f64,
}

impl Default for RankOptions {
    fn default() -> Self {
        RankOptions {
            sun: Sun::default(),
            months: DEFAULT_MONTHS.to_vec(),
            params: ModelParams::default(),
            dots: Dots::default(),
            blends: true,
            blend_step: DEFAULT_BLEND_STEP,
            measurement_de00: UNCALIBRATED_DE00,
            half_life_scale: 1.0,
            target_standard_error: 0.0,
        }
    }
}

/// What the patient's photos gave: the targets a recipe is judged against.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    /// Hair target (dot scale).
    pub hair: Lab,
    /// Stubble look: area average of the hair-bearing area (area scale).
    pub stubble: Lab,
    /// Scalp skin.
    pub scalp: Lab,
}

/// One ink of a recipe and its share of the ink.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    /// Index into the catalog's pigments.
    pub ink: usize,
    /// Share of the ink mix, (0, 1]; a recipe's shares sum to 1.
    pub share: f64,
}

/// A predicted look at both scales.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    /// The dot: skin holding the pigment.
    pub dot: Lab,
    /// The area average of dots and skin.
    pub area: Lab,
}

/// A catalog ink prepared for the model.
#[derive(Debug, Clone)]
struct Ink {
    constituents: Vec<Constituent>,
    strength: f64,
    clamped: bool,
}

impl Ink {
    fn new(p: &Pigment, params: &ModelParams, fading_scale: f64) -> Ink {
        let (mut constituents, clamped) = p.constituents(params);
        for c in &mut constituents {
            c.fading.half_life_months *= fading_scale;
            c.fading.plateau = (c.fading.plateau * params.plateau_scale).clamp(0.0, 0.99);
        }
        Ink {
            constituents,
            strength: p.strength(),
            clamped,
        }
    }

    /// Optics of the ink's pigment mix at full strength (for its masstone).
    fn mix_optics(&self) -> PigmentOptics {
        Constituent::mix(&self.constituents)
    }
}

/// The model set up for one patient, one catalog and one set of parameters: skin solved,
/// inks' optics derived. Everything a recipe's score needs.
#[derive(Debug, Clone)]
pub struct Setup<'a> {
    catalog: &'a Catalog,
    /// Shared, so that a setup differing in one ink ([`Setup::with_ink_lab`]) costs O(1).
    inks: std::sync::Arc<[Ink]>,
    /// One ink replaced (index, optics) without copying the others.
    patch: Option<(usize, Ink)>,
    skin: Skin,
    /// The tissue around the band at each month the score samples (the hot path).
    around: std::sync::Arc<[(f64, crate::model::skin::Surroundings)]>,
    targets: Targets,
    dots: Dots,
    coverage: f64,
    sun: Sun,
    params: ModelParams,
    /// The scale on every half-life this setup was made with.
    fading_scale: f64,
}

impl<'a> Setup<'a> {
    /// Solve the skin and derive every ink's optics. `fading_scale` multiplies every
    /// half-life (1 = as catalogued; used by the uncertainty analysis).
    pub fn new(
        catalog: &'a Catalog,
        targets: Targets,
        params: ModelParams,
        dots: Dots,
        sun: Sun,
        fading_scale: f64,
    ) -> Setup<'a> {
        let inks = catalog
            .pigments
            .iter()
            .map(|p| Ink::new(p, &params, fading_scale))
            .collect();
        let skin = Skin::new(targets.scalp, &params);
        let n = (SCORE_HORIZON_MONTHS / SCORE_STEP_MONTHS).round() as usize;
        let around = (0..=n)
            .map(|i| {
                let m = i as f64 * SCORE_STEP_MONTHS;
                (m, skin.surroundings(params.depth_at(m)))
            })
            .collect();
        Setup {
            catalog,
            inks,
            patch: None,
            skin,
            around,
            targets,
            dots,
            coverage: dots.coverage(),
            sun,
            params,
            fading_scale,
        }
    }

    /// This setup with ink `index` measured at `lab` instead of its catalog value (for the
    /// uncertainty of an ink's own colour), in constant time.
    pub fn with_ink_lab(&self, index: usize, lab: [f64; 3], fading_scale: f64) -> Setup<'a> {
        let mut p = self.catalog.pigments[index].clone();
        p.lab = lab;
        Setup {
            patch: Some((index, Ink::new(&p, &self.params, fading_scale))),
            inks: self.inks.clone(),
            around: self.around.clone(),
            ..*self
        }
    }

    fn ink(&self, index: usize) -> &Ink {
        match &self.patch {
            Some((i, ink)) if *i == index => ink,
            _ => &self.inks[index],
        }
    }

    /// The targets.
    pub fn targets(&self) -> Targets {
        self.targets
    }

    /// Area coverage of the dots.
    pub fn coverage(&self) -> f64 {
        self.coverage
    }

    /// Healed effective concentration of a recipe (all inks together).
    pub fn concentration(&self, parts: &[Part], dilution: f64) -> f64 {
        parts
            .iter()
            .map(|p| {
                healed_concentration(&self.params, self.ink(p.ink).strength * p.share, dilution)
            })
            .sum()
    }

    /// The dot of a recipe `months` after healing: every colorant of every ink at its own
    /// retention, the band at its depth then, the dot's pigment spread over its area then.
    pub fn dot(&self, parts: &[Part], dilution: f64, months: f64) -> Lab {
        let spread = self.params.spread_at(months);
        let mut band = BandOptics::ZERO;
        for p in parts {
            let ink = self.ink(p.ink);
            for k in &ink.constituents {
                let c =
                    healed_concentration(&self.params, ink.strength * p.share * k.share, dilution)
                        * retention(&k.fading, self.sun, months)
                        / (spread * spread);
                for i in 0..band.k.len() {
                    band.k[i] += c * k.optics.k[i];
                    band.s[i] += c * k.optics.s[i];
                }
            }
        }
        match self.around.iter().find(|(m, _)| *m == months) {
            Some((_, around)) => self.skin.dot_band_in(around, &band),
            None => self.skin.dot_band(&band, self.params.depth_at(months)),
        }
    }

    /// The fitted skin.
    pub fn skin(&self) -> &Skin {
        &self.skin
    }

    /// The model parameters.
    pub fn params(&self) -> &ModelParams {
        &self.params
    }

    /// Coverage of the dots `months` after healing (dots spread).
    pub fn coverage_at(&self, months: f64) -> f64 {
        Dots {
            diameter_mm: self.dots.diameter_mm * self.params.spread_at(months),
            ..self.dots
        }
        .coverage()
    }

    /// The area average of `dot` at `coverage`.
    pub fn area(&self, dot: Lab, coverage: f64) -> Lab {
        mix_linear(dot, self.targets.scalp, coverage)
    }

    /// The look of a recipe `months` after healing, at the set density.
    pub fn look(&self, parts: &[Part], dilution: f64, months: f64) -> Look {
        let dot = self.dot(parts, dilution, months);
        Look {
            dot,
            area: self.area(dot, self.coverage_at(months)),
        }
    }

    /// ΔE00 of a look to the targets: (dot vs hair, area vs stubble).
    pub fn delta_e00(&self, look: Look) -> (f32, f32) {
        (
            delta_e00(look.dot, self.targets.hair),
            delta_e00(look.area, self.targets.stubble),
        )
    }

    /// The score of a recipe (see the module documentation).
    pub fn score(&self, parts: &[Part], dilution: f64) -> f64 {
        self.score_below(parts, dilution, f64::INFINITY)
            .unwrap_or(f64::INFINITY)
    }

    /// [`Setup::score`], or `None` as soon as it is sure to exceed `bound`. Every term is a
    /// non-negative ΔE00 added in month order, and rounding is monotone, so the score of the
    /// months evaluated so far never exceeds the whole score: what is abandoned would have
    /// scored above `bound`, and what is returned is exactly [`Setup::score`].
    pub fn score_below(&self, parts: &[Part], dilution: f64, bound: f64) -> Option<f64> {
        let n = (SCORE_HORIZON_MONTHS / SCORE_STEP_MONTHS).round() as usize; // even
        let (mut healed_dot, mut healed_area) = (0.0, 0.0);
        let (mut sum_dot, mut sum_area) = (0.0, 0.0);
        let combine = |healed_dot: f64, healed_area: f64, sum_dot: f64, sum_area: f64| {
            let (avg_dot, avg_area) = (sum_dot / (3.0 * n as f64), sum_area / (3.0 * n as f64));
            let s_dot = W_HEALED * healed_dot + (1.0 - W_HEALED) * avg_dot;
            let s_area = W_HEALED * healed_area + (1.0 - W_HEALED) * avg_area;
            W_DOT * s_dot + (1.0 - W_DOT) * s_area
        };
        for i in 0..=n {
            let (d, a) = self.delta_e00(self.look(parts, dilution, i as f64 * SCORE_STEP_MONTHS));
            let (d, a) = (f64::from(d), f64::from(a));
            if i == 0 {
                (healed_dot, healed_area) = (d, a);
            }
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            sum_dot += w * d;
            sum_area += w * a;
            if i < n && combine(healed_dot, healed_area, sum_dot, sum_area) > bound {
                return None;
            }
        }
        Some(combine(healed_dot, healed_area, sum_dot, sum_area))
    }

    /// Months until the dot drifts past [`TOUCH_UP_DE00`] from its healed look.
    pub fn touch_up(&self, parts: &[Part], dilution: f64) -> Option<f64> {
        let healed = self.dot(parts, dilution, 0.0);
        touch_up(|m| delta_e00(self.dot(parts, dilution, m), healed))
    }

    /// Months to the touch-up (as [`Setup::touch_up`]) with the ageing at the fast end of its
    /// uncertainty and at the slow end: every half-life and every plateau at the low ends of
    /// [`HALF_LIFE_RANGE`] and [`PLATEAU_RANGE`], then at the high
    /// ends. `None` at an end: not within the horizon.
    pub fn touch_up_range(&self, parts: &[Part], dilution: f64) -> (Option<f64>, Option<f64>) {
        let at = |pick: fn((f64, f64)) -> f64| {
            let params = ModelParams {
                plateau_scale: self.params.plateau_scale * pick(uncertainty::PLATEAU_RANGE),
                ..self.params
            };
            Setup::new(
                self.catalog,
                self.targets,
                params,
                self.dots,
                self.sun,
                self.fading_scale * pick(uncertainty::HALF_LIFE_RANGE),
            )
            .touch_up(parts, dilution)
        };
        (at(|r| r.0), at(|r| r.1))
    }
}

/// One point of a predicted timeline.
#[derive(Debug, Clone, Copy)]
pub struct TimePoint {
    /// Months since the treatment healed.
    pub month: f64,
    /// Predicted look.
    pub look: Look,
    /// ΔE00 of the dot to the hair target.
    pub delta_e00_dot: f32,
    /// ΔE00 of the area to the stubble look.
    pub delta_e00_area: f32,
}

/// One ink of a candidate, for output.
#[derive(Debug, Clone)]
pub struct Component {
    /// The catalog entry.
    pub pigment: Pigment,
    /// Share of the ink mix.
    pub share: f64,
    /// Fading parameters used (of the ink as a whole; a composite's colorants each have
    /// their own, in `constituents`).
    pub fading: Fading,
    /// The colorants the model used.
    pub constituents: Vec<Constituent>,
    /// Masstone the model used (measured, or derived from a healed swatch).
    pub masstone: Lab,
}

/// One ranked recipe.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// `pigment-id`, or `a+b` for a blend.
    pub id: String,
    /// The inks, by catalog index and share.
    pub parts: Vec<Part>,
    /// The inks, for output.
    pub components: Vec<Component>,
    /// Dilution chosen.
    pub dilution: Dilution,
    /// Effective dermal concentration when healed.
    pub concentration: f64,
    /// Area coverage of the dots.
    pub coverage: f64,
    /// Score at `dilution.step` (lower is better).
    pub score: f64,
    /// 1σ uncertainty of the score (ΔE00), see [`Uncertainty`].
    pub uncertainty: f64,
    /// Whether the score lies within the uncertainty of the best candidate's.
    pub tied_with_best: bool,
    /// Predicted healed look.
    pub healed: Look,
    /// ΔE00 of the healed dot to the hair target.
    pub delta_e00_dot: f32,
    /// ΔE00 of the healed area to the stubble look.
    pub delta_e00_area: f32,
    /// Months until a touch-up is due.
    pub touch_up_months: Option<f64>,
    /// Predicted look over time.
    pub timeline: Vec<TimePoint>,
    /// Notes about this candidate.
    pub warnings: Vec<crate::warning::Warning>,
}

impl Candidate {
    /// True for a two-ink blend.
    pub fn is_blend(&self) -> bool {
        self.parts.len() > 1
    }
}

fn recipe_id(catalog: &Catalog, parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| catalog.pigments[p.ink].id.as_str())
        .collect::<Vec<_>>()
        .join("+")
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

/// A full ranking.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// Recipes, best first: every single ink, and blends that beat the best single ink by
    /// [`BLEND_MARGIN_DE00`].
    pub candidates: Vec<Candidate>,
    /// The blend search.
    pub blends: BlendSearch,
    /// The uncertainty analysis.
    pub uncertainty: Uncertainty,
    /// The clinic steps used.
    pub steps: Vec<f64>,
}

/// Rank every ink of `catalog` at its best dilution, then blends. Ties in score are broken by
/// id, so the order is deterministic.
pub fn rank(catalog: &Catalog, targets: Targets, opts: &RankOptions) -> Ranking {
    // The uncertainty's varied setups do not depend on the candidates: they are built beside
    // the search, where their skin re-fits fill the gaps between its parallel parts.
    let (prepared, (setup, steps, candidates, search)) = rayon::join(
        || Uncertainty::prepare(catalog, targets, opts),
        || search(catalog, targets, opts),
    );
    let mut candidates = candidates;
    let uncertainty = Uncertainty::analyse(prepared, &setup, &mut candidates);
    Ranking {
        candidates,
        blends: search,
        uncertainty,
        steps,
    }
}

/// The search of [`rank`]: its setup, the dilution steps, the candidates (sorted, best
/// first, without their uncertainty) and the blend search's summary.
fn search<'a>(
    catalog: &'a Catalog,
    targets: Targets,
    opts: &RankOptions,
) -> (Setup<'a>, Vec<f64>, Vec<Candidate>, BlendSearch) {
    let setup = Setup::new(
        catalog,
        targets,
        opts.params,
        opts.dots,
        opts.sun,
        opts.half_life_scale,
    );
    let steps = setup.steps();
    let n = catalog.pigments.len();
    let singles: Vec<(Vec<Part>, Dilution, f64)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let parts = vec![Part { ink: i, share: 1.0 }];
            let (d, s) = setup.best_dilution(&parts, &steps);
            (parts, d, s)
        })
        .collect();
    let best_single = singles.iter().map(|x| x.2).fold(f64::INFINITY, f64::min);

    // Blends: every pair of the [`BLEND_PARTNERS`] best single inks that can be diluted, at
    // each share step (every pair, for a clinic's catalog of tens of inks).
    let mut partners: Vec<usize> = (0..n)
        .filter(|&i| catalog.pigments[i].dilution.is_none())
        .collect();
    partners.sort_by(|&a, &b| {
        singles[a]
            .2
            .total_cmp(&singles[b].2)
            .then_with(|| catalog.pigments[a].id.cmp(&catalog.pigments[b].id))
    });
    partners.truncate(BLEND_PARTNERS);
    partners.sort_unstable();
    let mut recipes: Vec<Vec<Part>> = Vec::new();
    if opts.blends && n >= 2 {
        let k = (1.0 / opts.blend_step.clamp(0.01, 0.5)).round() as usize;
        for (x, &i) in partners.iter().enumerate() {
            for &j in &partners[x + 1..] {
                for s in 1..k {
                    let a = s as f64 / k as f64;
                    recipes.push(vec![
                        Part { ink: i, share: a },
                        Part {
                            ink: j,
                            share: 1.0 - a,
                        },
                    ]);
                }
            }
        }
    }
    // Blends are judged on the score at their clinic step; the continuous optimum (three
    // quarters of the solver's work) is found below only for the few that are kept. Only
    // blends that could be kept (within the margin) or be the best blend need their exact
    // score; the others are abandoned as soon as they are sure to score worse than both (the
    // best blend so far is shared between threads; what is found does not depend on it).
    let keep_below = best_single - BLEND_MARGIN_DE00;
    let best_blend = AtomicU64::new(f64::INFINITY.to_bits());
    let blends: Vec<(Vec<Part>, f64, f64)> = recipes
        .into_par_iter()
        .map(|parts| {
            let bound = || keep_below.max(f64::from_bits(best_blend.load(Ordering::Relaxed)));
            let (step, s) = best_step_below(|d, b| setup.score_below(&parts, d, b), &steps, bound);
            if s >= 0.0 {
                // Non-negative floats order as their bits do.
                best_blend.fetch_min(s.to_bits(), Ordering::Relaxed);
            }
            (parts, step, s)
        })
        .collect();
    let mut search = BlendSearch {
        considered: blends.len(),
        partners: partners.len(),
        best_id: None,
        best_gain_de00: None,
    };
    if let Some(b) = blends.iter().min_by(|a, b| a.2.total_cmp(&b.2)) {
        search.best_id = Some(blend_label(catalog, &b.0));
        search.best_gain_de00 = Some(b.2 - best_single);
    }
    // Keep, per pair, the best share if it clears the margin.
    let mut kept: Vec<(Vec<Part>, f64, f64)> = Vec::new();
    for b in blends
        .into_iter()
        .filter(|b| b.2 <= best_single - BLEND_MARGIN_DE00)
    {
        match kept
            .iter_mut()
            .find(|k| k.0[0].ink == b.0[0].ink && k.0[1].ink == b.0[1].ink)
        {
            Some(k) if k.2 <= b.2 => {}
            Some(k) => *k = b,
            None => kept.push(b),
        }
    }

    let kept: Vec<(Vec<Part>, Dilution, f64)> = kept
        .into_par_iter()
        .map(|(parts, _, _)| {
            let (d, s) = setup.best_dilution(&parts, &steps);
            (parts, d, s)
        })
        .collect();
    let mut candidates: Vec<Candidate> = singles
        .into_par_iter()
        .chain(kept)
        .map(|(parts, d, _)| setup.evaluate(&parts, d, &opts.months))
        .collect();
    candidates.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.id.cmp(&b.id)));
    (setup, steps, candidates, search)
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
    fn the_pruned_step_search_finds_what_the_full_one_finds() {
        // Scores built as the real one is: non-negative terms added in order, the partial sum
        // a lower bound. Pseudo-random terms (a fixed LCG), ties included.
        let mut x: u64 = 7;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 40) % 7) as f64 * 0.25
        };
        let steps = [0.0, 1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0];
        for _ in 0..300 {
            let terms: Vec<[f64; 4]> = steps
                .iter()
                .map(|_| [next(), next(), next(), next()])
                .collect();
            let at = |d: f64| steps.iter().position(|&s| s == d).unwrap_or(0);
            let full = |d: f64| terms[at(d)].iter().sum::<f64>();
            let below = |d: f64, limit: f64| {
                let mut sum = 0.0;
                for t in terms[at(d)] {
                    sum += t;
                    if sum > limit {
                        return None;
                    }
                }
                Some(sum)
            };
            let exact = best_step(full, &steps);
            for bound in [f64::INFINITY, exact.1, exact.1 + 0.5, exact.1 - 0.25, 0.0] {
                let pruned = best_step_below(below, &steps, || bound);
                if exact.1 <= bound {
                    assert_eq!(pruned, exact, "bound {bound}");
                } else {
                    assert!(pruned.1 > bound, "{pruned:?} above {bound}");
                }
            }
        }
    }

    #[test]
    fn solver_finds_a_known_minimum() {
        // A parabola in d with its minimum at d = 7.3 (between steps 6 and 10).
        let f = |d: f64| (d - 7.3) * (d - 7.3) / 20.0 + 1.0;
        let steps = [0.0, 1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0];
        let (d, s) = solve_dilution(f, &steps);
        let opt = d.optimum.expect("solved");
        assert!((opt - 7.3).abs() < 0.05, "{opt}");
        // f(6) = 1.085 is the best step (f(10) = 1.365): the model's best, no lighter-first rule.
        assert_eq!(d.step, 6.0);
        assert!((s - f(6.0)).abs() < 1e-12);
        // A sharp minimum: only the best step qualifies.
        let (d, _) = solve_dilution(|d: f64| (d - 6.0).abs(), &steps);
        assert_eq!(d.step, 6.0);
        // Minimum at the end of the range.
        let (d, _) = solve_dilution(|d: f64| -d, &steps);
        assert_eq!(d.step, 20.0);
        assert!((d.optimum.expect("solved") - 20.0).abs() < 0.05);
    }
}
