//! The calibration profile: what `calibrate --out` writes and `--profile` reads, its
//! residuals, camera facts, and its use on other photos (lighting checks, measured regions).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::*;
use crate::calibration::{reference, ReferenceSet};
use crate::color::{delta_e00, Lab};
use crate::error::{Error, Result};

/// Profile format version.
pub const PROFILE_VERSION: u32 = 1;

/// Held-out ΔE00 above which a profile is written with a warning (`docs/calibration.md`);
/// a profile whose held-out error is not below the uncorrected error is refused.
pub const PROFILE_WARN_DE00: f64 = 3.0;

/// Per-patch figures of a calibration.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PatchReport {
    /// Patch number 1–24.
    pub index: usize,
    /// Published name.
    pub name: String,
    /// Reference Lab (D65, Bradford-adapted).
    pub reference_lab: [f64; 3],
    /// Lab as photographed (sRGB decoding, uncorrected).
    pub measured_lab: [f64; 3],
    /// Lab after correction.
    pub corrected_lab: [f64; 3],
    /// ΔE00 before correction.
    pub before_de00: f64,
    /// ΔE00 after correction (fit including this patch).
    pub after_de00: f64,
    /// ΔE00 when the patch is left out of the fit (out-of-sample); null when clipped.
    pub held_out_de00: Option<f64>,
    /// Excluded from the fit: clipped or crushed.
    pub clipped: bool,
    /// Stands far out from the others (worn patch or wrong reference set).
    pub outlier: bool,
}

/// Summary statistics.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Residuals {
    /// Mean ΔE00 before correction (patches used).
    pub before_mean_de00: f64,
    /// Mean ΔE00 after correction.
    pub after_mean_de00: f64,
    /// Max ΔE00 after correction.
    pub after_max_de00: f64,
    /// Mean leave-one-out ΔE00: the honest figure for new colours.
    pub held_out_mean_de00: f64,
    /// Max leave-one-out ΔE00.
    pub held_out_max_de00: f64,
}

impl Residuals {
    /// Why a correction is worse than no correction at all (its held-out error is not
    /// below the uncorrected error, or is not a number), if it is.
    pub fn worse_than_none(&self) -> Option<String> {
        let (held, before) = (self.held_out_mean_de00, self.before_mean_de00);
        (!(held.is_finite() && before.is_finite() && held < before)).then(|| {
            format!(
                "the correction is worse than none (held-out mean {held:.2} ΔE00, uncorrected \
                 {before:.2} ΔE00)"
            )
        })
    }
}

/// Camera facts from EXIF, where present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExifFacts {
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Exposure time, e.g. `1/60`.
    pub exposure_time: Option<String>,
    /// F-number.
    pub f_number: Option<String>,
    /// ISO.
    pub iso: Option<String>,
    /// White balance mode (`auto` / `manual`).
    pub white_balance: Option<String>,
    /// Whether the flash fired.
    pub flash: Option<String>,
    /// DateTimeOriginal.
    pub date_time: Option<String>,
}

impl ExifFacts {
    /// Read EXIF facts from a photo file; None when it has no EXIF.
    pub fn read(path: &Path) -> Option<ExifFacts> {
        let file = std::fs::File::open(path).ok()?;
        let exif = exif::Reader::new()
            .read_from_container(&mut std::io::BufReader::new(file))
            .ok()?;
        let get = |tag: exif::Tag| {
            exif.get_field(tag, exif::In::PRIMARY)
                .map(|f| f.display_value().with_unit(&exif).to_string())
                .map(|s| s.trim_matches('"').trim().to_string())
        };
        Some(ExifFacts {
            make: get(exif::Tag::Make),
            model: get(exif::Tag::Model),
            exposure_time: get(exif::Tag::ExposureTime),
            f_number: get(exif::Tag::FNumber),
            iso: get(exif::Tag::PhotographicSensitivity),
            white_balance: get(exif::Tag::WhiteBalance),
            flash: get(exif::Tag::Flash),
            date_time: get(exif::Tag::DateTimeOriginal),
        })
    }
}

