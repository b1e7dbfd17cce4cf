//! The appearance model (v2): how an implanted pigment looks healed in a patient's skin, and
//! how that look changes over the years. Pure functions of documented parameters; the
//! equations, sources and assumptions are in `docs/model.md` §§ 5–7.
//!
//! - [`spectrum`]: 31 bands, 400–700 nm; CIE 1931 2° and D65; Lab ↔ reflectance.
//! - [`skin`]: a layered, spectral Kubelka–Munk skin (epidermis with melanin, dermis with
//!   blood and scattering), fitted to each patient's scalp; a pigment band at a depth.
//! - [`pigment`]: K(λ), S(λ) of inks, from carbon black's published spectrum, a masstone with
//!   the Saunderson correction, or a healed swatch; composite inks of several colorants.
//!
//! Ageing (per colorant, so a composite ink changes hue): early healing loss, then clearance
//! toward a plateau; pigment migrating deeper and dots spreading, each at a labelled rate.

pub mod pigment;
pub mod skin;
pub mod spectrum;

use serde::{Deserialize, Serialize};

use crate::color::Lab;
pub use pigment::{Colorant, PigmentOptics};
use skin::{BandOptics, SkinConstants, SkinOptics};

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

/// Global model parameters (per-ink parameters live in the catalog).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ModelParams {
    /// Depth of the top of the pigment band below the skin surface, mm. SMP places pigment
    /// in the upper papillary dermis, just below the 0.06–0.10 mm scalp epidermis; body
    /// tattoos sit at 0.3–1 mm (OCT and Raman studies: Morsy et al., Skin Res. Technol. 13,
    /// 2007; Darvin et al., Analyst 2019). Default 0.15 (assumption inside the SMP range).
    pub depth_mm: f64,
    /// Thickness of the pigment band, mm (assumption: pigment-laden macrophages form a band
    /// about a tenth of a millimetre thick).
    pub band_mm: f64,
    /// Effective absorption coefficient µa (cm⁻¹, 550 nm) of undiluted carbon ink in the band
    /// as implanted. Upper bound: 2.5 mg/cm² of pigment (Engel et al., Contact Dermatitis 58,
    /// 2008) at 7.5 m²/g (Bond & Bergstrom 2006) is an optical depth of about 190, but the
    /// pigment sits in clumps inside cells, which absorb far less than the same mass spread
    /// evenly (the sieve effect). Assumption: 400, so that undiluted ink is opaque in the band
    /// and a 20:1 dilution is not.
    pub carbon_mu_a: f64,
    /// Fraction of pigment left once healed: about a third is lost within weeks (Bäumler,
    /// Curr. Probl. Dermatol. 48, 2015; Engel et al., Exp. Dermatol. 19, 2010).
    pub healing_retention: f64,
    /// Downward migration of the pigment band, mm per year (assumption: pigment drifts
    /// deeper over decades, as histology of old tattoos shows; no rate was found; 0.005 moves
    /// the band 0.05 mm in ten years).
    pub migration_mm_per_year: f64,
    /// Growth of the dot diameter per year, as a fraction of the healed diameter
    /// (assumption: practitioners plan for dots that soften and blur over years; 0.01 is
    /// 10 % wider after ten years). The pigment of a dot is kept: its concentration falls as
    /// the area grows.
    pub spread_per_year: f64,
    /// Multiplies every colorant's `plateau` (1 = as catalogued; the uncertainty analysis
    /// varies it).
    pub plateau_scale: f64,
    /// Skin-optics constants.
    pub skin: SkinConstants,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            depth_mm: 0.15,
            band_mm: 0.1,
            carbon_mu_a: 400.0,
            healing_retention: 0.67,
            migration_mm_per_year: 0.005,
            spread_per_year: 0.01,
            plateau_scale: 1.0,
            skin: SkinConstants::default(),
        }
    }
}

impl ModelParams {
    /// K (cm⁻¹, 550 nm) of undiluted carbon ink in the band: K = 2µa.
    pub fn carbon_k550(&self) -> f64 {
        2.0 * self.carbon_mu_a
    }

    /// Depth of the pigment band `months` after healing.
    pub fn depth_at(&self, months: f64) -> f64 {
        self.depth_mm + self.migration_mm_per_year * months.max(0.0) / 12.0
    }

