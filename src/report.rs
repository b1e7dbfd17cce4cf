//! Output: the JSON document types (the contract, documented in `docs/json.md`, schema in
//! `docs/schema/output.schema.json`) and the terminal rendering.
//!
//! Changing any type here changes [`SCHEMA_VERSION`], the schema file and `docs/json.md`.

use serde::Serialize;

use crate::analysis::Analysis;
use crate::catalog::Problem;
use crate::color::{lab_to_array, lab_to_hex, lab_to_srgb8, round, Lab};
use crate::model::{Fading, ModelParams, Sun};
use crate::photo::Region;
use crate::rank::Candidate;
use crate::segment::ClusterClass;
use crate::tones::{Role, RoleTones, Trim};

/// Version of the output format.
pub const SCHEMA_VERSION: u32 = 1;

/// The document printed by `analyze --json` and `match --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Output {
    /// Output format version (1).
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
    /// `match` only: the catalog used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogOut>,
    /// `match` only: the model parameters used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelOut>,
    /// `match` only: pigments, best first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<CandidateOut>>,
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
    /// `assumed` or `assumed_icc_profile_ignored`.
    pub color_space_source: String,
    /// Bytes of embedded ICC profile, null if none.
    pub icc_profile_bytes: Option<usize>,
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
    /// Weight of the healed ΔE00 in the score.
    pub score_weight_healed: f64,
    /// Months averaged by the score.
    pub score_horizon_months: f64,
    /// Drift ΔE00 that calls for a touch-up.
    pub touch_up_delta_e00: f64,
    /// Longest touch-up horizon, months.
    pub touch_up_horizon_months: f64,
}

/// A ranked pigment.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CandidateOut {
    /// 1 = best.
    pub rank: usize,
    /// Catalog id.
    pub pigment_id: String,
    /// Catalog name.
    pub name: String,
    /// `carbon`, `iron_oxide` or `other`.
    pub base: crate::catalog::Base,
    /// How the catalog colour was obtained (`illustrative` values are not measurements).
    pub measurement_method: crate::catalog::Method,
    /// Dilution used, parts diluent per part ink.
    pub dilution: f64,
    /// Score: lower is better (see docs/model.md).
    pub score: f64,
    /// ΔE00 of the healed look to the hair target.
    pub delta_e00_healed: f64,
    /// Predicted healed look [L*, a*, b*].
    pub healed_lab: [f64; 3],
    /// sRGB hex of the healed look.
    pub healed_hex: String,
    /// Months until the look drifts past the touch-up threshold; null if not within the
    /// horizon.
    pub touch_up_months: Option<f64>,
    /// Fading parameters used.
    pub fading: Fading,
    /// Predicted look over time.
    pub timeline: Vec<TimePointOut>,
}

/// One timeline point.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TimePointOut {
    /// Months since healing.
    pub month: f64,
    /// Predicted look [L*, a*, b*].
    pub lab: [f64; 3],
    /// sRGB hex.
    pub hex: String,
    /// ΔE00 to the hair target.
    pub delta_e00: f64,
}

/// `delta-e --json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeltaEOut {
    /// Output format version (1).
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
    /// Output format version (1).
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

/// Settings for [`build`].
#[derive(Debug, Clone)]
pub struct BuildContext<'a> {
    /// `analyze` or `match`.
    pub command: &'a str,
    /// Settings shown.
    pub settings: SettingsOut,
    /// Catalog (match).
    pub catalog: Option<CatalogOut>,
    /// Model params (match).
    pub params: Option<ModelParams>,
}

/// Assemble the output document.
pub fn build(a: &Analysis, ranking: Option<&[Candidate]>, ctx: BuildContext<'_>) -> Output {
    let mut warnings = a.warnings.clone();
    if let Some(r) = ranking {
        for c in r {
            warnings.extend(c.warnings.iter().cloned());
        }
        if r.iter()
            .any(|c| c.pigment.measurement.method == crate::catalog::Method::Illustrative)
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
        catalog: ctx.catalog,
        model: ctx.params.map(|params| ModelOut {
            params,
            score_weight_healed: crate::rank::W_HEALED,
            score_horizon_months: crate::rank::SCORE_HORIZON_MONTHS,
            touch_up_delta_e00: f64::from(crate::rank::TOUCH_UP_DE00),
            touch_up_horizon_months: crate::rank::TOUCH_UP_HORIZON_MONTHS,
        }),
        ranking: ranking.map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| candidate_out(i + 1, c))
                .collect()
        }),
        warnings,
    }
}

fn candidate_out(rank: usize, c: &Candidate) -> CandidateOut {
    CandidateOut {
        rank,
        pigment_id: c.pigment.id.clone(),
        name: c.pigment.name.clone(),
        base: c.pigment.base,
        measurement_method: c.pigment.measurement.method,
        dilution: c.dilution,
        score: round(c.score as f32, 3),
        delta_e00_healed: round(c.delta_e00_healed, 2),
        healed_lab: lab_to_array(c.healed),
        healed_hex: lab_to_hex(c.healed),
        touch_up_months: c.touch_up_months,
        fading: c.fading,
        timeline: c
            .timeline
            .iter()
            .map(|t| TimePointOut {
                month: t.month,
                lab: lab_to_array(t.lab),
                hex: lab_to_hex(t.lab),
                delta_e00: round(t.delta_e00, 2),
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
pub fn render_text(o: &Output, color: bool) -> String {
    use std::fmt::Write;
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
    if let Some(r) = &o.ranking {
        let months: Vec<String> = r
            .first()
            .map(|c| {
                c.timeline
                    .iter()
                    .map(|t| format!("{:>6}", format!("{}m", t.month)))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "\n  # pigment                      healed        ΔE00  score  touch-up {}",
            months.join(" ")
        );
        for c in r {
            let tu = c
                .touch_up_months
                .map(|m| format!("{:5.1} y", m / 12.0))
                .unwrap_or_else(|| "   never".into());
            let de: Vec<String> = c
                .timeline
                .iter()
                .map(|t| format!("{:6.1}", t.delta_e00))
                .collect();
            let name: String = c.name.chars().take(28).collect();
            let _ = writeln!(
                s,
                "{:>3} {:<28} {} {:6.1} {:6.2} {:>9} {}",
                c.rank,
                name,
                sw(c.healed_lab),
                c.delta_e00_healed,
                c.score,
                tu,
                de.join(" ")
            );
        }
        let _ = writeln!(
            s,
            "  (ΔE00 to the hair target; timeline columns are months after healing)"
        );
    }
    if !o.warnings.is_empty() {
        let _ = writeln!(s);
        for w in &o.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
    }
    s
}