/// A calibration profile (the file `calibrate --out` writes).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Format version (1).
    pub schema_version: u32,
    /// Always `smpmatch_calibration_profile`.
    pub kind: String,
    /// smpmatch version that wrote it.
    pub smpmatch_version: String,
    /// The correction.
    pub correction: Correction,
    /// Reference set of the card.
    pub reference_set: ReferenceSet,
    /// Patch weighting used.
    pub weighting: Weighting,
    /// Residual statistics.
    pub residuals: Residuals,
    /// Per-patch figures.
    pub patches: Vec<PatchReport>,
    /// Linear RGB of the card's neutral patches (19–24) as photographed: the light the
    /// profile was made under.
    pub neutrals_linear: Vec<[f64; 3]>,
    /// The card photo.
    pub source_photo: String,
    /// How the card was found: `automatic` or `corners`.
    pub detection: String,
    /// Camera facts of the card photo.
    pub exif: Option<ExifFacts>,
    /// Date of the card photo (EXIF DateTimeOriginal), if known; the profile records no
    /// clock time so that the same photo gives the same profile.
    pub date: Option<String>,
    /// Notes (outliers, clipping, model choice).
    pub warnings: Vec<String>,
    /// The file it was read from (set by [`Profile::load`]; not part of the file).
    #[serde(skip)]
    #[schemars(skip)]
    pub loaded_from: Option<std::path::PathBuf>,
}

impl Profile {
    /// Read and check a profile file.
    pub fn load(path: &Path) -> Result<Profile> {
        let bytes = crate::io::files::read_input(path, "a calibration profile", 1 << 20)?;
        let p: Profile = serde_json::from_slice(&bytes).map_err(|e| {
            Error::profile(
                path,
                format!("not a valid smpmatch calibration profile: {e}"),
            )
        })?;
        let n = p.correction.model.n_terms();
        let n_exp = if p.correction.model == Model::GammaMatrix3x3 {
            3
        } else {
            0
        };
        if p.correction.exponents.len() != n_exp
            || p.correction
                .exponents
                .iter()
                .any(|e| !(e.is_finite() && *e > 0.0))
            || p.kind != "smpmatch_calibration_profile"
            || p.schema_version != PROFILE_VERSION
            || p.correction.coefficients.len() != 3
            || p.correction.coefficients.iter().any(|r| r.len() != n)
            || p.correction
                .coefficients
                .iter()
                .flatten()
                .any(|c| !c.is_finite())
        {
            return Err(Error::profile(
                path,
                format!(
                    "not a valid smpmatch calibration profile (kind {:?}, version {}, or \
                     coefficients of the wrong shape)",
                    p.kind, p.schema_version
                ),
            ));
        }
        if let Some(why) = p.residuals.worse_than_none() {
            return Err(Error::profile(
                path,
                format!("{why}; make a new profile from a better card photo"),
            ));
        }
        Ok(Profile {
            loaded_from: Some(path.to_path_buf()),
            ..p
        })
    }

    /// The photo-colour uncertainty this profile leaves (ΔE00): its held-out mean.
    pub fn uncertainty_de00(&self) -> f64 {
        self.residuals.held_out_mean_de00
    }
}

