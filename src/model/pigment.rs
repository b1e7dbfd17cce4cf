//! Pigments: spectral absorption K(λ) and scattering S(λ) per unit concentration, from a
//! published spectrum (carbon black), a masstone drawdown, or a healed swatch.
//!
//! Units: K and S in cm⁻¹ for undiluted, full-strength ink packed in the pigment band as
//! implanted (concentration c = 1). The scale is set by carbon black: K(550 nm) of undiluted
//! carbon ink is `2·µa` with µa = [`super::ModelParams::carbon_mu_a`]; other pigments are
//! given relative to it ([`Colorant::relative_strength`]).
//!
//! Why a masstone alone is not enough (and what is done about it): a masstone drawdown is
//! opaque, so it fixes only the ratio K/S, and the ratio only after the surface reflection
//! is taken out (Saunderson: a drawdown's surface reflects about 4 % at every wavelength, so
//! carbon black's L* 22 masstone is mostly surface and its body is close to black, K/S → ∞).
//! The absolute strength needs a tint (a let-down with white) or an assumption; smpmatch uses
//! labelled assumptions per colorant until tint measurements exist.

use serde::{Deserialize, Serialize};

use super::skin::km_infinite;
use super::spectrum::{self, Spectrum, BANDS};
use crate::color::Lab;

/// Saunderson constants of a masstone drawdown measured with the specular component
/// included (d/8° SCI, or a photo): external k1 = 0.04 (n ≈ 1.5), internal k2 = 0.6.
pub const DRAWDOWN_K1: f64 = 0.04;
/// See [`DRAWDOWN_K1`].
pub const DRAWDOWN_K2: f64 = 0.6;

/// Body reflectance of a drawdown from its measured reflectance (inverse Saunderson, specular
/// included).
pub fn saunderson_inverse(rm: f64) -> f64 {
    let x = (rm - DRAWDOWN_K1).max(0.0);
    let d = (1.0 - DRAWDOWN_K1) * (1.0 - DRAWDOWN_K2) + DRAWDOWN_K2 * x;
    (x / d).clamp(0.0, 1.0)
}

/// Measured reflectance of a drawdown of body reflectance `r` (Saunderson, specular included).
pub fn saunderson(r: f64) -> f64 {
    DRAWDOWN_K1 + (1.0 - DRAWDOWN_K1) * (1.0 - DRAWDOWN_K2) * r / (1.0 - DRAWDOWN_K2 * r)
}

/// Absorption and scattering of a pigment per unit concentration (cm⁻¹ at c = 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PigmentOptics {
    /// K(λ), cm⁻¹.
    pub k: Spectrum,
    /// S(λ), cm⁻¹.
    pub s: Spectrum,
}

/// K/S above which a body is treated as black (R∞ < 2·10⁻⁵).
const KS_BLACK: f64 = 2.5e4;

impl PigmentOptics {
    /// Carbon black: a pure absorber (S = 0) with K ∝ λ^−1 (absorption Ångström exponent
    /// 1.0, observed 0.6–1.3: Liu et al., Atmos. Chem. Phys. 18, 2018; Bond & Bergstrom,
    /// Aerosol Sci. Technol. 40, 2006), `k550` at 550 nm.
    pub fn carbon_black(k550: f64) -> PigmentOptics {
        PigmentOptics {
            k: spectrum::from_fn(|nm| k550 * (nm / 550.0).powf(-1.0)),
            s: [0.0; BANDS],
        }
    }

    /// A pigment from its masstone (specular included) and its K at 550 nm: the body's K/S
    /// spectrum from the smoothest reflectance with that colour (Burns' LHTSS) and the
    /// inverse Saunderson correction; S is taken flat (assumption: pigment particles of
    /// 0.1–1 µm scatter about evenly across the visible), so K(λ) = k550·(K/S)(λ)/(K/S)(550).
    /// Returns None for a masstone no reflectance can have.
    pub fn from_masstone(lab: Lab, k550: f64) -> Option<PigmentOptics> {
        let rm = spectrum::reflectance_from_lab(lab).ok()?;
        let ks: Spectrum = std::array::from_fn(|i| {
            let r = saunderson_inverse(rm[i]);
            if r <= 1e-9 {
                KS_BLACK
            } else {
                ((1.0 - r) * (1.0 - r) / (2.0 * r)).min(KS_BLACK)
            }
        });
        let k550_ks = ks[spectrum::band(550.0)];
        let s = k550 / k550_ks;
        Some(PigmentOptics {
            k: std::array::from_fn(|i| s * ks[i]),
            s: [s; BANDS],
        })
    }

