//! Hair / scalp separation of a single photo (the colour rules that say what looks like
//! skin or hair are in [`crate::analysis::classify`]).
//!
//! Automatic separation (documented in `docs/model.md` § Separation):
//!
//! 1. k-means with k = [`SEG_K`] on the photo's sample (same machinery as the tones).
//! 2. **Scalp**: the heaviest *skin-like* cluster, plus every skin-like cluster within
//!    [`SCALP_GROUP_DE00`] of it (shading of the same skin). Skin-like means
//!    20 ≤ L* ≤ 92, 4 ≤ C*ab ≤ 50 and 15° ≤ h_ab ≤ 90°: the range of measured human skin
//!    colour in CIELAB across ITA classes (Chardon 1991; Del Bino 2006; Han 2006) with margin
//!    for phone-camera rendering.
//! 3. **Hair**: clusters at least [`HAIR_MIN_DARKER_L`] L* darker than the scalp, of chroma at
//!    most [`HAIR_MAX_CHROMA`](crate::analysis::classify::HAIR_MAX_CHROMA) (hair is low-chroma: J. Soc. Cosmet. Chem. 51(5) reports
//!    C* < 7 for black to dark-brown tresses), and nearer in L* to the darkest cluster than to
//!    the scalp (pixels that mix a strand edge with skin go to whichever they resemble).
//! 4. **Edges**: clusters that an optical mix of the hair and scalp colours explains with at
//!    least [`EDGE_MIN_SHARE`] of each (strand edges blurred into skin) leave both roles; they
//!    are reported as other but kept in [`AutoSeparation::edge`] for the stubble look.
//! 5. **Other**: the rest (background, clothes, highlights).
//!
//! The confidence starts at 1 and is multiplied down for each sign of trouble; see
//! [`auto_separate`].

use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::classify::{
    is_darker_than_scalp, is_skin_like, HAIR_MAX_CHROMA, HAIR_MIN_DARKER_L,
};
use crate::analysis::tones;
use crate::color::{delta_e00, mix_linear, Lab};
use crate::input::GridLayout;

/// A cluster is an edge (strand edges blended with skin) when an optical mix of the hair and
/// scalp colours with at least this share of each explains it ...
pub const EDGE_MIN_SHARE: f32 = 0.1;
/// ... to within this ΔE00 (measured on the shipped samples: edge clusters 0.1–1.4, the
/// scalp's own shading clusters have shares below 0.07).
pub const EDGE_DE00: f32 = 2.0;
/// Clusters used by the automatic separation.
pub const SEG_K: usize = 6;
/// Skin-like clusters this close (ΔE00) to the main scalp cluster are scalp too.
pub const SCALP_GROUP_DE00: f32 = 12.0;
/// Share of the photo that is neither hair nor scalp (strand edges left out) above which the
/// separation is not trusted: on the labelled real photos (tests/real), every photo with
/// more background than this that the colour rules called sure was wrong in at least one
/// role (docs/model.md § Confidence).
pub const BACKGROUND_SHARE: f32 = 0.15;
/// A dark cluster at least this heavy, left out of the hair only by the chroma limit, is
/// named in a warning.
pub const SATURATED_DARK_SHARE: f32 = 0.03;
/// Below this confidence the output carries a warning.
pub const WARN_CONFIDENCE: f32 = 0.6;

/// What a cluster was classified as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterClass {
    /// Hair.
    Hair,
    /// Scalp skin.
    Scalp,
    /// Neither (background, clothes, highlights, mixed pixels).
    Other,
}

/// One cluster of the automatic separation.
#[derive(Debug, Clone, Copy)]
pub struct SegCluster {
    /// Centroid.
    pub lab: Lab,
    /// Share of the photo's sampled pixels.
    pub weight: f32,
    /// Classification.
    pub class: ClusterClass,
}

/// Confidence from which the separation is sure: calibrated on the labelled real photos
/// (`tests/real_photos.rs` holds sure answers to being right).
pub const SURE: f32 = 0.8;

