//! Output: the wire types of every JSON document (the contract, documented in
//! `docs/json.md`, schema in `docs/schema/output.schema.json`), kept apart from the domain
//! types; [`build`] assembles them from the pipeline's results, `text` renders them for a
//! terminal, [`visual`] draws the HTML and PNG reports.
//!
//! Changing any type here changes [`SCHEMA_VERSION`], the schema file and `docs/json.md`.

pub mod raster;
pub mod visual;

use serde::Serialize;

use crate::analysis::segment::ClusterClass;
use crate::analysis::tones::{Role, Trim};
use crate::error::Problem;
use crate::input::Region;
use crate::model::{Fading, ModelParams, Sun};

mod build;
mod text;

pub use build::*;
pub use text::*;

/// Version of the output format.
pub const SCHEMA_VERSION: u32 = 8;

/// The command that printed a document (its `command` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub enum Command {
    /// `analyze`.
    #[serde(rename = "analyze")]
    Analyze,
    /// `match`.
    #[serde(rename = "match")]
    Match,
    /// `calibrate`.
    #[serde(rename = "calibrate")]
    Calibrate,
    /// `delta-e`.
    #[serde(rename = "delta-e")]
    DeltaE,
    /// `predict`.
    #[serde(rename = "predict")]
    Predict,
    /// `preview`.
    #[serde(rename = "preview")]
    Preview,
    /// `catalog measure`.
    #[serde(rename = "catalog measure")]
    CatalogMeasure,
    /// `catalog fit-fading`.
    #[serde(rename = "catalog fit-fading")]
    CatalogFitFading,
    /// `catalog show`.
    #[serde(rename = "catalog show")]
    CatalogShow,
    /// `catalog diff`.
    #[serde(rename = "catalog diff")]
    CatalogDiff,
    /// `catalog validate`.
    #[serde(rename = "catalog validate")]
    CatalogValidate,
}

impl Command {
    /// The command as typed.
    pub fn name(self) -> &'static str {
        match self {
            Command::Analyze => "analyze",
            Command::Match => "match",
            Command::Calibrate => "calibrate",
            Command::DeltaE => "delta-e",
            Command::Predict => "predict",
            Command::Preview => "preview",
            Command::CatalogMeasure => "catalog measure",
            Command::CatalogFitFading => "catalog fit-fading",
            Command::CatalogShow => "catalog show",
            Command::CatalogDiff => "catalog diff",
            Command::CatalogValidate => "catalog validate",
        }
    }
}

/// The document printed by `analyze --json` and `match --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Output {
    /// Output format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// `analyze` or `match`.
    pub command: Command,
    /// Version of smpmatch that wrote this.
    pub smpmatch_version: String,
    /// The photos read, in command-line order.
    pub inputs: Vec<InputOut>,
    /// Settings that shaped the result.
    pub settings: SettingsOut,
    /// The automatic hair/scalp separation; null when roles were given by photos or regions.
    pub segmentation: Option<SegmentationOut>,
    /// Hair tones; null when no hair pixels were selected (analyze only).
    pub hair: Option<RoleOut>,
    /// Scalp tones, ITA and skin class; null when no scalp pixels were selected (analyze only).
    pub scalp: Option<ScalpOut>,
    /// The stubble look: the area average of the hair-bearing area; null without hair pixels.
    pub stubble: Option<StubbleOut>,
    /// The calibration profile applied (`--profile`), or null.
    pub calibration: Option<CalibrationOut>,
    /// `match` only: the catalog used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogOut>,
    /// `match` only: the model parameters used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelOut>,
    /// `match` only: recipes (single inks and qualifying blends) at their best dilution, best
    /// first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<CandidateOut>>,
    /// `match` only: the two-ink blend search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blends: Option<BlendsOut>,
    /// `match` only: how sure the ranking is, in plain words and as tied ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<ConfidenceOut>,
    /// `match` only: the treatment plan for the best recipe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanOut>,
    /// Plain-language warnings (for people; their wording may change between versions).
    pub warnings: Vec<crate::warning::Warning>,
}

