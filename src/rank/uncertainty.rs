//! How sure a ranking is: each candidate's score under the measurement, model and
//! catalog uncertainties, and which candidates tie within them.

use rayon::prelude::*;

/// Range of the scale on every colorant's plateau (permanent share): **assumption** ±50 %.
pub const PLATEAU_RANGE: (f64, f64) = (0.5, 1.5);

/// Range of the scale on every pigment's fading half-life: **assumption** ±30 %.
pub const HALF_LIFE_RANGE: (f64, f64) = (0.7, 1.3);

use super::*;
use crate::catalog::{Catalog, Method, Pigment};
use crate::model::ModelParams;

/// Photo colour uncertainty without a calibration profile (ΔE00, 1σ): an assumption for
/// phone photos under clinic light, where white balance and rendering errors of several
/// ΔE00 are common; a calibration profile replaces it by its measured residual.
pub const UNCALIBRATED_DE00: f64 = 2.0;

/// Uncertainty of a catalog colour (ΔE00-scale, per L*, a*, b* axis, 1σ), by how it was
/// obtained. Assumptions: instrument repeatability on a drawdown ≈ 0.5; a photographed healed
/// swatch ≈ 1; a manufacturer's figure (unknown instrument and batch) ≈ 1.5; an illustrative
/// value is a guess ≈ 3.
pub fn pigment_uncertainty_de00(p: &Pigment) -> f64 {
    match p.measurement.method {
        Method::MasstoneDrawdown => 0.5,
        Method::HealedSwatch => 1.0,
        Method::Manufacturer => 1.5,
        Method::Illustrative => 3.0,
    }
}

/// A source of uncertainty: a model parameter, the hair target's sampling, or the photo's
/// colour on one axis. Serialised as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceName {
    /// Effective absorption of undiluted ink in the pigment band.
    CarbonMuA,
    /// Share of ink kept through healing.
    HealingRetention,
    /// Depth of the pigment band.
    DepthMm,
    /// Kubelka–Munk back-scatter per unit reduced scattering in the upper skin.
    SPerMusp,
    /// Share of the pigment that stays for good.
    Plateau,
    /// Every pigment's fading half-life.
    HalfLifeScale,
    /// Sampling error of the hair target.
    HairTargetSampling,
    /// Photo colour error on L*.
    ColourL,
    /// Photo colour error on a*.
    ColourA,
    /// Photo colour error on b*.
    ColourB,
}

/// One source of uncertainty and the range it spans.
#[derive(Debug, Clone)]
pub struct Source {
    /// What is varied.
    pub name: SourceName,
    /// Low and high values tried.
    pub low: f64,
    /// See `low`.
    pub high: f64,
    /// Where the range comes from.
    pub basis: &'static str,
}

/// Uncertainty of the scores: each source is moved to the low and high ends of its
/// plausible range (read as ±1σ), every candidate is re-scored at its chosen recipe, and
/// the larger of the two score changes per source is added in quadrature. Ties use the
/// same rule on the *difference* to the best score, since sources that move every score
/// alike (a lighting cast, say) should not make candidates look tied.
#[derive(Debug, Clone)]
pub struct Uncertainty {
    /// The sources.
    pub sources: Vec<Source>,
    /// Target shift used for the measurement sources (ΔE00-scale, per L*, a*, b* axis).
    pub target_shift: f64,
}

