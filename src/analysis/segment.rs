//! Hair / scalp separation of a single photo (the colour rules that say what looks like
//! skin or hair are in [`crate::analysis::classify`]).
//!
//! Automatic separation (documented in `docs/model.md` § Separation):
//!
//! 1. k-means with k = [`SEG_K`] on the photo's sample (same machinery as the tones).
//! 2. **Scalp**: the main *skin-like* cluster, plus every skin-like cluster within
//!    [`SCALP_GROUP_DE00`] of it (shading of the same skin). Skin-like means
//!    20 ≤ L* ≤ 92, 4 ≤ C*ab ≤ 50 and 15° ≤ h_ab ≤ 90°: the range of measured human skin
//!    colour in CIELAB across ITA classes (Chardon 1991; Del Bino 2006; Han 2006) with margin
//!    for phone-camera rendering. The main one forms the largest connected region on the
//!    photo's grid (the head is one region), and gives way to a lighter skin when it is dark
//!    enough to be brown hair ([`BROWN_HAIR_MAX_L`]). Clusters mostly on the photo's border
//!    are background ([`BORDER_BACKGROUND`]).
//! 3. **Hair**: clusters at least [`HAIR_MIN_DARKER_L`] L* darker than the scalp, of chroma at
//!    most [`HAIR_MAX_CHROMA`](crate::analysis::classify::HAIR_MAX_CHROMA) (hair is low-chroma: J. Soc. Cosmet. Chem. 51(5) reports
//!    C* < 7 for black to dark-brown tresses), and nearer in L* to the darkest cluster than to
//!    the scalp (pixels that mix a strand edge with skin go to whichever they resemble).
//!    **Light hair by texture**: samples of no role and of low chroma lying in regions whose
//!    local contrast is that of strands ([`LightHair`], [`HAIR_TEXTURE_RATIO`]) join the
//!    hair: grey, white and blond strands, and lit ones, that colour cannot take.
//! 4. **Edges**: clusters that an optical mix of the hair and scalp colours explains with at
//!    least [`EDGE_MIN_SHARE`] of each (strand edges blurred into skin) leave both roles; they
//!    are reported as other but kept in [`AutoSeparation::edge`] for the stubble look.
//! 5. **Other**: the rest (background, clothes, highlights), and every hair or scalp pixel
//!    in a connected region lying mostly on the photo's border (a wall or a shirt of the
//!    head's colours, [`REGION_MIN_SHARE`]).
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
    /// The fit grid and its cells whose hair or scalp was left out by place (regions lying
    /// on the photo's border, [`background_regions`]); `None` when the separation was not
    /// told where its samples lie.
    pub background_cells: Option<(GridLayout, Vec<bool>)>,
    /// Light hair found by texture, when some was ([`LightHair`]): its samples are in
    /// `hair`.
    pub light_hair: Option<LightHair>,
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
    /// Whether the point at (`fx`, `fy`), fractions of the photo's width and height, lies in
    /// a region left out by place.
    pub fn background_at(&self, fx: f32, fy: f32) -> bool {
        self.background_cells
            .as_ref()
            .is_some_and(|(l, cells)| cells.get(l.cell_at(fx, fy)).copied().unwrap_or(false))
    }

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

/// Where each fit point of a whole grid lies and which cluster it reads as: the nearest
/// centroid, `None` for a point left out. Computed once, read by the rules that judge
/// clusters and regions by place.
struct GridReading {
    layout: GridLayout,
    cluster: Vec<Option<usize>>,
}

impl GridReading {
    fn new(fit_points: &[Lab], layout: GridLayout, centroids: &[Lab], left_out: &[bool]) -> Self {
        let cluster = fit_points
            .par_iter()
            .enumerate()
            .map(|(k, &p)| {
                (!left_out.get(k).copied().unwrap_or(false)).then(|| tones::nearest(p, centroids).0)
            })
            .collect();
        GridReading { layout, cluster }
    }

    fn size(&self) -> (usize, usize) {
        (
            self.layout.cols.max(1) as usize,
            self.layout.rows.max(1) as usize,
        )
    }

    /// Cells a region must hold to be judged by its place ([`REGION_MIN_SHARE`] of the grid).
    fn region_min_cells(&self) -> usize {
        (REGION_MIN_SHARE * self.cluster.len() as f32).ceil() as usize
    }

    /// The cells whose region (`label`, `sizes`: one labelling of this grid, see
    /// [`crate::mask::regions`]) passes `keep(cells, cells in the border band)`: the rules
    /// that judge regions by where they lie.
    fn cells_of_regions(
        &self,
        label: &[Option<u32>],
        sizes: &[usize],
        keep: impl Fn(usize, usize) -> bool,
    ) -> Vec<bool> {
        let in_band = self.in_band();
        let mut band = vec![0usize; sizes.len()];
        for (k, l) in label.iter().enumerate() {
            if let Some(l) = l {
                band[*l as usize] += usize::from(in_band(k));
            }
        }
        let kept: Vec<bool> = sizes.iter().zip(&band).map(|(&n, &b)| keep(n, b)).collect();
        label
            .iter()
            .map(|l| l.is_some_and(|l| kept[l as usize]))
            .collect()
    }

