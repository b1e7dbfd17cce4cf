//! Colour calibration from a photographed ColorChecker: fit a correction from the photo's
//! linear RGB to the card's published values, choose the model by leave-one-out ΔE00, and
//! keep it as a profile that `analyze`, `match` and `catalog measure` apply
//! (docs/calibration.md).
//!
//! Models, in linear RGB (the correction must be linear in light to keep mixing laws):
//!
//! - `matrix3x3`: `rgb' = M · rgb`, 9 coefficients; it includes white balance (a diagonal M)
//!   and channel crosstalk.
//! - `root_polynomial2`: `rgb' = M · [R, G, B, √(RG), √(GB), √(RB)]`, 18 coefficients, the
//!   root-polynomial of degree 2 (Finlayson, Mackiewicz & Hurlbert, IEEE Trans. Image
//!   Process. 24(5), 2015): every term scales with exposure, so the fit holds when the
//!   exposure changes, unlike a plain polynomial.

pub mod chart;

use std::path::Path;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::calibration::chart::{reference, Detection, PatchSample, ReferenceSet, PATCHES};
use crate::color::{delta_e00, lab_to_array, lab_to_linear, linear_to_lab, Lab, LinRgb};
use crate::error::{Error, Result};

/// Profile format version.
pub const PROFILE_VERSION: u32 = 1;
/// A patch whose residual exceeds this many times the median residual (and at least
/// [`OUTLIER_MIN_DE00`]) stands out: a worn or dirty patch, or the wrong reference set.
pub const OUTLIER_FACTOR: f64 = 3.0;
/// See [`OUTLIER_FACTOR`].
pub const OUTLIER_MIN_DE00: f64 = 3.0;
/// Held-out ΔE00 above which a profile is written with a warning (`docs/calibration.md`);
/// a profile whose held-out error is not below the uncorrected error is refused.
pub const PROFILE_WARN_DE00: f64 = 3.0;

/// A correction model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// 3 × 3 matrix.
    Matrix3x3,
    /// Root-polynomial, degree 2.
    RootPolynomial2,
    /// Per-channel tone curve (a power law fitted on the neutral patches, undoing the
    /// camera's non-linearity), then a 3 × 3 matrix.
    GammaMatrix3x3,
}

impl Model {
    /// Both models.
    pub const ALL: [Model; 3] = [
        Model::Matrix3x3,
        Model::RootPolynomial2,
        Model::GammaMatrix3x3,
    ];

    fn terms(self, rgb: [f64; 3], exponents: &[f64]) -> Vec<f64> {
        let [r, g, b] = rgb.map(|v| v.max(0.0));
        match self {
            Model::Matrix3x3 => vec![r, g, b],
            Model::RootPolynomial2 => {
                vec![r, g, b, (r * g).sqrt(), (g * b).sqrt(), (r * b).sqrt()]
            }
            Model::GammaMatrix3x3 => {
                let e = |i: usize| exponents.get(i).copied().unwrap_or(1.0);
                vec![r.powf(1.0 / e(0)), g.powf(1.0 / e(1)), b.powf(1.0 / e(2))]
            }
        }
    }

    fn n_terms(self) -> usize {
        match self {
            Model::Matrix3x3 | Model::GammaMatrix3x3 => 3,
            Model::RootPolynomial2 => 6,
        }
    }

    /// Name as written in profiles.
    pub fn name(self) -> &'static str {
        match self {
            Model::Matrix3x3 => "matrix3x3",
            Model::RootPolynomial2 => "root_polynomial2",
            Model::GammaMatrix3x3 => "gamma_matrix3x3",
        }
    }
}

/// How patches are weighted in the fit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// All patches alike.
    #[default]
    Uniform,
    /// Skin patches (1, 2) ×4 and dark neutrals (22–24) ×3: the colours SMP is about.
    Skin,
}

impl Weighting {
    fn weight(self, index: usize) -> f64 {
        match (self, index) {
            (Weighting::Uniform, _) => 1.0,
            (Weighting::Skin, 1 | 2) => 4.0,
            (Weighting::Skin, 22..=24) => 3.0,
            (Weighting::Skin, _) => 1.0,
        }
    }
}

/// Fitted coefficients: `coefficients[out][term]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Correction {
    /// The model.
    pub model: Model,
    /// Three rows (R, G, B out), one coefficient per term.
    pub coefficients: Vec<Vec<f64>>,
    /// `gamma_matrix3x3` only: the camera's per-channel exponents (R, G, B), undone before
    /// the matrix; empty for the other models.
    #[serde(default)]
    pub exponents: Vec<f64>,
}

