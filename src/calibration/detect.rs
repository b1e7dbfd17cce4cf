//! Finding the ColorChecker in a photo and sampling its patches.
//!
//! Detection (docs/calibration.md): on a linear-light copy of the photo downsampled to
//! [`DETECT_SIDE`] pixels, flood-fill regions of uniform colour; keep compact regions of
//! similar size; find the two lattice directions from neighbour offsets; give each region
//! integer grid coordinates by walking from neighbour to neighbour (so mild perspective does
//! not accumulate); choose the 6 × 4 window holding the most regions; fit a homography from
//! grid cells to the photo. The patch order is then decided by the colours, not by geometry:
//! every orientation of the grid (rotations and mirror images) is tried against the
//! reference values and the one that a 3 × 3 colour fit explains best is kept — and only if
//! it is clearly better than the next, so a wrong patch order is never used silently.

use nalgebra::{DMatrix, Matrix3, Vector3};
use rayon::prelude::*;

use super::*;
use crate::color::{linear_to_lab_into, LinRgb};
use crate::error::{Error, Result};
use crate::input::{LinearImage, Photo};

/// Longer side of the image searched for the card.
pub const DETECT_SIDE: u32 = 1000;

/// A point in the photo (pixels, x right, y down).
pub type Point = [f64; 2];

/// A projective map from grid coordinates (column, row of patch centres) to the photo.
#[derive(Debug, Clone, Copy)]
pub struct Homography(pub Matrix3<f64>);

impl Homography {
    /// Map a point.
    pub fn apply(&self, p: Point) -> Point {
        let v = self.0 * Vector3::new(p[0], p[1], 1.0);
        [v[0] / v[2], v[1] / v[2]]
    }

    /// Direct linear transform from ≥ 4 correspondences (with Hartley normalisation).
    pub fn fit(src: &[Point], dst: &[Point]) -> Option<Homography> {
        if src.len() < 4 || src.len() != dst.len() {
            return None;
        }
        let norm = |pts: &[Point]| {
            let n = pts.len() as f64;
            let (cx, cy) = (
                pts.iter().map(|p| p[0]).sum::<f64>() / n,
                pts.iter().map(|p| p[1]).sum::<f64>() / n,
            );
            let d = pts
                .iter()
                .map(|p| ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt())
                .sum::<f64>()
                / n;
            let s = if d > 0.0 { 2f64.sqrt() / d } else { 1.0 };
            Matrix3::new(s, 0.0, -s * cx, 0.0, s, -s * cy, 0.0, 0.0, 1.0)
        };
        let (ts, td) = (norm(src), norm(dst));
        let mut a = DMatrix::<f64>::zeros(2 * src.len(), 9);
        for (k, (s, d)) in src.iter().zip(dst).enumerate() {
            let s = ts * Vector3::new(s[0], s[1], 1.0);
            let d = td * Vector3::new(d[0], d[1], 1.0);
            let (x, y, u, v) = (s[0], s[1], d[0], d[1]);
            let r1 = [-x, -y, -1.0, 0.0, 0.0, 0.0, u * x, u * y, u];
            let r2 = [0.0, 0.0, 0.0, -x, -y, -1.0, v * x, v * y, v];
            for c in 0..9 {
                a[(2 * k, c)] = r1[c];
                a[(2 * k + 1, c)] = r2[c];
            }
        }
        // The solution is the right singular vector of the smallest singular value.
        let ata = a.transpose() * &a;
        let eig = ata.symmetric_eigen();
        let (imin, _) = eig
            .eigenvalues
            .iter()
            .enumerate()
            .min_by(|x, y| x.1.total_cmp(y.1))?;
        let h = eig.eigenvectors.column(imin);
        let hn = Matrix3::new(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]);
        let full = td.try_inverse()? * hn * ts;
        if !full.iter().all(|x| x.is_finite()) || full[(2, 2)].abs() < 1e-15 {
            return None;
        }
        Some(Homography(full / full[(2, 2)]))
    }
}

/// A measured patch.
#[derive(Debug, Clone, Copy)]
pub struct PatchSample {
    /// Robust linear RGB of the patch's inner area.
    pub linear: [f64; 3],
    /// Clipped (any channel at the top of the range, or crushed to black).
    pub clipped: bool,
    /// Centre in the photo.
    pub centre: Point,
}

