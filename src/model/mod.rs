//! The appearance model: how an implanted pigment looks healed under a patient's skin, and
//! how that look changes over months. Pure functions of documented parameters; the
//! equations, parameter sources and assumptions are in `docs/model.md`.
//!
//! Per linear-RGB channel (sRGB primaries, standing for the bands around 611, 549 and
//! 464 nm — a three-band approximation of the spectral model, an assumption):
//!
//! ```text
//!   skin   R_skin = T² · D                                   (1) epidermis filter over dermis
//!   dermis D      = r + t²·R_d / (1 − r·R_d),   t = 1 − r    (2) scattering veil over deep dermis
//!   veil   r      = r0 · (λ / 550 nm)^(−b)                   (3) back-scatter above the pigment
//!   mix    (K/S)  = ((K/S)_d + Σ c_i·(K/S)_i) / (1 + Σ c_i)   (4) Kubelka–Munk, two-constant
//!   dot    R_dot  = T² · [ r + t²·R_mix / (1 − r·R_mix) ]    (5)
//!   c(t)   = c_full · strength / (1 + dilution) · retention · exp(−ln2 · t · (1 + s·sun) / T½)
//! ```
//!
//! `T²` (the epidermis, which carries melanin and hence the skin's colour) is solved from
//! the measured skin and the dermal reflectance `D`, so a pigment-free dot is exactly the
//! skin. Black pigment under the veil returns mostly `T²·r`, which is relatively bluer than
//! the skin because `r` grows toward short wavelengths: the blue-grey look of healed carbon
//! black (Tyndall effect) follows from the physics rather than from a colour offset.

use palette::Clamp;
use serde::{Deserialize, Serialize};

use crate::color::{lab_to_linear, linear_to_lab, Lab, LinRgb};

/// Sun exposure of the treated scalp.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sun {
    /// Mostly covered or indoors.
    Low,
    /// Ordinary outdoor life.
    #[default]
    Moderate,
    /// Outdoor work or sport, shaved head uncovered.
    High,
}

impl Sun {
    /// The `sun` factor of the decay rate: 0, 1, 2.
    pub fn level(self) -> f64 {
        match self {
            Sun::Low => 0.0,
            Sun::Moderate => 1.0,
            Sun::High => 2.0,
        }
    }
}

/// Global model parameters (per-pigment fading parameters live in the catalog).
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct ModelParams {
    /// Effective concentration of undiluted, full-strength ink in the dot's dermis, relative
    /// to the masstone (equation 4). A masstone drawdown saturates near the surface
    /// reflectance, so it understates how strongly ink absorbs: c_full ≫ 1. Assumption, set
    /// so that the model reproduces practitioners' dilution charts (black stubble on dark
    /// skin ≈ 4–6:1, grey or light hair ≥ 20:1; see docs/model.md).
    pub c_full: f64,
    /// Fraction of pigment left once healed: about a third is lost within weeks (Bäumler,
    /// Curr. Probl. Dermatol. 48, 2015).
    pub healing_retention: f64,
    /// Veil back-scatter at 550 nm above the pigment depth (assumption, set so undiluted
    /// carbon black heals to L* ≈ 30–35 on light skin).
    pub veil_r550: f64,
    /// Scattering power b of skin, µs' ∝ λ^(−b) (Jacques, Phys. Med. Biol. 58 R37, 2013:
    /// b ≈ 1.4 for skin).
    pub scatter_power: f64,
    /// Reflectance of pigment-free dermis without epidermis, per channel R, G, B
    /// (assumption, after the dermal remittance of Anderson & Parrish, J. Invest. Dermatol.
    /// 77, 1981: high, lower in green/blue where blood absorbs).
    pub dermis_rgb: [f64; 3],
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            c_full: 10.0,
            healing_retention: 0.67,
            veil_r550: 0.08,
            scatter_power: 1.4,
            dermis_rgb: [0.60, 0.45, 0.40],
        }
    }
}

/// Representative wavelengths of the sRGB channels (nm): dominant wavelengths of the
/// BT.709 primaries.
pub const CHANNEL_NM: [f64; 3] = [611.0, 549.0, 464.0];

