//! Output: the JSON document types (the contract, documented in `docs/json.md`, schema in
//! `docs/schema/output.schema.json`) and the terminal rendering.
//!
//! Changing any type here changes [`SCHEMA_VERSION`], the schema file and `docs/json.md`.

pub mod visual;

use serde::Serialize;

use crate::analysis::segment::ClusterClass;
use crate::analysis::tones::{Role, RoleTones, Trim};
use crate::analysis::Analysis;
use crate::color::{lab_to_array, lab_to_hex, lab_to_srgb8, round, Lab};
use crate::error::Problem;
use crate::input::Region;
use crate::model::{Fading, ModelParams, Sun};
use crate::plan::Plan;
use crate::rank::{self, Candidate, Ranking};

/// Version of the output format.
pub const SCHEMA_VERSION: u32 = 2;

/// The document printed by `analyze --json` and `match --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Output {
    /// Output format version (2).
    pub schema_version: u32,
    /// `analyze` or `match`.
    pub command: String,
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
    pub warnings: Vec<String>,
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
    /// `assumed` (no profile), `icc_converted` (converted from the embedded profile to
    /// sRGB), `icc_srgb` (the embedded profile is sRGB), `png_chunks_converted` /
    /// `png_chunks_srgb` (PNG cHRM/gAMA chunks) or `assumed_icc_profile_unusable`.
    pub color_space_source: String,
    /// Bytes of embedded ICC profile, null if none.
    pub icc_profile_bytes: Option<usize>,
    /// The embedded profile's description, null if none.
    pub icc_profile_description: Option<String>,
    /// Roles this photo supplied: `hair`, `scalp`, or `auto`.
    pub used_for: Vec<String>,
    /// Rectangles read, empty when the whole photo was read.
    pub regions: Vec<RegionOut>,
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
    /// `auto` or `hair_pixels` (the mean of every hair pixel given).
    pub source: String,
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
    /// How the pixels were selected: `photos`, `regions`, `mixed` or `auto`.
    pub source: String,
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
}

/// The calibration profile applied to the photos.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CalibrationOut {
    /// Profile path as given.
    pub profile: String,
    /// Correction model.
    pub model: crate::calibration::Model,
    /// Card reference set.
    pub reference_set: crate::calibration::chart::ReferenceSet,
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
}

/// One source of uncertainty.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SourceOut {
    /// Parameter.
    pub name: String,
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
    /// Ids tied with the best (score gap within the uncertainty of the difference).
    pub tied_with_best: Vec<String>,
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
    /// Density that best reproduces the stubble look with this recipe, dots per cm².
    pub suggested_density_per_cm2: f64,
    /// Coverage at that density.
    pub suggested_coverage: f64,
    /// ΔE00 of the area look to the stubble look at that density.
    pub suggested_delta_e00: f64,
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
    pub purpose: String,
}

/// A ranked recipe: one ink, or a blend of two, at its best dilution.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CandidateOut {
    /// 1 = best.
    pub rank: usize,
    /// Catalog id, or `a+b` for a blend.
    pub pigment_id: String,
    /// `single` or `blend`.
    pub kind: String,
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
    /// Fading parameters used.
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
    pub command: String,
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
    /// New catalog colour [L*, a*, b*].
    pub lab: [f64; 3],
    /// Colour it replaced.
    pub previous_lab: [f64; 3],
    /// ΔE00 between old and new.
    pub change_de00: f64,
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
    pub command: String,
    /// Catalog path.
    pub catalog: String,
    /// False with `--dry-run`.
    pub written: bool,
    /// Backup of the previous catalog, if one was made.
    pub backup: Option<String>,
    /// The swatches.
    pub measured: Vec<MeasuredOut>,
    /// Plain-language warnings.
    pub warnings: Vec<String>,
}

/// `catalog fit-fading --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FitFadingOut {
    /// Output format version.
    pub schema_version: u32,
    /// `catalog fit-fading`.
    pub command: String,
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
}

