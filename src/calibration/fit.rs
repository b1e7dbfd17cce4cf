//! Fitting a correction from the card's patches: the models, leave-one-out model choice,
//! outlier patches.

use std::path::Path;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::*;
use crate::calibration::{reference, Detection, PatchSample, ReferenceSet, PATCHES};
use crate::color::{delta_e00, lab_to_array, lab_to_linear, linear_to_lab, Lab, LinRgb};
use crate::error::{Error, Result};

/// A patch whose residual exceeds this many times the median residual (and at least
/// [`OUTLIER_MIN_DE00`]) stands out: a worn or dirty patch, or the wrong reference set.
pub const OUTLIER_FACTOR: f64 = 3.0;

/// See [`OUTLIER_FACTOR`].
pub const OUTLIER_MIN_DE00: f64 = 3.0;

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

    pub(super) fn n_terms(self) -> usize {
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

impl Correction {
    /// The photo colour this correction maps to `target` (linear RGB): the inverse of
    /// [`Correction::apply`], by Newton's method with a finite-difference Jacobian, from
    /// `target` itself (a correction is near the identity). `None` when it does not
    /// converge to 10⁻⁹ within 30 steps (a colour the camera could not have recorded).
    /// Every model here is monotone in the colours a photo holds, so the inverse is unique
    /// there.
    pub fn invert(&self, target: [f64; 3]) -> Option<[f64; 3]> {
        use nalgebra::{Matrix3, Vector3};
        let t = Vector3::from(target);
        let f = |x: &Vector3<f64>| Vector3::from(self.apply([x[0], x[1], x[2]])) - t;
        let mut x = t.map(|v| v.max(1e-6));
        for _ in 0..30 {
            let r = f(&x);
            if r.norm() < 1e-9 {
                return Some([x[0], x[1], x[2]]);
            }
            let h = 1e-7 * x.norm().max(1e-3);
            let mut j = Matrix3::zeros();
            for c in 0..3 {
                let mut xc = x;
                xc[c] += h;
                j.set_column(c, &((f(&xc) - r) / h));
            }
            let step = j.lu().solve(&r)?;
            // Stay in the positive octant, where the models are defined.
            x = (x - step).map(|v| v.max(1e-9));
        }
        (f(&x).norm() < 1e-9).then_some([x[0], x[1], x[2]])
    }

    /// [`Correction::invert`] for a colour given as Lab: the Lab the photo would show for a
    /// true colour `lab` (how a prediction is drawn on the uncorrected photo).
    pub fn invert_lab(&self, lab: Lab) -> Option<Lab> {
        let l = lab_to_linear(lab);
        self.invert([f64::from(l.red), f64::from(l.green), f64::from(l.blue)])
            .map(lin_lab)
    }
}

pub(super) fn lin_lab(v: [f64; 3]) -> Lab {
    linear_to_lab(LinRgb::new(v[0] as f32, v[1] as f32, v[2] as f32))
}

/// Weighted least squares of `model` on the given patches (indices into 0..24).
pub(super) fn fit_on(
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
    /// The card's patch area in the photo: its four corners, clockwise from the top left of
    /// the card in reference order (for drawing where the card was found).
    pub outline: [crate::calibration::Point; 4],
    /// The 24 patch centres in the photo, in reference order.
    pub centres: Vec<crate::calibration::Point>,
}

/// Find the card in the photo at `path` (automatically, or from its four outer `corners`),
/// read its patches and fit a correction (`smpmatch calibrate`).
///
/// ```
/// use smpmatch::calibration::{calibrate_photo, CalibrateOptions};
/// let c = calibrate_photo(
///     "samples/card_clinic.jpg".as_ref(),
///     None,
///     Default::default(),
///     &CalibrateOptions::default(),
/// )?;
/// // The held-out error of the chosen model: how far a patch it did not see lands.
/// assert!(c.profile.residuals.held_out_mean_de00 < 3.0);
/// # Ok::<(), smpmatch::Error>(())
/// ```
pub fn calibrate_photo(
    path: &Path,
    corners: Option<[crate::calibration::Point; 4]>,
    limits: crate::input::LoadLimits,
    opts: &CalibrateOptions,
) -> Result<Calibrated> {
    let photo = crate::input::Photo::load(path, limits)?;
    let detection = match corners {
        Some(corners) => crate::calibration::from_corners(&photo, corners)?,
        None => crate::calibration::detect(&photo)?,
    };
    // Grid cells are centred on whole (column, row) numbers: the card's edges lie half a
    // pitch outside the outer centres.
    let outline =
        [[-0.5, -0.5], [5.5, -0.5], [5.5, 3.5], [-0.5, 3.5]].map(|p| detection.homography.apply(p));
    Ok(Calibrated {
        profile: calibrate(path, &detection, opts)?,
        regions_found: detection.regions_found,
        outline,
        centres: detection.patches.iter().map(|p| p.centre).collect(),
    })
}

fn r3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inverse_undoes_every_model() {
        let cases = [
            Correction {
                model: Model::Matrix3x3,
                coefficients: vec![
                    vec![1.2, -0.15, 0.02],
                    vec![-0.08, 1.1, -0.05],
                    vec![0.01, -0.2, 1.3],
                ],
                exponents: Vec::new(),
            },
            Correction {
                model: Model::GammaMatrix3x3,
                coefficients: vec![
                    vec![1.1, -0.1, 0.0],
                    vec![-0.05, 1.05, 0.0],
                    vec![0.0, -0.1, 1.2],
                ],
                exponents: vec![1.1, 0.9, 1.05],
            },
            Correction {
                model: Model::RootPolynomial2,
                coefficients: vec![
                    vec![1.1, 0.0, 0.0, 0.05, 0.0, -0.05],
                    vec![0.0, 0.95, 0.0, 0.0, 0.04, 0.0],
                    vec![0.0, 0.0, 1.2, 0.0, -0.06, 0.02],
                ],
                exponents: Vec::new(),
            },
        ];
        for c in &cases {
            for rgb in [[0.2, 0.15, 0.1], [0.02, 0.02, 0.03], [0.6, 0.5, 0.45]] {
                let back = c.invert(c.apply(rgb)).expect("converges");
                for k in 0..3 {
                    assert!(
                        (back[k] - rgb[k]).abs() < 1e-7,
                        "{:?}: {rgb:?} → {back:?}",
                        c.model
                    );
                }
            }
        }
    }
}