/// Result of the automatic separation.
#[derive(Debug, Clone)]
pub struct AutoSeparation {
    /// Pixels classified as hair.
    pub hair: Vec<Lab>,
    /// Pixels classified as scalp.
    pub scalp: Vec<Lab>,
    /// Pixels classified as neither (background, highlights, and the edge pixels below).
    pub other: usize,
    /// Pixels of edge clusters: strand edges blended with skin (see [`AutoSeparation::edge_hair_share`]).
    /// Part of the treated area, so part of the stubble look, but in neither role's tones.
    pub edge: Vec<Lab>,
    /// Hair share of the edge pixels (pixel-weighted mean of their clusters' shares).
    pub edge_hair_share: f32,
    /// The clusters, heaviest first.
    pub clusters: Vec<SegCluster>,
    /// 0 (no separation possible) to 1 (clear separation).
    pub confidence: f32,
    /// Why the confidence is below 1.
    pub warnings: Vec<crate::warning::Warning>,
}

/// The warning for a confidence below [`WARN_CONFIDENCE`].
fn uncertain_warning(confidence: f32) -> Option<crate::warning::Warning> {
    (confidence < WARN_CONFIDENCE).then(|| {
        crate::warning::Warning::new(
            crate::warning::WarningCode::SeparationUncertain,
            format!(
                "automatic hair/scalp separation is uncertain (confidence {confidence:.2}); \
                 consider --hair-region/--scalp-region"
            ),
        )
    })
}

impl AutoSeparation {
    /// Lower the confidence by `factor` for a reason found after the separation (lighting
    /// that differs across a role), keeping the uncertain-separation warning in step with the
    /// confidence reported: one number, the final one, everywhere.
    pub fn lower_confidence(&mut self, factor: f32) {
        self.confidence *= factor;
        self.warnings
            .retain(|w| w.code != crate::warning::WarningCode::SeparationUncertain);
        self.warnings.extend(uncertain_warning(self.confidence));
    }
}

/// Separate hair from scalp in one photo's sample by colour.
pub fn auto_separate(samples: Vec<Lab>, seed: u64) -> AutoSeparation {
    let fit_points = tones::subsample(&samples, tones::FIT_SAMPLES);
    auto_separate_with(samples, &fit_points, seed)
}

/// [`auto_separate`] with the k-means fit made on `fit_points`. Passing a fixed spatial
/// grid of the photo (independent of how densely `samples` was taken) makes the separation —
/// and so the tones — the same at every sampling density, up to the final refinement.
pub fn auto_separate_with(samples: Vec<Lab>, fit_points: &[Lab], seed: u64) -> AutoSeparation {
    auto_separate_placed(samples, fit_points, None, seed)
}

/// Width of the photo's border band, as a share of each side, for [`BORDER_BACKGROUND`].
pub const BORDER_BAND: f32 = 0.1;
/// A cluster with more than this share of its pixels in the border band (which is 36 % of
/// the photo) is background, neither hair nor scalp: clothes, walls, doors and furniture
/// surround the head, while the scalp and the hair on it are central. Measured on the
/// labelled real photos (tests/real): wooden doors, shirts and walls 0.6–1.0, labelled scalp
/// clusters 0.03–0.55.
pub const BORDER_BACKGROUND: f32 = 0.6;

/// Share of each cluster's fit points (by nearest centroid) in the border band.
fn border_shares(
    fit_points: &[Lab],
    layout: GridLayout,
    centroids: &[Lab],
    left_out: &[bool],
) -> Vec<f32> {
    let (cols, rows) = (layout.cols.max(1), layout.rows.max(1));
    let bw = ((cols as f32 * BORDER_BAND).round() as u32).max(1);
    let bh = ((rows as f32 * BORDER_BAND).round() as u32).max(1);
    let mut n = vec![0usize; centroids.len()];
    let mut b = vec![0usize; centroids.len()];
    for (k, &p) in fit_points.iter().enumerate() {
        if left_out.get(k).copied().unwrap_or(false) {
            continue;
        }
        let (x, y) = (k as u32 % cols, k as u32 / cols);
        let i = tones::nearest(p, centroids).0;
        n[i] += 1;
        if x < bw || y < bh || x + bw >= cols || y + bh >= rows {
            b[i] += 1;
        }
    }
    n.iter()
        .zip(&b)
        .map(|(&n, &b)| b as f32 / n.max(1) as f32)
        .collect()
}

