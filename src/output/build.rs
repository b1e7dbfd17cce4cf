//! The output documents assembled from the pipeline's results: rounding, naming and
//! ordering happen here, once, for JSON and text alike.

use super::*;
use crate::analysis::tones::RoleTones;
use crate::analysis::{Analysis, PixelSource};
use crate::color::{lab_to_array, lab_to_hex, round, Lab};
use crate::model::ModelParams;
use crate::plan::Plan;
use crate::rank::{self, Candidate, Ranking};

impl MeasureOut {
    /// The document for what [`crate::catalog::measure::measure`] did to `catalog`.
    pub fn new(catalog: &std::path::Path, m: crate::catalog::measure::Measured) -> MeasureOut {
        MeasureOut {
            schema_version: SCHEMA_VERSION,
            command: Command::CatalogMeasure,
            catalog: catalog.display().to_string(),
            written: m.written,
            backup: m.backup.map(|b| b.display().to_string()),
            measured: m
                .swatches
                .into_iter()
                .map(|s| MeasuredOut {
                    pigment_id: s.pigment_id,
                    lab: s.lab,
                    tint: s.tint,
                    previous_lab: s.previous_lab,
                    change_de00: s.change_de00.map(|d| round(d, 2)),
                    spread_de00: round(s.spread_de00, 2),
                    pixels: s.pixels,
                })
                .collect(),
            warnings: m.warnings,
        }
    }
}

impl FitFadingOut {
    /// The document for what [`crate::catalog::measure::fit_fading`] did to `catalog`.
    pub fn new(
        catalog: &std::path::Path,
        f: crate::catalog::measure::FadingFitted,
    ) -> FitFadingOut {
        FitFadingOut {
            schema_version: SCHEMA_VERSION,
            command: Command::CatalogFitFading,
            catalog: catalog.display().to_string(),
            written: f.written,
            backup: f.backup.map(|b| b.display().to_string()),
            fits: f.fits,
            refusals: f.refusals,
            ageing: f.ageing,
        }
    }
}

fn tone_out(lab: Lab, weight: f32, spread: f32) -> ToneOut {
    ToneOut {
        lab: lab_to_array(lab),
        weight: round(weight, 4),
        hex: lab_to_hex(lab),
        spread_de00: round(spread, 2),
    }
}

fn role_out(t: &RoleTones, source: PixelSource) -> RoleOut {
    RoleOut {
        source,
        pixels_sampled: t.pixels_sampled,
        pixels_trimmed: t.trim,
        k_fit: t.k_fit,
        tones: t
            .tones
            .iter()
            .map(|x| tone_out(x.lab, x.weight, x.spread_de00))
            .collect(),
        target_lab: lab_to_array(t.target),
        target_hex: lab_to_hex(t.target),
        target_spread_de00: round(t.target_spread_de00, 2),
    }
}

/// The results of `match`, for [`build`].
#[derive(Debug, Clone, Copy)]
pub struct MatchResult<'a> {
    /// The ranking (all candidates; `top` truncates the output only).
    pub ranking: &'a Ranking,
    /// The plan for the best candidate.
    pub plan: Option<&'a Plan>,
    /// Model parameters used.
    pub params: ModelParams,
    /// The fitted skin.
    pub skin: &'a crate::model::skin::SkinOptics,
    /// Candidates to print (None: all).
    pub top: Option<usize>,
    /// Date of the first session (`--date`), for the touch-up dates.
    pub first_session: Option<time::Date>,
}

/// Settings for [`build`].
#[derive(Debug, Clone)]
pub struct BuildContext {
    /// `analyze` or `match`.
    pub command: Command,
    /// Settings shown.
    pub settings: SettingsOut,
    /// Catalog (match).
    pub catalog: Option<CatalogOut>,
    /// Profile applied.
    pub calibration: Option<CalibrationOut>,
}

fn arr(lab: Lab) -> [f64; 3] {
    lab_to_array(lab)
}