    /// Whether cell `k` lies in the border band ([`BORDER_BAND`] of each side).
    fn in_band(&self) -> impl Fn(usize) -> bool {
        let (gw, gh) = self.size();
        let bw = ((gw as f32 * BORDER_BAND).round() as usize).max(1);
        let bh = ((gh as f32 * BORDER_BAND).round() as usize).max(1);
        move |k| {
            let (x, y) = (k % gw, k / gw);
            x < bw || y < bh || x + bw >= gw || y + bh >= gh
        }
    }
}

/// Share of each cluster's fit points in the border band.
fn border_shares(grid: &GridReading, clusters: usize) -> Vec<f32> {
    let in_band = grid.in_band();
    let mut n = vec![0usize; clusters];
    let mut b = vec![0usize; clusters];
    for (k, i) in grid.cluster.iter().enumerate() {
        let Some(i) = *i else { continue };
        n[i] += 1;
        b[i] += usize::from(in_band(k));
    }
    n.iter()
        .zip(&b)
        .map(|(&n, &b)| b as f32 / n.max(1) as f32)
        .collect()
}

/// Hues (h_ab, degrees) that saturated hair can have: hair above the chroma limit is red,
/// auburn or copper (pheomelanin is yellow-red), so red-violet through red and orange to
/// yellow, with a margin for dyed red. A dark, saturated blue, green or violet is clothing.
pub fn is_hair_hue(lab: Lab) -> bool {
    let h = crate::color::hue_deg(lab);
    h <= 90.0 || h >= 330.0
}

/// A skin-hued cluster darker than this (L*) may be brown hair, not skin: brown hair is
/// skin-hued (dark-brown tresses h_ab ≈ 50°, J. Soc. Cosmet. Chem. 51(5); the brown-hair
/// clusters of two tests/real photos h_ab 58–71°, C*ab 11–23). Labelled hair there measures
/// L* 4–30 (dark brown), 19–41 (brown), 33–51 (light brown); dark-skin scalps there measure
/// L* 18–54, so the two overlap and the rule can mistake a shine on dark skin for the scalp
/// (the warning says so).
pub const BROWN_HAIR_MAX_L: f32 = 45.0;
/// ... and it is read as hair when a skin-like cluster at least
/// [`HAIR_MIN_DARKER_L`] lighter holds at least this share of its weight (on tests/real the
/// result is the same for shares 0.1–0.5).
pub const LIGHTER_SKIN_MIN_SHARE: f32 = 0.25;

/// The confidence is multiplied by this when a heavier skin-hued colour was passed over for
/// the scalp (as for the other signs of a choice colour cannot settle, 0.5–0.7).
pub const PASSED_OVER_CONFIDENCE: f32 = 0.7;

/// The main scalp cluster, and the heavier skin-hued clusters passed over as hair.
///
/// The skin-like cluster that is not background and forms the largest 8-connected region
/// on the grid (`largest_region`, cells per cluster; without a grid, the heaviest), unless
/// it is darker than [`BROWN_HAIR_MAX_L`] and a skin-like cluster at least [`HAIR_MIN_DARKER_L`] lighter
/// holds at least [`LIGHTER_SKIN_MIN_SHARE`] of its weight: then it is brown hair (or skin in
/// shadow) and the lighter one is the candidate, and so on. Taking the heaviest alone read
/// brown hair as the scalp whenever the hair outweighed the bare skin (on tests/real, scalp
/// targets 47–53 ΔE00 from the labelled scalp on three photos).
fn main_scalp_cluster(
    clusters: &[SegCluster],
    background: &[bool],
    largest_region: Option<&[usize]>,
) -> (Option<usize>, Vec<usize>) {
    let skin = |i: usize| is_skin_like(clusters[i].lab) && !background[i];
    // The head is one connected region: with the grid known, the skin colour that forms the
    // largest one (the heavier among equals), not the one scattered most widely.
    let mut main = match largest_region {
        Some(r) => (0..clusters.len())
            .filter(|&i| skin(i))
            .max_by_key(|&i| (r[i], std::cmp::Reverse(i))),
        None => (0..clusters.len()).find(|&i| skin(i)),
    };
    let mut passed = Vec::new();
    while let Some(m) = main {
        if clusters[m].lab.l >= BROWN_HAIR_MAX_L {
            break;
        }
        // Clusters are heaviest first: the heaviest lighter skin.
        let Some(lighter) = (0..clusters.len()).find(|&i| {
            skin(i)
                && clusters[i].lab.l >= clusters[m].lab.l + HAIR_MIN_DARKER_L
                && clusters[i].weight >= LIGHTER_SKIN_MIN_SHARE * clusters[m].weight
        }) else {
            break;
        };
        passed.push(m);
        main = Some(lighter);
    }
    (main, passed)
}

/// A connected region of one role smaller than this share of the grid is not judged by its
/// place: scalp showing between strands and stippled dots of hair are many small regions
/// that may touch the border without being background.
pub const REGION_MIN_SHARE: f32 = 0.01;