/// One photo read.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InputOut {
    /// Path as given.
    pub path: String,
    /// `jpeg`, `png`, `tiff` or `webp`.
    pub format: String,
    /// Width after EXIF orientation.
    pub width: u32,
    /// Height after EXIF orientation.
    pub height: u32,
    /// Bits per channel: 8 or 16 (32 for float TIFF).
    pub bit_depth: u8,
    /// `grey`, `grey_alpha`, `rgb` or `rgba`.
    pub channels: String,
    /// EXIF orientation applied (`none`, `rotate90`, …).
    pub orientation: String,
    /// Colour space the pixels were read in: `srgb`.
    pub color_space: String,
    /// How the pixels came to be sRGB.
    pub color_space_source: crate::input::ColorSpaceSource,
    /// Bytes of embedded ICC profile, null if none.
    pub icc_profile_bytes: Option<usize>,
    /// The embedded profile's description, null if none.
    pub icc_profile_description: Option<String>,
    /// Roles this photo supplied.
    pub used_for: Vec<crate::analysis::PhotoUse>,
    /// Rectangles read, empty when the whole photo was read.
    pub regions: Vec<RegionOut>,
    /// Rectangles left out of the automatic separation (`--exclude-region`); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_regions: Vec<crate::input::Region>,
    /// Pixels sampled (all roles).
    pub pixels_sampled: usize,
    /// Sampled pixels skipped because fully transparent.
    pub pixels_transparent: usize,
}

/// A rectangle and its role.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RegionOut {
    /// `hair` or `scalp`.
    pub role: Role,
    /// The rectangle.
    #[serde(flatten)]
    pub region: Region,
}

/// Settings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SettingsOut {
    /// `auto` or the fixed k.
    pub k: String,
    /// k-means seed.
    pub seed: u64,
    /// Cap on sampled pixels per photo or region.
    pub max_samples: usize,
    /// `match` only: sun exposure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sun: Option<Sun>,
    /// `match` only: timeline months.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<f64>>,
    /// `match` only: dot size and density of the finished treatment, and their coverage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dots: Option<DotsOut>,
    /// `match` only: number of sessions planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<usize>,
    /// `match` only: weeks between sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_spacing_weeks: Option<f64>,
    /// `match` only: whether two-ink blends were searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blends: Option<bool>,
}

/// Dot size, density and area coverage.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DotsOut {
    /// Healed dot diameter, mm.
    pub diameter_mm: f64,
    /// Dots per cm².
    pub density_per_cm2: f64,
    /// Share of the area covered: 1 − exp(−density · π d² / 4).
    pub coverage: f64,
}

/// The stubble look.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StubbleOut {
    /// Area average [L*, a*, b*] (linear-light mean).
    pub lab: [f64; 3],
    /// sRGB hex.
    pub hex: String,
    /// Share of hair among hair and scalp pixels (automatic separation; else null).
    pub hair_area_fraction: Option<f64>,
    /// How it was measured.
    pub source: crate::analysis::StubbleSource,
}

/// The automatic separation.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SegmentationOut {
    /// Always `auto` (roles from photos or regions leave `segmentation` null).
    pub method: String,
    /// 0 (no separation) to 1 (clear); below 0.6 a warning explains why.
    pub confidence: f64,
    /// Share of sampled pixels classified as neither hair nor scalp.
    pub other_fraction: f64,
    /// The colour clusters and their class, heaviest first.
    pub clusters: Vec<ClusterOut>,
}

/// One separation cluster.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ClusterOut {
    /// Centroid [L*, a*, b*].
    pub lab: [f64; 3],
    /// sRGB hex.
    pub hex: String,
    /// Share of the photo's sampled pixels.
    pub weight: f64,
    /// `hair`, `scalp` or `other`.
    pub class: ClusterClass,
}