    /// A pigment from its masstone and a tint: a let-down of the ink in a white at mass share
    /// `ink_share` of the pigment, both drawdowns opaque and measured specular included.
    /// Two-constant Kubelka–Munk (Duncan): with the white's S = 1 and K = (K/S)_white,
    /// `(K/S)_tint = (c·K + (1 − c)·K_w) / (c·S + (1 − c))` and `K = (K/S)_mass·S` give, per
    /// band, `S = (1 − c)·((K/S)_tint − (K/S)_w) / (c·((K/S)_mass − (K/S)_tint))`. The tint
    /// thus measures the ink's scattering spectrum (a masstone alone fixes only K/S, and
    /// hardly that for a near-black ink). The absolute scale is still set by `k550` (K at
    /// 550 nm), since the white's own scattering is unknown in skin. None when a drawdown has
    /// no reflectance, or the tint is not between the white and the masstone in some band.
    pub fn from_masstone_and_tint(
        masstone: Lab,
        tint: Lab,
        ink_share: f64,
        white: Lab,
        k550: f64,
    ) -> Option<PigmentOptics> {
        let ks = |lab: Lab| -> Option<Spectrum> {
            let rm = spectrum::reflectance_from_lab(lab).ok()?;
            Some(std::array::from_fn(|i| {
                let r = saunderson_inverse(rm[i]).max(1e-9);
                ((1.0 - r) * (1.0 - r) / (2.0 * r)).min(KS_BLACK)
            }))
        };
        let (qm, qt, qw) = (ks(masstone)?, ks(tint)?, ks(white)?);
        let c = ink_share;
        if !(c > 0.0 && c < 1.0) {
            return None;
        }
        let mut k = [0.0; BANDS];
        let mut s = [0.0; BANDS];
        for i in 0..BANDS {
            let den = c * (qm[i] - qt[i]);
            let num = (1.0 - c) * (qt[i] - qw[i]);
            if den <= 0.0 || num <= 0.0 {
                return None;
            }
            s[i] = num / den;
            k[i] = qm[i] * s[i];
        }
        let scale = k550 / k[spectrum::band(550.0)];
        Some(PigmentOptics {
            k: k.map(|v| v * scale),
            s: s.map(|v| v * scale),
        })
    }

    /// The masstone these optics stand for (an opaque drawdown, specular included).
    pub fn masstone(&self) -> Lab {
        let r: Spectrum =
            std::array::from_fn(|i| saunderson(km_infinite(self.k[i], self.s[i].max(1e-12))));
        spectrum::lab(&r)
    }

    /// These optics at concentration `c`.
    pub fn scaled(&self, c: f64) -> PigmentOptics {
        PigmentOptics {
            k: self.k.map(|v| v * c),
            s: self.s.map(|v| v * c),
        }
    }

    /// K at 550 nm.
    pub fn k550(&self) -> f64 {
        self.k[spectrum::band(550.0)]
    }
}

/// A pure colorant a composite ink is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Colorant {
    /// Carbon black, PBk7 (CI 77266).
    CarbonBlack,
    /// Black iron oxide, PBk11 (CI 77499).
    IronOxideBlack,
    /// Red iron oxide, PR101 (CI 77491).
    IronOxideRed,
    /// Yellow iron oxide, PY42 (CI 77492).
    IronOxideYellow,
    /// An organic (azo) red toner.
    OrganicRed,
}

impl Colorant {
    /// Every colorant, in a fixed order.
    pub const ALL: [Colorant; 5] = [
        Colorant::CarbonBlack,
        Colorant::IronOxideBlack,
        Colorant::IronOxideRed,
        Colorant::IronOxideYellow,
        Colorant::OrganicRed,
    ];

    /// Typical masstone (assumption: typical paint masstones of these pigments, specular
    /// included; carbon black's is not used, its spectrum is published).
    pub fn masstone(self) -> Lab {
        match self {
            Colorant::CarbonBlack => Lab::new(22.0, 0.0, -0.5),
            Colorant::IronOxideBlack => Lab::new(27.0, 0.5, 0.5),
            Colorant::IronOxideRed => Lab::new(38.0, 28.0, 22.0),
            Colorant::IronOxideYellow => Lab::new(60.0, 12.0, 50.0),
            Colorant::OrganicRed => Lab::new(42.0, 50.0, 28.0),
        }
    }

    /// K at 550 nm relative to carbon black at the same mass share (assumption: carbon
    /// black's tinting strength is several times that of iron oxides; no published
    /// let-down data for tattoo inks were found).
    pub fn relative_strength(self) -> f64 {
        match self {
            Colorant::CarbonBlack => 1.0,
            Colorant::IronOxideBlack => 0.25,
            Colorant::IronOxideRed => 0.2,
            Colorant::IronOxideYellow => 0.1,
            Colorant::OrganicRed => 0.3,
        }
    }

    /// How this colorant fades in skin (see docs/model.md § Ageing).
    pub fn fading(self) -> super::Fading {
        match self {
            // Assumption (no pigment measurement found), set with the migration and spread
            // rates so that touch-ups fall at 2.5–8 years for diluted to undiluted carbon on
            // light skin, around the 3–6 years practitioners quote; carbon black is the most
            // light-stable tattoo pigment, and half of it stays for good (plateau).
            Colorant::CarbonBlack => super::Fading {
                half_life_months: 60.0,
                sun_sensitivity: 0.3,
                plateau: 0.5,
            },
            // Iron oxides: Kat et al. (JPRAS 2006) report 32 % mean (patient-reported) fading
            // of iron-oxide areola tattoos at 14 months: with a plateau of 0.4 and ordinary
            // sun this half-life gives 31 %.
            Colorant::IronOxideBlack | Colorant::IronOxideRed | Colorant::IronOxideYellow => {
                super::Fading {
                    half_life_months: 20.0,
                    sun_sensitivity: 0.5,
                    plateau: 0.4,
                }
            }
            // Azo pigments are degraded by sunlight in skin (Engel et al., Exp. Dermatol. 19,
            // 2010; Curr. Probl. Dermatol. 48, 2015): shorter, more sun-sensitive, lower
            // plateau (assumption on the numbers).
            Colorant::OrganicRed => super::Fading {
                half_life_months: 12.0,
                sun_sensitivity: 1.0,
                plateau: 0.2,
            },
        }
    }