    /// Dot diameter relative to the healed one, `months` after healing.
    pub fn spread_at(&self, months: f64) -> f64 {
        1.0 + self.spread_per_year * months.max(0.0) / 12.0
    }
}

/// How a pigment fades (catalog field `fading`): after healing, the pigment left is
/// `plateau + (1 − plateau)·exp(−ln 2 · t · (1 + s·sun) / T½)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fading {
    /// Months for the clearable part of the pigment to halve without sun (> 0).
    pub half_life_months: f64,
    /// Extra decay per sun level: rate × (1 + s · sun), sun = 0 low, 1 moderate, 2 high.
    pub sun_sensitivity: f64,
    /// Share of the healed pigment that stays for good, in [0, 1) (default 0: fading to
    /// nothing, as a half-life fitted by `catalog fit-fading` assumes). Tattoos persist
    /// because macrophages that die release pigment that new ones recapture (Baranska et
    /// al., J. Exp. Med. 215, 2018).
    #[serde(default)]
    pub plateau: f64,
}

/// One colorant of an ink as the model uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constituent {
    /// The colorant, when known.
    pub colorant: Option<Colorant>,
    /// Optics at full strength (c = 1).
    pub optics: PigmentOptics,
    /// Share of the ink's pigment.
    pub share: f64,
    /// How it fades.
    pub fading: Fading,
}

impl Constituent {
    /// Optics of a mix of constituents at full strength, each weighted by its share.
    pub fn mix(parts: &[Constituent]) -> PigmentOptics {
        let mut o = PigmentOptics {
            k: [0.0; spectrum::BANDS],
            s: [0.0; spectrum::BANDS],
        };
        for c in parts {
            for i in 0..spectrum::BANDS {
                o.k[i] += c.share * c.optics.k[i];
                o.s[i] += c.share * c.optics.s[i];
            }
        }
        o
    }
}

/// What a composite ink's colorant shares can be fitted to (see [`Constituent::fit_shares`]).
#[derive(Debug, Clone, Copy)]
pub enum Drawdowns<'a> {
    /// An opaque drawdown's colour, and optionally a let-down in a white: (tint colour, the
    /// ink's share of the tint's pigment, the white's colour).
    Masstone {
        /// The masstone.
        masstone: Lab,
        /// The tint, if measured.
        tint: Option<(Lab, f64, Lab)>,
    },
    /// Healed work on a patient's skin.
    Healed {
        /// The skin beside it.
        skin: &'a Skin,
        /// The healed work's colour.
        healed: Lab,
        /// Concentration of the ink in the band (dilution, healing and strength applied).
        c: f64,
        /// Each colorant's retention at the time of the measurement.
        retention: &'a [f64],
    },
}