/// One dominant tone.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ToneOut {
    /// CIELAB (D65, 2°) [L*, a*, b*], 2 decimals.
    pub lab: [f64; 3],
    /// Share of the role's kept pixels; the tones' weights sum to 1 (±5e-4 after rounding).
    pub weight: f64,
    /// sRGB `#rrggbb`, clamped to the gamut.
    pub hex: String,
    /// RMS ΔE00 of the tone's pixels to it.
    pub spread_de00: f64,
}

/// The tones of one role.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RoleOut {
    /// How the pixels were selected.
    pub source: crate::analysis::PixelSource,
    /// Pixels sampled for this role.
    pub pixels_sampled: usize,
    /// Pixels dropped by the L* trim (shadows, highlights) and the fences used.
    pub pixels_trimmed: Trim,
    /// k of the k-means fit, before merging close tones.
    pub k_fit: usize,
    /// Tones, heaviest first.
    pub tones: Vec<ToneOut>,
    /// The representative tone [L*, a*, b*].
    pub target_lab: [f64; 3],
    /// sRGB hex of the target.
    pub target_hex: String,
    /// RMS ΔE00 spread of the pixels behind the target.
    pub target_spread_de00: f64,
}

/// The scalp: tones, ITA, class.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScalpOut {
    /// Tones, as for hair.
    #[serde(flatten)]
    pub tones: RoleOut,
    /// Individual Typology Angle of the scalp target, degrees.
    pub ita_deg: f64,
    /// ITA class: `very_light`, `light`, `intermediate`, `tan`, `brown`, `dark`.
    pub skin_category: crate::color::SkinCategory,
    /// The untreated skin given with `--skin-reference-region`; absent when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skin_reference: Option<SkinReferenceOut>,
}

/// The person's untreated skin in the same photo, against which a red scalp is judged.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SkinReferenceOut {
    /// Mean colour [L*, a*, b*] (linear-light mean inside the Tukey fences on L*).
    pub lab: [f64; 3],
    /// sRGB hex.
    pub hex: String,
    /// Pixels sampled.
    pub pixels_sampled: usize,
    /// Scalp target a* minus the reference's a*.
    pub scalp_delta_a: f64,
    /// Whether the scalp is red: `scalp_delta_a` above 2.5 (a just-visible erythema).
    pub scalp_red: bool,
    /// `match` only, when the scalp is red: the best recipe with the scalp at the
    /// reference's redness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_if_not_red: Option<BestIfNotRedOut>,
}

/// The ranking's answer for a red scalp brought to its reference's redness.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BestIfNotRedOut {
    /// Recipe id.
    pub pigment_id: String,
    /// Display name.
    pub name: String,
    /// Parts diluent per part ink.
    pub dilution: f64,
    /// Whether recipe or dilution differ from the recommendation (`ranking[0]`).
    pub changes_recommendation: bool,
}

/// The calibration profile applied to the photos.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CalibrationOut {
    /// Profile path as given.
    pub profile: String,
    /// Correction model.
    pub model: crate::calibration::Model,
    /// Card reference set.
    pub reference_set: crate::calibration::ReferenceSet,
    /// Mean leave-one-out ΔE00 of the card fit (used as the photo-colour uncertainty).
    pub held_out_mean_de00: f64,
    /// Mean ΔE00 of the card after correction.
    pub after_mean_de00: f64,
    /// The card photo the profile was made from.
    pub source_photo: String,
}

/// The catalog used.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CatalogOut {
    /// Path as given.
    pub path: String,
    /// Catalog name, if any.
    pub name: Option<String>,
    /// Number of pigments.
    pub pigments: usize,
}

/// Model parameters and rules.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ModelOut {
    /// Global optical parameters.
    pub params: ModelParams,
    /// Weight of the healed ΔE00 in each scale's score.
    pub score_weight_healed: f64,
    /// Weight of the dot scale in the score (the area scale gets the rest).
    pub score_weight_dot: f64,
    /// Months averaged by the score.
    pub score_horizon_months: f64,
    /// Simpson step of the time average, months.
    pub score_step_months: f64,
    /// Drift ΔE00 that calls for a touch-up.
    pub touch_up_delta_e00: f64,
    /// Longest touch-up horizon, months.
    pub touch_up_horizon_months: f64,
    /// Dilution steps used (the catalog's, or the default chart).
    pub dilution_steps: Vec<f64>,
    /// A blend must beat the best single ink's score by this much to be ranked.
    pub blend_margin_de00: f64,
    /// Sources of uncertainty and the ranges tried.
    pub uncertainty_sources: Vec<SourceOut>,
    /// The patient's skin in the model: chromophores fitted to the scalp target.
    pub skin: SkinFitOut,
}

