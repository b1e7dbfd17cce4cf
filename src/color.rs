//! Colour types and the few colour formulas the pipeline needs.
//!
//! Every colour in smpmatch is a [`Lab`]: CIELAB under D65 with the CIE 1931 2° observer, the
//! white point carried in the type by `palette`. Linear light is [`LinRgb`] (sRGB primaries,
//! D65). A bare `[f32; 3]` appears only at the JSON boundary ([`lab_to_array`]).

use palette::color_difference::Ciede2000;
use palette::white_point::D65;
use palette::{Clamp, FromColor, IntoColor, LinSrgb, Srgb};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// CIELAB, D65 white, 2° observer.
pub type Lab = palette::Lab<D65, f32>;
/// Linear-light RGB with sRGB (ITU-R BT.709) primaries and D65 white.
pub type LinRgb = LinSrgb<f32>;

/// CIEDE2000 colour difference (CIE 142-2001; Sharma, Wu & Dalal, Color Res. Appl. 30(1),
/// 2005), with the parametric factors kL = kC = kH = 1.
///
/// This is palette's `Ciede2000`, which the test suite checks against all 34 published test
/// pairs. (palette's `ImprovedCiede2000` is a different metric and is never used here.)
///
/// ```
/// use smpmatch::color::{delta_e00, Lab};
/// // Sharma, Wu & Dalal (2005), table 1, pair 1: ΔE00 = 2.0425.
/// let de = delta_e00(Lab::new(50.0, 2.6772, -79.7751), Lab::new(50.0, 0.0, -82.7485));
/// assert!((de - 2.0425).abs() < 1e-4);
/// ```
pub fn delta_e00(a: Lab, b: Lab) -> f32 {
    a.difference(b)
}

/// Lab of an 8-bit sRGB pixel (IEC 61966-2-1 transfer curve, via palette's lookup table).
#[inline]
pub fn lab_from_srgb8(r: u8, g: u8, b: u8) -> Lab {
    linear_to_lab(linear_from_srgb8(r, g, b))
}

/// Linear RGB of an 8-bit sRGB pixel (palette's lookup table).
#[inline]
pub fn linear_from_srgb8(r: u8, g: u8, b: u8) -> LinRgb {
    Srgb::new(r, g, b).into_linear()
}

/// Lab of a 16-bit sRGB pixel.
#[inline]
pub fn lab_from_srgb16(r: u16, g: u16, b: u16) -> Lab {
    linear_to_lab(linear_from_srgb16(r, g, b))
}

/// Linear RGB of a 16-bit sRGB pixel.
#[inline]
pub fn linear_from_srgb16(r: u16, g: u16, b: u16) -> LinRgb {
    const MAX: f32 = u16::MAX as f32;
    Srgb::new(r as f32 / MAX, g as f32 / MAX, b as f32 / MAX).into_linear()
}

/// [`linear_to_lab`] of many colours, appended to `out`: the same values bit for bit, eight
/// at a time so that the cube roots' double-precision divisions run side by side in vector
/// registers (the conversion was the largest single cost after decoding in a 12 MP `match`:
/// every sampled pixel and every pixel of the colour-card check passes through it).
pub fn linear_to_lab_into(rgb: &[LinRgb], out: &mut Vec<Lab>) {
    out.reserve(rgb.len());
    let mut chunks = rgb.chunks_exact(LANES);
    for chunk in &mut chunks {
        let xyz: [Xyz; LANES] = std::array::from_fn(|i| Xyz::from_color(chunk[i]));
        out.extend_from_slice(&xyz_to_lab_lanes(&xyz));
    }
    out.extend(chunks.remainder().iter().map(|&c| linear_to_lab(c)));
}

/// Colours converted together by [`linear_to_lab_into`].
const LANES: usize = 8;

/// [`xyz_to_lab`] of [`LANES`] colours: the same operations, lane by lane.
#[inline]
fn xyz_to_lab_lanes(xyz: &[Xyz; LANES]) -> [Lab; LANES] {
    use palette::white_point::WhitePoint;
    let w: palette::Xyz<D65, f32> = D65::get_xyz().with_white_point();
    let fx = lab_f_lanes(std::array::from_fn(|i| xyz[i].x / w.x));
    let fy = lab_f_lanes(std::array::from_fn(|i| xyz[i].y / w.y));
    let fz = lab_f_lanes(std::array::from_fn(|i| xyz[i].z / w.z));
    std::array::from_fn(|i| {
        Lab::new(
            116.0 * fy[i] - 16.0,
            500.0 * (fx[i] - fy[i]),
            200.0 * (fy[i] - fz[i]),
        )
        .clamp()
    })
}

