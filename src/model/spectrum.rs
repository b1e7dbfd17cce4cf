//! Spectra: 31 bands, 400–700 nm every 10 nm, and their colour under D65 for the CIE 1931 2°
//! observer. The model works on spectra because melanin, haemoglobin and pigment spectra
//! cannot be represented by three RGB bands (model v1's approximation): the hue of a dot
//! seen through skin is decided by how those spectra overlap.
//!
//! The colour-matching functions and D65 come from the CIE tables (`data/cie_400_700_10nm.csv`,
//! with provenance). Reflectance → XYZ is the weighted sum of ASTM E308 with the 10 nm rows;
//! the white is normalised to palette's D65 white so that a perfect reflector is exactly
//! L* = 100, a* = b* = 0 (the 10 nm, 400–700 nm truncation moves the white by about 0.1 %).
//!
//! Lab → reflectance (for a catalog colour measured as Lab only) is Burns' least
//! hyperbolic-tangent slope squared method (LHTSS: S. A. Burns, "Numerical methods for
//! smoothest reflectance reconstruction", Color Res. Appl. 45(1), 2020, 8–21): the smoothest
//! spectrum, bounded in (0, 1), that has exactly the given colour.

use std::sync::OnceLock;

use nalgebra::{SMatrix, SVector};
use palette::white_point::WhitePoint;
use palette::{FromColor, Xyz};

use crate::color::Lab;

/// Number of bands.
pub const BANDS: usize = 31;
/// First band, nm.
pub const FIRST_NM: f64 = 400.0;
/// Band spacing, nm.
pub const STEP_NM: f64 = 10.0;

/// A quantity sampled at the model's 31 wavelengths.
pub type Spectrum = [f64; BANDS];

/// Wavelength of band `i`, nm.
pub fn wavelength(i: usize) -> f64 {
    FIRST_NM + STEP_NM * i as f64
}

/// A spectrum from a function of wavelength (nm).
pub fn from_fn(f: impl Fn(f64) -> f64) -> Spectrum {
    std::array::from_fn(|i| f(wavelength(i)))
}

/// The band nearest to `nm`.
pub fn band(nm: f64) -> usize {
    (((nm - FIRST_NM) / STEP_NM).round().max(0.0) as usize).min(BANDS - 1)
}

const CIE_CSV: &str = include_str!("data/cie_400_700_10nm.csv");

/// The tristimulus weights: row k of `T` gives X, Y or Z of a reflectance (Y of white = 1).
struct Weights {
    t: [Spectrum; 3],
    /// Unnormalised D65 white of the 10 nm table, for the chromaticity check.
    raw_white: [f64; 3],
}

fn weights() -> &'static Weights {
    static W: OnceLock<Weights> = OnceLock::new();
    W.get_or_init(|| {
        let mut t = [[0.0; BANDS]; 3];
        let mut seen = 0;
        for line in CIE_CSV.lines() {
            let f: Vec<f64> = line
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .unwrap_or_default();
            if f.len() != 5 {
                continue; // header and provenance lines
            }
            let i = band(f[0]);
            for k in 0..3 {
                t[k][i] = f[4] * f[1 + k];
            }
            seen += 1;
        }
        assert_eq!(
            seen, BANDS,
            "the CIE table shipped in the binary has 31 rows"
        );
        let raw_white: [f64; 3] = std::array::from_fn(|k| t[k].iter().sum());
        // palette's D65 white (X, Y, Z with Y = 1).
        let white: Xyz<palette::white_point::Any, f64> = palette::white_point::D65::get_xyz();
        let target = [white.x, white.y, white.z];
        for k in 0..3 {
            let s = target[k] / raw_white[k];
            t[k].iter_mut().for_each(|v| *v *= s);
        }
        Weights { t, raw_white }
    })
}

/// Chromaticity (x, y) of D65 as integrated from the shipped 10 nm table (before the
/// normalisation): a check of the table against the published x = 0.3127, y = 0.3290.
pub fn d65_chromaticity_of_table() -> (f64, f64) {
    let w = weights().raw_white;
    let s = w[0] + w[1] + w[2];
    (w[0] / s, w[1] / s)
}

/// CIE XYZ (Y of the perfect reflector = 1) of a reflectance under D65.
pub fn xyz(r: &Spectrum) -> [f64; 3] {
    let t = &weights().t;
    std::array::from_fn(|k| t[k].iter().zip(r).map(|(a, b)| a * b).sum())
}

/// CIELAB (D65) of a reflectance.
///
/// ```
/// use smpmatch::model::spectrum::{lab, BANDS};
/// let white = lab(&[1.0; BANDS]);
/// assert!((white.l - 100.0).abs() < 1e-3 && white.a.abs() < 1e-3 && white.b.abs() < 1e-3);
/// let grey = lab(&[0.18; BANDS]);
/// assert!((grey.l - 49.5).abs() < 0.1); // 18 % grey is L* 49.5
/// ```
pub fn lab(r: &Spectrum) -> Lab {
    let [x, y, z] = xyz(r);
    crate::color::xyz_to_lab(Xyz::<palette::white_point::D65, f32>::new(
        x as f32, y as f32, z as f32,
    ))
}

/// CIELAB (D65) of a reflectance in double precision, for the model's fits (single-precision
/// Lab steps of about 10⁻⁵ would stall a finite-difference Jacobian).
pub fn lab64(r: &Spectrum) -> [f64; 3] {
    let [x, y, z] = xyz(r);
    let l = palette::Lab::<palette::white_point::D65, f64>::from_color(Xyz::<
        palette::white_point::D65,
        f64,
    >::new(x, y, z));
    [l.l, l.a, l.b]
}