/// The skin model fitted to the scalp target (docs/model.md § 5).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SkinFitOut {
    /// Melanosome volume fraction of the epidermis.
    pub melanin: f64,
    /// Blood volume fraction of the dermis.
    pub blood: f64,
    /// Scale on the dermis' reduced scattering (1 = Jacques 2013).
    pub scattering: f64,
    /// Share of the surface reflection the photo sees (1 = all of it, the default; fitted
    /// between 0.5 and 1 when the chromophores alone cannot reproduce the scalp within 0.5
    /// ΔE00: the darkest skins, docs/model.md § 5).
    pub gloss_seen: f64,
    /// CIELAB of the model's skin (the fit's result).
    pub fitted_lab: [f64; 3],
    /// ΔE00 between the model's skin and the scalp target (the ranking adds the difference
    /// back, so a pigment-free dot is the measured scalp).
    pub fit_delta_e00: f64,
    /// Whether each value lies in its published range (`melanin` 0.013–0.43, `blood`
    /// 0.001–0.05, `scattering` 0.5–1.5).
    pub in_published_range: SkinRangesOut,
}

/// Whether each fitted chromophore lies in its published range.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SkinRangesOut {
    /// Melanin.
    pub melanin: bool,
    /// Blood.
    pub blood: bool,
    /// Scattering.
    pub scattering: bool,
}

impl SkinFitOut {
    /// From the fitted skin.
    pub fn new(s: &crate::model::skin::SkinOptics) -> SkinFitOut {
        let c = s.chromophores;
        let r = |x: f64, d: i32| (x * 10f64.powi(d)).round() / 10f64.powi(d);
        let [m, b, sc] = s.in_published_ranges();
        SkinFitOut {
            melanin: r(c.melanin, 4),
            blood: r(c.blood, 4),
            scattering: r(c.scattering, 3),
            gloss_seen: r(s.constants.gloss_seen, 3),
            fitted_lab: crate::color::lab_to_array(s.fitted).map(|v| r(v, 2)),
            fit_delta_e00: r(f64::from(s.fit_error()), 2),
            in_published_range: SkinRangesOut {
                melanin: m,
                blood: b,
                scattering: sc,
            },
        }
    }
}

/// One source of uncertainty.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SourceOut {
    /// What is varied.
    pub name: crate::rank::SourceName,
    /// Low end tried.
    pub low: f64,
    /// High end tried.
    pub high: f64,
    /// Where the range comes from.
    pub basis: String,
}

/// The blend search.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BlendsOut {
    /// Blend recipes scored (pairs × share steps).
    pub considered: usize,
    /// Blends in the ranking.
    pub ranked: usize,
    /// The best blend found, e.g. `60 % dark-brown + 40 % carbon-black`; null if none.
    pub best: Option<String>,
    /// Its score minus the best single ink's score (negative: better).
    pub best_gain_de00: Option<f64>,
}

/// Confidence in the ranking.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConfidenceOut {
    /// Id of the best recipe.
    pub best: String,
    /// Its name, for people.
    pub best_name: String,
    /// Ids tied with the best (score gap within the uncertainty of the difference).
    pub tied_with_best: Vec<String>,
    /// Their names, in the same order.
    pub tied_with_best_names: Vec<String>,
    /// Plain-language summary (wording may change between versions).
    pub summary: String,
}