/// CIELAB's f(t) (CIE 15:2018, eq. 8.2) of [`LANES`] values, each as [`xyz_to_lab`] takes it.
#[inline]
fn lab_f_lanes(t: [f32; LANES]) -> [f32; LANES] {
    let x: [f64; LANES] = std::array::from_fn(|i| f64::from(t[i]));
    let mut y: [f64; LANES] =
        std::array::from_fn(|i| f64::from(f32::from_bits(t[i].to_bits() / 3 + CBRT_B1)));
    for _ in 0..2 {
        for i in 0..LANES {
            let y3 = y[i] * y[i] * y[i];
            y[i] *= (y3 + 2.0 * x[i]) / (2.0 * y3 + x[i]);
        }
    }
    std::array::from_fn(|i| {
        if t[i] > LAB_EPSILON {
            y[i] as f32
        } else {
            LAB_KAPPA * t[i] + LAB_DELTA
        }
    })
}

/// Linear RGB of a Lab colour (may lie outside [0, 1] when the colour is out of sRGB gamut).
pub fn lab_to_linear(lab: Lab) -> LinRgb {
    lab.into_color()
}

/// Lab of a linear RGB colour: palette's matrix to XYZ, then [`xyz_to_lab`].
#[inline]
pub fn linear_to_lab(rgb: LinRgb) -> Lab {
    let xyz: Xyz = Xyz::from_color(rgb);
    xyz_to_lab(xyz)
}

/// CIE XYZ, D65 white, 2° observer (Y of the white = 1).
pub type Xyz = palette::Xyz<D65, f32>;

/// CIELAB of an XYZ colour (CIE 15:2018, eq. 8.1–8.3): palette's formula and constants, with
/// the cube root taken by [`cbrt`] instead of the C library's `cbrtf`. Every pixel a `match`
/// samples (and every pixel of the colour-card check) passes through here; the library's
/// cube root was 4 % of a 12 MP `match`. Agrees with `palette::Lab::from_color` to 2·10⁻⁵
/// in L*, a* and b* (tested over the whole 8-bit sRGB cube in steps of 5).
///
/// ```
/// use smpmatch::color::{xyz_to_lab, Xyz};
/// // The D65 white itself is L* 100, a* = b* = 0.
/// let w = xyz_to_lab(Xyz::new(0.95047, 1.0, 1.08883));
/// assert!((w.l - 100.0).abs() < 1e-3 && w.a.abs() < 1e-2 && w.b.abs() < 1e-2);
/// ```
#[inline]
pub fn xyz_to_lab(xyz: Xyz) -> Lab {
    use palette::white_point::WhitePoint;
    let w: palette::Xyz<D65, f32> = D65::get_xyz().with_white_point();
    let f = |t: f32| {
        if t > LAB_EPSILON {
            cbrt(t)
        } else {
            LAB_KAPPA * t + LAB_DELTA
        }
    };
    let (x, y, z) = (f(xyz.x / w.x), f(xyz.y / w.y), f(xyz.z / w.z));
    // As palette's `from_color`, which clamps to its Lab ranges.
    Lab::new(116.0 * y - 16.0, 500.0 * (x - y), 200.0 * (y - z)).clamp()
}

/// CIE lightness L* of a linear-light colour: [`xyz_to_lab`]'s L* without a* and b* (one
/// cube root instead of three), for measures that need lightness only.
///
/// ```
/// use smpmatch::color::{lightness, linear_to_lab, LinRgb};
/// let c = LinRgb::new(0.2, 0.4, 0.1);
/// assert!((lightness(c) - linear_to_lab(c).l).abs() < 1e-4);
/// ```
#[inline]
pub fn lightness(rgb: LinRgb) -> f32 {
    let y = Xyz::from_color(rgb).y;
    let f = if y > LAB_EPSILON {
        cbrt(y)
    } else {
        LAB_KAPPA * y + LAB_DELTA
    };
    (116.0 * f - 16.0).clamp(0.0, 100.0)
}