/// How a pigment fades (catalog field `fading`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fading {
    /// Months for the dermal pigment to halve without sun (> 0).
    pub half_life_months: f64,
    /// Extra decay per sun level: rate × (1 + s · sun), sun = 0 low, 1 moderate, 2 high.
    pub sun_sensitivity: f64,
}

/// Reflectance ↔ Kubelka–Munk K/S for an opaque layer: K/S = (1 − R)² / 2R.
pub fn ks_from_r(r: f64) -> f64 {
    let r = r.clamp(1e-4, 1.0 - 1e-6);
    (1.0 - r) * (1.0 - r) / (2.0 * r)
}

/// Inverse of [`ks_from_r`]: R = 1 + K/S − sqrt((K/S)² + 2 K/S).
pub fn r_from_ks(ks: f64) -> f64 {
    let ks = ks.max(0.0);
    // Written as 1 / (1 + K/S + sqrt(...)) to avoid cancellation at large K/S.
    1.0 / (1.0 + ks + (ks * ks + 2.0 * ks).sqrt())
}

/// Reflectance of a scattering layer (r, t = 1 − r) over a background R_bg
/// (Kubelka's layer formula with interreflection).
fn over_veil(r: f64, rbg: f64) -> f64 {
    let t = 1.0 - r;
    r + t * t * rbg / (1.0 - r * rbg)
}

/// Inverse of [`over_veil`] for R_bg.
fn under_veil(r: f64, total: f64) -> f64 {
    let t = 1.0 - r;
    let x = (total - r).max(0.0);
    x / (t * t + r * x)
}

fn to_rgb3(lab: Lab) -> [f64; 3] {
    let c: LinRgb = lab_to_linear(lab).clamp();
    [
        f64::from(c.red).max(1e-5),
        f64::from(c.green).max(1e-5),
        f64::from(c.blue).max(1e-5),
    ]
}

fn from_rgb3(v: [f64; 3]) -> Lab {
    linear_to_lab(LinRgb::new(v[0] as f32, v[1] as f32, v[2] as f32))
}

/// The optics of one patient's skin, solved once and reused for every pigment.
#[derive(Debug, Clone, Copy)]
pub struct Skin {
    /// Measured scalp colour.
    pub lab: Lab,
    t2: [f64; 3],
    veil: [f64; 3],
    ks_dermis: [f64; 3],
}

impl Skin {
    /// Solve equations (1)–(3) for a measured scalp colour.
    pub fn new(lab: Lab, p: &ModelParams) -> Skin {
        let rgb = to_rgb3(lab);
        let mut t2 = [0.0; 3];
        let mut veil = [0.0; 3];
        let mut ks_dermis = [0.0; 3];
        for ch in 0..3 {
            let r = p.veil_r550 * (CHANNEL_NM[ch] / 550.0).powf(-p.scatter_power);
            // Very light skin can exceed the assumed dermis: raise D so T² ≤ 0.95.
            let d = p.dermis_rgb[ch].max(rgb[ch] / 0.95).max(r + 1e-3);
            t2[ch] = rgb[ch] / d;
            veil[ch] = r;
            ks_dermis[ch] = ks_from_r(under_veil(r, d));
        }
        Skin {
            lab,
            t2,
            veil,
            ks_dermis,
        }
    }

    /// Colour of skin holding pigment of the given K/S at effective concentration `c`.
    pub fn dot(&self, pigment: &PigmentOptics, c: f64) -> Lab {
        self.dot_mix(&[(*pigment, c)])
    }

    /// Colour of skin holding several pigments, each `(optics, concentration)`: equation (4)
    /// with one term per pigment.
    pub fn dot_mix(&self, parts: &[(PigmentOptics, f64)]) -> Lab {
        let total: f64 = parts.iter().map(|(_, c)| c.max(0.0)).sum();
        let mut out = [0.0; 3];
        for (ch, o) in out.iter_mut().enumerate() {
            let mut k = self.ks_dermis[ch];
            for (optics, c) in parts {
                k += c.max(0.0) * optics.ks[ch];
            }
            *o = self.t2[ch] * over_veil(self.veil[ch], r_from_ks(k / (1.0 + total)));
        }
        from_rgb3(out)
    }