/// The treatment plan.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanOut {
    /// Recipe id planned (the best).
    pub pigment_id: String,
    /// Sessions in order.
    pub sessions: Vec<SessionOut>,
    /// Months after the last session has healed until a touch-up is due, under the chosen
    /// sun exposure; null if not within the horizon.
    pub touch_up_months: Option<f64>,
    /// The same with the ageing at the fast end of its uncertainty (every half-life −30 %,
    /// every plateau −50 %): the earliest a touch-up is likely due; null if not within the
    /// horizon.
    pub touch_up_months_earliest: Option<f64>,
    /// The same at the slow end (half-lives +30 %, plateaus +50 %): the latest.
    pub touch_up_months_latest: Option<f64>,
    /// The plan on the calendar, when the first session's date is given (`--date`); null
    /// otherwise, so that the document depends on its inputs only.
    pub dates: Option<PlanDatesOut>,
    /// Density that best reproduces the stubble look with this recipe, dots per cm².
    pub suggested_density_per_cm2: f64,
    /// Coverage at that density.
    pub suggested_coverage: f64,
    /// ΔE00 of the area look to the stubble look at that density.
    pub suggested_delta_e00: f64,
    /// The plan per zone: hairline, mid-scalp, crown.
    pub zones: Vec<ZoneOut>,
}

/// How one zone of the treated area is worked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ZoneOut {
    /// `hairline`, `mid_scalp` or `crown`.
    pub zone: crate::plan::ZoneName,
    /// Dots per cm² at the zone's front edge (the hairline itself, for the hairline).
    pub density_per_cm2_front: f64,
    /// Dots per cm² at its back (the recommended density).
    pub density_per_cm2_back: f64,
    /// Healed dot diameter at the front, mm.
    pub dot_diameter_mm_front: f64,
    /// Healed dot diameter at the back, mm.
    pub dot_diameter_mm_back: f64,
    /// Depth of the graded band from the front edge, mm; null for a zone worked evenly.
    pub width_mm: Option<f64>,
    /// What to do there, in words.
    pub how: String,
}

/// The plan on the calendar.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanDatesOut {
    /// Date of the first session (`YYYY-MM-DD`, as given).
    pub first_session: String,
    /// Date of the last session (`YYYY-MM-DD`).
    pub last_session: String,
    /// Month (`YYYY-MM`) of the earliest likely touch-up; null if not within the horizon.
    pub touch_up_earliest: Option<String>,
    /// Month of the expected touch-up (`touch_up_months` after the last session).
    pub touch_up: Option<String>,
    /// Month of the latest likely touch-up; null if not within the horizon.
    pub touch_up_latest: Option<String>,
}

/// One session.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SessionOut {
    /// 1-based.
    pub index: usize,
    /// Week, counted from the first session.
    pub week: f64,
    /// Recipe applied.
    pub pigment_id: String,
    /// Parts diluent per part ink.
    pub dilution: f64,
    /// Dots per cm² in place after the session.
    pub density_per_cm2: f64,
    /// Area coverage after the session.
    pub coverage: f64,
    /// Predicted area look once healed [L*, a*, b*].
    pub lab: [f64; 3],
    /// sRGB hex of `lab`.
    pub hex: String,
    /// ΔE00 of `lab` to the stubble look.
    pub delta_e00: f64,
    /// Predicted dot once healed.
    pub dot_lab: [f64; 3],
    /// ΔE00 of the dot to the hair target.
    pub delta_e00_dot: f64,
    /// What the session is for.
    pub purpose: crate::plan::Purpose,
}

/// What a candidate is (`ranking[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CandidateKind {
    /// One ink.
    Single,
    /// Two inks mixed.
    Blend,
}