/// CIELAB's f(t) breakpoint, (6/29)³, below which f is linear.
const LAB_EPSILON: f32 = (6.0 / 29.0) * (6.0 / 29.0) * (6.0 / 29.0);
/// Slope of f(t) below the breakpoint, (29/6)²/3.
const LAB_KAPPA: f32 = 841.0 / 108.0;
/// Offset of f(t) below the breakpoint, 4/29.
const LAB_DELTA: f32 = 4.0 / 29.0;
/// (127 − 127/3 − 0.0331)·2²³, FreeBSD's `cbrtf` first guess (msun, s_cbrtf.c).
const CBRT_B1: u32 = 709_958_130;

/// Cube root of a positive, normal `x`: a bit-level first guess within 4 % (the exponent
/// divided by three), then two Halley steps in double precision (cubic convergence:
/// 4·10⁻² → 10⁻⁵ → 10⁻¹⁵), rounded once to `f32`. Several times faster than `cbrtf`, and
/// within one unit in the last place of it.
#[inline]
pub fn cbrt(x: f32) -> f32 {
    let guess = f32::from_bits(x.to_bits() / 3 + CBRT_B1);
    let (x, mut y) = (f64::from(x), f64::from(guess));
    for _ in 0..2 {
        let y3 = y * y * y;
        y *= (y3 + 2.0 * x) / (2.0 * y3 + x);
    }
    y as f32
}

/// Optical (area) average of colours: the mean in linear light, which is what the eye sees
/// when details are too small to resolve. Averaging L*a*b* values instead would be wrong: Lab
/// is non-linear in light. Returns `None` for no colours.
pub fn mean_linear(labs: &[Lab]) -> Option<Lab> {
    if labs.is_empty() {
        return None;
    }
    // Fixed-size chunks summed in parallel, then added in chunk order: the same result on
    // any number of threads.
    let partials: Vec<[f64; 3]> = labs
        .par_chunks(8_192)
        .map(|chunk| {
            let mut sum = [0.0f64; 3];
            for &lab in chunk {
                let c = lab_to_linear(lab);
                sum[0] += f64::from(c.red);
                sum[1] += f64::from(c.green);
                sum[2] += f64::from(c.blue);
            }
            sum
        })
        .collect();
    let mut sum = [0.0f64; 3];
    for p in partials {
        for (s, x) in sum.iter_mut().zip(p) {
            *s += x;
        }
    }
    let n = labs.len() as f64;
    Some(linear_to_lab(LinRgb::new(
        (sum[0] / n) as f32,
        (sum[1] / n) as f32,
        (sum[2] / n) as f32,
    )))
}

/// Area mix in linear light: a fraction `w` of the area shows `a`, the rest `b`.
pub fn mix_linear(a: Lab, b: Lab, w: f64) -> Lab {
    let w = w.clamp(0.0, 1.0) as f32;
    let (x, y) = (lab_to_linear(a), lab_to_linear(b));
    linear_to_lab(x * w + y * (1.0 - w))
}

/// `#rrggbb` of a Lab colour in sRGB, each channel clamped to the gamut.
pub fn lab_to_hex(lab: Lab) -> String {
    let [r, g, b] = lab_to_srgb8(lab);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// 8-bit sRGB of a Lab colour, clamped (for terminal swatches).
pub fn lab_to_srgb8(lab: Lab) -> [u8; 3] {
    let rgb: Srgb<f32> = Srgb::from_linear(lab_to_linear(lab).clamp());
    let rgb8: Srgb<u8> = rgb.into_format();
    [rgb8.red, rgb8.green, rgb8.blue]
}

/// `[L*, a*, b*]`, rounded to 2 decimals: the JSON form of a Lab colour.
pub fn lab_to_array(lab: Lab) -> [f64; 3] {
    [round(lab.l, 2), round(lab.a, 2), round(lab.b, 2)]
}

/// Lab from `[L*, a*, b*]`.
pub fn lab_from_array(v: [f64; 3]) -> Lab {
    Lab::new(v[0] as f32, v[1] as f32, v[2] as f32)
}

/// Round for output: JSON carries decimals a person can read, and the rounding is
/// deterministic.
pub fn round(x: f32, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals);
    let r = (f64::from(x) * p).round() / p;
    if r == 0.0 {
        0.0 // never print -0.0
    } else {
        r
    }
}

/// CIELAB chroma C*ab.
pub fn chroma(lab: Lab) -> f32 {
    lab.a.hypot(lab.b)
}