/// Fit-grid cells to leave out of both roles because of where they lie: the 8-connected
/// regions of cells read as hair, and of cells read as scalp (by the nearest cluster's
/// class), that hold at least [`REGION_MIN_SHARE`] of the grid and have more than
/// [`BORDER_BACKGROUND`] of their cells in the border band. The per-cluster rule
/// ([`border_shares`]) cannot split a colour: a beige wall in the same cluster as the scalp,
/// or a black shirt in the same cluster as the hair, count with the head. Regions split them
/// when they do not touch (hair, an ear or a collar between them).
fn background_regions(grid: &GridReading, classes: &[ClusterClass]) -> Vec<bool> {
    let (gw, gh) = grid.size();
    // Hair and scalp regions in one labelling (cells read as neither belong to none).
    let role: Vec<Option<ClusterClass>> = grid
        .cluster
        .iter()
        .map(|&i| i.map(|i| classes[i]).filter(|&c| c != ClusterClass::Other))
        .collect();
    let regions = crate::mask::regions(&role, gw, gh);
    let min_cells = grid.region_min_cells();
    grid.cells_of_regions(&regions.label, &regions.sizes, |n, band| {
        n >= min_cells && band as f32 > BORDER_BACKGROUND * n as f32
    })
}

/// Cells each side of a fit cell over which its local contrast is averaged: a strand's
/// colour lies among strands, a smooth skin colour among smooth skin, though one cell may
/// hold a single pixel of either.
pub const TEXTURE_RADIUS: usize = 2;
/// A region has the texture of hair where its averaged local contrast is at least this
/// multiple of the smooth skin's: the 25th percentile over the cells read as scalp (the
/// scalp colour's cells include strand edges and the head's outline; its smoother quarter is
/// bare skin). Measured on the labelled rectangles of tests/real (5 × 5 cells averaged):
/// bare scalp 0.16–1.5, grey, blond and light-brown hair 1.3–9.8 (4–22 × its photo's bare
/// scalp), but white hair 0.5–1.3, no more textured than the skin ...
pub const HAIR_TEXTURE_RATIO: f32 = 3.0;
/// ... and at least this (mean absolute L* step; see
/// [`crate::input::Photo::grid_texture`]): a photo so smooth that its scalp measures almost
/// nothing would otherwise read noise as hair.
pub const HAIR_TEXTURE_MIN: f32 = 1.0;
/// Below this chroma (C*ab) a colour is near neutral and any hue angle is noise: grey and
/// white strands. Above it, light hair must have a hair hue ([`is_hair_hue`]): a denim or
/// green texture is not hair.
pub const NEUTRAL_CHROMA: f32 = 8.0;
/// Light hair found by texture counts when it holds at least this share of the fit grid.
pub const LIGHT_HAIR_MIN_SHARE: f32 = 0.02;
/// The confidence is multiplied by this when hair was found by texture (a rule that colour
/// cannot confirm).
pub const LIGHT_HAIR_CONFIDENCE: f32 = 0.7;

/// Light hair found by texture: grey, white and blond strands are not darker than the
/// scalp by the colour rule, so it cannot take them, but they make the photo's local contrast
/// high where bare skin is smooth. A sample is light hair when its cluster is neither hair,
/// scalp nor background, its chroma is at most [`HAIR_MAX_CHROMA`] (with a hair hue unless
/// near neutral, [`NEUTRAL_CHROMA`]), and its fit cell lies in
/// a region with the texture of hair. Edge clusters (strands blended with skin) count: among
/// strands they are part of how the hair looks, as a labelled rectangle of hair counts them
/// (on tests/real this took a mixed-grey fringe from 12.0 to 1.2 ΔE00, and moved no other).
#[derive(Debug, Clone)]
pub struct LightHair {
    /// The fit grid.
    pub layout: GridLayout,
    /// Its cells in a region with the texture of hair ([`HAIR_TEXTURE_RATIO`]): 8-connected
    /// regions of at least [`REGION_MIN_SHARE`] of the grid, not mostly on the border.
    pub cells: Vec<bool>,
    /// Per cluster of [`AutoSeparation::clusters`]: whether its samples may be light hair.
    pub clusters: Vec<bool>,
}

impl LightHair {
    /// Whether a sample of colour `lab`, nearest to cluster `cluster`, in fit cell `cell`, is
    /// light hair.
    pub fn takes(&self, lab: Lab, cluster: usize, cell: usize) -> bool {
        let c = crate::color::chroma(lab);
        self.clusters.get(cluster).copied().unwrap_or(false)
            && self.cells.get(cell).copied().unwrap_or(false)
            && c <= HAIR_MAX_CHROMA
            && (c < NEUTRAL_CHROMA || is_hair_hue(lab))
    }

    /// [`LightHair::takes`] for the point at (`fx`, `fy`), fractions of the photo's width and
    /// height.
    pub fn takes_at(&self, lab: Lab, cluster: usize, fx: f32, fy: f32) -> bool {
        self.takes(lab, cluster, self.layout.cell_at(fx, fy))
    }
}