/// Why a reflectance could not be reconstructed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutOfGamut;

/// The smoothest reflectance in (0, 1) with colour `lab` (Burns' LHTSS, see the module
/// documentation). Newton's method on the Lagrangian; converges in about ten steps for
/// object colours. Colours no reflectance can have (outside the object-colour solid, for
/// example a saturated colour lighter than any pigment could be) return `OutOfGamut`.
///
/// ```
/// use smpmatch::color::{delta_e00, Lab};
/// use smpmatch::model::spectrum::{lab, reflectance_from_lab};
/// let brown = Lab::new(30.0, 10.0, 13.0);
/// let r = reflectance_from_lab(brown).expect("an object colour");
/// assert!(delta_e00(lab(&r), brown) < 0.01);
/// assert!(r.iter().all(|&v| v > 0.0 && v < 1.0));
/// ```
pub fn reflectance_from_lab(target: Lab) -> Result<Spectrum, OutOfGamut> {
    let xyz_t: Xyz<palette::white_point::D65, f32> = Xyz::from_color(target);
    let goal = [f64::from(xyz_t.x), f64::from(xyz_t.y), f64::from(xyz_t.z)];
    if goal.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return Err(OutOfGamut);
    }
    let t = &weights().t;
    const N: usize = BANDS + 3;
    // Start from the flat spectrum of the right Y.
    let y0 = goal[1].clamp(1e-4, 1.0 - 1e-4);
    let mut z: SVector<f64, BANDS> = SVector::from_element((2.0 * y0 - 1.0).atanh());
    let mut lambda = [0.0f64; 3];
    for _ in 0..100 {
        let th: Spectrum = std::array::from_fn(|i| z[i].tanh());
        let sech2: Spectrum = std::array::from_fn(|i| 1.0 - th[i] * th[i]);
        let rho: Spectrum = std::array::from_fn(|i| 0.5 * (th[i] + 1.0));
        let d1: Spectrum = std::array::from_fn(|i| 0.5 * sech2[i]);
        let d2: Spectrum = std::array::from_fn(|i| -sech2[i] * th[i]);
        let tl: Spectrum =
            std::array::from_fn(|i| (0..3).map(|k| t[k][i] * lambda[k]).sum::<f64>());
        // F = [Dm z + diag(ρ') Tᵀ λ ; T ρ − goal]
        let mut f: SVector<f64, N> = SVector::zeros();
        let mut jac: SMatrix<f64, N, N> = SMatrix::zeros();
        for i in 0..BANDS {
            let (lo, hi) = (i > 0, i + 1 < BANDS);
            let diag = f64::from(u8::from(lo) + u8::from(hi));
            let mut dz = diag * z[i];
            if lo {
                dz -= z[i - 1];
                jac[(i, i - 1)] = -1.0;
            }
            if hi {
                dz -= z[i + 1];
                jac[(i, i + 1)] = -1.0;
            }
            f[i] = dz + d1[i] * tl[i];
            jac[(i, i)] = diag + d2[i] * tl[i];
            for k in 0..3 {
                jac[(i, BANDS + k)] = d1[i] * t[k][i];
                jac[(BANDS + k, i)] = t[k][i] * d1[i];
            }
        }
        for k in 0..3 {
            f[BANDS + k] = (0..BANDS).map(|i| t[k][i] * rho[i]).sum::<f64>() - goal[k];
        }
        if f.amax() < 1e-11 {
            return Ok(rho);
        }
        let step = jac.lu().solve(&(-f)).ok_or(OutOfGamut)?;
        for i in 0..BANDS {
            z[i] += step[i];
        }
        for k in 0..3 {
            lambda[k] += step[BANDS + k];
        }
        if z.iter().any(|v| !v.is_finite() || v.abs() > 30.0) {
            return Err(OutOfGamut);
        }
    }
    Err(OutOfGamut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::delta_e00;

    #[test]
    fn table_integrates_to_the_published_d65_white() {
        // CIE 15: D65 x = 0.3127, y = 0.3290. The 10 nm, 400–700 nm table is within 0.002.
        let (x, y) = d65_chromaticity_of_table();
        assert!(
            (x - 0.3127).abs() < 0.002 && (y - 0.3290).abs() < 0.002,
            "{x} {y}"
        );
    }

    #[test]
    fn reconstruction_round_trips_skin_hair_and_inks() {
        for lab_t in [
            Lab::new(66.0, 11.0, 16.0),
            Lab::new(35.0, 9.0, 14.0),
            Lab::new(18.4, -0.05, -0.84),
            Lab::new(22.0, 0.0, -0.5),
            Lab::new(60.0, 12.0, 45.0),
            Lab::new(38.0, 25.0, 20.0),
            Lab::new(92.0, -1.0, 3.0),
        ] {
            let r = reflectance_from_lab(lab_t).expect("object colour");
            assert!(delta_e00(lab(&r), lab_t) < 0.01, "{lab_t:?}");
            assert!(r.iter().all(|&v| v > 0.0 && v < 1.0));
        }
        // A neutral gives a nearly flat spectrum (the smoothest one).
        let r = reflectance_from_lab(Lab::new(50.0, 0.0, 0.0)).expect("grey");
        let (lo, hi) = r
            .iter()
            .fold((1.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(hi - lo < 0.01, "{lo} {hi}");
    }

    #[test]
    fn impossible_colours_are_refused() {
        // Lighter than white and very saturated: no reflectance in (0, 1) has it.
        assert!(reflectance_from_lab(Lab::new(98.0, -80.0, 90.0)).is_err());
    }
}