/// A card found in a photo, patches in reference order.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Patches 1–24.
    pub patches: Vec<PatchSample>,
    /// Grid → photo map in reference order (column 0–5, row 0–3 of the landscape card).
    pub homography: Homography,
    /// `automatic` or `corners`.
    pub method: &'static str,
    /// Patch regions found by the automatic search (0 with corners).
    pub regions_found: usize,
}

/// Sample the patch at grid cell (c, r): the inner half of the cell (±0.25 of the pitch),
/// a 15 × 15 lattice of photo pixels, reduced by [`crate::numeric::robust_median_rgb`].
fn sample_patch(photo: &Photo, h: &Homography, c: f64, r: f64) -> Option<PatchSample> {
    const N: usize = 15;
    let (w, hgt) = (photo.info.width as f64, photo.info.height as f64);
    let mut px: Vec<[f32; 3]> = Vec::with_capacity(N * N);
    for a in 0..N {
        for b in 0..N {
            let s = -0.25 + 0.5 * a as f64 / (N - 1) as f64;
            let t = -0.25 + 0.5 * b as f64 / (N - 1) as f64;
            let p = h.apply([c + s, r + t]);
            if !(p[0] >= 0.0 && p[1] >= 0.0 && p[0] < w && p[1] < hgt) {
                return None;
            }
            px.push(photo.linear_pixel(p[0] as u32, p[1] as u32));
        }
    }
    let clipped_frac =
        px.iter().filter(|p| p.iter().any(|&v| v >= 0.99)).count() as f64 / px.len() as f64;
    let mut px: Vec<[f64; 3]> = px.iter().map(|p| p.map(f64::from)).collect();
    let linear = crate::numeric::robust_median_rgb(&mut px)?;
    Some(PatchSample {
        linear,
        clipped: clipped_frac > 0.2 || linear.iter().all(|&v| v < 0.002),
        centre: h.apply([c, r]),
    })
}

/// Sample all 24 patches through `h` (grid in reference order).
pub fn sample_patches(photo: &Photo, h: &Homography) -> Option<Vec<PatchSample>> {
    (0..PATCHES)
        .map(|i| sample_patch(photo, h, (i % COLS) as f64, (i / COLS) as f64))
        .collect()
}