/// Assemble the output document.
pub fn build(a: &Analysis, m: Option<MatchResult<'_>>, ctx: BuildContext) -> Output {
    let mut warnings = a.warnings.clone();
    if let Some(m) = &m {
        let cands = &m.ranking.candidates;
        for w in cands.iter().flat_map(|c| c.warnings.iter()) {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        if let Some(p) = m.plan {
            warnings.extend(p.warnings.iter().cloned());
        }
        if cands
            .iter()
            .flat_map(|c| c.components.iter())
            .any(|x| x.pigment.measurement.method == crate::catalog::Method::Illustrative)
        {
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::IllustrativeCatalog,
                "the catalog holds illustrative (not measured) colours; calibrate it before \
                 relying on the ranking",
            ));
        }
    }
    Output {
        schema_version: SCHEMA_VERSION,
        command: ctx.command,
        smpmatch_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: a
            .inputs
            .iter()
            .map(|u| InputOut {
                path: u.info.path.clone(),
                format: u.info.format.clone(),
                width: u.info.width,
                height: u.info.height,
                bit_depth: u.info.bit_depth,
                channels: u.info.channels.clone(),
                orientation: u.info.orientation.clone(),
                color_space: u.info.color_space.clone(),
                color_space_source: u.info.color_space_source,
                icc_profile_bytes: u.info.icc_profile_bytes,
                icc_profile_description: u.info.icc_profile_description.clone(),
                used_for: u.used_for.clone(),
                regions: u
                    .regions
                    .iter()
                    .map(|&(role, region)| RegionOut { role, region })
                    .collect(),
                excluded_regions: u.excluded.clone(),
                pixels_sampled: u.pixels_sampled,
                pixels_transparent: u.pixels_transparent,
            })
            .collect(),
        settings: ctx.settings,
        segmentation: a.auto.as_ref().map(|s| {
            let total = (s.hair.len() + s.scalp.len() + s.other).max(1);
            SegmentationOut {
                method: "auto".into(),
                confidence: round(s.confidence, 2),
                other_fraction: round(s.other as f32 / total as f32, 4),
                clusters: s
                    .clusters
                    .iter()
                    .map(|c| ClusterOut {
                        lab: lab_to_array(c.lab),
                        hex: lab_to_hex(c.lab),
                        weight: round(c.weight, 4),
                        class: c.class,
                    })
                    .collect(),
            }
        }),
        hair: a
            .hair
            .as_ref()
            .map(|t| role_out(t, a.hair_source.unwrap_or(PixelSource::Photos))),
        scalp: a.scalp.as_ref().map(|t| {
            let (ita, cat) = a.ita.unwrap_or((0.0, crate::color::SkinCategory::Brown));
            ScalpOut {
                tones: role_out(t, a.scalp_source.unwrap_or(PixelSource::Photos)),
                ita_deg: round(ita, 2),
                skin_category: cat,
                skin_reference: a.skin_reference.as_ref().and_then(|r| {
                    let da = r.scalp_delta_a?;
                    Some(SkinReferenceOut {
                        lab: arr(r.lab),
                        hex: lab_to_hex(r.lab),
                        pixels_sampled: r.pixels,
                        scalp_delta_a: round(da, 2),
                        scalp_red: r.red_excess().is_some(),
                        best_if_not_red: r.best_if_not_red.as_ref().map(|b| BestIfNotRedOut {
                            pigment_id: b.id.clone(),
                            name: b.name.clone(),
                            dilution: b.dilution,
                            changes_recommendation: b.changes_recommendation,
                        }),
                    })
                }),
            }
        }),
        stubble: a.stubble.map(|st| StubbleOut {
            lab: arr(st.lab),
            hex: lab_to_hex(st.lab),
            hair_area_fraction: st.hair_area_fraction.map(|f| round(f, 4)),
            source: st.source,
        }),
        calibration: ctx.calibration,
        catalog: ctx.catalog,
        model: m.as_ref().map(|m| ModelOut {
            params: m.params,
            score_weight_healed: rank::W_HEALED,
            score_weight_dot: rank::W_DOT,
            score_horizon_months: rank::SCORE_HORIZON_MONTHS,
            score_step_months: rank::SCORE_STEP_MONTHS,
            touch_up_delta_e00: f64::from(rank::TOUCH_UP_DE00),
            touch_up_horizon_months: rank::TOUCH_UP_HORIZON_MONTHS,
            dilution_steps: m.ranking.steps.clone(),
            blend_margin_de00: rank::BLEND_MARGIN_DE00,
            skin: super::SkinFitOut::new(m.skin),
            uncertainty_sources: m
                .ranking
                .uncertainty
                .sources
                .iter()
                .map(|s| SourceOut {
                    name: s.name,
                    low: r4(s.low),
                    high: r4(s.high),
                    basis: s.basis.into(),
                })
                .collect(),
        }),
        ranking: m.as_ref().map(|m| {
            let n = m.top.unwrap_or(usize::MAX);
            m.ranking
                .candidates
                .iter()
                .take(n)
                .enumerate()
                .map(|(i, c)| candidate_out(i + 1, c))
                .collect()
        }),
        blends: m.as_ref().map(|m| BlendsOut {
            considered: m.ranking.blends.considered,
            ranked: m.ranking.candidates.iter().filter(|c| c.is_blend()).count(),
            best: m.ranking.blends.best_id.clone(),
            best_gain_de00: m.ranking.blends.best_gain_de00.map(r3),
        }),
        confidence: m.as_ref().and_then(|m| {
            let c = &m.ranking.candidates;
            c.first().map(|best| ConfidenceOut {
                best: best.id.clone(),
                best_name: candidate_name(best),
                tied_with_best: c
                    .iter()
                    .filter(|x| x.tied_with_best)
                    .map(|x| x.id.clone())
                    .collect(),
                tied_with_best_names: c
                    .iter()
                    .filter(|x| x.tied_with_best)
                    .map(candidate_name)
                    .collect(),
                summary: rank::ties_summary(c),
            })
        }),
        plan: m
            .as_ref()
            .and_then(|m| m.plan.map(|p| plan_out(p, m.first_session))),
        warnings,
    }
}

fn r3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// `YYYY-MM-DD`.
pub fn iso_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Mean days per month of the Gregorian calendar (365.2425 / 12).
const DAYS_PER_MONTH: f64 = 30.436_875;