impl Constituent {
    /// Fit the shares of a composite ink's colorants to its measured drawdowns, starting
    /// from the listed shares (so a measurement that cannot tell colorants apart leaves the
    /// listed mix nearly as it was). Shares are a softmax of free log-ratios, so they stay
    /// positive and sum to 1; a tint adds one unknown, the white's scattering relative to the
    /// ink's (its K/S is measured, its S is not). Each colorant keeps its own optics and
    /// fading, so a measured composite still shifts hue as it ages. Returns the largest
    /// ΔE00 left between a measured drawdown and the fitted mix.
    pub fn fit_shares(parts: &mut [Constituent], to: &Drawdowns) -> f64 {
        use pigment::{saunderson, saunderson_inverse};
        let n = parts.len();
        if n == 0 {
            return f64::INFINITY;
        }
        let shares_of = |u: &[f64]| -> Vec<f64> {
            let e: Vec<f64> = std::iter::once(0.0)
                .chain(u[..n - 1].iter().copied())
                .map(f64::exp)
                .collect();
            let sum: f64 = e.iter().sum();
            e.iter().map(|v| v / sum).collect()
        };
        let weights: Vec<f64> = match to {
            Drawdowns::Healed { retention, .. } => (0..n)
                .map(|i| retention.get(i).copied().unwrap_or(1.0))
                .collect(),
            Drawdowns::Masstone { .. } => vec![1.0; n],
        };
        let optics: Vec<PigmentOptics> = parts.iter().map(|c| c.optics).collect();
        let mix = |shares: &[f64]| -> PigmentOptics {
            let mut o = PigmentOptics {
                k: [0.0; spectrum::BANDS],
                s: [0.0; spectrum::BANDS],
            };
            for (i, c) in optics.iter().enumerate() {
                let w = shares[i] * weights[i];
                for b in 0..spectrum::BANDS {
                    o.k[b] += w * c.k[b];
                    o.s[b] += w * c.s[b];
                }
            }
            o
        };
        let lab3 = |l: Lab| [f64::from(l.l), f64::from(l.a), f64::from(l.b)];
        let drawdown = |k: &spectrum::Spectrum, s: &spectrum::Spectrum| {
            let r: spectrum::Spectrum =
                std::array::from_fn(|b| saunderson(skin::km_infinite(k[b], s[b].max(1e-12))));
            spectrum::lab64(&r)
        };
        // The white's K/S per band, from its colour (tints only).
        let white_ks: Option<spectrum::Spectrum> = match to {
            Drawdowns::Masstone {
                tint: Some((_, _, white)),
                ..
            } => spectrum::reflectance_from_lab(*white).ok().map(|rm| {
                std::array::from_fn(|b| {
                    let r = saunderson_inverse(rm[b]).max(1e-9);
                    (1.0 - r) * (1.0 - r) / (2.0 * r)
                })
            }),
            _ => None,
        };
        let mean_s = {
            let o = mix(&vec![1.0 / n as f64; n]);
            (o.s.iter().sum::<f64>() / spectrum::BANDS as f64).max(1e-6)
        };
        let resid = |u: &[f64]| -> Vec<f64> {
            let shares = shares_of(u);
            let o = mix(&shares);
            match to {
                Drawdowns::Masstone { masstone, tint } => {
                    let m = drawdown(&o.k, &o.s);
                    let g = lab3(*masstone);
                    let mut r = vec![m[0] - g[0], m[1] - g[1], m[2] - g[2]];
                    if let (Some((t, c, _)), Some(qw)) = (tint, &white_ks) {
                        let alpha = mean_s * u[n - 1].exp();
                        let k: spectrum::Spectrum =
                            std::array::from_fn(|b| c * o.k[b] + (1.0 - c) * alpha * qw[b]);
                        let s: spectrum::Spectrum =
                            std::array::from_fn(|b| c * o.s[b] + (1.0 - c) * alpha);
                        let d = drawdown(&k, &s);
                        let g = lab3(*t);
                        r.extend([d[0] - g[0], d[1] - g[1], d[2] - g[2]]);
                    }
                    r
                }
                Drawdowns::Healed {
                    skin, healed, c, ..
                } => {
                    let d = skin.dot64(&o, *c, skin.params.depth_mm);
                    let g = lab3(*healed);
                    vec![d[0] - g[0], d[1] - g[1], d[2] - g[2]]
                }
            }
        };
        let tinted = white_ks.is_some();
        let free = n - 1 + usize::from(tinted);
        let s0 = parts[0].share.max(1e-6);
        let mut start: Vec<f64> = parts[1..]
            .iter()
            .map(|c| (c.share.max(1e-6) / s0).ln())
            .collect();
        if tinted {
            start.push(0.0);
        }
        let (lo, hi) = (vec![-12.0; free], vec![12.0; free]);
        let fit = crate::numeric::levenberg_marquardt_dyn(resid, &start, (&lo, &hi));
        let shares = shares_of(&fit.params);
        // The largest colour difference left, drawdown by drawdown.
        let r = resid(&fit.params);
        let goals: Vec<Lab> = match to {
            Drawdowns::Masstone { masstone, tint } => std::iter::once(*masstone)
                .chain(tint.filter(|_| tinted).map(|t| t.0))
                .collect(),
            Drawdowns::Healed { healed, .. } => vec![*healed],
        };
        let worst = goals
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let got = Lab::new(
                    g.l + r[3 * i] as f32,
                    g.a + r[3 * i + 1] as f32,
                    g.b + r[3 * i + 2] as f32,
                );
                f64::from(crate::color::delta_e00(got, *g))
            })
            .fold(0.0, f64::max);
        for (c, s) in parts.iter_mut().zip(&shares) {
            c.share = *s;
        }
        worst
    }
}