/// CIELAB hue angle h_ab in degrees, [0, 360).
pub fn hue_deg(lab: Lab) -> f32 {
    let h = lab.b.atan2(lab.a).to_degrees();
    if h < 0.0 {
        h + 360.0
    } else {
        h
    }
}

/// Individual Typology Angle, ITA° = atan((L* − 50) / b*) · 180/π (Chardon, Cretois &
/// Hourseau, Int. J. Cosmet. Sci. 13, 1991).
///
/// Computed with `atan2`, which equals the formula for b* > 0 (all real skin) and stays
/// defined when b* ≤ 0; such a value is outside the skin range and callers warn about it.
///
/// ```
/// use smpmatch::color::{ita_deg, Lab, SkinCategory};
/// // Mean adult skin of Han et al. (2006): L* 61.7, b* 17.1 → ITA 34.4°, intermediate.
/// let ita = ita_deg(Lab::new(61.7, 9.6, 17.1));
/// assert!((ita - 34.4).abs() < 0.05);
/// assert_eq!(SkinCategory::from_ita(ita), SkinCategory::Intermediate);
/// ```
pub fn ita_deg(lab: Lab) -> f32 {
    (lab.l - 50.0).atan2(lab.b).to_degrees()
}

/// The six ITA skin classes of Chardon et al. (1991), as used by Del Bino et al. (2006).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkinCategory {
    /// ITA > 55°
    VeryLight,
    /// 41° < ITA ≤ 55°
    Light,
    /// 28° < ITA ≤ 41°
    Intermediate,
    /// 10° < ITA ≤ 28°
    Tan,
    /// −30° < ITA ≤ 10°
    Brown,
    /// ITA ≤ −30°
    Dark,
}

impl SkinCategory {
    /// Class of an ITA value. Each boundary belongs to the darker class.
    pub fn from_ita(ita: f32) -> SkinCategory {
        if ita > 55.0 {
            SkinCategory::VeryLight
        } else if ita > 41.0 {
            SkinCategory::Light
        } else if ita > 28.0 {
            SkinCategory::Intermediate
        } else if ita > 10.0 {
            SkinCategory::Tan
        } else if ita > -30.0 {
            SkinCategory::Brown
        } else {
            SkinCategory::Dark
        }
    }

    /// Human-readable name.
    pub fn label(self) -> &'static str {
        match self {
            SkinCategory::VeryLight => "very light",
            SkinCategory::Light => "light",
            SkinCategory::Intermediate => "intermediate",
            SkinCategory::Tan => "tan",
            SkinCategory::Brown => "brown",
            SkinCategory::Dark => "dark",
        }
    }
}

/// Largest |a*| or |b*| accepted on input: object colours stay within about ±130, and
/// CIEDE2000 is not defined for values that do not fit in the f32 of [`Lab`].
pub const LAB_AB_MAX: f64 = 500.0;

/// Parse `L,a,b`, with L* in 0–100 and a*, b* within ±[`LAB_AB_MAX`].
pub fn parse_lab(s: &str) -> Result<Lab, String> {
    parse_lab_values(s).map(lab_from_array)
}