/// A ranked recipe: one ink, or a blend of two, at its best dilution.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CandidateOut {
    /// 1 = best.
    pub rank: usize,
    /// Catalog id, or `a+b` for a blend.
    pub pigment_id: String,
    /// One ink, or a blend of two.
    pub kind: CandidateKind,
    /// Name shown to people (a blend: shares and names).
    pub name: String,
    /// The inks and their shares of the ink mix.
    pub components: Vec<ComponentOut>,
    /// Dilution to use: the best of the clinic's steps (parts diluent per part ink).
    pub dilution: f64,
    /// Continuous optimum of the dilution; null for catalog entries with a fixed dilution.
    pub dilution_optimum: Option<f64>,
    /// Score at the continuous optimum; null like `dilution_optimum`.
    pub score_at_optimum: Option<f64>,
    /// Area coverage of the dots.
    pub coverage: f64,
    /// Score at `dilution`: lower is better, in ΔE00 (see docs/model.md).
    pub score: f64,
    /// 1σ uncertainty of the score, ΔE00.
    pub uncertainty: f64,
    /// True when this score lies within the uncertainty of the best score.
    pub tied_with_best: bool,
    /// ΔE00 of the healed dot to the hair target (close up).
    pub delta_e00_dot: f64,
    /// ΔE00 of the healed area average to the stubble look (at a distance).
    pub delta_e00_area: f64,
    /// Predicted healed dot [L*, a*, b*].
    pub healed_lab: [f64; 3],
    /// sRGB hex of the healed dot.
    pub healed_hex: String,
    /// Predicted healed area average [L*, a*, b*].
    pub area_lab: [f64; 3],
    /// sRGB hex of the area average.
    pub area_hex: String,
    /// Months until the dot drifts past the touch-up threshold; null if not within the
    /// horizon.
    pub touch_up_months: Option<f64>,
    /// Predicted look over time.
    pub timeline: Vec<TimePointOut>,
}

/// One ink of a recipe.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ComponentOut {
    /// Catalog id.
    pub pigment_id: String,
    /// Catalog name.
    pub name: String,
    /// Share of the ink mix.
    pub share: f64,
    /// `carbon`, `iron_oxide` or `other`.
    pub base: crate::catalog::Base,
    /// How the catalog colour was obtained (`illustrative` values are not measurements).
    pub measurement_method: crate::catalog::Method,
    /// Fading parameters used (of a single-colorant ink; a composite's are per colorant).
    pub fading: Fading,
    /// The colorants the model used, with their shares and fading; `colorant` is null for a
    /// pigment known only by its masstone or a healed swatch.
    pub colorants: Vec<ColorantOut>,
}

/// One colorant of an ink in the model.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ColorantOut {
    /// The colorant, if known.
    pub colorant: Option<crate::model::Colorant>,
    /// Share of the ink's pigment.
    pub share: f64,
    /// How it fades.
    pub fading: Fading,
}

/// One timeline point.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TimePointOut {
    /// Months since healing.
    pub month: f64,
    /// Predicted dot [L*, a*, b*].
    pub lab: [f64; 3],
    /// sRGB hex of the dot.
    pub hex: String,
    /// ΔE00 of the dot to the hair target.
    pub delta_e00: f64,
    /// Predicted area average [L*, a*, b*].
    pub area_lab: [f64; 3],
    /// ΔE00 of the area average to the stubble look.
    pub delta_e00_area: f64,
}

/// `calibrate --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CalibrateOut {
    /// Output format version.
    pub schema_version: u32,
    /// `calibrate`.
    pub command: Command,
    /// Where the profile was written (`--out`), or null.
    pub written_to: Option<String>,
    /// Patch-like regions the automatic search placed on the grid (0 with `--corners`).
    pub regions_found: usize,
    /// The profile (the same document `--out` writes).
    pub profile: crate::calibration::Profile,
}

/// One swatch measured by `catalog measure`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MeasuredOut {
    /// Pigment id.
    pub pigment_id: String,
    /// True for a tint (written as the pigment's `tint.lab`, the masstone kept).
    pub tint: bool,
    /// New catalog colour [L*, a*, b*].
    pub lab: [f64; 3],
    /// Colour it replaced (null for a pigment's first tint).
    pub previous_lab: Option<[f64; 3]>,
    /// ΔE00 between old and new (null with no previous colour).
    pub change_de00: Option<f64>,
    /// RMS ΔE00 of the swatch's pixels: high means the rectangle is not flat.
    pub spread_de00: f64,
    /// Pixels read.
    pub pixels: usize,
}