impl Correction {
    /// Correct one linear RGB value.
    pub fn apply(&self, rgb: [f64; 3]) -> [f64; 3] {
        let t = self.model.terms(rgb, &self.exponents);
        let mut out = [0.0; 3];
        for (o, row) in out.iter_mut().zip(&self.coefficients) {
            *o = row.iter().zip(&t).map(|(c, x)| c * x).sum();
        }
        out
    }

    /// Correct a colour measured as Lab (from the photo's sRGB decoding).
    pub fn apply_lab(&self, lab: Lab) -> Lab {
        let l = lab_to_linear(lab);
        let c = self.apply([f64::from(l.red), f64::from(l.green), f64::from(l.blue)]);
        linear_to_lab(LinRgb::new(c[0] as f32, c[1] as f32, c[2] as f32))
    }
}

fn lin_lab(v: [f64; 3]) -> Lab {
    linear_to_lab(LinRgb::new(v[0] as f32, v[1] as f32, v[2] as f32))
}

/// Weighted least squares of `model` on the given patches (indices into 0..24).
fn fit_on(
    model: Model,
    patches: &[PatchSample],
    set: ReferenceSet,
    rows: &[usize],
    weighting: Weighting,
) -> Option<Correction> {
    let refs = reference(set);
    let n = model.n_terms();
    if rows.len() < n + 1 {
        return None;
    }
    let exponents = if model == Model::GammaMatrix3x3 {
        neutral_exponents(patches, set, rows)?
    } else {
        Vec::new()
    };
    let x = DMatrix::from_fn(rows.len(), n, |r, c| {
        let w = weighting.weight(rows[r] + 1).sqrt();
        w * model.terms(patches[rows[r]].linear, &exponents)[c]
    });
    let y = DMatrix::from_fn(rows.len(), 3, |r, c| {
        weighting.weight(rows[r] + 1).sqrt() * refs[rows[r]].linear[c]
    });
    let m = x.svd(true, true).solve(&y, 1e-12).ok()?;
    Some(Correction {
        model,
        coefficients: (0..3)
            .map(|o| (0..n).map(|t| m[(t, o)]).collect())
            .collect(),
        exponents,
    })
}

/// Per-channel power law `measured = k · reference^γ` on the neutral patches (19–24) in
/// `rows`, by least squares in log–log.
fn neutral_exponents(
    patches: &[PatchSample],
    set: ReferenceSet,
    rows: &[usize],
) -> Option<Vec<f64>> {
    let refs = reference(set);
    let neutrals: Vec<usize> = rows.iter().copied().filter(|&i| i >= 18).collect();
    if neutrals.len() < 3 {
        return None;
    }
    let mut out = Vec::with_capacity(3);
    for c in 0..3 {
        let pts: Vec<(f64, f64)> = neutrals
            .iter()
            .filter(|&&i| patches[i].linear[c] > 1e-4 && refs[i].linear[c] > 1e-4)
            .map(|&i| (refs[i].linear[c].ln(), patches[i].linear[c].ln()))
            .collect();
        if pts.len() < 3 {
            return None;
        }
        let n = pts.len() as f64;
        let (mx, my) = (
            pts.iter().map(|p| p.0).sum::<f64>() / n,
            pts.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let g = sxy / sxx;
        if !(g.is_finite() && (0.3..=3.0).contains(&g)) {
            return None;
        }
        out.push(g);
    }
    Some(out)
}

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

/// Options of a calibration.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalibrateOptions {
    /// Force a model (None: choose by held-out ΔE00).
    pub model: Option<Model>,
    /// Force a reference set (None: the one that fits better).
    pub reference_set: Option<ReferenceSet>,
    /// Patch weighting.
    pub weighting: Weighting,
}

struct Fitted {
    correction: Correction,
    set: ReferenceSet,
    held_out: Vec<Option<f64>>,
    held_out_mean: f64,
}

fn fit_with_loo(
    model: Model,
    patches: &[PatchSample],
    set: ReferenceSet,
    weighting: Weighting,
) -> Option<Fitted> {
    let refs = reference(set);
    let rows: Vec<usize> = (0..PATCHES).filter(|&i| !patches[i].clipped).collect();
    let correction = fit_on(model, patches, set, &rows, weighting)?;
    let mut held_out = vec![None; PATCHES];
    let mut sum = 0.0;
    for &k in &rows {
        let others: Vec<usize> = rows.iter().copied().filter(|&i| i != k).collect();
        let c = fit_on(model, patches, set, &others, weighting)?;
        let de = f64::from(delta_e00(lin_lab(c.apply(patches[k].linear)), refs[k].lab));
        held_out[k] = Some(de);
        sum += de;
    }
    Some(Fitted {
        correction,
        set,
        held_out,
        held_out_mean: sum / rows.len() as f64,
    })
}