/// [`auto_separate_with`], told where the fit points lie (`layout`, when they are a whole
/// grid of the photo, see [`crate::input::Samples::layout`]): clusters that sit mostly on the
/// photo's border are background.
pub fn auto_separate_placed(
    samples: Vec<Lab>,
    fit_points: &[Lab],
    layout: Option<GridLayout>,
    seed: u64,
) -> AutoSeparation {
    auto_separate_excluding(samples, fit_points, layout, &[], seed)
}

/// [`auto_separate_placed`] with some of the grid's fit points `left_out` (cells inside
/// regions the user excluded; `samples` must already be without them): the separation is
/// made as if those pixels were not in the photo. An empty `left_out` leaves out nothing.
pub fn auto_separate_excluding(
    samples: Vec<Lab>,
    fit_points: &[Lab],
    layout: Option<GridLayout>,
    left_out: &[bool],
    seed: u64,
) -> AutoSeparation {
    let kept: Vec<Lab>;
    let fit_on = if left_out.iter().any(|&x| x) {
        kept = fit_points
            .iter()
            .zip(left_out)
            .filter(|(_, &out)| !out)
            .map(|(&p, _)| p)
            .collect();
        &kept[..]
    } else {
        fit_points
    };
    let fit = tones::fit_k(fit_on, &samples, SEG_K, seed ^ 0x5E6);
    let total = samples.len().max(1) as f32;
    let mut clusters: Vec<SegCluster> = fit
        .centroids
        .iter()
        .zip(&fit.counts)
        .map(|(&lab, &n)| SegCluster {
            lab,
            weight: n as f32 / total,
            class: ClusterClass::Other,
        })
        .collect();
    clusters.sort_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then(x.lab.l.total_cmp(&y.lab.l))
    });
    let mut warnings = Vec::new();
    let mut confidence = 1.0f32;
    let centroids: Vec<Lab> = clusters.iter().map(|c| c.lab).collect();
    let background: Vec<bool> = match layout {
        Some(l) if fit_points.len() == (l.cols as usize) * (l.rows as usize) => {
            border_shares(fit_points, l, &centroids, left_out)
                .into_iter()
                .map(|b| b > BORDER_BACKGROUND)
                .collect()
        }
        _ => vec![false; clusters.len()],
    };

    let main_skin = clusters
        .iter()
        .zip(&background)
        .position(|(c, &bg)| is_skin_like(c.lab) && !bg);
    let Some(main) = main_skin else {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::NoSkinColour,
            "no skin-like colour found: cannot tell hair from scalp automatically; \
             use --hair/--scalp photos or --hair-region/--scalp-region",
        ));
        return AutoSeparation {
            hair: Vec::new(),
            scalp: Vec::new(),
            other: samples.len(),
            edge: Vec::new(),
            edge_hair_share: 0.0,
            clusters,
            confidence: 0.0,
            warnings,
        };
    };
    let s0 = clusters[main].lab;
    for (c, &bg) in clusters.iter_mut().zip(&background) {
        if !bg && is_skin_like(c.lab) && delta_e00(c.lab, s0) <= SCALP_GROUP_DE00 {
            c.class = ClusterClass::Scalp;
        }
    }
    let scalp_ref = weighted_mean(&clusters, ClusterClass::Scalp);
    let darkest_l = clusters
        .iter()
        .filter(|c| c.weight >= 0.01)
        .map(|c| c.lab.l)
        .fold(f32::MAX, f32::min);
    let mid_l = 0.5 * (darkest_l + scalp_ref.l);
    for (c, &bg) in clusters.iter_mut().zip(&background) {
        if c.class == ClusterClass::Other
            && !bg
            && is_darker_than_scalp(c.lab, scalp_ref)
            && c.lab.l <= mid_l
        {
            c.class = ClusterClass::Hair;
        }
    }
    // No silent caps: a dark cluster left out of the hair only by the chroma limit is named.
    for c in clusters.iter().filter(|c| {
        c.class == ClusterClass::Other
            && c.weight >= SATURATED_DARK_SHARE
            && c.lab.l <= scalp_ref.l - HAIR_MIN_DARKER_L
            && crate::color::chroma(c.lab) > HAIR_MAX_CHROMA
    }) {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::SaturatedDarkNotHair,
            format!(
                "a dark, saturated colour (L* {:.1} a* {:.1} b* {:.1}, C*ab {:.1}) covers {:.0} % \
                 of the photo and was not taken as hair (the hair chroma limit is {}): if it is \
                 red or auburn hair, give a --hair-region on it",
                c.lab.l,
                c.lab.a,
                c.lab.b,
                crate::color::chroma(c.lab),
                100.0 * c.weight,
                HAIR_MAX_CHROMA
            ),
        ));
    }
    // Edges: clusters whose colour is an optical mix of hair and scalp with at least
    // EDGE_MIN_SHARE of each. References from the rule classes, then once more from the
    // clusters left as hair and scalp (the first references include the edges themselves).
    let rule_classes: Vec<ClusterClass> = clusters.iter().map(|c| c.class).collect();
    let mut edge_share: Vec<Option<f32>> = vec![None; clusters.len()];
    for _ in 0..2 {
        let core = |class: ClusterClass| -> Option<Lab> {
            let core: Vec<SegCluster> = clusters
                .iter()
                .zip(&rule_classes)
                .zip(&edge_share)
                .filter(|((_, &k), e)| k == class && e.is_none())
                .map(|((c, _), _)| *c)
                .collect();
            (!core.is_empty()).then(|| weighted_mean(&core, class))
        };
        let (Some(hair_ref), Some(scalp_ref)) =
            (core(ClusterClass::Hair), core(ClusterClass::Scalp))
        else {
            break;
        };
        edge_share = clusters
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (t, residual) = mix_share(c.lab, hair_ref, scalp_ref);
                (i != main
                    && residual <= EDGE_DE00
                    && (EDGE_MIN_SHARE..=1.0 - EDGE_MIN_SHARE).contains(&t))
                .then_some(t)
            })
            .collect();
    }
    for ((c, &rule), e) in clusters.iter_mut().zip(&rule_classes).zip(&edge_share) {
        c.class = if e.is_some() {
            ClusterClass::Other
        } else {
            rule
        };
    }

    let share = |class| -> f32 {
        clusters
            .iter()
            .zip(&edge_share)
            .filter(|(c, e)| c.class == class && e.is_none())
            .map(|(c, _)| c.weight)
            .sum()
    };
    // `other_share` leaves the edges out: they are part of the treated area.
    let (hair_share, scalp_share, other_share) = (
        share(ClusterClass::Hair),
        share(ClusterClass::Scalp),
        share(ClusterClass::Other),
    );
    if hair_share < 0.02 {
        confidence *= 0.5;
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::LittleHair,
            format!(
                "little or no hair found ({:.1} % of pixels are darker than the scalp by {} L*)",
                100.0 * hair_share,
                HAIR_MIN_DARKER_L
            ),
        ));
    }
    if scalp_share < 0.10 {
        confidence *= 0.7;
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::LittleScalp,
            format!(
                "the scalp covers only {:.1} % of the photo",
                100.0 * scalp_share
            ),
        ));
    }
    let w0 = clusters[main].weight;
    if clusters.iter().zip(&edge_share).any(|(c, e)| {
        c.class == ClusterClass::Other && e.is_none() && is_skin_like(c.lab) && c.weight >= 0.5 * w0
    }) {
        confidence *= 0.6;
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::TwoSkinColours,
            "two different skin-like colours cover large areas (background or hair may look \
             like skin); check the scalp tone or give a --scalp-region",
        ));
    }
    if hair_share >= 0.02 {
        let hair_ref = weighted_mean(&clusters, ClusterClass::Hair);
        let contrast = delta_e00(hair_ref, scalp_ref);
        if contrast < 15.0 {
            confidence *= 0.6;
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::LowContrast,
                format!(
                    "hair and scalp differ by only {contrast:.1} ΔE00; the separation is uncertain"
                ),
            ));
        }
    }
    if other_share > BACKGROUND_SHARE {
        confidence *= 0.6;
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::MuchBackground,
            format!(
                "{:.0} % of the photo is neither hair nor scalp (background, clothes, hands?): \
                 colour alone cannot tell a dark shirt from hair or a beige wall from skin; \
                 crop the photo to the head or give --hair-region/--scalp-region",
                100.0 * other_share
            ),
        ));
    }

    let mut hair = Vec::new();
    let mut scalp = Vec::new();
    let mut other = 0;
    let centroids: Vec<Lab> = clusters.iter().map(|c| c.lab).collect();
    let nearest: Vec<u8> = samples
        .par_iter()
        .map(|&p| tones::nearest(p, &centroids).0 as u8)
        .collect();
    let mut edge = Vec::new();
    let mut edge_hair = 0.0f64;
    for (&p, &i) in samples.iter().zip(&nearest) {
        let i = usize::from(i);
        match clusters[i].class {
            ClusterClass::Hair => hair.push(p),
            ClusterClass::Scalp => scalp.push(p),
            ClusterClass::Other => {
                other += 1;
                if let Some(t) = edge_share[i] {
                    edge.push(p);
                    edge_hair += f64::from(t);
                }
            }
        }
    }
    let edge_hair_share = (edge_hair / edge.len().max(1) as f64) as f32;
    warnings.extend(uncertain_warning(confidence));
    AutoSeparation {
        hair,
        scalp,
        other,
        edge,
        edge_hair_share,
        clusters,
        confidence,
        warnings,
    }
}