    /// Optics of this colorant at full strength, given carbon's K(550). The optics are linear
    /// in the strength, so each colorant's spectrum is reconstructed once per process.
    pub fn optics(self, carbon_k550: f64) -> PigmentOptics {
        static UNIT: std::sync::OnceLock<Vec<PigmentOptics>> = std::sync::OnceLock::new();
        let unit = UNIT.get_or_init(|| {
            Colorant::ALL
                .iter()
                .map(|&c| match c {
                    Colorant::CarbonBlack => PigmentOptics::carbon_black(1.0),
                    c => PigmentOptics::from_masstone(c.masstone(), 1.0)
                        .unwrap_or_else(|| PigmentOptics::carbon_black(1.0)),
                })
                .collect()
        });
        let i = Colorant::ALL.iter().position(|&c| c == self).unwrap_or(0);
        unit[i].scaled(carbon_k550 * self.relative_strength())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::delta_e00;

    #[test]
    fn saunderson_round_trip() {
        for r in [0.0, 0.05, 0.3, 0.8] {
            assert!((saunderson_inverse(saunderson(r)) - r).abs() < 1e-12);
        }
        // A drawdown darker than its own surface has a black body.
        assert_eq!(saunderson_inverse(0.03), 0.0);
    }

    #[test]
    fn masstone_round_trips_through_the_optics() {
        for c in Colorant::ALL {
            if c == Colorant::CarbonBlack {
                continue;
            }
            // Exact unless some band of the masstone lies below the drawdown's 4 % surface
            // reflection (saturated reds): that band's body is black, K/S is capped.
            let o = c.optics(1000.0);
            assert!(
                delta_e00(o.masstone(), c.masstone()) < 1.0,
                "{c:?}: {:?}",
                o.masstone()
            );
        }
        // Carbon black's masstone is its surface: black body + 4 % sheen ≈ L* 23.
        let m = PigmentOptics::carbon_black(1000.0).masstone();
        assert!(
            (m.l - 23.0).abs() < 1.5 && m.a.abs() < 0.5 && m.b.abs() < 0.5,
            "{m:?}"
        );
    }

    #[test]
    fn a_tint_recovers_the_scattering_a_masstone_cannot_show() {
        // Truth: a brown pigment whose scattering falls toward the red (not flat), let down
        // 1:9 in a white. Its masstone and tint colours are computed by Kubelka–Munk and
        // Saunderson; the method must recover the scattering's slope from them.
        let truth = PigmentOptics {
            k: spectrum::from_fn(|nm| 20.0 * (-(nm - 400.0) / 120.0).exp() + 1.0),
            s: spectrum::from_fn(|nm| 3.0 * (nm / 550.0).powf(-2.0)),
        };
        let white = PigmentOptics {
            k: [0.02; BANDS],
            s: [1.0; BANDS],
        };
        let c = 0.1;
        let lab_of = |k: &Spectrum, s: &Spectrum| {
            let r: Spectrum = std::array::from_fn(|i| saunderson(km_infinite(k[i], s[i])));
            spectrum::lab(&r)
        };
        let mass = lab_of(&truth.k, &truth.s);
        let mix_k: Spectrum = std::array::from_fn(|i| c * truth.k[i] + (1.0 - c) * white.k[i]);
        let mix_s: Spectrum = std::array::from_fn(|i| c * truth.s[i] + (1.0 - c) * white.s[i]);
        let tint = lab_of(&mix_k, &mix_s);
        let white_lab = lab_of(&white.k, &white.s);
        let got = PigmentOptics::from_masstone_and_tint(mass, tint, c, white_lab, 1.0)
            .expect("recoverable");
        // Scattering slope: S(450)/S(650) is (650/450)² = 2.09 in truth; flat (1) from a
        // masstone alone.
        let ratio = got.s[spectrum::band(450.0)] / got.s[spectrum::band(650.0)];
        assert!((ratio - 2.09).abs() < 0.5, "S(450)/S(650) = {ratio}");
        // The recovered optics reproduce both drawdowns.
        assert!(delta_e00(got.masstone(), mass) < 0.1);
    }

    #[test]
    fn carbon_absorbs_more_in_the_blue() {
        let o = PigmentOptics::carbon_black(1000.0);
        assert!(o.k[spectrum::band(450.0)] > o.k[spectrum::band(650.0)] * 1.4);
    }
}