/// `catalog measure --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MeasureOut {
    /// Output format version.
    pub schema_version: u32,
    /// `catalog measure`.
    pub command: Command,
    /// Catalog path.
    pub catalog: String,
    /// False with `--dry-run`.
    pub written: bool,
    /// Backup of the previous catalog, if one was made.
    pub backup: Option<String>,
    /// The swatches.
    pub measured: Vec<MeasuredOut>,
    /// Plain-language warnings.
    pub warnings: Vec<crate::warning::Warning>,
}

/// `catalog fit-fading --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FitFadingOut {
    /// Output format version.
    pub schema_version: u32,
    /// `catalog fit-fading`.
    pub command: Command,
    /// Catalog path.
    pub catalog: String,
    /// False with `--dry-run`.
    pub written: bool,
    /// Backup of the previous catalog, if one was made.
    pub backup: Option<String>,
    /// Pigments fitted.
    pub fits: Vec<crate::catalog::fit::FadingFit>,
    /// Pigments not fitted, and why.
    pub refusals: Vec<crate::catalog::fit::Refusal>,
    /// The catalog-wide ageing estimates (healed depth, migration, spread), each with
    /// whether it was written into the catalog's `model` section.
    pub ageing: Vec<crate::catalog::fit::AgeingFit>,
}

/// `catalog show --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CatalogShowOut {
    /// Output format version.
    pub schema_version: u32,
    /// `catalog show`.
    pub command: Command,
    /// Catalog path.
    pub path: String,
    /// The catalog as read.
    pub catalog: crate::catalog::Catalog,
}

/// `catalog diff --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CatalogDiffOut {
    /// Output format version.
    pub schema_version: u32,
    /// `catalog diff`.
    pub command: Command,
    /// Old catalog.
    pub a: String,
    /// New catalog.
    pub b: String,
    /// Differences, empty when the pigments are identical.
    pub changes: Vec<crate::catalog::diff::Change>,
}

/// `delta-e --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeltaEOut {
    /// Output format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// `delta-e`.
    pub command: Command,
    /// First colour, as given on the command line (not rounded).
    pub lab1: [f64; 3],
    /// Second colour, as given (not rounded).
    pub lab2: [f64; 3],
    /// CIEDE2000, 4 decimals.
    pub delta_e00: f64,
}

/// `preview --json`: what the consultation preview drew.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PreviewOut {
    /// Output format version.
    pub schema_version: u32,
    /// `preview`.
    pub command: Command,
    /// The patient's photo, as given.
    pub photo: String,
    /// Where the preview was written (PNG).
    pub written_to: String,
    /// The ink drawn (the best of the ranking unless `--ink`).
    pub pigment_id: String,
    /// Its name.
    pub name: String,
    /// Parts diluent per part ink (its best clinic step).
    pub dilution: f64,
    /// Dots per cm² drawn (the plan's recommended density unless `--density`).
    pub density_per_cm2: f64,
    /// Months after healing shown.
    pub month: f64,
    /// Dot diameter drawn, mm (the healed diameter, spread by `month`).
    pub dot_diameter_mm: f64,
    /// Photo scale, pixels per mm.
    pub px_per_mm: f64,
    /// `given` (`--scale`), `card` (`--card-pitch`: read from the ColorChecker in the photo)
    /// or `estimated` (the photo's longer side taken as 200 mm).
    pub scale_source: String,
    /// The treated area: `[x, y, w, h]` in pixels, or null for a mask.
    pub region: Option<[u32; 4]>,
    /// Where the treated area came from: `region`, `mask`, or `found` (where the scalp shows
    /// through the hair, with the warning `area_found`).
    pub area_source: String,
    /// Treated area, mm².
    pub area_mm2: f64,
    /// Dots drawn.
    pub dots: usize,
    /// Dots drawn per cm² of the treated area (check against `density_per_cm2`).
    pub dots_per_cm2_drawn: f64,
    /// The model's dot colour on the scalp target, [L*, a*, b*] (a dot's centre on skin of
    /// the target colour is drawn this colour).
    pub dot_lab: [f64; 3],
    /// The scalp target the dot colour is relative to.
    pub scalp_lab: [f64; 3],
    /// Pixels changed.
    pub pixels_changed: usize,
    /// Pixels under dots left alone because they read as hair.
    pub hair_pixels_kept: usize,
    /// With `--hairline`: the width of the graded zone behind it, mm; null without.
    pub hairline_zone_mm: Option<f64>,
    /// Dots drawn in that zone (sparser and smaller toward the line).
    pub dots_in_hairline_zone: usize,
    /// With `--crown`: the radius of the whorl drawn around it, mm; null without.
    pub crown_radius_mm: Option<f64>,
    /// Dots drawn within that radius.
    pub dots_in_crown: usize,
    /// Warnings: the match's, and the scale's when estimated.
    pub warnings: Vec<crate::warning::Warning>,
}