    /// K/S of the pigment-free dermis (a pigment with these optics is invisible).
    pub fn dermis_optics(&self) -> PigmentOptics {
        PigmentOptics { ks: self.ks_dermis }
    }

    /// Pigment optics that reproduce `healed` on this skin at concentration `c`: the
    /// inverse of [`Skin::dot`], used for catalog entries measured as healed swatches.
    /// Returns the optics and whether they had to be clamped (swatch outside the model).
    pub fn invert(&self, healed: Lab, c: f64) -> (PigmentOptics, bool) {
        let rgb = to_rgb3(healed);
        let c = c.max(1e-6);
        let mut ks = [0.0; 3];
        let mut clamped = false;
        for ch in 0..3 {
            let rmix = under_veil(self.veil[ch], rgb[ch] / self.t2[ch]);
            let k = (ks_from_r(rmix) * (1.0 + c) - self.ks_dermis[ch]) / c;
            if !(k.is_finite() && k > 1e-4) {
                clamped = true;
            }
            ks[ch] = if k.is_finite() { k.max(1e-4) } else { 1e4 };
        }
        (PigmentOptics { ks }, clamped)
    }
}

/// Kubelka–Munk optics of a pigment, per channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PigmentOptics {
    /// K/S per channel R, G, B.
    pub ks: [f64; 3],
}

impl PigmentOptics {
    /// Optics of an opaque masstone drawdown of colour `lab`.
    pub fn from_masstone(lab: Lab) -> PigmentOptics {
        let rgb = to_rgb3(lab);
        PigmentOptics {
            ks: [ks_from_r(rgb[0]), ks_from_r(rgb[1]), ks_from_r(rgb[2])],
        }
    }

    /// The masstone colour these optics stand for.
    pub fn masstone(&self) -> Lab {
        from_rgb3([
            r_from_ks(self.ks[0]),
            r_from_ks(self.ks[1]),
            r_from_ks(self.ks[2]),
        ])
    }
}

/// Fraction of the healed pigment left after `months` (1 at month 0).
pub fn retention(fading: &Fading, sun: Sun, months: f64) -> f64 {
    let rate = std::f64::consts::LN_2 / fading.half_life_months.max(1e-9)
        * (1.0 + fading.sun_sensitivity.max(0.0) * sun.level());
    (-rate * months.max(0.0)).exp()
}

/// Dot size and spacing of a treatment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Dots {
    /// Healed dot diameter, mm.
    pub diameter_mm: f64,
    /// Dots per cm².
    pub density_per_cm2: f64,
}

impl Default for Dots {
    /// 0.5 mm dots at 80 per cm² (assumption, practitioner sources: SMP dots of
    /// 0.3–0.7 mm healed, placed at roughly one per follicular unit).
    fn default() -> Self {
        Dots {
            diameter_mm: 0.5,
            density_per_cm2: 80.0,
        }
    }
}

impl Dots {
    /// Share of the area covered by dots placed at random (a Poisson process, so overlapping
    /// dots are counted once): `1 − exp(−n · π d² / 4)`.
    pub fn coverage(&self) -> f64 {
        let d_cm = self.diameter_mm.max(0.0) / 10.0;
        let per_dot = std::f64::consts::PI * d_cm * d_cm / 4.0;
        1.0 - (-self.density_per_cm2.max(0.0) * per_dot).exp()
    }
}

