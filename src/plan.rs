//! The treatment plan: sessions, one recommended density (the follicle-like density that
//! best reproduces the stubble look), and the touch-up date (docs/model.md § Plan).
//!
//! SMP is done in 2–3 sessions a few weeks apart, lighter first. The plan builds the
//! recommended recipe's density over the sessions and starts one clinic dilution step
//! lighter:
//!
//! | sessions | cumulative share of the density | shade |
//! |---|---|---|
//! | 2 | 60 %, 100 % | lighter step, then the recommendation |
//! | 3 | 50 %, 85 %, 100 % | lighter step, then the recommendation twice |
//!
//! Each session works the whole area, so dots laid before are re-implanted with the session's
//! shade; the shades never lighten, and a re-implanted dot takes the darker shade
//! (assumption). Fading between sessions (weeks) is ignored next to healing.

use crate::color::delta_e00;
use crate::model::Dots;
use crate::rank::{Candidate, Look, Setup};

/// Default weeks between sessions.
pub const DEFAULT_SPACING_WEEKS: f64 = 3.0;
/// Default number of sessions.
pub const DEFAULT_SESSIONS: u8 = 3;
/// Above this dot ΔE00 the plan explains why the dots cannot match the hair close up.
pub const DOT_WARN_DE00: f32 = 6.0;
/// Densities a plan may recommend, dots per cm²: what follicles look like. Follicular units
/// grow at 74 ± 13 per cm² (Plast. Aesthet. Res. 2017), so about 50–100 (mean ± 2 SD);
/// SMP dots "about 1 mm apart" (Rassman et al., J. Clin. Aesthet. Dermatol. 2015) are 100 per
/// cm². Denser dots merge into the flat "helmet" look practitioners warn about.
pub const DENSITY_RANGE: (f64, f64) = (50.0, 100.0);

/// Widest density range searched to say how far the stubble look is out of reach.
pub const DENSITY_SEARCH: (f64, f64) = (10.0, 400.0);

/// Plan settings.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// 2 or 3.
    pub sessions: usize,
    /// Weeks between sessions.
    pub spacing_weeks: f64,
    /// Dots of the finished treatment.
    pub dots: Dots,
    /// Use `dots.density_per_cm2` as given instead of recommending a density.
    pub density_fixed: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            sessions: usize::from(DEFAULT_SESSIONS),
            spacing_weeks: DEFAULT_SPACING_WEEKS,
            dots: Dots::default(),
            density_fixed: false,
        }
    }
}

/// What a session is for. Serialised as the sentence shown to people (the JSON carries it
/// as it always has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub enum Purpose {
    /// The first session.
    #[serde(rename = "base layer: one step lighter, part of the density")]
    BaseLayer,
    /// A middle session.
    #[serde(rename = "darken to the recommended shade and build density")]
    Build,
    /// The last session.
    #[serde(rename = "final density and shade")]
    Final,
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// 1-based.
    pub index: usize,
    /// Week of the session, counted from the first.
    pub week: f64,
    /// Recipe id applied.
    pub pigment_id: String,
    /// Dilution applied (parts diluent per part ink).
    pub dilution: f64,
    /// Dots per cm² in place after this session.
    pub density_per_cm2: f64,
    /// Area coverage after this session.
    pub coverage: f64,
    /// Predicted look once this session has healed.
    pub predicted: Look,
    /// ΔE00 of the predicted area look to the stubble look.
    pub delta_e00: f32,
    /// ΔE00 of the predicted dot to the hair target.
    pub delta_e00_dot: f32,
    /// What the session is for.
    pub purpose: Purpose,
}

/// A zone of the treated area. Serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneName {
    /// The front edge: the band behind the hairline, graded.
    Hairline,
    /// Everything between the hairline band and the crown.
    MidScalp,
    /// The vertex, around the hair whorl.
    Crown,
}

/// How one zone is worked: density and dot size at its front edge and at its back (equal
/// except at the hairline, graded between), and the practice in words.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Which zone.
    pub name: ZoneName,
    /// Dots per cm², at the zone's front and at its back.
    pub density_per_cm2: (f64, f64),
    /// Healed dot diameter, mm, at the front and at the back.
    pub dot_diameter_mm: (f64, f64),
    /// Depth of the graded band from its front edge, mm; None for a zone worked evenly.
    pub width_mm: Option<f64>,
    /// What to do there.
    pub how: &'static str,
}