/// Fraction of the healed pigment left after `months` (1 at month 0).
pub fn retention(fading: &Fading, sun: Sun, months: f64) -> f64 {
    let rate = std::f64::consts::LN_2 / fading.half_life_months.max(1e-9)
        * (1.0 + fading.sun_sensitivity.max(0.0) * sun.level());
    let p = fading.plateau.clamp(0.0, 1.0);
    p + (1.0 - p) * (-rate * months.max(0.0)).exp()
}

/// Concentration (relative to undiluted, full-strength ink as implanted) of an ink of
/// `strength` diluted with `dilution` parts diluent per part ink, once healed.
pub fn healed_concentration(p: &ModelParams, strength: f64, dilution: f64) -> f64 {
    strength / (1.0 + dilution.max(0.0)) * p.healing_retention
}

/// One patient's skin in the model: chromophores fitted to the measured scalp.
#[derive(Debug, Clone, Copy)]
pub struct Skin {
    /// Measured scalp colour.
    pub lab: Lab,
    optics: SkinOptics,
    params: ModelParams,
}

/// How many skin fits [`fitted_skin`] remembers.
const SKIN_FITS_KEPT: usize = 64;

/// [`SkinOptics::fit`], remembered: one `match` builds the model many times over for the
/// same scalp and skin constants (the ranking, the plan, and every uncertainty source that
/// does not move the scalp or the skin), and a skin the chromophores cannot reproduce costs
/// tens of milliseconds to fit. The fit is deterministic, so remembering it changes no
/// result; the oldest fits are forgotten first.
fn fitted_skin(lab: Lab, constants: SkinConstants) -> SkinOptics {
    type Fits = Vec<([u32; 3], SkinConstants, SkinOptics)>;
    static FITS: std::sync::OnceLock<std::sync::Mutex<Fits>> = std::sync::OnceLock::new();
    let key = [lab.l.to_bits(), lab.a.to_bits(), lab.b.to_bits()];
    let fits = FITS.get_or_init(Default::default);
    let known = |fits: &Fits| {
        fits.iter()
            .find(|(k, c, _)| *k == key && *c == constants)
            .map(|f| f.2)
    };
    if let Some(found) = fits.lock().ok().and_then(|f| known(&f)) {
        return found;
    }
    let fit = SkinOptics::fit(lab, constants);
    if let Ok(mut f) = fits.lock() {
        if known(&f).is_none() {
            if f.len() >= SKIN_FITS_KEPT {
                f.remove(0);
            }
            f.push((key, constants, fit));
        }
    }
    fit
}

impl Skin {
    /// Fit the skin model to a measured scalp colour.
    pub fn new(lab: Lab, p: &ModelParams) -> Skin {
        Skin {
            lab,
            optics: fitted_skin(lab, p.skin),
            params: *p,
        }
    }

    /// The fitted skin optics (chromophores, fitted colour).
    pub fn optics(&self) -> &SkinOptics {
        &self.optics
    }

    /// The colour of skin holding pigments `(optics, concentration)` in a band at `depth_mm`.
    /// With no pigment it is the fitted skin, which is the measured scalp within the fit's
    /// error; the difference is added back so that a pigment-free dot is the measured skin
    /// exactly (the model predicts the change a pigment makes).
    pub fn dot_at(&self, parts: &[(PigmentOptics, f64)], depth_mm: f64) -> Lab {
        let mut band = BandOptics::ZERO;
        for (o, c) in parts {
            let c = c.max(0.0);
            for i in 0..spectrum::BANDS {
                band.k[i] += c * o.k[i];
                band.s[i] += c * o.s[i];
            }
        }
        self.dot_band(&band, depth_mm)
    }

    /// The colour of skin holding a pigment band of the given optics (concentrations
    /// applied) at `depth_mm`, with the fit's offset as in [`Skin::dot_at`].
    pub fn dot_band(&self, band: &BandOptics, depth_mm: f64) -> Lab {
        self.dot_band_in(&self.surroundings(depth_mm), band)
    }

    /// The pigment-free tissue around the band at `depth_mm` (shared by every dot there).
    pub fn surroundings(&self, depth_mm: f64) -> skin::Surroundings {
        self.optics.surroundings(depth_mm, self.params.band_mm)
    }