/// The fit cells in regions with the texture of hair (see [`LightHair`]), or `None` when no
/// scalp cell is there to compare with. `left` marks cells already left out by place.
fn hair_textured_cells(
    grid: &GridReading,
    texture: &[f32],
    classes: &[ClusterClass],
    left: &[bool],
) -> Option<Vec<bool>> {
    let (gw, gh) = grid.size();
    let t = crate::mask::box_mean(texture, gw, gh, TEXTURE_RADIUS);
    let mut scalp: Vec<f32> = grid
        .cluster
        .iter()
        .zip(&t)
        .zip(left)
        .filter(|((c, _), &out)| !out && c.is_some_and(|i| classes[i] == ClusterClass::Scalp))
        .map(|((_, &t), _)| t)
        .collect();
    if scalp.is_empty() {
        return None;
    }
    let q = scalp.len() / 4;
    let smooth = *scalp.select_nth_unstable_by(q, f32::total_cmp).1;
    let floor = (HAIR_TEXTURE_RATIO * smooth).max(HAIR_TEXTURE_MIN);
    let textured: Vec<bool> = (0..t.len())
        .map(|k| {
            grid.cluster[k].is_some() && !left.get(k).copied().unwrap_or(false) && t[k] >= floor
        })
        .collect();
    let c = crate::mask::components(&textured, gw, gh);
    let min_cells = grid.region_min_cells();
    Some(grid.cells_of_regions(&c.label, &c.sizes, |n, band| {
        n >= min_cells && band as f32 <= BORDER_BACKGROUND * n as f32
    }))
}

/// Per cluster, the cells of its largest 8-connected region on the grid (each fit point
/// read as its nearest cluster; points `left_out` belong to none).
fn largest_regions(grid: &GridReading, clusters: usize) -> Vec<usize> {
    let (gw, gh) = grid.size();
    let regions = crate::mask::regions(&grid.cluster, gw, gh);
    let mut largest = vec![0usize; clusters];
    for (&n, &i) in regions.sizes.iter().zip(&regions.value) {
        largest[i] = largest[i].max(n);
    }
    largest
}

/// The cell of a `to` grid that holds the centre of cell `k` of a `from` grid, both laid
/// evenly over the same photo.
pub fn cell_in(k: usize, from: GridLayout, to: GridLayout) -> u32 {
    let (fc, fr) = (u64::from(from.cols.max(1)), u64::from(from.rows.max(1)));
    let (x, y) = (k as u64 % fc, k as u64 / fc);
    let tx = ((2 * x + 1) * u64::from(to.cols) / (2 * fc)).min(u64::from(to.cols.max(1)) - 1);
    let ty = ((2 * y + 1) * u64::from(to.rows) / (2 * fr)).min(u64::from(to.rows.max(1)) - 1);
    (ty * u64::from(to.cols) + tx) as u32
}

/// Where the fit points of a separation lie in the photo, for the rules that judge by place
/// and by texture. The default knows nothing: colour alone decides.
#[derive(Debug, Clone, Copy, Default)]
pub struct Placement<'a> {
    /// The fit points are this whole grid of the photo, in row-major order.
    pub layout: Option<GridLayout>,
    /// Fit points to leave out (cells inside regions the user excluded); empty: none.
    pub left_out: &'a [bool],
    /// Each sample's cell of the fit grid ([`cell_in`]).
    pub sample_cells: Option<&'a [u32]>,
    /// Each fit cell's local contrast ([`crate::input::Photo::grid_texture`]).
    pub texture: Option<&'a [f32]>,
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
    let place = Placement {
        layout,
        ..Placement::default()
    };
    auto_separate_excluding(samples, fit_points, &place, seed)
}