/// Lighting check of a patient photo against a profile: compares camera facts, and — when
/// the patient photo holds a card too — the corrected neutral patches with the reference.
pub fn lighting_warnings(
    profile: &Profile,
    photo: &crate::input::Photo,
) -> Vec<crate::warning::Warning> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (&profile.exif, ExifFacts::read(&photo.path)) {
        let differs = |x: &Option<String>, y: &Option<String>| x.is_some() && y.is_some() && x != y;
        if differs(&a.make, &b.make) || differs(&a.model, &b.model) {
            out.push(crate::warning::Warning::new(
                crate::warning::WarningCode::CameraDiffers,
                format!(
                    "{}: taken with another camera ({} {}) than the card photo ({} {}); the \
                 profile is only valid for the camera and light it was made with",
                    photo.info.path,
                    b.make.clone().unwrap_or_default(),
                    b.model.clone().unwrap_or_default(),
                    a.make.clone().unwrap_or_default(),
                    a.model.clone().unwrap_or_default()
                ),
            ));
        }
        if differs(&a.flash, &b.flash) {
            out.push(crate::warning::Warning::new(
                crate::warning::WarningCode::CameraDiffers,
                format!(
                    "{}: flash differs from the card photo ({} vs {}); the light is not the same",
                    photo.info.path,
                    b.flash.clone().unwrap_or_default(),
                    a.flash.clone().unwrap_or_default()
                ),
            ));
        }
    }
    if let Ok(det) = crate::calibration::detect(photo) {
        let refs = reference(profile.reference_set);
        let de: Vec<f64> = (18..24)
            .filter(|&i| !det.patches[i].clipped)
            .map(|i| {
                f64::from(delta_e00(
                    lin_lab(profile.correction.apply(det.patches[i].linear)),
                    refs[i].lab,
                ))
            })
            .collect();
        if !de.is_empty() {
            let mean = de.iter().sum::<f64>() / de.len() as f64;
            let limit = 2.0 * profile.residuals.after_mean_de00 + 1.5;
            if mean > limit {
                out.push(crate::warning::Warning::new(
                    crate::warning::WarningCode::LightDiffers,
                    format!(
                    "{}: the card in this photo reads {mean:.1} ΔE00 off on its neutral patches \
                     after correction (the profile's own residual is {:.1}): this photo was lit \
                     differently from the card photo; make a profile under this light",
                    photo.info.path, profile.residuals.after_mean_de00
                ),
                ));
            }
        }
    }
    out
}

/// A flat colour measured in a photo region.
#[derive(Debug, Clone, Copy)]
pub struct RegionMeasure {
    /// The colour (corrected when a profile was given).
    pub lab: Lab,
    /// RMS ΔE00 of the region's pixels around `lab`: high means not flat (texture, glare,
    /// an edge inside the rectangle).
    pub spread_de00: f32,
    /// Pixels read.
    pub pixels: usize,
}

/// Measure a flat swatch: its pixels' linear RGB corrected by the profile, reduced by
/// [`crate::numeric::robust_median_rgb`]; the spread is the RMS ΔE00 of the pixels from it.
pub fn measure_region(
    photo: &crate::input::Photo,
    region: crate::input::Region,
    correction: Option<&Correction>,
) -> Result<RegionMeasure> {
    photo.check_region(region)?;
    let area = u64::from(region.w) * u64::from(region.h);
    let step = crate::input::grid_step(area, 20_000);
    let mut px: Vec<[f64; 3]> = Vec::new();
    let mut y = region.y + step / 2;
    while y < region.y + region.h {
        let mut x = region.x + step / 2;
        while x < region.x + region.w {
            let p = photo.linear_pixel(x, y);
            let v = [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])];
            px.push(correction.map_or(v, |c| c.apply(v)));
            x += step;
        }
        y += step;
    }
    let Some(median) = crate::numeric::robust_median_rgb(&mut px) else {
        return Err(Error::photo(
            &photo.path,
            format!("region {region} holds no pixel"),
        ));
    };
    let lab = lin_lab(median);
    let stride = (px.len() / 2000).max(1);
    let sq: Vec<f64> = px
        .iter()
        .step_by(stride)
        .map(|p| f64::from(delta_e00(lin_lab(*p), lab)).powi(2))
        .collect();
    Ok(RegionMeasure {
        lab,
        spread_de00: (sq.iter().sum::<f64>() / sq.len() as f64).sqrt() as f32,
        pixels: px.len(),
    })
}