    /// [`Skin::dot_band`] with the surroundings computed once.
    pub fn dot_band_in(&self, s: &skin::Surroundings, band: &BandOptics) -> Lab {
        let dot = spectrum::lab(&self.optics.reflectance_in(s, band));
        let f = self.optics.fitted;
        Lab::new(
            dot.l + (self.lab.l - f.l),
            dot.a + (self.lab.a - f.a),
            dot.b + (self.lab.b - f.b),
        )
    }

    /// [`Skin::dot`] at a depth, in double precision (for inverse problems, whose
    /// finite-difference Jacobians need more than `f32`'s digits).
    pub fn dot64(&self, pigment: &PigmentOptics, c: f64, depth_mm: f64) -> [f64; 3] {
        let o = pigment.scaled(c.max(0.0));
        let band = BandOptics { k: o.k, s: o.s };
        let d = spectrum::lab64(&self.optics.reflectance(Some((
            depth_mm,
            self.params.band_mm,
            &band,
        ))));
        let f = self.optics.fitted;
        [
            d[0] + f64::from(self.lab.l - f.l),
            d[1] + f64::from(self.lab.a - f.a),
            d[2] + f64::from(self.lab.b - f.b),
        ]
    }

    /// [`Skin::dot_at`] at the healed depth.
    pub fn dot_mix(&self, parts: &[(PigmentOptics, f64)]) -> Lab {
        self.dot_at(parts, self.params.depth_mm)
    }

    /// [`Skin::dot_mix`] for one pigment.
    pub fn dot(&self, pigment: &PigmentOptics, c: f64) -> Lab {
        self.dot_mix(&[(*pigment, c)])
    }