/// Mean ΔE00 of the better of a 3 × 3 and a gamma + 3 × 3 least-squares colour fit of
/// `patches` to `set`: how well a patch order is explained by a plausible camera.
pub fn order_fit_de00(patches: &[PatchSample], set: ReferenceSet) -> f64 {
    let refs = reference(set);
    let rows: Vec<usize> = (0..PATCHES).filter(|&i| !patches[i].clipped).collect();
    if rows.len() < 6 {
        return f64::INFINITY;
    }
    // The two models the calibration itself starts from: a camera that is linear (3 × 3), or
    // one with its own tone curve (per-channel gamma from the neutrals, then 3 × 3). A green
    // cast, raw-like photo is only explained by the second; testing the order with the 3 × 3
    // alone rejected such cards as "another card".
    [Model::Matrix3x3, Model::GammaMatrix3x3]
        .into_iter()
        .filter_map(|model| super::fit::fit_on(model, patches, set, &rows, Weighting::Uniform))
        .map(|c| {
            rows.iter()
                .map(|&i| {
                    let lab = super::fit::lin_lab(c.apply(patches[i].linear));
                    f64::from(crate::color::delta_e00(lab, refs[i].lab))
                })
                .sum::<f64>()
                / rows.len() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Use four patch centres given by hand, in the order patch 1 (dark skin), 6 (bluish green),
/// 24 (black), 19 (white).
pub fn from_corners(photo: &Photo, corners: [Point; 4]) -> Result<Detection> {
    let grid = [[0.0, 0.0], [5.0, 0.0], [5.0, 3.0], [0.0, 3.0]];
    let h = Homography::fit(&grid, &corners)
        .ok_or_else(|| Error::usage("--corners: the four points do not define a quadrilateral"))?;
    let patches = sample_patches(photo, &h).ok_or_else(|| {
        Error::photo(
            &photo.path,
            "--corners: part of the card falls outside the photo",
        )
    })?;
    Ok(Detection {
        patches,
        homography: h,
        method: "corners",
        regions_found: 0,
    })
}

struct Region {
    centre: Point,
    area: f64,
}

/// Uniform, compact regions of the downsampled image.
fn find_regions(img: &LinearImage) -> Vec<Region> {
    let (w, h) = (img.width, img.height);
    // Chunks in parallel (each pixel on its own: the same on any number of threads); the card
    // check runs beside the separation, and a long serial task there would leave a core idle.
    let lab: Vec<[f32; 3]> = img
        .data
        .par_chunks(4_096)
        .flat_map_iter(|chunk| {
            let rgb: Vec<LinRgb> = chunk
                .iter()
                .map(|p| LinRgb::new(p[0], p[1], p[2]))
                .collect();
            let mut lab = Vec::with_capacity(rgb.len());
            linear_to_lab_into(&rgb, &mut lab);
            lab.into_iter().map(|l| [l.l, l.a, l.b])
        })
        .collect();
    let d2 = |a: &[f32; 3], b: &[f32; 3]| {
        (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
    };
    const EDGE: f32 = 4.0; // neighbour step, Lab units
    const SPREAD: f32 = 9.0; // distance to the region mean
    let min_area = ((w * h) as f64 * 1e-4).max(12.0);
    let max_area = (w * h) as f64 * 0.05;
    let mut label = vec![u32::MAX; w * h];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    let mut members = Vec::new();
    for seed in 0..w * h {
        if label[seed] != u32::MAX {
            continue;
        }
        let id = seed as u32;
        label[seed] = id;
        stack.clear();
        members.clear();
        stack.push(seed);
        let mut sum = [0f64; 3];
        while let Some(i) = stack.pop() {
            members.push(i);
            for k in 0..3 {
                sum[k] += f64::from(lab[i][k]);
            }
            let n = members.len() as f64;
            let mean = [
                (sum[0] / n) as f32,
                (sum[1] / n) as f32,
                (sum[2] / n) as f32,
            ];
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if label[j] == u32::MAX
                    && d2(&lab[j], &lab[i]) < EDGE * EDGE
                    && d2(&lab[j], &mean) < SPREAD * SPREAD
                {
                    label[j] = id;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        let n = members.len() as f64;
        if n < min_area || n > max_area {
            continue;
        }
        let (mut sx, mut sy) = (0.0, 0.0);
        for &i in &members {
            sx += (i % w) as f64;
            sy += (i / w) as f64;
        }
        let (cx, cy) = (sx / n, sy / n);
        let (mut cxx, mut cyy, mut cxy) = (0.0, 0.0, 0.0);
        for &i in &members {
            let (dx, dy) = ((i % w) as f64 - cx, (i / w) as f64 - cy);
            cxx += dx * dx;
            cyy += dy * dy;
            cxy += dx * dy;
        }
        let (cxx, cyy, cxy) = (cxx / n, cyy / n, cxy / n);
        let tr = cxx + cyy;
        let det = cxx * cyy - cxy * cxy;
        let disc = (tr * tr / 4.0 - det).max(0.0).sqrt();
        let (l1, l2) = (tr / 2.0 + disc, (tr / 2.0 - disc).max(1e-9));
        // A filled rectangle of sides a, b has moments a²/12, b²/12: area = 12·√(λ1λ2).
        let fill = n / (12.0 * (l1 * l2).sqrt());
        if l1 / l2 <= 2.5 && (0.75..=1.2).contains(&fill) {
            out.push(Region {
                centre: [cx + 0.5, cy + 0.5],
                area: n,
            });
        }
    }
    out
}

impl Detection {
    /// The mean distance between neighbouring patch centres in the photo, pixels (over all
    /// 38 neighbouring pairs, so a mild perspective averages out): with the card's pitch in
    /// millimetres, the photo's scale where the card is.
    pub fn pitch_px(&self) -> f64 {
        let h = &self.homography;
        let d = |a: Point, b: Point| (a[0] - b[0]).hypot(a[1] - b[1]);
        let mut sum = 0.0;
        let mut n = 0;
        for r in 0..4 {
            for c in 0..6 {
                let p = h.apply([f64::from(c), f64::from(r)]);
                if c < 5 {
                    sum += d(p, h.apply([f64::from(c + 1), f64::from(r)]));
                    n += 1;
                }
                if r < 3 {
                    sum += d(p, h.apply([f64::from(c), f64::from(r + 1)]));
                    n += 1;
                }
            }
        }
        sum / f64::from(n)
    }
}

/// Find the card automatically.
pub fn detect(photo: &Photo) -> Result<Detection> {
    detect_in(photo, &photo.linear_downsampled(DETECT_SIDE))
}

/// Longer side searched when checking whether a photo given for automatic separation holds
/// a card (cheaper than [`DETECT_SIDE`]; a card a tenth of the photo wide still has patches
/// of 7+ pixels at this size).
pub const CARD_CHECK_SIDE: u32 = 480;

/// The share of the photo covered by a ColorChecker found in it (its outline: the patch
/// lattice plus half a patch pitch all round), or `None` when no card is found.
///
/// ```
/// # use smpmatch::input::{Photo, LoadLimits};
/// let card = Photo::load("samples/card_clinic.jpg".as_ref(), LoadLimits::default())?;
/// let share = smpmatch::calibration::card_share(&card).expect("a card");
/// assert!((0.1..0.3).contains(&share), "{share}");
/// let head = Photo::load("samples/shaved_light.jpg".as_ref(), LoadLimits::default())?;
/// assert!(smpmatch::calibration::card_share(&head).is_none());
/// # Ok::<(), smpmatch::error::Error>(())
/// ```
pub fn card_share(photo: &Photo) -> Option<f64> {
    // Point-sampled (one pixel per block, not a box average): the check must cost little
    // beside a `match`, and patches are flat enough to be found without averaging.
    let det = detect_in(photo, &photo.linear_point_sampled(CARD_CHECK_SIDE)).ok()?;
    let outline: Vec<Point> = [[-0.5, -0.5], [5.5, -0.5], [5.5, 3.5], [-0.5, 3.5]]
        .iter()
        .map(|&p| det.homography.apply(p))
        .collect();
    // Shoelace area of the quadrilateral.
    let twice: f64 = (0..4)
        .map(|i| {
            let (a, b) = (outline[i], outline[(i + 1) % 4]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum();
    let area = f64::from(photo.info.width) * f64::from(photo.info.height);
    (area > 0.0).then(|| (0.5 * twice.abs() / area).min(1.0))
}

fn detect_in(photo: &Photo, img: &LinearImage) -> Result<Detection> {
    let regions = find_regions(img);
    let not_found = |why: String| Error::Analysis {
        path: Some(photo.path.clone()),
        message: format!(
            "{}: no ColorChecker found ({why}); make sure the whole card is in the photo, in \
             focus and not in glare, or give the centres of patches 1, 6, 24 and 19 with \
             --corners",
            photo.path.display()
        ),
    };
    // Groups of regions of similar size (patches are all the same size): first the largest
    // group within a factor 2.2 (perspective and glare spread the patch areas); then, since a
    // patterned background (a printed bedsheet, a shirt) can outnumber the patches or blur
    // into their size band, the largest groups within a tighter factor 1.5, each starting at
    // a size no earlier one of them covers. The first group that forms a ColorChecker wins;
    // if none does, the first group's failure is reported.
    let mut areas: Vec<(f64, usize)> = regions.iter().map(|r| r.area).zip(0..).collect();
    areas.sort_by(|a, b| a.0.total_cmp(&b.0));
    let groups = |ratio: f64| -> Vec<(usize, usize)> {
        let mut w: Vec<(usize, usize)> = (0..areas.len())
            .map(|i| (i, areas.partition_point(|a| a.0 <= areas[i].0 * ratio)))
            .collect();
        w.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
        w
    };
    let mut tried: Vec<(usize, usize)> = vec![groups(2.2).first().copied().unwrap_or((0, 0))];
    let mut tight: Vec<(usize, usize)> = Vec::new();
    for (i, j) in groups(1.5) {
        if tight.len() + 1 == SIZE_GROUPS_TRIED {
            break;
        }
        if !tight.iter().any(|&(a, b)| (a..b).contains(&i)) {
            tight.push((i, j));
        }
    }
    tried.extend(tight);
    let mut first_err = None;
    for &(i, j) in &tried {
        let cand: Vec<Point> = areas[i..j]
            .iter()
            .map(|&(_, k)| regions[k].centre)
            .collect();
        match grid_in(photo, img, &cand, &not_found) {
            Ok(d) => return Ok(d),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or_else(|| not_found("no patch-like regions".to_string())))
}

/// Groups of similar-sized regions tried, largest first (see [`detect`]).
const SIZE_GROUPS_TRIED: usize = 4;

/// The card whose patch centres (downsampled image coordinates) are among `cand`.
fn grid_in(
    photo: &Photo,
    img: &LinearImage,
    cand: &[Point],
    not_found: &dyn Fn(String) -> Error,
) -> Result<Detection> {
    if cand.len() < 8 {
        return Err(not_found(format!(
            "{} patch-like regions of similar size, need at least 8",
            cand.len()
        )));
    }
    let grid = lattice(cand)
        .ok_or_else(|| not_found("the patch-like regions do not form a 4 × 6 grid".to_string()))?;
    let (cells, found) = grid;
    // Homography from grid coordinates to downsampled image, then to the photo.
    let src: Vec<Point> = cells.iter().map(|c| [c.0 as f64, c.1 as f64]).collect();
    let dst: Vec<Point> = cells
        .iter()
        .map(|c| [c.2[0] * img.scale, c.2[1] * img.scale])
        .collect();
    let base =
        Homography::fit(&src, &dst).ok_or_else(|| not_found("degenerate grid".to_string()))?;
    // Which window: 6 × 4 or 4 × 6 in (i, j), anchored at the min cell.
    let (imin, imax) = (
        cells.iter().map(|c| c.0).min().unwrap_or(0),
        cells.iter().map(|c| c.0).max().unwrap_or(0),
    );
    let (jmin, jmax) = (
        cells.iter().map(|c| c.1).min().unwrap_or(0),
        cells.iter().map(|c| c.1).max().unwrap_or(0),
    );
    let (si, sj) = (imax - imin + 1, jmax - jmin + 1);
    let mut hypotheses: Vec<Homography> = Vec::new();
    for (wide, tall) in [(COLS as i32, ROWS as i32), (ROWS as i32, COLS as i32)] {
        if si > wide || sj > tall {
            continue;
        }
        for i0 in (imax - wide + 1)..=imin {
            for j0 in (jmax - tall + 1)..=jmin {
                // Map reference (c, r) to lattice (i, j) for each of the 4 symmetries
                // (with the mirror images handled by swapping the roles of the axes).
                for flip_c in [false, true] {
                    for flip_r in [false, true] {
                        let map = |c: f64, r: f64| -> Point {
                            let c2 = if flip_c { (COLS - 1) as f64 - c } else { c };
                            let r2 = if flip_r { (ROWS - 1) as f64 - r } else { r };
                            if wide == COLS as i32 {
                                [i0 as f64 + c2, j0 as f64 + r2]
                            } else {
                                [i0 as f64 + r2, j0 as f64 + c2]
                            }
                        };
                        let g: Vec<Point> = [[0.0, 0.0], [5.0, 0.0], [5.0, 3.0], [0.0, 3.0]]
                            .iter()
                            .map(|p| base.apply(map(p[0], p[1])))
                            .collect();
                        if let Some(h) =
                            Homography::fit(&[[0.0, 0.0], [5.0, 0.0], [5.0, 3.0], [0.0, 3.0]], &g)
                        {
                            hypotheses.push(h);
                        }
                    }
                }
            }
        }
    }
    let mut scored: Vec<(f64, Homography, Vec<PatchSample>)> = hypotheses
        .into_iter()
        .filter_map(|h| {
            let p = sample_patches(photo, &h)?;
            let s = ReferenceSet::ALL
                .iter()
                .map(|&set| order_fit_de00(&p, set))
                .fold(f64::INFINITY, f64::min);
            Some((s, h, p))
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some((best_de, h, patches)) = scored.first().cloned() else {
        return Err(not_found("the grid runs off the photo".to_string()));
    };
    if best_de > MAX_ORDER_DE00 {
        return Err(not_found(format!(
            "a 4 × 6 grid was found, but its colours match the ColorChecker in no orientation \
             (best mean ΔE00 {best_de:.1} after a 3 × 3 or gamma + 3 × 3 fit): another card, or heavy glare"
        )));
    }
    if let Some(second) = scored.get(1) {
        if second.0 < best_de * 1.5 && second.0 - best_de < 2.0 {
            return Err(not_found(format!(
                "the patch order is ambiguous (two orientations fit with mean ΔE00 {best_de:.1} \
                 and {:.1})",
                second.0
            )));
        }
    }
    Ok(Detection {
        patches,
        homography: h,
        method: "automatic",
        regions_found: found,
    })
}

/// Above this mean ΔE00 of the order check, a grid is not a ColorChecker.
pub const MAX_ORDER_DE00: f64 = 8.0;

/// Integer lattice coordinates for the candidate centres: (i, j, centre) of the cells kept,
/// and how many candidates were placed.
#[allow(clippy::type_complexity)]
fn lattice(pts: &[Point]) -> Option<(Vec<(i32, i32, Point)>, usize)> {
    let n = pts.len();
    let dist = |a: Point, b: Point| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let mut nn: Vec<f64> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| j != i)
                .map(|j| dist(pts[i], pts[j]))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    nn.sort_by(f64::total_cmp);
    let pitch = nn[n / 2];
    // Neighbour offsets, folded to one direction modulo 90°.
    let mut offsets: Vec<Point> = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let d = dist(pts[i], pts[j]);
            if i != j && d < 1.45 * pitch && d > 0.6 * pitch {
                offsets.push([pts[j][0] - pts[i][0], pts[j][1] - pts[i][1]]);
            }
        }
    }
    if offsets.len() < 8 {
        return None;
    }
    // Dominant angle modulo 90° by a circular mean of 4θ.
    let (s, c) = offsets.iter().fold((0.0, 0.0), |(s, c), o| {
        let th = o[1].atan2(o[0]);
        (s + (4.0 * th).sin(), c + (4.0 * th).cos())
    });
    let th0 = f64::atan2(s, c) / 4.0;
    let pick = |angle: f64| -> Option<Point> {
        let dir = [angle.cos(), angle.sin()];
        let mut v: Vec<Point> = offsets
            .iter()
            .filter(|o| {
                let len = (o[0] * o[0] + o[1] * o[1]).sqrt();
                (o[0] * dir[0] + o[1] * dir[1]) / len > 0.94 // within ~20°
            })
            .copied()
            .collect();
        if v.is_empty() {
            return None;
        }
        let mut xs: Vec<f64> = v.iter().map(|p| p[0]).collect();
        let mut ys: Vec<f64> = v.iter().map(|p| p[1]).collect();
        xs.sort_by(f64::total_cmp);
        ys.sort_by(f64::total_cmp);
        v.clear();
        Some([xs[xs.len() / 2], ys[ys.len() / 2]])
    };
    let u = pick(th0)?;
    let v = pick(th0 + std::f64::consts::FRAC_PI_2)?;
    // Walk from the candidate nearest the middle, one neighbour step at a time, using the
    // local offset to the neighbour in the (u, v) basis.
    let det = u[0] * v[1] - u[1] * v[0];
    if det.abs() < 1e-9 {
        return None;
    }
    let solve = |d: Point| -> (f64, f64) {
        (
            (d[0] * v[1] - d[1] * v[0]) / det,
            (u[0] * d[1] - u[1] * d[0]) / det,
        )
    };
    let (mx, my) = (
        pts.iter().map(|p| p[0]).sum::<f64>() / n as f64,
        pts.iter().map(|p| p[1]).sum::<f64>() / n as f64,
    );
    let seed = (0..n).min_by(|&a, &b| dist(pts[a], [mx, my]).total_cmp(&dist(pts[b], [mx, my])))?;
    let mut coord: Vec<Option<(i32, i32)>> = vec![None; n];
    coord[seed] = Some((0, 0));
    let mut queue = std::collections::VecDeque::from([seed]);
    while let Some(a) = queue.pop_front() {
        let Some((ia, ja)) = coord[a] else { continue };
        for b in 0..n {
            if coord[b].is_some() || dist(pts[a], pts[b]) > 1.45 * pitch {
                continue;
            }
            let (di, dj) = solve([pts[b][0] - pts[a][0], pts[b][1] - pts[a][1]]);
            let (ri, rj) = (di.round(), dj.round());
            if (di - ri).abs() < 0.3 && (dj - rj).abs() < 0.3 && (ri.abs() + rj.abs()) == 1.0 {
                coord[b] = Some((ia + ri as i32, ja + rj as i32));
                queue.push_back(b);
            }
        }
    }
    // One candidate per cell (the first placed wins); choose the 6 × 4 / 4 × 6 window with the
    // most cells.
    let mut cells: Vec<(i32, i32, Point)> = Vec::new();
    for (k, c) in coord.iter().enumerate() {
        if let Some((i, j)) = c {
            if !cells.iter().any(|x| x.0 == *i && x.1 == *j) {
                cells.push((*i, *j, pts[k]));
            }
        }
    }
    let mut best: Option<(usize, i32, i32, i32, i32)> = None;
    let (imin, imax) = (
        cells.iter().map(|c| c.0).min()?,
        cells.iter().map(|c| c.0).max()?,
    );
    let (jmin, jmax) = (
        cells.iter().map(|c| c.1).min()?,
        cells.iter().map(|c| c.1).max()?,
    );
    for (wd, ht) in [(COLS as i32, ROWS as i32), (ROWS as i32, COLS as i32)] {
        for i0 in imin - wd + 1..=imax {
            for j0 in jmin - ht + 1..=jmax {
                let k = cells
                    .iter()
                    .filter(|c| c.0 >= i0 && c.0 < i0 + wd && c.1 >= j0 && c.1 < j0 + ht)
                    .count();
                if best.is_none_or(|b| k > b.0) {
                    best = Some((k, i0, j0, wd, ht));
                }
            }
        }
    }
    let (k, i0, j0, wd, ht) = best?;
    if k < 12 {
        return None;
    }
    let kept: Vec<(i32, i32, Point)> = cells
        .into_iter()
        .filter(|c| c.0 >= i0 && c.0 < i0 + wd && c.1 >= j0 && c.1 < j0 + ht)
        .collect();
    Some((kept, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_sets_have_24_patches_in_order() {
        for set in ReferenceSet::ALL {
            let r = reference(set);
            assert_eq!(r.len(), PATCHES);
            for (i, p) in r.iter().enumerate() {
                assert_eq!(p.index, i + 1);
            }
            assert_eq!(r[0].name, "dark skin");
            assert_eq!(r[18].name.split(' ').next(), Some("white"));
        }
    }

    #[test]
    fn bradford_keeps_neutrals_neutral() {
        // A neutral under D50 adapts to a neutral under D65 (a*, b* stay ≈ 0) with L* kept.
        let (lab, lin) = adapt_d50_to_d65([50.0, 0.0, 0.0]);
        assert!((lab.l - 50.0).abs() < 0.01 && lab.a.abs() < 0.01 && lab.b.abs() < 0.01);
        assert!((lin[0] - lin[1]).abs() < 1e-4 && (lin[1] - lin[2]).abs() < 1e-4);
        // Published D50 → D65 Bradford example (Lindbloom): the D50 white maps to D65 white.
        let (white, _) = adapt_d50_to_d65([100.0, 0.0, 0.0]);
        assert!((white.l - 100.0).abs() < 0.01);
    }

    #[test]
    fn homography_round_trip() {
        let src = [[0.0, 0.0], [5.0, 0.0], [5.0, 3.0], [0.0, 3.0], [2.0, 1.0]];
        let truth = Homography(Matrix3::new(
            90.0, 12.0, 300.0, -8.0, 85.0, 200.0, 0.0004, -0.0002, 1.0,
        ));
        let dst: Vec<Point> = src.iter().map(|&p| truth.apply(p)).collect();
        let h = Homography::fit(&src, &dst).expect("fit");
        for p in [[1.0, 1.0], [4.5, 2.5]] {
            let (a, b) = (h.apply(p), truth.apply(p));
            assert!((a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6);
        }
    }
}