/// The plan per zone for a finished `density` of dots `diameter_mm` across (docs/model.md §
/// Plan per zone): the hairline graded over [`crate::preview::HAIRLINE_ZONE_MM`] from
/// [`crate::preview::HAIRLINE_DENSITY_AT_LINE`] of the density and
/// [`crate::preview::HAIRLINE_DOT_AT_LINE`] of the dot size (**assumptions**: hair
/// transplant surgeons set the front with single hairs at about half the density of the
/// area behind it; SMP practitioners "feather" the front with finer, sparser dots over about
/// a centimetre); mid-scalp and crown at the full density and size, the crown placed to
/// follow the whorl. The same numbers drive `preview --hairline`.
pub fn zones(density: f64, diameter_mm: f64) -> Vec<Zone> {
    use crate::preview::{HAIRLINE_DENSITY_AT_LINE, HAIRLINE_DOT_AT_LINE, HAIRLINE_ZONE_MM};
    let round_dots = |d: f64| d.round();
    let round_mm = |d: f64| (d * 100.0).round() / 100.0;
    vec![
        Zone {
            name: ZoneName::Hairline,
            density_per_cm2: (round_dots(density * HAIRLINE_DENSITY_AT_LINE), density),
            dot_diameter_mm: (round_mm(diameter_mm * HAIRLINE_DOT_AT_LINE), diameter_mm),
            width_mm: Some(HAIRLINE_ZONE_MM),
            how: "sparse, finer single dots at the line, growing to the full size and density at \
                  the back of the band; never a straight edge",
        },
        Zone {
            name: ZoneName::MidScalp,
            density_per_cm2: (density, density),
            dot_diameter_mm: (diameter_mm, diameter_mm),
            width_mm: None,
            how: "the full density, dots spaced at random like follicles, no rows",
        },
        Zone {
            name: ZoneName::Crown,
            density_per_cm2: (density, density),
            dot_diameter_mm: (diameter_mm, diameter_mm),
            width_mm: None,
            how: "the full density, placed around the whorl with irregular spacing, no rings \
                  or rows",
        },
    ]
}

/// The plan for the recommended recipe.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Recipe id.
    pub recommendation: String,
    /// Sessions in order.
    pub sessions: Vec<Session>,
    /// Months after the last session has healed until a touch-up is due (None: not within
    /// the horizon).
    pub touch_up_months: Option<f64>,
    /// The same with the ageing at the fast and at the slow end of its uncertainty
    /// ([`Setup::touch_up_range`]): the earliest and the latest a touch-up is likely due.
    pub touch_up_range_months: (Option<f64>, Option<f64>),
    /// Density that best reproduces the stubble look with the recommended recipe.
    pub suggested_density_per_cm2: f64,
    /// Coverage at the suggested density.
    pub suggested_coverage: f64,
    /// ΔE00 of the healed area look to the stubble look at the suggested density.
    pub suggested_delta_e00: f32,
    /// The plan per zone ([`zones`]).
    pub zones: Vec<Zone>,
    /// What the technician should know about this plan.
    pub warnings: Vec<crate::warning::Warning>,
}

const SHARES_2: [f64; 2] = [0.6, 1.0];
const SHARES_3: [f64; 3] = [0.5, 0.85, 1.0];

/// The next step lighter than `d` (more diluent), or `d` if there is none.
fn lighter_step(steps: &[f64], d: f64) -> f64 {
    steps
        .iter()
        .copied()
        .filter(|&s| s > d + 1e-9)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.min(s))))
        .unwrap_or(d)
}