/// [`parse_lab`], keeping the numbers exactly as written (for outputs that echo them).
pub fn parse_lab_values(s: &str) -> Result<[f64; 3], String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(format!("expected L,a,b (three numbers), got {s:?}"));
    }
    let mut v = [0f64; 3];
    for (i, (slot, p)) in v.iter_mut().zip(&parts).enumerate() {
        let x: f64 = p
            .parse()
            .map_err(|_| format!("{p:?} is not a number (in {s:?})"))?;
        if !x.is_finite() {
            return Err(format!("{p:?} is not a finite number (in {s:?})"));
        }
        let (name, lo, hi) = [
            ("L*", 0.0, 100.0),
            ("a*", -LAB_AB_MAX, LAB_AB_MAX),
            ("b*", -LAB_AB_MAX, LAB_AB_MAX),
        ][i];
        if !(lo..=hi).contains(&x) {
            return Err(format!("{name} must lie in {lo}–{hi}, got {p} (in {s:?})"));
        }
        *slot = x;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_lab_agrees_with_palette_over_the_srgb_cube() {
        let mut worst = 0f32;
        for r in (0..=255u8).step_by(5) {
            for g in (0..=255u8).step_by(5) {
                for b in (0..=255u8).step_by(5) {
                    let lin: LinRgb = Srgb::new(r, g, b).into_linear();
                    let ours = linear_to_lab(lin);
                    let theirs: Lab = Lab::from_color(lin);
                    worst = worst
                        .max((ours.l - theirs.l).abs())
                        .max((ours.a - theirs.a).abs())
                        .max((ours.b - theirs.b).abs());
                }
            }
        }
        assert!(worst < 2e-5, "largest difference {worst}");
    }

    #[test]
    fn the_batch_conversion_is_the_single_one_bit_for_bit() {
        // Every 8-bit sRGB colour in steps of 3 (so both sides of f's breakpoint, black and
        // white), plus a ragged tail that the batch converts one by one.
        let mut rgb = Vec::new();
        for r in (0..=255u8).step_by(3) {
            for g in (0..=255u8).step_by(3) {
                for b in (0..=255u8).step_by(3) {
                    rgb.push(linear_from_srgb8(r, g, b));
                }
            }
        }
        rgb.extend([
            LinRgb::new(1.0, 1.0, 1.0),
            LinRgb::new(0.0, 0.0, 0.0),
            LinRgb::new(1e-4, 2e-3, 0.5),
        ]);
        assert_ne!(rgb.len() % 8, 0);
        let mut batch = Vec::new();
        linear_to_lab_into(&rgb, &mut batch);
        assert_eq!(batch.len(), rgb.len());
        for (&c, lab) in rgb.iter().zip(&batch) {
            let one = linear_to_lab(c);
            for (x, y) in [(one.l, lab.l), (one.a, lab.a), (one.b, lab.b)] {
                assert_eq!(x.to_bits(), y.to_bits(), "{c:?}: {one:?} vs {lab:?}");
            }
        }
    }

    #[test]
    fn lightness_is_the_lab_l_star() {
        for r in (0..=255u16).step_by(15) {
            for g in (0..=255u16).step_by(15) {
                for b in (0..=255u16).step_by(15) {
                    let c = linear_from_srgb8(r as u8, g as u8, b as u8);
                    assert!(
                        (lightness(c) - linear_to_lab(c).l).abs() < 1e-4,
                        "{r} {g} {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn cbrt_is_within_one_ulp_of_the_library() {
        let mut x = 1e-6f32;
        while x < 1e6 {
            let (ours, lib) = (cbrt(x), x.cbrt());
            let ulps = (ours.to_bits() as i64 - lib.to_bits() as i64).abs();
            assert!(ulps <= 1, "cbrt({x}) = {ours}, library {lib}");
            x *= 1.001;
        }
    }

    #[test]
    fn ita_classes_follow_chardon_boundaries() {
        assert_eq!(SkinCategory::from_ita(60.0), SkinCategory::VeryLight);
        assert_eq!(SkinCategory::from_ita(55.0), SkinCategory::Light);
        assert_eq!(SkinCategory::from_ita(41.0), SkinCategory::Intermediate);
        assert_eq!(SkinCategory::from_ita(30.0), SkinCategory::Intermediate);
        assert_eq!(SkinCategory::from_ita(28.0), SkinCategory::Tan);
        assert_eq!(SkinCategory::from_ita(10.0), SkinCategory::Brown);
        assert_eq!(SkinCategory::from_ita(-30.0), SkinCategory::Dark);
        assert_eq!(SkinCategory::from_ita(-50.0), SkinCategory::Dark);
    }

    #[test]
    fn ita_matches_the_formula_for_skin() {
        // L* = 50 + b* · tan(45°) gives ITA = 45° exactly.
        let lab = Lab::new(65.0, 10.0, 15.0);
        assert!((ita_deg(lab) - 45.0).abs() < 1e-4);
        // Dark skin: L* 35, b* 15 → atan(−1) = −45°.
        assert!((ita_deg(Lab::new(35.0, 8.0, 15.0)) + 45.0).abs() < 1e-4);
    }

    #[test]
    fn parse_lab_rejects_bad_text() {
        assert!(parse_lab("50,0,0").is_ok());
        assert!(parse_lab("50,0").is_err());
        assert!(parse_lab("50,x,0").is_err());
        assert!(parse_lab("150,0,0").is_err());
        assert!(parse_lab("NaN,0,0").is_err());
        assert!(parse_lab("50,inf,0").is_err());
    }

    #[test]
    fn hex_of_white_and_black() {
        assert_eq!(lab_to_hex(Lab::new(100.0, 0.0, 0.0)), "#ffffff");
        assert_eq!(lab_to_hex(Lab::new(0.0, 0.0, 0.0)), "#000000");
    }
}
