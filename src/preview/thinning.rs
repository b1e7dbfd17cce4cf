//! Finding the thinning area on the photo: where the scalp shows through the hair.
//!
//! A consultation preview draws dots where the scalp shows. Each pixel is read as hair,
//! scalp or neither (by the nearest of the analysis's tones, see [`Reader`]); the photo is cut
//! into cells of [`CELL_MM`]; a cell where at least [`SCALP_SHOWS`] of the pixels read as
//! scalp, and no more than [`OTHER_MAX`] as neither, is thin. The thinning area is the largest
//! connected group of thin cells, with the holes inside it filled (a mole, a tuft) and its
//! outline closed by one cell, drawn back at pixel resolution with smooth edges.
//!
//! Colour alone decides what a pixel is, so skin that is not scalp (a forehead, a neck, a hand)
//! or a wall of the skin's colour joined to the scalp can be taken in: the result is a
//! proposal, saved as a mask the technician can check and correct (`preview --save-area`).

use image::{GrayImage, RgbImage};
use rayon::prelude::*;

use crate::color::{delta_e00, lab_from_srgb8, Lab};
use crate::mask::{dilate, erode, fill_holes, largest_component};

/// Side of a cell, mm: a few dots at follicle densities (about 4 at 100/cm²), and fine
/// enough to follow a hairline.
pub const CELL_MM: f64 = 2.0;

/// Share of a cell's pixels read as scalp from which the scalp "shows": bare scalp reads
/// about 1, diffuse thinning 0.3–0.6, full hair on a top-down photo under 0.2.
/// **Assumption** (set on the synthetic samples and checked on labelled real photos, see
/// docs/model.md §14).
pub const SCALP_SHOWS: f32 = 0.35;

/// A cell with more than this share of pixels that read as neither hair nor scalp
/// (background, clothes, glare) is not part of the head.
pub const OTHER_MAX: f32 = 0.5;

/// A pixel further than this from every tone (ΔE00) reads as neither hair nor scalp.
pub const FAR_DE00: f32 = 20.0;

/// The side of a hairline the scalp is on, in the sign of
/// [`super::nearest_on_polyline`]: its left as drawn on the photo.
const SCALP_SIDE: f64 = -1.0;

/// Smallest area worth proposing, mm² (1 cm²).
pub const MIN_AREA_MM2: f64 = 100.0;

/// What a pixel reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Hair.
    Hair,
    /// Scalp skin.
    Scalp,
    /// Neither (background, clothes, glare).
    Other,
}

/// Bits kept per sRGB channel in the reader's table (32 levels: neighbouring levels are at
/// most about 3 ΔE00 apart, below what the cell shares can notice).
const BITS: u32 = 5;

/// Reads 8-bit sRGB pixels as hair, scalp or neither, through a table over the sRGB cube
/// (the rule is evaluated once per table entry, not once per pixel).
pub struct Reader {
    table: Vec<Reading>,
}

impl Reader {
    /// A reader from a rule on CIELAB colours.
    pub fn new(rule: impl Fn(Lab) -> Reading + Sync) -> Self {
        let n = 1usize << BITS;
        let level = |i: usize| ((i << (8 - BITS)) + (1 << (7 - BITS))) as u8;
        let table = (0..n * n * n)
            .into_par_iter()
            .map(|i| {
                rule(lab_from_srgb8(
                    level(i >> (2 * BITS)),
                    level((i >> BITS) & (n - 1)),
                    level(i & (n - 1)),
                ))
            })
            .collect();
        Reader { table }
    }

    /// The nearest of some hair and scalp tones (ΔE00), neither beyond [`FAR_DE00`]; `other`
    /// tones (background clusters) read as neither. `correct` takes a pixel's colour to the
    /// tones' (a calibration profile's correction; the identity without one).
    pub fn nearest(
        hair: &[Lab],
        scalp: &[Lab],
        other: &[Lab],
        correct: impl Fn(Lab) -> Lab + Sync,
    ) -> Self {
        let tones: Vec<(Lab, Reading)> = hair
            .iter()
            .map(|&l| (l, Reading::Hair))
            .chain(scalp.iter().map(|&l| (l, Reading::Scalp)))
            .chain(other.iter().map(|&l| (l, Reading::Other)))
            .collect();
        Reader::new(|lab| {
            let lab = correct(lab);
            tones
                .iter()
                .map(|&(t, r)| (delta_e00(lab, t), r))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|&(d, _)| d <= FAR_DE00)
                .map_or(Reading::Other, |(_, r)| r)
        })
    }

    /// What this pixel reads as.
    pub fn read(&self, p: [u8; 3]) -> Reading {
        let q = |c: u8| usize::from(c >> (8 - BITS));
        self.table[(q(p[0]) << (2 * BITS)) | (q(p[1]) << BITS) | q(p[2])]
    }
}