/// Build the plan for candidate `c` (normally the best).
pub fn plan(setup: &Setup<'_>, c: &Candidate, steps: &[f64], opts: &PlanOptions) -> Plan {
    let shares: &[f64] = if opts.sessions <= 2 {
        &SHARES_2
    } else {
        &SHARES_3
    };
    let rec = c.dilution.step;
    let first = if c.dilution.optimum.is_some() {
        lighter_step(steps, rec)
    } else {
        rec
    };
    let t = setup.targets();
    let (density, de) = if opts.density_fixed {
        let n = opts.dots.density_per_cm2;
        let dot = setup.dot(&c.parts, c.dilution.step, 0.0);
        let cov = opts.dots.coverage();
        (n, delta_e00(setup.area(dot, cov), t.stubble))
    } else {
        best_density(setup, c, opts.dots)
    };
    let sessions = shares
        .iter()
        .enumerate()
        .map(|(i, &share)| {
            let dilution = if i == 0 { first } else { rec };
            let dots = Dots {
                density_per_cm2: density * share,
                ..opts.dots
            };
            let dot = setup.dot(&c.parts, dilution, 0.0);
            let area = setup.area(dot, dots.coverage());
            Session {
                index: i + 1,
                week: opts.spacing_weeks * i as f64,
                pigment_id: c.id.clone(),
                dilution,
                density_per_cm2: (dots.density_per_cm2 * 10.0).round() / 10.0,
                coverage: dots.coverage(),
                predicted: Look { dot, area },
                delta_e00: delta_e00(area, t.stubble),
                delta_e00_dot: delta_e00(dot, t.hair),
                purpose: match (i, shares.len()) {
                    (0, _) => Purpose::BaseLayer,
                    (i, n) if i + 1 == n => Purpose::Final,
                    _ => Purpose::Build,
                },
            }
        })
        .collect();
    let best = Dots {
        density_per_cm2: density,
        ..opts.dots
    };
    let mut warnings = Vec::new();
    if opts.density_fixed && !(DENSITY_RANGE.0..=DENSITY_RANGE.1).contains(&density) {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::DensityOutsideFollicles,
            format!(
                "the plan uses the density given, {density:.0} dots/cm², outside what follicles \
             look like ({:.0}–{:.0}/cm²): {}",
                DENSITY_RANGE.0,
                DENSITY_RANGE.1,
                if density > DENSITY_RANGE.1 {
                    "denser dots merge into a flat, helmet-like shade"
                } else {
                    "sparser dots read as thinning hair, not as a shaved head"
                }
            ),
        ));
    }
    let (wanted, wanted_de) = density_in(setup, c, opts.dots, DENSITY_SEARCH);
    if wanted > DENSITY_RANGE.1
        && density <= DENSITY_RANGE.1
        && f64::from(de) - f64::from(wanted_de) > 0.5
    {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::StubbleTooDark,
            format!(
                "matching the stubble look (L* {:.1}) at a distance would need about {wanted:.0} \
             dots/cm² of {}, more than follicles grow ({:.0}–{:.0}/cm²): such dots merge into \
             a flat, helmet-like shade; the plan stays at {density:.0}/cm², where the area \
             looks {:.1} ΔE00 from the stubble (lighter). SMP reproduces shaved stubble, not \
             longer hair: photograph the patient's shaved stubble, or accept a lighter look",
                t.stubble.l,
                c.components
                    .first()
                    .map_or(c.id.as_str(), |k| k.pigment.name.as_str()),
                DENSITY_RANGE.0,
                DENSITY_RANGE.1,
                de
            ),
        ));
    }
    if c.delta_e00_dot > DOT_WARN_DE00 && c.healed.dot.l > t.hair.l + 5.0 {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::DotsLighterThanHair,
            format!(
                "close up, the healed dots (L* {:.0}) stay lighter than the hair (L* {:.0}), ΔE00 \
             {:.0}: pigment seen through skin cannot be as dark as hair on this skin, so expect \
             a softer shadow than the stubble; density, not a darker ink, closes the gap at a \
             distance",
                c.healed.dot.l, t.hair.l, c.delta_e00_dot
            ),
        ));
    }
    if t.hair.l >= t.scalp.l {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::HairNotDarkerThanScalp,
            format!(
                "the hair target (L* {:.1}) is not darker than the scalp (L* {:.1}): pigment only \
             darkens skin, so no recipe can match it; the plan shows the faintest option",
                t.hair.l, t.scalp.l
            ),
        ));
    }
    Plan {
        recommendation: c.id.clone(),
        sessions,
        touch_up_months: c.touch_up_months,
        touch_up_range_months: setup.touch_up_range(&c.parts, c.dilution.step),
        suggested_density_per_cm2: density,
        suggested_coverage: best.coverage(),
        suggested_delta_e00: de,
        zones: zones(density, opts.dots.diameter_mm),
        warnings,
    }
}

/// The recommended density: the one in [`DENSITY_RANGE`] whose healed area look is closest
/// (ΔE00) to the stubble look, rounded to 5 dots per cm².
pub fn best_density(setup: &Setup<'_>, c: &Candidate, dots: Dots) -> (f64, f32) {
    density_in(setup, c, dots, DENSITY_RANGE)
}

/// The density in `range` whose healed area look is closest to the stubble look, rounded to
/// 5 dots per cm². The area look darkens monotonically with density, so the ΔE00 is
/// unimodal and a golden-section search finds it.
fn density_in(setup: &Setup<'_>, c: &Candidate, dots: Dots, range: (f64, f64)) -> (f64, f32) {
    let dot = setup.dot(&c.parts, c.dilution.step, 0.0);
    let stubble = setup.targets().stubble;
    let de = |n: f64| {
        let cov = Dots {
            density_per_cm2: n,
            ..dots
        }
        .coverage();
        f64::from(delta_e00(setup.area(dot, cov), stubble))
    };
    let (lo, hi) = range;
    let (best, _) = crate::numeric::golden_section_min(de, lo, hi, 0.5);
    let n = (best / 5.0).round() * 5.0;
    (n, de(n) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lighter_step_is_the_next_step_up() {
        let steps = [0.0, 2.0, 4.0, 6.0, 10.0];
        assert_eq!(lighter_step(&steps, 4.0), 6.0);
        assert_eq!(lighter_step(&steps, 5.0), 6.0);
        assert_eq!(lighter_step(&steps, 10.0), 10.0);
    }
}