impl MeasureOut {
    /// The document for what [`crate::catalog::measure::measure`] did to `catalog`.
    pub fn new(catalog: &std::path::Path, m: crate::catalog::measure::Measured) -> MeasureOut {
        MeasureOut {
            schema_version: SCHEMA_VERSION,
            command: "catalog measure".into(),
            catalog: catalog.display().to_string(),
            written: m.written,
            backup: m.backup.map(|b| b.display().to_string()),
            measured: m
                .swatches
                .into_iter()
                .map(|s| MeasuredOut {
                    pigment_id: s.pigment_id,
                    lab: s.lab,
                    previous_lab: s.previous_lab,
                    change_de00: round(s.change_de00, 2),
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
            command: "catalog fit-fading".into(),
            catalog: catalog.display().to_string(),
            written: f.written,
            backup: f.backup.map(|b| b.display().to_string()),
            fits: f.fits,
            refusals: f.refusals,
        }
    }
}

/// `catalog show --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CatalogShowOut {
    /// Output format version.
    pub schema_version: u32,
    /// `catalog show`.
    pub command: String,
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
    pub command: String,
    /// Old catalog.
    pub a: String,
    /// New catalog.
    pub b: String,
    /// Differences, empty when the pigments are identical.
    pub changes: Vec<crate::catalog::diff::Change>,
}

/// Human output of `catalog show`.
pub fn render_catalog(path: &str, cat: &crate::catalog::Catalog, color: bool) -> String {
    use std::fmt::Write;
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
        "\n  id                     swatch     L*     a*     b*     base        T½ (mo)    sun s  method             history"
    );
    for p in &cat.pigments {
        let f = p.fading();
        let method = serde_json::to_value(p.measurement.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<22} {:<10} {:>6.1} {:>6.1} {:>6.1}    {:<10} {:>8.1} {:>8.2}  {:<18} {}",
            p.id.chars().take(22).collect::<String>(),
            swatch(p.lab(), color),
            p.lab[0],
            p.lab[1],
            p.lab[2],
            p.base.name(),
            f.half_life_months,
            f.sun_sensitivity,
            method,
            p.history.len()
        );
    }
    s
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
            c.kind,
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
        "\n   # patch                    reference L* a* b*        ΔE00 before  after  held out"
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
            "{:>4} {:<24} {:>6.1} {:>6.1} {:>6.1}   {:>10.2} {:>6.2} {:>9}{flag}",
            r.index,
            r.name.chars().take(24).collect::<String>(),
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
        let _ = writeln!(
            s,
            "{:<20} L*{:6.2} a*{:6.2} b*{:6.2}  (was L*{:6.2} a*{:6.2} b*{:6.2}; ΔE00 {:.2}; spread {:.2}, {} px)",
            m.pigment_id,
            m.lab[0],
            m.lab[1],
            m.lab[2],
            m.previous_lab[0],
            m.previous_lab[1],
            m.previous_lab[2],
            m.change_de00,
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
        let _ = writeln!(
            s,
            "{:<20} half-life {:6.1} months, 95 % interval {:.1}–{} ({} follow-ups, sun sensitivity {}, model fit {:.2} ΔE00)",
            f.pigment_id,
            f.half_life_months,
            f.ci95_months.0,
            f.ci95_months.1.map_or("unbounded".to_string(), |v| format!("{v:.1}")),
            f.points,
            f.sun_sensitivity,
            f.inversion_rms_de00
        );
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

/// `delta-e --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeltaEOut {
    /// Output format version (2).
    pub schema_version: u32,
    /// `delta-e`.
    pub command: String,
    /// First colour.
    pub lab1: [f64; 3],
    /// Second colour.
    pub lab2: [f64; 3],
    /// CIEDE2000, 4 decimals.
    pub delta_e00: f64,
}

/// `catalog validate --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ValidateOut {
    /// Output format version (2).
    pub schema_version: u32,
    /// `catalog validate`.
    pub command: String,
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
    pub kind: String,
    /// Human-readable message.
    pub message: String,
    /// The file concerned, or null.
    pub path: Option<String>,
    /// The process exit code.
    pub exit_code: i32,
    /// Catalog problems (kind `catalog`), else empty.
    pub problems: Vec<Problem>,
}

fn tone_out(lab: Lab, weight: f32, spread: f32) -> ToneOut {
    ToneOut {
        lab: lab_to_array(lab),
        weight: round(weight, 4),
        hex: lab_to_hex(lab),
        spread_de00: round(spread, 2),
    }
}

fn role_out(t: &RoleTones, source: &str) -> RoleOut {
    RoleOut {
        source: source.to_string(),
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
    /// Candidates to print (None: all).
    pub top: Option<usize>,
}

/// Settings for [`build`].
#[derive(Debug, Clone)]
pub struct BuildContext<'a> {
    /// `analyze` or `match`.
    pub command: &'a str,
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
pub fn build(a: &Analysis, m: Option<MatchResult<'_>>, ctx: BuildContext<'_>) -> Output {
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
            warnings.push(
                "the catalog holds illustrative (not measured) colours; calibrate it before \
                 relying on the ranking"
                    .into(),
            );
        }
    }
    Output {
        schema_version: SCHEMA_VERSION,
        command: ctx.command.to_string(),
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
                color_space_source: u.info.color_space_source.clone(),
                icc_profile_bytes: u.info.icc_profile_bytes,
                icc_profile_description: u.info.icc_profile_description.clone(),
                used_for: u.used_for.clone(),
                regions: u
                    .regions
                    .iter()
                    .map(|&(role, region)| RegionOut { role, region })
                    .collect(),
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
            .map(|t| role_out(t, a.hair_source.unwrap_or("photos"))),
        scalp: a.scalp.as_ref().map(|t| {
            let (ita, cat) = a.ita.unwrap_or((0.0, crate::color::SkinCategory::Brown));
            ScalpOut {
                tones: role_out(t, a.scalp_source.unwrap_or("photos")),
                ita_deg: round(ita, 2),
                skin_category: cat,
            }
        }),
        stubble: a.stubble.map(|st| StubbleOut {
            lab: arr(st.lab),
            hex: lab_to_hex(st.lab),
            hair_area_fraction: st.hair_area_fraction.map(|f| round(f, 4)),
            source: st.source.into(),
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
            uncertainty_sources: m
                .ranking
                .uncertainty
                .sources
                .iter()
                .map(|s| SourceOut {
                    name: s.name.into(),
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
                tied_with_best: c
                    .iter()
                    .filter(|x| x.tied_with_best)
                    .map(|x| x.id.clone())
                    .collect(),
                summary: rank::ties_summary(c),
            })
        }),
        plan: m.as_ref().and_then(|m| m.plan).map(plan_out),
        warnings,
    }
}