/// The hair share `t` of `lab` read as an optical (linear-light) mix of `hair` and `scalp`,
/// as in [`crate::color::mix_linear`]: the `t` in [0, 1] (steps of 0.01) whose mix is nearest
/// to `lab`, and that ΔE00 (how well the mix explains the colour).
pub fn mix_share(lab: Lab, hair: Lab, scalp: Lab) -> (f32, f32) {
    (0..=100)
        .map(|i| {
            let t = f64::from(i) / 100.0;
            (t as f32, delta_e00(lab, mix_linear(hair, scalp, t)))
        })
        .fold(
            (0.0, f32::INFINITY),
            |best, x| if x.1 < best.1 { x } else { best },
        )
}

fn weighted_mean(clusters: &[SegCluster], class: ClusterClass) -> Lab {
    let mut acc = [0f32; 4];
    for c in clusters.iter().filter(|c| c.class == class) {
        acc[0] += c.weight * c.lab.l;
        acc[1] += c.weight * c.lab.a;
        acc[2] += c.weight * c.lab.b;
        acc[3] += c.weight;
    }
    let w = acc[3].max(f32::MIN_POSITIVE);
    Lab::new(acc[0] / w, acc[1] / w, acc[2] / w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::blob;

    #[test]
    fn a_skin_coloured_wall_around_the_head_is_background() {
        // A 100 × 100 grid: a beige wall (skin-like by colour) fills the outer 15 % band, 51 %
        // of the photo; inside, skin with a black stubble dot in every fourth cell. By colour
        // alone the wall is the heaviest skin-like cluster; by place it is background.
        let wall = Lab::new(78.0, 2.0, 24.0);
        let skin = Lab::new(60.0, 13.0, 15.0);
        let hair = Lab::new(18.0, 0.5, 1.0);
        assert!(crate::analysis::classify::is_skin_like(wall));
        let (cols, rows) = (100u32, 100u32);
        let noise = blob(Lab::new(0.0, 0.0, 0.0), (cols * rows) as usize, 1.0, 9);
        let px: Vec<Lab> = (0..cols * rows)
            .map(|k| {
                let (x, y) = (k % cols, k / cols);
                let inner = (15..85).contains(&x) && (15..85).contains(&y);
                let base = match (inner, x % 2 == 0 && y % 2 == 0) {
                    (false, _) => wall,
                    (true, true) => hair,
                    (true, false) => skin,
                };
                let n = noise[k as usize];
                Lab::new(base.l + n.l, base.a + n.a, base.b + n.b)
            })
            .collect();
        let mean = |v: &[Lab]| crate::color::mean_linear(v).expect("pixels");
        let by_colour = auto_separate_with(px.clone(), &px, 7);
        assert!(
            delta_e00(mean(&by_colour.scalp), wall) < 3.0,
            "colour alone takes the wall"
        );
        let placed = auto_separate_placed(px.clone(), &px, Some(GridLayout { cols, rows }), 7);
        assert!(
            delta_e00(mean(&placed.scalp), skin) < 1.5,
            "{:?}",
            mean(&placed.scalp)
        );
        assert!(
            delta_e00(mean(&placed.hair), hair) < 1.5,
            "{:?}",
            mean(&placed.hair)
        );
    }

    #[test]
    fn a_dark_saturated_area_left_out_of_the_hair_is_named() {
        // Skin, black stubble, and a dark red shirt (C*ab 40): the shirt is not hair, and the
        // output says a colour was left out by the chroma limit.
        let skin = Lab::new(62.0, 11.0, 16.0);
        let hair = Lab::new(18.0, 0.5, 1.0);
        let shirt = Lab::new(30.0, 35.0, 20.0);
        let mut px = blob(skin, 12_000, 1.5, 1);
        px.extend(blob(hair, 4_000, 1.5, 2));
        px.extend(blob(shirt, 2_000, 1.5, 3));
        let sep = auto_separate(px, 7);
        assert!(
            sep.warnings
                .iter()
                .any(|w| w.code == crate::warning::WarningCode::SaturatedDarkNotHair),
            "{:?}",
            sep.warnings
        );
        let mean = crate::color::mean_linear(&sep.hair).expect("hair");
        assert!(delta_e00(mean, hair) < 1.0, "{mean:?}");
    }

    #[test]
    fn strand_edges_are_kept_out_of_both_roles_and_counted_by_their_hair_share() {
        // Painted: 60 % skin, 25 % hair, and 15 % edge pixels that are a 50 / 50 optical mix
        // of the two (mixed in linear light by palette, not by the code under test).
        let skin = Lab::new(60.0, 11.0, 16.0);
        let hair = Lab::new(18.0, 0.5, 1.0);
        let edge = {
            use palette::{IntoColor, LinSrgb, Mix};
            let (h, s): (LinSrgb, LinSrgb) = (hair.into_color(), skin.into_color());
            let m: Lab = h.mix(s, 0.5).into_color();
            m
        };
        let mut px = blob(skin, 12_000, 1.5, 1);
        px.extend(blob(hair, 5_000, 1.5, 2));
        px.extend(blob(edge, 3_000, 1.5, 3));
        let sep = auto_separate(px, 7);
        let mean = |v: &[Lab]| crate::color::mean_linear(v).expect("pixels");
        assert!(
            (sep.edge.len() as f32 - 3_000.0).abs() < 300.0,
            "{} edge pixels",
            sep.edge.len()
        );
        assert!(
            (sep.edge_hair_share - 0.5).abs() < 0.1,
            "{}",
            sep.edge_hair_share
        );
        assert!(
            delta_e00(mean(&sep.hair), hair) < 1.0,
            "{:?}",
            mean(&sep.hair)
        );
        assert!(
            delta_e00(mean(&sep.scalp), skin) < 1.0,
            "{:?}",
            mean(&sep.scalp)
        );
        let (t, residual) = mix_share(edge, hair, skin);
        assert!((t - 0.5).abs() <= 0.01 && residual < 0.1, "{t} {residual}");
    }
}