/// Build a profile from a detected card.
pub fn calibrate(
    photo_path: &Path,
    detection: &Detection,
    opts: &CalibrateOptions,
) -> Result<Profile> {
    let patches = &detection.patches;
    let usable = patches.iter().filter(|p| !p.clipped).count();
    if usable < 12 {
        return Err(Error::Analysis {
            path: Some(photo_path.to_path_buf()),
            message: format!(
                "{}: only {usable} of 24 patches are usable (the rest are clipped or crushed); \
                 retake the photo with less exposure or without glare",
                photo_path.display()
            ),
        });
    }
    let models: Vec<Model> = opts.model.map_or(Model::ALL.to_vec(), |m| vec![m]);
    let sets: Vec<ReferenceSet> = opts
        .reference_set
        .map_or(ReferenceSet::ALL.to_vec(), |s| vec![s]);
    let mut best: Option<Fitted> = None;
    let mut notes = Vec::new();
    for &set in &sets {
        for &m in &models {
            if let Some(f) = fit_with_loo(m, patches, set, opts.weighting) {
                if best
                    .as_ref()
                    .is_none_or(|b| f.held_out_mean < b.held_out_mean)
                {
                    best = Some(f);
                }
            }
        }
    }
    let f = best.ok_or_else(|| Error::Analysis {
        path: Some(photo_path.to_path_buf()),
        message: format!(
            "{}: the colour fit failed (degenerate patches)",
            photo_path.display()
        ),
    })?;
    if opts.model.is_none() {
        notes.push(format!(
            "model {} chosen by held-out ΔE00 ({:.2})",
            f.correction.model.name(),
            f.held_out_mean
        ));
    }
    let refs = reference(f.set);
    let mut reports = Vec::with_capacity(PATCHES);
    for (i, p) in patches.iter().enumerate() {
        let measured = lin_lab(p.linear);
        let corrected = lin_lab(f.correction.apply(p.linear));
        reports.push(PatchReport {
            index: i + 1,
            name: refs[i].name.clone(),
            reference_lab: lab_to_array(refs[i].lab),
            measured_lab: lab_to_array(measured),
            corrected_lab: lab_to_array(corrected),
            before_de00: r3(f64::from(delta_e00(measured, refs[i].lab))),
            after_de00: r3(f64::from(delta_e00(corrected, refs[i].lab))),
            held_out_de00: f.held_out[i].map(r3),
            clipped: p.clipped,
            outlier: false,
        });
    }
    let mut sorted: Vec<f64> = reports
        .iter()
        .filter(|r| !r.clipped)
        .map(|r| r.after_de00)
        .collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let limit = (OUTLIER_FACTOR * median).max(OUTLIER_MIN_DE00);
    for r in reports.iter_mut().filter(|r| !r.clipped) {
        if r.after_de00 > limit {
            r.outlier = true;
            notes.push(format!(
                "patch {} ({}) is {:.1} ΔE00 off after correction, far beyond the others \
                 (median {median:.1}): a worn, dirty or faded patch, glare, or the wrong \
                 reference set",
                r.index, r.name, r.after_de00
            ));
        }
    }
    for r in reports.iter().filter(|r| r.clipped) {
        notes.push(format!(
            "patch {} ({}) is clipped or crushed and was left out of the fit",
            r.index, r.name
        ));
    }
    let used: Vec<&PatchReport> = reports.iter().filter(|r| !r.clipped).collect();
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let max = |v: Vec<f64>| v.into_iter().fold(0.0, f64::max);
    let residuals = Residuals {
        before_mean_de00: r3(mean(used.iter().map(|r| r.before_de00).collect())),
        after_mean_de00: r3(mean(used.iter().map(|r| r.after_de00).collect())),
        after_max_de00: r3(max(used.iter().map(|r| r.after_de00).collect())),
        held_out_mean_de00: r3(f.held_out_mean),
        held_out_max_de00: r3(max(f.held_out.iter().flatten().copied().collect())),
    };
    if let Some(why) = residuals.worse_than_none() {
        return Err(Error::Analysis {
            path: Some(photo_path.to_path_buf()),
            message: format!(
                "{}: {why}: the patches read are not the card's (wrong --corners, a card \
                 partly out of the photo, or heavy glare); no profile written",
                photo_path.display()
            ),
        });
    }
    if residuals.held_out_mean_de00 > PROFILE_WARN_DE00 {
        notes.push(format!(
            "the correction's held-out error is {:.1} ΔE00 (above {PROFILE_WARN_DE00}): colours \
             measured with this profile may be off by that much; retake the card photo \
             head-on, evenly lit, without glare",
            residuals.held_out_mean_de00
        ));
    }
    let exif = ExifFacts::read(photo_path);
    Ok(Profile {
        schema_version: PROFILE_VERSION,
        kind: "smpmatch_calibration_profile".into(),
        smpmatch_version: env!("CARGO_PKG_VERSION").into(),
        correction: Correction {
            model: f.correction.model,
            exponents: f
                .correction
                .exponents
                .iter()
                .map(|&e| (e * 1e9).round() / 1e9)
                .collect(),
            coefficients: f
                .correction
                .coefficients
                .iter()
                .map(|row| row.iter().map(|&c| (c * 1e9).round() / 1e9).collect())
                .collect(),
        },
        reference_set: f.set,
        weighting: opts.weighting,
        residuals,
        patches: reports,
        neutrals_linear: patches[18..24]
            .iter()
            .map(|p| p.linear.map(|v| (v * 1e6).round() / 1e6))
            .collect(),
        source_photo: photo_path.display().to_string(),
        detection: detection.method.into(),
        date: exif.as_ref().and_then(|e| e.date_time.clone()),
        exif,
        warnings: notes,
        loaded_from: None,
    })
}