    /// Optics that reproduce `healed` on this skin at concentration `c` and the healed
    /// depth: the inverse of [`Skin::dot`] for catalog entries measured as healed swatches.
    /// The pigment is taken as a pure absorber (S = 0) with a smooth spectrum,
    /// ln K(λ) = u₀ + u₁·x + u₂·x², x = (λ − 550 nm)/150 nm: three unknowns for the three
    /// coordinates of the swatch. Returns the optics and whether the swatch could not be
    /// reproduced within 0.5 ΔE00 (lighter than the skin, or a colour no absorber makes).
    pub fn invert(&self, healed: Lab, c: f64) -> (PigmentOptics, bool) {
        let c = c.max(1e-6);
        let optics = |u: &[f64; 3]| PigmentOptics {
            k: spectrum::from_fn(|nm| {
                let x = (nm - 550.0) / 150.0;
                (u[0] + u[1] * x + u[2] * x * x).min(25.0).exp()
            }),
            s: [0.0; spectrum::BANDS],
        };
        // In double precision, against the model's own skin (dot_at's offset removed).
        let f = self.optics.fitted;
        let goal = [
            f64::from(healed.l - (self.lab.l - f.l)),
            f64::from(healed.a - (self.lab.a - f.a)),
            f64::from(healed.b - (self.lab.b - f.b)),
        ];
        let (depth, band) = (self.params.depth_mm, self.params.band_mm);
        let resid = |u: &[f64; 3]| {
            let o = optics(u).scaled(c);
            let b = BandOptics { k: o.k, s: o.s };
            let d = spectrum::lab64(&self.optics.reflectance(Some((depth, band, &b))));
            [d[0] - goal[0], d[1] - goal[1], d[2] - goal[2]]
        };
        let mut best: Option<([f64; 3], f64)> = None;
        for u0 in [0.0f64, 3.0, 6.0] {
            let (u, cost) = crate::numeric::levenberg_marquardt3(
                resid,
                [u0, 0.0, 0.0],
                ([-10.0, -6.0, -6.0], [20.0, 6.0, 6.0]),
            );
            if best.is_none_or(|b| cost < b.1) {
                best = Some((u, cost));
            }
        }
        let (u, _) = best.unwrap_or(([0.0; 3], f64::INFINITY));
        let o = optics(&u);
        let clamped = crate::color::delta_e00(self.dot(&o, c), healed) > 0.5;
        (o, clamped)
    }
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
    /// 0.5 mm dots at 75 per cm² (practitioner sources: SMP dots of 0.3–0.7 mm healed,
    /// placed at about one per follicular unit, 74 ± 13 per cm², Plast. Aesthet. Res. 2017).
    fn default() -> Self {
        Dots {
            diameter_mm: 0.5,
            density_per_cm2: 75.0,
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

/// The cast of a dot on its skin: the dot's (a*, b*) minus those of a spectrally neutral
/// darkening of the skin to the dot's lightness (a grey filter scales X, Y and Z alike). A
/// carbon dot seen through tissue is not a grey filter: this is the "blue", "ash" or
/// "green-grey" that technicians see, as a vector in the a*b* plane.
pub fn cast(dot: Lab, skin: Lab) -> (f64, f64) {
    use palette::{FromColor, Xyz};
    let s: Xyz<palette::white_point::D65, f32> = Xyz::from_color(skin);
    let d: Xyz<palette::white_point::D65, f32> = Xyz::from_color(dot);
    let f = if s.y > 0.0 { d.y / s.y } else { 0.0 };
    let grey = Lab::from_color(Xyz::<palette::white_point::D65, f32>::new(
        s.x * f,
        s.y * f,
        s.z * f,
    ));
    (f64::from(dot.a - grey.a), f64::from(dot.b - grey.b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::delta_e00;

    fn light_skin() -> Lab {
        Lab::new(66.0, 11.0, 16.0)
    }
    fn carbon(p: &ModelParams) -> PigmentOptics {
        PigmentOptics::carbon_black(p.carbon_k550())
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
            for depth in [0.1, 0.3, 0.8] {
                assert!(delta_e00(skin.dot_at(&[(carbon(&p), 0.0)], depth), lab) < 0.01);
            }
        }
    }

    #[test]
    fn more_pigment_darker_dot() {
        let p = ModelParams::default();
        let skin = Skin::new(light_skin(), &p);
        let mut last = 101.0;
        for i in 0..=20 {
            let l = skin.dot(&carbon(&p), f64::from(i) / 20.0).l;
            assert!(l < last + 1e-4, "L* rose at c = {}", f64::from(i) / 20.0);
            last = l;
        }
    }

    #[test]
    fn carbon_casts_blue_green_from_the_physics() {
        // No colour rule anywhere: carbon's absorption is nearly flat, yet the tissue above
        // the band scatters short wavelengths back more (µs' grows toward the blue), so the
        // dot is bluer and greener than a neutral darkening of the skin, at every depth.
        let p = ModelParams::default();
        let skin = Skin::new(light_skin(), &p);
        let c = healed_concentration(&p, 1.0, 0.0);
        for depth in [0.12, 0.3, 0.5] {
            let dot = skin.dot_at(&[(carbon(&p), c)], depth);
            let (da, db) = cast(dot, light_skin());
            let h = db.atan2(da).to_degrees().rem_euclid(360.0);
            assert!(
                (da * da + db * db).sqrt() > 5.0 && (150.0..=300.0).contains(&h),
                "depth {depth}: {dot:?} cast ({da:.1}, {db:.1}) at {h:.0}°"
            );
        }
        // Deeper pigment is seen through more tissue: lighter.
        let l = |d: f64| skin.dot_at(&[(carbon(&p), c)], d).l;
        assert!(l(0.12) < l(0.3) && l(0.3) < l(0.5));
    }

    #[test]
    fn darker_skin_less_contrast() {
        let p = ModelParams::default();
        let c = healed_concentration(&p, 1.0, 4.0);
        let contrast = |lab: Lab| {
            let s = Skin::new(lab, &p);
            delta_e00(s.dot(&carbon(&p), c), lab)
        };
        assert!(contrast(Lab::new(70.0, 10.0, 15.0)) > contrast(Lab::new(50.0, 12.0, 20.0)));
        assert!(contrast(Lab::new(50.0, 12.0, 20.0)) > contrast(Lab::new(32.0, 9.0, 13.0)));
    }

    #[test]
    fn inversion_recovers_the_pigment() {
        let p = ModelParams::default();
        let skin = Skin::new(light_skin(), &p);
        let truth = carbon(&p).scaled(0.1);
        let c = healed_concentration(&p, 1.0, 4.0);
        let healed = skin.dot(&truth, c);
        // Bands where the swatch's smoothest spectrum is lighter than the skin are clamped;
        // the colour must still be recovered.
        let (back, _clamped) = skin.invert(healed, c);
        assert!(
            delta_e00(skin.dot(&back, c), healed) < 0.5,
            "{:?} vs {healed:?} {_clamped}",
            skin.dot(&back, c)
        );
        // The recovered optics predict the same dot at other concentrations.
        for c2 in [c * 0.3, c * 3.0] {
            let de = delta_e00(skin.dot(&back, c2), skin.dot(&truth, c2));
            assert!(de < 0.5, "c {c2}: {de}");
        }
    }

    #[test]
    fn retention_halves_the_clearable_part_at_the_half_life() {
        let f = Fading {
            half_life_months: 24.0,
            sun_sensitivity: 0.5,
            plateau: 0.4,
        };
        assert!((retention(&f, Sun::Low, 24.0) - 0.7).abs() < 1e-12);
        assert!(retention(&f, Sun::High, 24.0) < retention(&f, Sun::Moderate, 24.0));
        assert_eq!(retention(&f, Sun::High, 0.0), 1.0);
        assert!((retention(&f, Sun::High, 1e4) - 0.4).abs() < 1e-9);
    }
    #[test]
    fn measured_drawdowns_decide_a_composites_shares() {
        // Truth: a brown of three iron oxides in shares unlike the listed ones, drawn down
        // opaque and let down 1:9 in a white (Kubelka–Munk with the Saunderson correction).
        use pigment::saunderson;
        let p = ModelParams::default();
        let cols = [
            Colorant::IronOxideBlack,
            Colorant::IronOxideRed,
            Colorant::IronOxideYellow,
        ];
        let (truth, listed) = ([0.35, 0.25, 0.40], [0.2, 0.45, 0.35]);
        let parts: Vec<Constituent> = cols
            .iter()
            .zip(listed)
            .map(|(c, share)| Constituent {
                colorant: Some(*c),
                optics: c.optics(p.carbon_k550()),
                share,
                fading: c.fading(),
            })
            .collect();
        let (mut k, mut s) = ([0.0; spectrum::BANDS], [0.0; spectrum::BANDS]);
        for (c, w) in parts.iter().zip(truth) {
            for b in 0..spectrum::BANDS {
                k[b] += w * c.optics.k[b];
                s[b] += w * c.optics.s[b];
            }
        }
        let lab_of = |k: &spectrum::Spectrum, s: &spectrum::Spectrum| {
            let r: spectrum::Spectrum =
                std::array::from_fn(|b| saunderson(skin::km_infinite(k[b], s[b])));
            spectrum::lab(&r)
        };
        let masstone = lab_of(&k, &s);
        let alpha = 0.7 * s.iter().sum::<f64>() / spectrum::BANDS as f64;
        let (kw, sw) = ([0.02 * alpha; spectrum::BANDS], [alpha; spectrum::BANDS]);
        let white = lab_of(&kw, &sw);
        let c = 0.1;
        let tk: spectrum::Spectrum = std::array::from_fn(|b| c * k[b] + (1.0 - c) * kw[b]);
        let ts: spectrum::Spectrum = std::array::from_fn(|b| c * s[b] + (1.0 - c) * sw[b]);
        let tint = lab_of(&tk, &ts);

        // The masstone alone: reproduced, but a near-black cannot tell the oxides apart.
        let mut m = parts.clone();
        let worst = Constituent::fit_shares(
            &mut m,
            &Drawdowns::Masstone {
                masstone,
                tint: None,
            },
        );
        assert!(worst < 0.1, "{worst}");
        assert!((m.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-9);
        // With the tint, the shares come back.
        let mut t = parts.clone();
        let worst = Constituent::fit_shares(
            &mut t,
            &Drawdowns::Masstone {
                masstone,
                tint: Some((tint, c, white)),
            },
        );
        let got: Vec<f64> = t.iter().map(|c| c.share).collect();
        assert!(worst < 0.2, "{worst}");
        for (g, w) in got.iter().zip(truth) {
            assert!((g - w).abs() < 0.05, "shares {got:?}, truth {truth:?}");
        }
    }
}