/// The reader for a photo from its analysis: the separation's clusters when it is sure
/// ([`crate::analysis::segment::SURE`]), else the tones of the hair and scalp regions given;
/// `Err` says why neither can be trusted. With a profile the tones are true colours, so each
/// pixel is corrected before it is read.
pub fn reader_for(
    analysis: &crate::analysis::Analysis,
    profile: Option<&crate::calibration::Profile>,
    photo: &RgbImage,
) -> std::result::Result<Reader, String> {
    let correct = |lab: Lab| profile.map_or(lab, |p| p.correction.apply_lab(lab));
    use crate::analysis::segment::{ClusterClass, SURE};
    let (hair, scalp, other) = match &analysis.auto {
        Some(sep) if sep.confidence < SURE => {
            return Err(format!(
                "hair and scalp are not told apart with confidence ({:.2}, below {SURE})",
                sep.confidence
            ))
        }
        Some(sep) => {
            let labs = |class: ClusterClass| -> Vec<Lab> {
                sep.clusters
                    .iter()
                    .filter(|c| c.class == class)
                    .map(|c| c.lab)
                    .collect()
            };
            (
                labs(ClusterClass::Hair),
                labs(ClusterClass::Scalp),
                labs(ClusterClass::Other),
            )
        }
        None => {
            let tones = |t: &Option<crate::analysis::tones::RoleTones>| -> Vec<Lab> {
                t.iter()
                    .flat_map(|t| t.tones.iter().map(|x| x.lab))
                    .collect()
            };
            let (hair, scalp) = (tones(&analysis.hair), tones(&analysis.scalp));
            let other = border_tones(photo, &correct, &hair, &scalp);
            (hair, scalp, other)
        }
    };
    if hair.is_empty() || scalp.is_empty() {
        return Err("the photo shows no hair or no scalp to tell apart".into());
    }
    Ok(Reader::nearest(&hair, &scalp, &other, correct))
}

/// A background tone is this far (ΔE00) from every hair and scalp tone at least.
pub const BACKGROUND_DE00: f32 = 10.0;

/// Background tones when hair and scalp come from regions (the separation's own background
/// clusters are not there): the colours of the photo's border band
/// ([`crate::analysis::segment::BORDER_BAND`] of each side), where walls and clothes are,
/// clustered, kept when at least [`BACKGROUND_DE00`] from every hair and scalp tone (so the
/// head, where it reaches the border, stays the head). A pale wall is otherwise nearer the
/// scalp than the hair and joins the area.
fn border_tones(
    photo: &RgbImage,
    correct: &(impl Fn(Lab) -> Lab + Sync),
    hair: &[Lab],
    scalp: &[Lab],
) -> Vec<Lab> {
    let (w, h) = photo.dimensions();
    let band = crate::analysis::segment::BORDER_BAND;
    let (bx, by) = ((w as f32 * band) as u32, (h as f32 * band) as u32);
    let step = ((w.max(h) / 400).max(1)) as usize;
    let samples: Vec<Lab> = (0..h)
        .step_by(step)
        .flat_map(|y| (0..w).step_by(step).map(move |x| (x, y)))
        .filter(|&(x, y)| x < bx || y < by || x >= w - bx || y >= h - by)
        .map(|(x, y)| {
            let p = photo.get_pixel(x, y).0;
            correct(lab_from_srgb8(p[0], p[1], p[2]))
        })
        .collect();
    if samples.is_empty() {
        return Vec::new();
    }
    let fit = crate::analysis::tones::fit_k(&samples, &samples, 6, 1);
    fit.centroids
        .into_iter()
        .filter(|&c| {
            hair.iter()
                .chain(scalp)
                .all(|&t| delta_e00(c, t) >= BACKGROUND_DE00)
        })
        .collect()
}

/// A proposed thinning area.
#[derive(Debug, Clone)]
pub struct Thinning {
    /// The area, the photo's size: 255 inside, 0 outside.
    pub mask: GrayImage,
    /// Its size, mm².
    pub area_mm2: f64,
    /// Its bounding box, pixels: x, y, w, h.
    pub bounds: [u32; 4],
    /// Share of the head's cells (hair or scalp) it covers: near 1 when the whole visible
    /// scalp is bare or shaved.
    pub share_of_head: f64,
}