/// A profile and how its card was found.
pub struct Calibrated {
    /// The fitted profile.
    pub profile: Profile,
    /// Candidate patch regions the detector saw (0 with corners given).
    pub regions_found: usize,
}

/// Find the card in the photo at `path` (automatically, or from its four outer `corners`),
/// read its patches and fit a correction (`smpmatch calibrate`).
pub fn calibrate_photo(
    path: &Path,
    corners: Option<[crate::calibration::chart::Point; 4]>,
    limits: crate::input::LoadLimits,
    opts: &CalibrateOptions,
) -> Result<Calibrated> {
    let photo = crate::input::Photo::load(path, limits)?;
    let detection = match corners {
        Some(corners) => crate::calibration::chart::from_corners(&photo, corners)?,
        None => crate::calibration::chart::detect(&photo)?,
    };
    Ok(Calibrated {
        profile: calibrate(path, &detection, opts)?,
        regions_found: detection.regions_found,
    })
}

fn r3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

impl Profile {
    /// Read and check a profile file.
    pub fn load(path: &Path) -> Result<Profile> {
        let bytes = crate::io::files::read_input(path, "a calibration profile", 1 << 20)?;
        let p: Profile = serde_json::from_slice(&bytes).map_err(|e| {
            Error::input(
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
            return Err(Error::input(
                path,
                format!(
                    "not a valid smpmatch calibration profile (kind {:?}, version {}, or \
                     coefficients of the wrong shape)",
                    p.kind, p.schema_version
                ),
            ));
        }
        if let Some(why) = p.residuals.worse_than_none() {
            return Err(Error::input(
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
pub fn lighting_warnings(profile: &Profile, photo: &crate::input::Photo) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (&profile.exif, ExifFacts::read(&photo.path)) {
        let differs = |x: &Option<String>, y: &Option<String>| x.is_some() && y.is_some() && x != y;
        if differs(&a.make, &b.make) || differs(&a.model, &b.model) {
            out.push(format!(
                "{}: taken with another camera ({} {}) than the card photo ({} {}); the \
                 profile is only valid for the camera and light it was made with",
                photo.info.path,
                b.make.clone().unwrap_or_default(),
                b.model.clone().unwrap_or_default(),
                a.make.clone().unwrap_or_default(),
                a.model.clone().unwrap_or_default()
            ));
        }
        if differs(&a.flash, &b.flash) {
            out.push(format!(
                "{}: flash differs from the card photo ({} vs {}); the light is not the same",
                photo.info.path,
                b.flash.clone().unwrap_or_default(),
                a.flash.clone().unwrap_or_default()
            ));
        }
    }
    if let Ok(det) = crate::calibration::chart::detect(photo) {
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
                out.push(format!(
                    "{}: the card in this photo reads {mean:.1} ΔE00 off on its neutral patches \
                     after correction (the profile's own residual is {:.1}): this photo was lit \
                     differently from the card photo; make a profile under this light",
                    photo.info.path, profile.residuals.after_mean_de00
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

/// Measure a flat swatch: per-channel median of the region's linear RGB after dropping the
/// 10 % darkest and brightest pixels, corrected by the profile.
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
    if px.is_empty() {
        return Err(Error::input(
            &photo.path,
            format!("region {region} holds no pixel"),
        ));
    }
    let lum = |p: &[f64; 3]| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
    px.sort_by(|a, b| lum(a).total_cmp(&lum(b)));
    let k = px.len() / 10;
    let kept = &px[k..px.len() - k];
    let median = |ch: usize| {
        let mut v: Vec<f64> = kept.iter().map(|p| p[ch]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let lab = lin_lab([median(0), median(1), median(2)]);
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