impl Uncertainty {
    /// The varied setups, built before the candidates are known (the ones that re-fit the
    /// skin take milliseconds, so [`super::rank`] builds them beside its search).
    pub(super) fn prepare<'a>(
        catalog: &'a Catalog,
        targets: Targets,
        opts: &RankOptions,
    ) -> Prepared<'a> {
        let p = opts.params;
        let u = opts.measurement_de00.max(0.0);
        let sources = vec![
            Source {
                name: SourceName::CarbonMuA,
                low: p.carbon_mu_a * 0.5,
                high: p.carbon_mu_a * 2.0,
                basis: "assumption: a factor 2 on the ink's effective absorption in skin",
            },
            Source {
                name: SourceName::HealingRetention,
                low: 0.5,
                high: 0.8,
                basis: "Bäumler 2015: about a third lost in weeks; range an assumption",
            },
            Source {
                name: SourceName::DepthMm,
                low: (p.depth_mm - 0.05).max(p.skin.epidermis_mm),
                high: p.depth_mm + 0.1,
                basis: "the implant depth varies within the upper papillary dermis",
            },
            Source {
                name: SourceName::SPerMusp,
                low: p.skin.s_per_musp * 0.6,
                high: p.skin.s_per_musp * 1.4,
                basis: "assumption: ±40 % on the forward-scattering back-scatter share",
            },
            Source {
                name: SourceName::Plateau,
                low: PLATEAU_RANGE.0,
                high: PLATEAU_RANGE.1,
                basis: "assumption: ±50 % on every colorant's permanent share",
            },
            Source {
                name: SourceName::HalfLifeScale,
                low: HALF_LIFE_RANGE.0,
                high: HALF_LIFE_RANGE.1,
                basis: "assumption: ±30 % on every pigment's fading half-life",
            },
            Source {
                name: SourceName::HairTargetSampling,
                low: -opts.target_standard_error,
                high: opts.target_standard_error,
                basis: "spread of the hair target's cluster / √pixels (hair target only)",
            },
            Source {
                name: SourceName::ColourL,
                low: -u,
                high: u,
                basis: "photo colour uncertainty (uncalibrated: assumption; else the calibration residual), on L*",
            },
            Source {
                name: SourceName::ColourA,
                low: -u,
                high: u,
                basis: "as colour_l, on a*",
            },
            Source {
                name: SourceName::ColourB,
                low: -u,
                high: u,
                basis: "as colour_l, on b*",
            },
        ];
        let setup_for = |src: &Source, v: f64| -> (ModelParams, f64, Targets) {
            let mut q = p;
            let mut fading = opts.half_life_scale;
            let mut t = targets;
            let shift = |t: &mut Targets, dl: f32, da: f32, db: f32| {
                for lab in [&mut t.hair, &mut t.stubble, &mut t.scalp] {
                    lab.l += dl;
                    lab.a += da;
                    lab.b += db;
                }
            };
            match src.name {
                SourceName::CarbonMuA => q.carbon_mu_a = v,
                SourceName::HealingRetention => q.healing_retention = v,
                SourceName::DepthMm => q.depth_mm = v,
                SourceName::SPerMusp => q.skin.s_per_musp = v,
                SourceName::Plateau => q.plateau_scale = v,
                SourceName::HalfLifeScale => fading = v * opts.half_life_scale,
                SourceName::HairTargetSampling => {
                    let d = (v / 3f64.sqrt()) as f32;
                    t.hair.l += d;
                    t.hair.a += d;
                    t.hair.b += d;
                }
                SourceName::ColourL => shift(&mut t, v as f32, 0.0, 0.0),
                SourceName::ColourA => shift(&mut t, 0.0, v as f32, 0.0),
                SourceName::ColourB => shift(&mut t, 0.0, 0.0, v as f32),
            }
            (q, fading, t)
        };
        // scores[source][end][candidate]. The 20 setups run as separate tasks, those that
        // move the scalp or the skin's scattering first: they re-fit the skin (up to a few
        // milliseconds each) while the cheap ones fill in around them. The ink-colour part
        // runs beside them.
        let refits = |n: SourceName| {
            matches!(
                n,
                SourceName::SPerMusp
                    | SourceName::ColourL
                    | SourceName::ColourA
                    | SourceName::ColourB
            )
        };
        let mut tasks: Vec<(usize, usize)> =
            (0..sources.len()).flat_map(|i| [(i, 0), (i, 1)]).collect();
        tasks.sort_by_key(|&(i, _)| !refits(sources[i].name));
        let setups = tasks
            .par_iter()
            .map(|&(i, end)| {
                let src = &sources[i];
                let (q, f, t) = setup_for(src, if end == 0 { src.low } else { src.high });
                ((i, end), Setup::new(catalog, t, q, opts.dots, opts.sun, f))
            })
            .collect();
        Prepared {
            sources,
            setups,
            target_shift: u,
        }
    }

    /// Each candidate's uncertainty and whether it is tied with the best (`candidates` sorted
    /// best first), from the setups of [`Uncertainty::prepare`].
    pub(super) fn analyse(
        prepared: Prepared<'_>,
        base: &Setup<'_>,
        candidates: &mut [Candidate],
    ) -> Uncertainty {
        let Prepared {
            sources,
            setups,
            target_shift,
        } = prepared;
        let catalog = base.catalog;
        let hl = base.fading_scale;
        let candidates_now: &[Candidate] = candidates;
        let (scored, own) = rayon::join(
            || -> Vec<((usize, usize), Vec<f64>)> {
                setups
                    .par_iter()
                    .map(|(at, s)| {
                        let v = candidates_now
                            .iter()
                            .map(|c| s.score(&c.parts, c.dilution.step))
                            .collect();
                        (*at, v)
                    })
                    .collect()
            },
            // Each ink's own colour is uncertain too, independently of the others': perturb
            // each component's catalog Lab by ± its uncertainty on each axis.
            || -> Vec<f64> {
                candidates_now
                    .par_iter()
                    .map(|c| {
                        let mut var = 0.0;
                        let at_catalog = base.score(&c.parts, c.dilution.step);
                        for part in &c.parts {
                            let u = pigment_uncertainty_de00(&catalog.pigments[part.ink]);
                            for axis in 0..3 {
                                let dev = [-u, u]
                                    .iter()
                                    .map(|&du| {
                                        let mut lab = catalog.pigments[part.ink].lab;
                                        lab[axis] += du;
                                        let s = base.with_ink_lab(part.ink, lab, hl);
                                        (s.score(&c.parts, c.dilution.step) - at_catalog).abs()
                                    })
                                    .fold(0.0, f64::max);
                                var += dev * dev;
                            }
                        }
                        var
                    })
                    .collect()
            },
        );
        let mut scores: Vec<[Vec<f64>; 2]> = vec![[Vec::new(), Vec::new()]; sources.len()];
        for ((i, end), v) in scored {
            scores[i][end] = v;
        }
        let best = 0;
        for i in 0..candidates.len() {
            let (mut var, mut var_d) = (own[i], own[i] + own[best]);
            for ends in &scores {
                let dev = ends
                    .iter()
                    .map(|e| (e[i] - candidates[i].score).abs())
                    .fold(0.0, f64::max);
                let dev_d = ends
                    .iter()
                    .map(|e| {
                        ((e[i] - e[best]) - (candidates[i].score - candidates[best].score)).abs()
                    })
                    .fold(0.0, f64::max);
                var += dev * dev;
                var_d += dev_d * dev_d;
            }
            candidates[i].uncertainty = var.sqrt();
            let gap = candidates[i].score - candidates[best].score;
            candidates[i].tied_with_best = i != best && gap <= var_d.sqrt();
        }
        Uncertainty {
            sources,
            target_shift,
        }
    }
}

/// The sources of uncertainty and a setup at each end of each, before scoring.
pub(super) struct Prepared<'a> {
    sources: Vec<Source>,
    /// ((source, end), setup), in the order they were built.
    setups: Vec<((usize, usize), Setup<'a>)>,
    target_shift: f64,
}

/// Plain-words summary of the ties.
pub fn ties_summary(candidates: &[Candidate]) -> String {
    let Some(best) = candidates.first() else {
        return "the catalog is empty".into();
    };
    let tied: Vec<&str> = candidates
        .iter()
        .filter(|c| c.tied_with_best)
        .map(|c| c.id.as_str())
        .collect();
    if tied.is_empty() {
        format!(
            "{} is the clear best: no other candidate scores within the uncertainty (±{:.1} \
             ΔE00) of it",
            best.id, best.uncertainty
        )
    } else {
        format!(
            "{} scores best, but {} {} within the uncertainty of the model and the photo \
             colours: the difference is not meaningful, so choose among them by stock, \
             experience or a test patch",
            best.id,
            tied.join(", "),
            if tied.len() == 1 { "is" } else { "are" }
        )
    }
}