/// Find where the scalp shows through the hair (see the module's description); `None` when
/// no area of at least [`MIN_AREA_MM2`] shows. With a designed hairline (a polyline, pixels;
/// empty: none) only the scalp behind it counts, not the forehead in front of it (bare skin
/// of the scalp's colour). The line is drawn from the patient's right temple to the left, so
/// the scalp lies on its left as seen on the photo, whichever way the head is turned: on a
/// face-on photo the line runs left to right with the scalp above it. (Colour cannot tell
/// which side is the forehead: a receded front is bare on both sides of the new line, and
/// clothes or a beard in front of it read as hair.)
pub fn find(
    photo: &RgbImage,
    px_per_mm: f64,
    reader: &Reader,
    hairline: &[(f64, f64)],
) -> Option<Thinning> {
    let (w, h) = photo.dimensions();
    let cell = ((CELL_MM * px_per_mm).round() as u32).max(2);
    let (gw, gh) = (w.div_ceil(cell) as usize, h.div_ceil(cell) as usize);
    // Per cell: pixels read as hair, scalp, other (every pixel of small cells, a grid of
    // at most 16 × 16 of large ones).
    let step = (cell / 16).max(1);
    let counts: Vec<[u32; 3]> = (0..gh)
        .into_par_iter()
        .flat_map_iter(|cy| {
            (0..gw).map(move |cx| {
                let mut n = [0u32; 3];
                let (x0, y0) = (cx as u32 * cell, cy as u32 * cell);
                for y in (y0..(y0 + cell).min(h)).step_by(step as usize) {
                    for x in (x0..(x0 + cell).min(w)).step_by(step as usize) {
                        let k = match reader.read(photo.get_pixel(x, y).0) {
                            Reading::Hair => 0,
                            Reading::Scalp => 1,
                            Reading::Other => 2,
                        };
                        n[k] += 1;
                    }
                }
                n
            })
        })
        .collect();
    let share = |n: &[u32; 3], k: usize| n[k] as f32 / (n[0] + n[1] + n[2]).max(1) as f32;
    // With a hairline, the scalp is on its left as drawn (see [`find`]): each cell's side,
    // once.
    let c = f64::from(cell);
    let treatable: Vec<bool> = (0..counts.len())
        .map(|i| {
            let (x, y) = (((i % gw) as f64 + 0.5) * c, ((i / gw) as f64 + 0.5) * c);
            hairline.len() < 2 || super::nearest_on_polyline(hairline, x, y).1 == SCALP_SIDE
        })
        .collect();
    let thin: Vec<bool> = (0..counts.len())
        .map(|i| {
            let n = &counts[i];
            share(n, 1) >= SCALP_SHOWS && share(n, 2) <= OTHER_MAX && treatable[i]
        })
        .collect();
    let head = counts.iter().filter(|n| share(n, 2) <= OTHER_MAX).count();
    let mut area = largest_component(&thin, gw, gh)?;
    fill_holes(&mut area, gw, gh);
    area = erode(&dilate(&area, gw, gh), gw, gh);
    for (i, a) in area.iter_mut().enumerate() {
        *a = *a && treatable[i];
    }
    // Back to pixels: the cell values at the cell centres, interpolated, cut at one half.
    let at = |cx: isize, cy: isize| {
        let inside = cx >= 0 && cy >= 0 && (cx as usize) < gw && (cy as usize) < gh;
        if inside && area[cy as usize * gw + cx as usize] {
            1.0
        } else {
            0.0
        }
    };
    let mut mask = GrayImage::new(w, h);
    mask.par_chunks_mut(w as usize)
        .enumerate()
        .for_each(|(y, row)| {
            let fy = (y as f64 + 0.5) / c - 0.5;
            let (cy, ty) = (fy.floor() as isize, fy - fy.floor());
            for (x, px) in row.iter_mut().enumerate() {
                let fx = (x as f64 + 0.5) / c - 0.5;
                let (cx, tx) = (fx.floor() as isize, fx - fx.floor());
                let v = (at(cx, cy) * (1.0 - tx) + at(cx + 1, cy) * tx) * (1.0 - ty)
                    + (at(cx, cy + 1) * (1.0 - tx) + at(cx + 1, cy + 1) * tx) * ty;
                *px = if v >= 0.5 { 255 } else { 0 };
            }
        });
    let (mut x0, mut y0, mut x1, mut y1, mut n) = (w, h, 0, 0, 0u64);
    for (x, y, p) in mask.enumerate_pixels() {
        if p.0[0] == 255 {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            n += 1;
        }
    }
    let area_mm2 = n as f64 / (px_per_mm * px_per_mm);
    (area_mm2 >= MIN_AREA_MM2).then(|| Thinning {
        mask,
        area_mm2,
        bounds: [x0, y0, x1 - x0, y1 - y0],
        share_of_head: area.iter().filter(|&&a| a).count() as f64 / head.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo whose truth is set here: dark hair everywhere, a bare disc of skin inside,
    /// a skin-coloured patch apart from it that is smaller, and a grey border band.
    #[test]
    fn the_bare_disc_is_found_and_nothing_else() {
        let (skin, hair, wall) = ([196u8, 150, 128], [40u8, 32, 28], [128u8, 160, 200]);
        let px_per_mm = 4.0;
        let mut img = RgbImage::from_pixel(600, 400, image::Rgb(hair));
        for (x, y, p) in img.enumerate_pixels_mut() {
            let d = ((f64::from(x) - 250.0).powi(2) + (f64::from(y) - 200.0).powi(2)).sqrt();
            if d < 120.0 {
                // Bare, with a tuft of hair (a hole) in it.
                p.0 = if (240..260).contains(&x) && (190..210).contains(&y) {
                    hair
                } else {
                    skin
                };
            } else if (500..560).contains(&x) && (40..80).contains(&y) {
                p.0 = skin;
            } else if y < 20 {
                p.0 = wall;
            }
        }
        let reader = Reader::nearest(
            &[lab_from_srgb8(hair[0], hair[1], hair[2])],
            &[lab_from_srgb8(skin[0], skin[1], skin[2])],
            &[],
            |l| l,
        );
        assert_eq!(reader.read(wall), Reading::Other);
        let t = find(&img, px_per_mm, &reader, &[]).expect("an area");
        let inside = |x: u32, y: u32| t.mask.get_pixel(x, y).0[0] == 255;
        // The disc's area within 5 % (its outline is followed at cell resolution).
        let disc_mm2 = std::f64::consts::PI * 120.0 * 120.0 / 16.0;
        assert!(
            (t.area_mm2 / disc_mm2 - 1.0).abs() < 0.05,
            "{} vs {disc_mm2}",
            t.area_mm2
        );
        assert!(inside(250, 200), "the tuft inside is part of the area");
        assert!(inside(250, 90) && inside(140, 200), "near the disc's edge");
        assert!(!inside(530, 60), "the smaller patch apart is not");
        assert!(!inside(250, 70) && !inside(100, 380), "hair outside is not");
        let [x, y, w, h] = t.bounds;
        assert!(
            x.abs_diff(130) <= 8
                && y.abs_diff(80) <= 8
                && w.abs_diff(240) <= 16
                && h.abs_diff(240) <= 16,
            "{:?}",
            t.bounds
        );
    }

    /// A bald front (face-on, receded): hair behind, bare skin from the scalp down to the
    /// forehead, all one colour. A hairline across the bare skin, drawn from the patient's
    /// right temple (the photo's left) to the left, keeps the scalp behind it and leaves the
    /// forehead in front of it; the same photo upside down (a top-down photo taken from
    /// behind) with the line drawn the same way round gives the same area upside down.
    #[test]
    fn a_hairline_keeps_the_forehead_out() {
        let (skin, hair) = ([196u8, 150, 128], [40u8, 32, 28]);
        // Hair in the top 150 rows, bare skin below.
        let img = RgbImage::from_fn(400, 400, |_, y| {
            image::Rgb(if y < 150 { hair } else { skin })
        });
        let reader = Reader::nearest(
            &[lab_from_srgb8(hair[0], hair[1], hair[2])],
            &[lab_from_srgb8(skin[0], skin[1], skin[2])],
            &[],
            |l| l,
        );
        let whole = find(&img, 4.0, &reader, &[]).expect("an area");
        assert_eq!(
            whole.mask.get_pixel(200, 380).0[0],
            255,
            "without a line the forehead is taken"
        );
        let t = find(
            &img,
            4.0,
            &reader,
            &[(0.0, 250.0), (200.0, 252.0), (400.0, 250.0)],
        )
        .expect("an area");
        let at = |x: u32, y: u32| t.mask.get_pixel(x, y).0[0] == 255;
        assert!(at(200, 200) && at(20, 240), "the scalp behind the line");
        assert!(!at(200, 262) && !at(200, 380), "the forehead in front");
        assert!(!at(200, 100), "the hair");
        let turned = image::imageops::rotate180(&img);
        let line = [(400.0, 150.0), (200.0, 148.0), (0.0, 150.0)];
        let u = find(&turned, 4.0, &reader, &line).expect("an area");
        for (x, y, p) in t.mask.enumerate_pixels() {
            assert_eq!(u.mask.get_pixel(399 - x, 399 - y), p, "({x}, {y})");
        }
    }

    #[test]
    fn no_bare_scalp_no_area() {
        let img = RgbImage::from_pixel(300, 300, image::Rgb([40, 32, 28]));
        let reader = Reader::nearest(
            &[lab_from_srgb8(40, 32, 28)],
            &[lab_from_srgb8(196, 150, 128)],
            &[],
            |l| l,
        );
        assert!(find(&img, 4.0, &reader, &[]).is_none());
    }
}