/// Effective dermal concentration, healed (month 0), for an ink of `strength` diluted with
/// `dilution` parts diluent per part ink.
pub fn healed_concentration(p: &ModelParams, strength: f64, dilution: f64) -> f64 {
    p.c_full * strength / (1.0 + dilution.max(0.0)) * p.healing_retention
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::delta_e00;

    fn light_skin() -> Lab {
        Lab::new(66.0, 11.0, 16.0)
    }
    fn carbon() -> PigmentOptics {
        PigmentOptics::from_masstone(Lab::new(22.0, 0.0, -0.5))
    }

    #[test]
    fn kubelka_munk_round_trip() {
        for r in [0.01, 0.1, 0.5, 0.9] {
            assert!((r_from_ks(ks_from_r(r)) - r).abs() < 1e-9);
        }
        // Published pairs: R = 0.5 → K/S = 0.25; R = 0.2 → K/S = 1.6.
        assert!((ks_from_r(0.5) - 0.25).abs() < 1e-12);
        assert!((ks_from_r(0.2) - 1.6).abs() < 1e-12);
    }

    #[test]
    fn zero_concentration_dot_is_the_skin() {
        let p = ModelParams::default();
        for lab in [
            light_skin(),
            Lab::new(35.0, 9.0, 14.0),
            Lab::new(80.0, 6.0, 14.0),
        ] {
            let skin = Skin::new(lab, &p);
            assert!(delta_e00(skin.dot(&carbon(), 0.0), lab) < 0.05);
        }
    }

    #[test]
    fn dermis_optics_pigment_is_invisible_at_any_concentration() {
        let p = ModelParams::default();
        let skin = Skin::new(light_skin(), &p);
        let inv = skin.dermis_optics();
        for c in [0.1, 0.5, 1.0] {
            assert!(delta_e00(skin.dot(&inv, c), light_skin()) < 0.05);
        }
    }

    #[test]
    fn more_pigment_darker_dot() {
        let p = ModelParams::default();
        let skin = Skin::new(light_skin(), &p);
        let mut last = 101.0;
        for i in 0..=20 {
            let l = skin.dot(&carbon(), f64::from(i) / 20.0).l;
            assert!(l < last + 1e-4, "L* rose at c = {}", f64::from(i) / 20.0);
            last = l;
        }
    }

    #[test]
    fn healed_black_shows_the_tyndall_blue_shift() {
        // The mechanism, not a number: wavelength-dependent back-scatter (b > 0) makes the
        // healed dot bluer than the same dot under wavelength-flat scatter (b = 0), and far
        // less yellow than the skin around it.
        let p = ModelParams::default();
        let flat = ModelParams {
            scatter_power: 0.0,
            ..p
        };
        let c = healed_concentration(&p, 1.0, 0.0);
        let dot = Skin::new(light_skin(), &p).dot(&carbon(), c);
        let dot_flat = Skin::new(light_skin(), &flat).dot(&carbon(), c);
        assert!(dot.b < dot_flat.b - 1.0, "{dot:?} vs {dot_flat:?}");
        assert!(dot.b < light_skin().b - 10.0, "{dot:?}");
        assert!(dot.l > 20.0 && dot.l < 45.0, "{dot:?}");
    }

    #[test]
    fn darker_skin_less_contrast() {
        let p = ModelParams::default();
        let c = healed_concentration(&p, 1.0, 4.0);
        let contrast = |lab: Lab| {
            let s = Skin::new(lab, &p);
            delta_e00(s.dot(&carbon(), c), lab)
        };
        assert!(contrast(Lab::new(70.0, 10.0, 15.0)) > contrast(Lab::new(50.0, 12.0, 20.0)));
        assert!(contrast(Lab::new(50.0, 12.0, 20.0)) > contrast(Lab::new(32.0, 9.0, 13.0)));
    }

    #[test]
    fn inversion_recovers_the_pigment() {
        let p = ModelParams::default();
        let skin = Skin::new(light_skin(), &p);
        let brown = PigmentOptics::from_masstone(Lab::new(32.0, 12.0, 16.0));
        let c = healed_concentration(&p, 1.0, 2.0);
        let healed = skin.dot(&brown, c);
        let (back, clamped) = skin.invert(healed, c);
        assert!(!clamped);
        assert!(delta_e00(back.masstone(), brown.masstone()) < 0.2);
    }

    #[test]
    fn retention_halves_at_the_half_life() {
        let f = Fading {
            half_life_months: 24.0,
            sun_sensitivity: 0.5,
        };
        assert!((retention(&f, Sun::Low, 24.0) - 0.5).abs() < 1e-12);
        assert!(retention(&f, Sun::High, 24.0) < retention(&f, Sun::Moderate, 24.0));
        assert_eq!(retention(&f, Sun::High, 0.0), 1.0);
    }
}