/// The plan's calendar from the first session's date: the last session's date and the
/// months (`YYYY-MM`) of the earliest, expected and latest touch-up.
fn plan_dates(p: &Plan, first: time::Date) -> PlanDatesOut {
    let after = |d: time::Date, days: f64| {
        d.checked_add(time::Duration::days(days.round() as i64))
            .unwrap_or(time::Date::MAX)
    };
    let last_week = p.sessions.last().map_or(0.0, |s| s.week);
    let last = after(first, 7.0 * last_week);
    let month = |m: Option<f64>| {
        m.map(|m| {
            let d = after(last, m * DAYS_PER_MONTH);
            format!("{:04}-{:02}", d.year(), u8::from(d.month()))
        })
    };
    PlanDatesOut {
        first_session: iso_date(first),
        last_session: iso_date(last),
        touch_up_earliest: month(p.touch_up_range_months.0),
        touch_up: month(p.touch_up_months),
        touch_up_latest: month(p.touch_up_range_months.1),
    }
}

fn plan_out(p: &Plan, first_session: Option<time::Date>) -> PlanOut {
    PlanOut {
        pigment_id: p.recommendation.clone(),
        sessions: p
            .sessions
            .iter()
            .map(|s| SessionOut {
                index: s.index,
                week: s.week,
                pigment_id: s.pigment_id.clone(),
                dilution: s.dilution,
                density_per_cm2: s.density_per_cm2,
                coverage: r4(s.coverage),
                lab: arr(s.predicted.area),
                hex: lab_to_hex(s.predicted.area),
                delta_e00: round(s.delta_e00, 2),
                dot_lab: arr(s.predicted.dot),
                delta_e00_dot: round(s.delta_e00_dot, 2),
                purpose: s.purpose,
            })
            .collect(),
        touch_up_months: p.touch_up_months,
        touch_up_months_earliest: p.touch_up_range_months.0,
        touch_up_months_latest: p.touch_up_range_months.1,
        dates: first_session.map(|d| plan_dates(p, d)),
        suggested_density_per_cm2: p.suggested_density_per_cm2,
        suggested_coverage: r4(p.suggested_coverage),
        suggested_delta_e00: round(p.suggested_delta_e00, 2),
        zones: p
            .zones
            .iter()
            .map(|z| ZoneOut {
                zone: z.name,
                density_per_cm2_front: z.density_per_cm2.0,
                density_per_cm2_back: z.density_per_cm2.1,
                dot_diameter_mm_front: z.dot_diameter_mm.0,
                dot_diameter_mm_back: z.dot_diameter_mm.1,
                width_mm: z.width_mm,
                how: z.how.to_string(),
            })
            .collect(),
    }
}

/// Human name of a candidate: the ink's name, or "70 % Name A + 30 % Name B".
pub fn candidate_name(c: &Candidate) -> String {
    if c.is_blend() {
        c.components
            .iter()
            .map(|x| format!("{:.0} % {}", 100.0 * x.share, x.pigment.name))
            .collect::<Vec<_>>()
            .join(" + ")
    } else {
        c.components
            .first()
            .map(|x| x.pigment.name.clone())
            .unwrap_or_default()
    }
}

fn candidate_out(rank: usize, c: &Candidate) -> CandidateOut {
    CandidateOut {
        rank,
        pigment_id: c.id.clone(),
        kind: if c.is_blend() {
            CandidateKind::Blend
        } else {
            CandidateKind::Single
        },
        name: candidate_name(c),
        components: c
            .components
            .iter()
            .map(|x| ComponentOut {
                pigment_id: x.pigment.id.clone(),
                name: x.pigment.name.clone(),
                share: r4(x.share),
                base: x.pigment.base,
                measurement_method: x.pigment.measurement.method,
                fading: x.fading,
                colorants: x
                    .constituents
                    .iter()
                    .map(|k| super::ColorantOut {
                        colorant: k.colorant,
                        share: r4(k.share),
                        fading: k.fading,
                    })
                    .collect(),
            })
            .collect(),
        dilution: c.dilution.step,
        dilution_optimum: c.dilution.optimum,
        score_at_optimum: c.dilution.optimum_score.map(r3),
        coverage: r4(c.coverage),
        score: r3(c.score),
        uncertainty: r3(c.uncertainty),
        tied_with_best: c.tied_with_best,
        delta_e00_dot: round(c.delta_e00_dot, 2),
        delta_e00_area: round(c.delta_e00_area, 2),
        healed_lab: arr(c.healed.dot),
        healed_hex: lab_to_hex(c.healed.dot),
        area_lab: arr(c.healed.area),
        area_hex: lab_to_hex(c.healed.area),
        touch_up_months: c.touch_up_months,
        timeline: c
            .timeline
            .iter()
            .map(|t| TimePointOut {
                month: t.month,
                lab: arr(t.look.dot),
                hex: lab_to_hex(t.look.dot),
                delta_e00: round(t.delta_e00_dot, 2),
                area_lab: arr(t.look.area),
                delta_e00_area: round(t.delta_e00_area, 2),
            })
            .collect(),
    }
}