fn r3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn plan_out(p: &Plan) -> PlanOut {
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
                purpose: s.purpose.into(),
            })
            .collect(),
        touch_up_months: p.touch_up_months,
        suggested_density_per_cm2: p.suggested_density_per_cm2,
        suggested_coverage: r4(p.suggested_coverage),
        suggested_delta_e00: round(p.suggested_delta_e00, 2),
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
        kind: if c.is_blend() { "blend" } else { "single" }.into(),
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

/// A truecolour swatch (two cells), or the hex code without colour.
pub fn swatch(lab: Lab, color: bool) -> String {
    if color {
        let [r, g, b] = lab_to_srgb8(lab);
        format!("\x1b[48;2;{r};{g};{b}m    \x1b[0m")
    } else {
        format!("[{}]", lab_to_hex(lab))
    }
}

fn fmt_lab(v: [f64; 3]) -> String {
    format!("L*{:5.1} a*{:5.1} b*{:5.1}", v[0], v[1], v[2])
}

/// Render the document for a person.
///
/// `width` is the terminal width in columns: below [`WIDE_COLUMNS`] the ranking and plan
/// use compact tables, and every line is wrapped to fit.
pub fn render_text(o: &Output, color: bool, width: usize) -> String {
    use std::fmt::Write;
    let compact = width < WIDE_COLUMNS;
    let mut s = String::new();
    let sw = |v: [f64; 3]| swatch(crate::color::lab_from_array(v), color);
    for i in &o.inputs {
        let _ = writeln!(
            s,
            "photo  {}  {}×{} {} {}-bit, {} ({}), used for {}",
            i.path,
            i.width,
            i.height,
            i.format,
            i.bit_depth,
            i.color_space,
            i.color_space_source,
            i.used_for.join(", ")
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
    if let Some(seg) = &o.segmentation {
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
    if let Some(h) = &o.hair {
        role(&mut s, "hair", h);
    }
    if let Some(sc) = &o.scalp {
        role(&mut s, "scalp", &sc.tones);
        let _ = writeln!(
            s,
            "  ITA {:.1}° → {} skin",
            sc.ita_deg,
            sc.skin_category.label()
        );
    }
    if let Some(st) = &o.stubble {
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
            let _ = writeln!(
                s,
                "\nrecipes at their best dilution ({} mm dots at {}/cm², {:.0} % coverage; \
                 ΔE00 dot = close up vs hair, area = at a distance vs stubble):",
                d.diameter_mm,
                d.density_per_cm2,
                100.0 * d.coverage
            );
        }
        if compact {
            let _ = writeln!(
                s,
                "  # recipe           dil. healed    ΔE00 dot/area score±unc touch-up"
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
                "{:>3} {:<16} {:>3}:1 {} {:>5.1} / {:<5.1} {:5.2}±{:<4.2} {}{}",
                c.rank,
                c.name.chars().take(16).collect::<String>(),
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
            let name: String = c.name.chars().take(34).collect();
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
            "  (dilution: the clinic step to use, the continuous optimum in brackets)"
        );
        if let Some(best) = r.first() {
            let cols: Vec<String> = best
                .timeline
                .iter()
                .map(|t| format!("{}m {:.1}", t.month, t.delta_e00_area))
                .collect();
            let _ = writeln!(
                s,
                "  {} over time, ΔE00 area: {}",
                best.pigment_id,
                cols.join(" · ")
            );
        }
    }
    if let Some(b) = &o.blends {
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
    if let Some(c) = &o.confidence {
        let _ = writeln!(s, "\nconfidence: {}", c.summary);
    }
    if let Some(p) = &o.plan {
        let _ = writeln!(
            s,
            "\nplan for {} ({} sessions):",
            p.pigment_id,
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
                    x.purpose
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
                x.purpose
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
            "  density for the closest stubble look: {} dots/cm² ({:.0} % coverage, ΔE00 {:.1})",
            p.suggested_density_per_cm2,
            100.0 * p.suggested_coverage,
            p.suggested_delta_e00
        );
    }
    if !o.warnings.is_empty() {
        let _ = writeln!(s);
        for w in &o.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
    }
    wrap_lines(&s, width)
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
    if text.starts_with("\x1b[0m") {
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