/// `predict --json`: one ink's predicted dot in one skin over time.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PredictOut {
    /// Output format version.
    pub schema_version: u32,
    /// `predict`.
    pub command: Command,
    /// Catalog path, as given.
    pub catalog: String,
    /// The ink's catalog id.
    pub pigment_id: String,
    /// The ink's name.
    pub name: String,
    /// What the model used for it.
    pub colorants: Vec<ColorantOut>,
    /// The skin given, [L*, a*, b*].
    pub skin_lab: [f64; 3],
    /// The skin model fitted to it.
    pub skin: SkinFitOut,
    /// Parts diluent per part ink.
    pub dilution: f64,
    /// Sun exposure.
    pub sun: crate::model::Sun,
    /// Model parameters (with the depth used).
    pub params: ModelParams,
    /// The dot at each month asked for.
    pub timeline: Vec<PredictPointOut>,
}

/// One month of a prediction.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PredictPointOut {
    /// Months after healing.
    pub month: f64,
    /// The dot, [L*, a*, b*].
    pub lab: [f64; 3],
    /// sRGB hex of the dot.
    pub hex: String,
    /// C*ab of the dot.
    pub chroma: f64,
    /// h_ab of the dot, degrees.
    pub hue_deg: f64,
    /// The dot's cast [Δa*, Δb*]: its a*, b* minus those of a spectrally neutral darkening of
    /// the skin to the same L* (negative b*: blue; negative a*: green).
    pub cast: [f64; 2],
    /// Depth of the pigment band then, mm.
    pub depth_mm: f64,
    /// Share of the healed pigment left (by mass, all colorants).
    pub pigment_left: f64,
    /// ΔE00 to the healed dot.
    pub delta_e00_to_healed: f64,
    /// ΔE00 to the skin.
    pub delta_e00_to_skin: f64,
}

/// `catalog validate --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ValidateOut {
    /// Output format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// `catalog validate`.
    pub command: Command,
    /// Catalog path.
    pub path: String,
    /// True when no problem was found.
    pub valid: bool,
    /// Number of pigments (when the file parsed).
    pub pigments: Option<usize>,
    /// Every problem, with its JSON Pointer path.
    pub problems: Vec<Problem>,
}

/// The error object printed on stderr with `--json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ErrorOut {
    /// The error.
    pub error: ErrorBody,
}

/// Error details.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// `usage`, `input`, `catalog`, `analysis` or `internal`.
    pub kind: crate::error::ErrorKind,
    /// Human-readable message.
    pub message: String,
    /// The file concerned, or null.
    pub path: Option<String>,
    /// The process exit code.
    pub exit_code: i32,
    /// Catalog problems (kind `catalog`), else empty.
    pub problems: Vec<Problem>,
}

impl ErrorBody {
    /// The error object of `e`: the same for the command line, `batch` and the web page.
    pub fn of(e: &crate::Error) -> ErrorBody {
        let problems = match e {
            crate::Error::Catalog { problems, .. } => problems.clone(),
            _ => Vec::new(),
        };
        ErrorBody {
            kind: e.kind(),
            message: e.to_string(),
            path: e.path().map(|p| p.display().to_string()),
            exit_code: e.exit_code(),
            problems,
        }
    }
}