/// The separation told everything known of where its fit points lie ([`Placement`]). Fit
/// points `left_out` (cells inside regions the user excluded; `samples` must already be
/// without them) make the separation as if those pixels were not in the photo. With
/// `sample_cells` and a `layout`, samples in a [`background_regions`] cell leave both roles;
/// with a `texture` as well, light samples in regions with the texture of hair join the hair
/// ([`LightHair`]).
pub fn auto_separate_excluding(
    samples: Vec<Lab>,
    fit_points: &[Lab],
    place: &Placement,
    seed: u64,
) -> AutoSeparation {
    let Placement {
        layout,
        left_out,
        sample_cells,
        texture,
    } = *place;
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
    let grid = match layout {
        Some(l) if fit_points.len() == (l.cols as usize) * (l.rows as usize) => {
            Some(GridReading::new(fit_points, l, &centroids, left_out))
        }
        _ => None,
    };
    let background: Vec<bool> = match &grid {
        Some(g) => border_shares(g, clusters.len())
            .into_iter()
            .map(|b| b > BORDER_BACKGROUND)
            .collect(),
        None => vec![false; clusters.len()],
    };
    let largest_region: Option<Vec<usize>> =
        grid.as_ref().map(|g| largest_regions(g, clusters.len()));
    let (main_skin, read_as_hair) =
        main_scalp_cluster(&clusters, &background, largest_region.as_deref());
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
            background_cells: None,
            light_hair: None,
        };
    };
    let s0 = clusters[main].lab;
    for (c, &bg) in clusters.iter_mut().zip(&background) {
        if !bg && is_skin_like(c.lab) && delta_e00(c.lab, s0) <= SCALP_GROUP_DE00 {
            c.class = ClusterClass::Scalp;
        }
    }
    // No silent rules: a heavier skin-hued colour passed over for the scalp is named (unless
    // it is near enough to the scalp to be its shading, and joins it), and the choice is not
    // sure: on tests/real it decided seven photos, five of them better, one worse (a shine on
    // dark skin taken for the scalp), one with no scalp labelled.
    let passed: Vec<usize> = read_as_hair
        .iter()
        .copied()
        .filter(|&i| clusters[i].class != ClusterClass::Scalp)
        .collect();
    if !passed.is_empty() {
        confidence *= PASSED_OVER_CONFIDENCE;
    }
    for i in passed {
        let c = clusters[i];
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::SkinHuedDarkNotScalp,
            format!(
                "a skin-hued colour (L* {:.1} a* {:.1} b* {:.1}) covering {:.0} % of the photo \
                 is darker than L* {BROWN_HAIR_MAX_L} and a lighter skin colour (L* {:.1}) \
                 covers {:.0} %: the lighter one was taken as the scalp and the darker read as \
                 brown hair or shadow; if the scalp is the darker one (dark skin with a shine), \
                 give a --scalp-region",
                c.lab.l,
                c.lab.a,
                c.lab.b,
                100.0 * c.weight,
                s0.l,
                100.0 * clusters[main].weight,
            ),
        ));
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
    // No silent caps: a dark cluster of a hair hue left out of the hair only by the chroma
    // limit is named (a blue, green or violet one is clothing, not red hair).
    for c in clusters.iter().filter(|c| {
        c.class == ClusterClass::Other
            && c.weight >= SATURATED_DARK_SHARE
            && c.lab.l <= scalp_ref.l - HAIR_MIN_DARKER_L
            && crate::color::chroma(c.lab) > HAIR_MAX_CHROMA
            && is_hair_hue(c.lab)
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
    // Regions lying on the border leave both roles (their samples become other).
    let nearest: Vec<u8> = samples
        .par_iter()
        .map(|&p| tones::nearest(p, &centroids).0 as u8)
        .collect();
    // The final classes, read by the rules that judge by place and texture.
    let classes: Vec<ClusterClass> = clusters.iter().map(|c| c.class).collect();
    let background_cells = match (&grid, sample_cells) {
        (Some(g), Some(cells)) if cells.len() == samples.len() => {
            Some((g.layout, background_regions(g, &classes)))
        }
        _ => None,
    };
    // Per sample: hair or scalp left out because its region lies on the border (empty when
    // the separation was not told where its samples lie).
    let (mut placed_hair, mut placed_scalp) = (0usize, 0usize);
    let by_place: Vec<bool> = match (&background_cells, sample_cells) {
        (Some((_, bg)), Some(cells)) => nearest
            .iter()
            .zip(cells)
            .map(|(&i, &cell)| {
                let left = bg[cell as usize];
                match clusters[usize::from(i)].class {
                    ClusterClass::Hair if left => placed_hair += 1,
                    ClusterClass::Scalp if left => placed_scalp += 1,
                    _ => return false,
                }
                left
            })
            .collect(),
        _ => Vec::new(),
    };
    // Light hair by texture ([`LightHair`]): light samples of no role, in regions with the
    // texture of hair, when there are enough of them to count.
    let light_hair: Option<LightHair> = match (&grid, texture, sample_cells) {
        (Some(g), Some(t), Some(cells))
            if t.len() == g.cluster.len() && cells.len() == samples.len() =>
        {
            let left = background_cells
                .as_ref()
                .map_or_else(|| vec![false; t.len()], |(_, b)| b.clone());
            hair_textured_cells(g, t, &classes, &left).map(|cells| LightHair {
                layout: g.layout,
                cells,
                clusters: (0..clusters.len())
                    .map(|i| clusters[i].class == ClusterClass::Other && !background[i])
                    .collect(),
            })
        }
        _ => None,
    };
    let mut by_texture: Vec<bool> = match (&light_hair, sample_cells) {
        (Some(lh), Some(cells)) => samples
            .iter()
            .zip(&nearest)
            .zip(cells)
            .map(|((&p, &i), &cell)| lh.takes(p, usize::from(i), cell as usize))
            .collect(),
        _ => Vec::new(),
    };
    // Whether there is enough light hair to count is judged on the fit grid, the same
    // whatever --max-samples is (as the rest of the split).
    let light_cells = match (&light_hair, &grid) {
        (Some(lh), Some(g)) => g
            .cluster
            .iter()
            .zip(fit_points)
            .enumerate()
            .filter(|(k, (c, &p))| c.is_some_and(|i| lh.takes(p, i, *k)))
            .count(),
        _ => 0,
    };
    let grid_cells = grid.as_ref().map_or(1, |g| g.cluster.len().max(1));
    let light_hair = if light_cells as f32 >= LIGHT_HAIR_MIN_SHARE * grid_cells as f32 {
        light_hair
    } else {
        by_texture.clear();
        None
    };
    // Light samples of edge clusters were not in `other_share` (edges are left out of it).
    let (mut light_n, mut light_from_other, mut light_linear) = (0usize, 0usize, [0f64; 3]);
    for ((&p, &i), _) in samples
        .iter()
        .zip(&nearest)
        .zip(&by_texture)
        .filter(|(_, &b)| b)
    {
        light_n += 1;
        light_from_other += usize::from(edge_share[usize::from(i)].is_none());
        let c = crate::color::lab_to_linear(p);
        for (a, x) in light_linear.iter_mut().zip([c.red, c.green, c.blue]) {
            *a += f64::from(x);
        }
    }
    // `other_share` leaves the edges out: they are part of the treated area.
    let (hair_share, scalp_share, other_share) = (
        share(ClusterClass::Hair) - placed_hair as f32 / total + light_n as f32 / total,
        share(ClusterClass::Scalp) - placed_scalp as f32 / total,
        share(ClusterClass::Other) + (placed_hair + placed_scalp) as f32 / total
            - light_from_other as f32 / total,
    );
    if light_hair.is_some() {
        confidence *= LIGHT_HAIR_CONFIDENCE;
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::HairByTexture,
            format!(
                "{:.0} % of the photo is not dark enough to be hair by colour (at least \
                 {HAIR_MIN_DARKER_L} L* darker than the scalp) but lies where the photo has the \
                 texture of hair strands: it was taken as hair (grey, white, blond, or lit \
                 strands), and the hair target is the colour its tones blend to seen from a \
                 distance; if it is not hair (a patterned shirt, a textured wall), give a \
                 --hair-region",
                100.0 * light_n as f32 / total,
            ),
        ));
    }
    if hair_share < 0.02 {
        confidence *= 0.5;
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::LittleHair,
            format!(
                "little or no hair found ({:.1} % of pixels are darker than the scalp by {} L* \
                 or lie where the photo has the texture of strands)",
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
        // The hair's colour with its light hair in it (all of it, when colour found none).
        let cluster_share = share(ClusterClass::Hair);
        let hair_ref = if light_n == 0 {
            weighted_mean(&clusters, ClusterClass::Hair)
        } else {
            let n = light_n as f32;
            let light = crate::color::linear_to_lab(crate::color::LinRgb::new(
                (light_linear[0] / f64::from(n)) as f32,
                (light_linear[1] / f64::from(n)) as f32,
                (light_linear[2] / f64::from(n)) as f32,
            ));
            let w = cluster_share / (cluster_share + n / total);
            if cluster_share > 0.0 {
                mix_linear(
                    weighted_mean(&clusters, ClusterClass::Hair),
                    light,
                    f64::from(w),
                )
            } else {
                light
            }
        };
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
    let mut edge = Vec::new();
    let mut edge_hair = 0.0f64;
    for (k, (&p, &i)) in samples.iter().zip(&nearest).enumerate() {
        let i = usize::from(i);
        match clusters[i].class {
            ClusterClass::Hair | ClusterClass::Scalp if by_place.get(k) == Some(&true) => {
                other += 1
            }
            ClusterClass::Hair => hair.push(p),
            ClusterClass::Scalp => scalp.push(p),
            ClusterClass::Other if by_texture.get(k) == Some(&true) => hair.push(p),
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
        background_cells,
        light_hair,
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
    use crate::test_support::{blob, warned};

    /// A `cols` × `rows` grid painted by `paint(x, y)`, each cell moved by a deterministic
    /// uniform noise of ±`amp` on each Lab axis ([`blob`]).
    fn painted(cols: u32, rows: u32, amp: f32, paint: impl Fn(u32, u32) -> Lab) -> Vec<Lab> {
        let noise = blob(Lab::new(0.0, 0.0, 0.0), (cols * rows) as usize, amp, 9);
        (0..cols * rows)
            .map(|k| {
                let base = paint(k % cols, k / cols);
                let n = noise[k as usize];
                Lab::new(base.l + n.l, base.a + n.a, base.b + n.b)
            })
            .collect()
    }

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
        let px = painted(cols, rows, 1.0, |x, y| {
            let inner = (15..85).contains(&x) && (15..85).contains(&y);
            match (inner, x % 2 == 0 && y % 2 == 0) {
                (false, _) => wall,
                (true, true) => hair,
                (true, false) => skin,
            }
        });
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
    fn brown_hair_heavier_than_the_scalp_is_not_taken_for_it() {
        // Painted: 75 % brown hair (skin-hued: h_ab 60°, C*ab 20, L* 30), 20 % light scalp,
        // 5 % grey wall. By weight alone the hair is the heaviest skin-like colour (k-means
        // splits it into several clusters, each still heavier than the scalp's).
        let brown = Lab::new(30.0, 10.0, 17.0);
        let scalp = Lab::new(72.0, 13.0, 18.0);
        assert!(crate::analysis::classify::is_skin_like(brown));
        let mut px = blob(brown, 15_000, 1.5, 1);
        px.extend(blob(scalp, 4_000, 1.5, 2));
        px.extend(blob(Lab::new(55.0, 0.0, 0.0), 1_000, 1.5, 3));
        let sep = auto_separate(px, 7);
        let heaviest = sep.clusters[0];
        assert!(delta_e00(heaviest.lab, brown) < 3.0, "{:?}", sep.clusters);
        let mean = |v: &[Lab]| crate::color::mean_linear(v).expect("pixels");
        assert!(
            delta_e00(mean(&sep.scalp), scalp) < 1.0,
            "{:?}",
            mean(&sep.scalp)
        );
        assert!(
            delta_e00(mean(&sep.hair), brown) < 1.0,
            "{:?}",
            mean(&sep.hair)
        );
        assert!(
            warned(
                &sep.warnings,
                crate::warning::WarningCode::SkinHuedDarkNotScalp
            ),
            "{:?}",
            sep.warnings
        );
        assert!(
            sep.confidence <= PASSED_OVER_CONFIDENCE,
            "{}",
            sep.confidence
        );
        // A dark scalp with no lighter skin beside it stays the scalp, with no warning.
        let dark_skin = Lab::new(38.0, 12.0, 16.0);
        let mut px = blob(dark_skin, 12_000, 1.5, 4);
        px.extend(blob(Lab::new(12.0, 1.0, 1.0), 5_000, 1.5, 5));
        let sep = auto_separate(px, 7);
        assert!(delta_e00(mean(&sep.scalp), dark_skin) < 1.0);
        assert!(!warned(
            &sep.warnings,
            crate::warning::WarningCode::SkinHuedDarkNotScalp
        ));
    }

    #[test]
    fn the_scalp_is_the_skin_colour_of_the_largest_region_not_the_most_scattered() {
        // A 100 × 100 grid: the scalp, one central band (40 ≤ x < 58, 18 % of the photo); on
        // both sides a grey wall holding dots of a lighter skin-like colour in every other
        // cell of every other row (19.5 %, no two touching). By weight the dots win; by place
        // the band is the head.
        let scalp = Lab::new(60.0, 13.0, 16.0);
        let dots = Lab::new(80.0, 8.0, 22.0);
        let wall = Lab::new(50.0, 0.0, 0.0);
        assert!(crate::analysis::classify::is_skin_like(dots));
        assert!(delta_e00(scalp, dots) > SCALP_GROUP_DE00);
        let (cols, rows) = (100u32, 100u32);
        let px = painted(cols, rows, 0.5, |x, y| {
            if (40..58).contains(&x) {
                scalp
            } else if !(38..60).contains(&x) && x % 2 == 0 && y % 2 == 0 {
                dots
            } else {
                wall
            }
        });
        let mean = |v: &[Lab]| crate::color::mean_linear(v).expect("pixels");
        let by_weight = auto_separate_with(px.clone(), &px, 7);
        assert!(
            delta_e00(mean(&by_weight.scalp), dots) < 1.0,
            "weight alone takes the dots"
        );
        let placed = auto_separate_placed(px.clone(), &px, Some(GridLayout { cols, rows }), 7);
        assert!(
            delta_e00(mean(&placed.scalp), scalp) < 1.0,
            "{:?}",
            mean(&placed.scalp)
        );
    }

    #[test]
    fn a_wall_region_of_the_scalps_colour_on_the_border_leaves_both_roles() {
        // A 100 × 100 grid: the head (skin with black stubble) in the middle, a strip of wall of
        // the skin's colour along the right edge (x ≥ 88), separated from the head by a dark
        // gap. Wall and skin are one cluster; only where the wall lies says it is not scalp.
        let skin = Lab::new(62.0, 12.0, 16.0);
        let hair = Lab::new(18.0, 0.5, 1.0);
        let gap = Lab::new(50.0, -20.0, -20.0);
        let (cols, rows) = (100u32, 100u32);
        let px = painted(cols, rows, 1.0, |x, y| {
            if x >= 88 {
                skin
            } else if x >= 80 || !(10..90).contains(&y) || x < 10 {
                gap
            } else if x % 3 == 0 && y % 3 == 0 {
                hair
            } else {
                skin
            }
        });
        let layout = GridLayout { cols, rows };
        let cells: Vec<u32> = (0..px.len() as u32).collect();
        let placed = auto_separate_placed(px.clone(), &px, Some(layout), 7);
        let place = Placement {
            layout: Some(layout),
            sample_cells: Some(&cells),
            ..Placement::default()
        };
        let regions = auto_separate_excluding(px.clone(), &px, &place, 7);
        // The wall is 12 % of the photo, the head's skin about 57 %.
        let wall_cells = 12 * 100;
        assert_eq!(regions.scalp.len() + wall_cells, placed.scalp.len());
        assert!(regions.background_at(0.95, 0.5), "the wall is background");
        assert!(!regions.background_at(0.5, 0.5), "the head is not");
        assert!(regions.other >= placed.other + wall_cells);
    }

    #[test]
    fn light_hair_is_found_by_its_texture_and_a_smooth_wall_of_its_colour_is_not() {
        // A 100 × 100 grid: a wall of light grey fills the outer band (x or y < 12 or ≥ 88),
        // smooth; inside, the head: a bare, smooth scalp disc in the middle, and around it grey
        // hair: strands of the wall's very colour on every other cell, skin between, where the
        // photo's local contrast is high. By colour the strands are neither hair (not darker
        // than the scalp) nor scalp; by texture and place they are hair, the wall is not.
        let skin = Lab::new(64.0, 12.0, 15.0);
        let grey = Lab::new(80.0, 0.5, 2.0);
        let (cols, rows) = (100u32, 100u32);
        let wall = |x: u32, y: u32| !(12..88).contains(&x) || !(12..88).contains(&y);
        let bare = |x: u32, y: u32| {
            let (dx, dy) = (x as f32 - 50.0, y as f32 - 50.0);
            dx * dx + dy * dy < 20.0 * 20.0
        };
        let px = painted(cols, rows, 1.0, |x, y| {
            if wall(x, y) || (!bare(x, y) && (x + y) % 2 == 0) {
                grey
            } else {
                skin
            }
        });
        // Local contrast, L* steps: strands 4, smooth skin and wall 0.4 (uniform noise ± 0.2).
        let noise = blob(Lab::new(0.0, 0.0, 0.0), px.len(), 0.2, 3);
        let texture: Vec<f32> = (0..cols * rows)
            .map(|k| {
                let (x, y) = (k % cols, k / cols);
                let base = if wall(x, y) || bare(x, y) { 0.4 } else { 4.0 };
                base + noise[k as usize].l
            })
            .collect();
        let layout = GridLayout { cols, rows };
        let cells: Vec<u32> = (0..px.len() as u32).collect();
        let mut place = Placement {
            layout: Some(layout),
            sample_cells: Some(&cells),
            ..Placement::default()
        };
        let by_colour = auto_separate_excluding(px.clone(), &px, &place, 7);
        assert!(by_colour.hair.len() < 100, "colour alone finds no hair");
        assert!(by_colour.light_hair.is_none());
        place.texture = Some(&texture);
        let sep = auto_separate_excluding(px.clone(), &px, &place, 7);
        // The strands: half the cells of the hair annulus (76 × 76 less the disc), about 2 200.
        let strands = (0..cols * rows)
            .filter(|&k| {
                let (x, y) = (k % cols, k / cols);
                !wall(x, y) && !bare(x, y) && (x + y) % 2 == 0
            })
            .count();
        // The contrast is averaged over TEXTURE_RADIUS cells, so the wall's cells that near to
        // the hair read as textured too (a ring of 2 cells: 80² − 76² = 624 cells).
        let r = TEXTURE_RADIUS as u32;
        let ring = (0..cols * rows)
            .filter(|&k| {
                let (x, y) = (k % cols, k / cols);
                let near = (12 - r..88 + r).contains(&x) && (12 - r..88 + r).contains(&y);
                wall(x, y) && near
            })
            .count();
        assert_eq!(ring, 624);
        assert!(
            sep.hair.len() as f32 > 0.9 * strands as f32 && sep.hair.len() <= strands + ring,
            "{} hair samples for {strands} strands",
            sep.hair.len()
        );
        let mean = crate::color::mean_linear(&sep.hair).expect("hair");
        assert!(delta_e00(mean, grey) < 2.0, "{mean:?}");
        let lh = sep.light_hair.as_ref().expect("light hair");
        assert!(!lh.cells[5 * 100 + 50], "the wall is not hair");
        assert!(!lh.cells[50 * 100 + 50], "the bare scalp is not hair");
        assert!(crate::test_support::warned(
            &sep.warnings,
            crate::warning::WarningCode::HairByTexture
        ));
        // Never sure on texture alone.
        assert!(sep.confidence <= LIGHT_HAIR_CONFIDENCE + 1e-6 && LIGHT_HAIR_CONFIDENCE < SURE);
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
            warned(
                &sep.warnings,
                crate::warning::WarningCode::SaturatedDarkNotHair
            ),
            "{:?}",
            sep.warnings
        );
        let mean = crate::color::mean_linear(&sep.hair).expect("hair");
        assert!(delta_e00(mean, hair) < 1.0, "{mean:?}");
        // A dark blue shirt of the same chroma is clothing: nothing to name.
        let mut px = blob(skin, 12_000, 1.5, 1);
        px.extend(blob(hair, 4_000, 1.5, 2));
        px.extend(blob(Lab::new(30.0, 8.0, -38.0), 2_000, 1.5, 3));
        let sep = auto_separate(px, 7);
        assert!(!warned(
            &sep.warnings,
            crate::warning::WarningCode::SaturatedDarkNotHair
        ));
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
