//! The consultation preview: the patient's own photo with simulated healed SMP dots in the
//! treated area, so the patient sees the result before the first session.
//!
//! Each dot darkens the skin under it by the model's prediction: the linear-light ratio of
//! the predicted dot colour to the measured scalp target, per channel, applied to the photo's
//! own pixel. So a dot on the measured scalp colour renders as the predicted dot exactly, and
//! on lighter or shaded skin it keeps the photo's shading, as a real dot would. Dots are
//! placed one per grid cell at the requested density, anywhere in the cell and clear of their
//! neighbours (follicle-like: random, never merging), with a soft edge over the outer [`EDGE_SHARE`] of the radius; pixels that read as
//! hair (nearer the hair target than the scalp target) are left alone, and every pixel
//! outside the treated area is left byte for byte.

pub mod thinning;

use image::{GrayImage, RgbImage};

use crate::color::{delta_e00, lab_to_linear, linear_to_lab, Lab, LinRgb};
use crate::input::Region;
use crate::{Error, Result};

/// Share of a dot's radius over which its edge fades out (a healed dot is soft, not cut).
pub const EDGE_SHARE: f64 = 0.3;

/// Scale assumed when neither `--scale` nor a card gives one: the photo's longer side spans
/// this many millimetres. **Assumption**: consultation photos of a crown or a hairline frame
/// about a head's width (a head is about 150–160 mm wide); a warning says so.
pub const ASSUMED_LONG_SIDE_MM: f64 = 200.0;

/// Width of the graded zone behind a drawn hairline, mm. **Assumption**: practitioners
/// soften the front over about a centimetre ("feathering"), sparse single dots at the line
/// and full density behind it; no measured figure was found.
pub const HAIRLINE_ZONE_MM: f64 = 10.0;

/// Share of the full density at the hairline itself, rising linearly to 1 across the zone.
/// **Assumption**.
pub const HAIRLINE_DENSITY_AT_LINE: f64 = 0.3;

/// Share of the full dot diameter at the hairline (smaller dots at the front), rising
/// linearly to 1 across the zone. **Assumption**.
pub const HAIRLINE_DOT_AT_LINE: f64 = 0.7;

/// Radius of the whorl drawn around `--crown`, mm. **Assumption**: the crown's whorl, where
/// hair fans out from one point and the scalp shows more, spans 2–4 cm; no measured figure was
/// found.
pub const CROWN_RADIUS_MM: f64 = 20.0;

/// Share of the dots left out at the whorl's centre along its sparse arm, falling to none at
/// [`CROWN_RADIUS_MM`]. **Assumption**: practitioners leave the swirl irregular and lighter
/// at its centre rather than fill the crown evenly.
pub const CROWN_THINNING: f64 = 0.6;

/// Radial distance between turns of the whorl's spiral arm, mm. **Assumption**.
pub const CROWN_TURN_MM: f64 = 8.0;

/// Months a consultation report shows the preview at (besides "before").
pub const REPORT_MONTHS: [f64; 3] = [0.0, 12.0, 36.0];

/// Where dots go.
#[derive(Debug, Clone)]
pub enum Area {
    /// A rectangle, in pixels of the oriented photo.
    Rect(Region),
    /// A mask the size of the photo: dots whose centre falls on a pixel of value ≥ 128.
    Mask(GrayImage),
}

impl Area {
    /// The bounding rectangle (x0, y0, x1, y1), exclusive ends.
    fn bounds(&self) -> (u32, u32, u32, u32) {
        match self {
            Area::Rect(r) => (r.x, r.y, r.x + r.w, r.y + r.h),
            Area::Mask(m) => {
                let (mut x0, mut y0, mut x1, mut y1) = (m.width(), m.height(), 0, 0);
                for (x, y, p) in m.enumerate_pixels() {
                    if p.0[0] >= 128 {
                        x0 = x0.min(x);
                        y0 = y0.min(y);
                        x1 = x1.max(x + 1);
                        y1 = y1.max(y + 1);
                    }
                }
                (x0, y0, x1.max(x0), y1.max(y0))
            }
        }
    }

    /// The bounding box `[x, y, w, h]`, pixels (for a report's crop).
    pub fn bounding_box(&self) -> [u32; 4] {
        let (x0, y0, x1, y1) = self.bounds();
        [x0, y0, x1 - x0, y1 - y0]
    }

    /// The area as a `w` × `h` mask: 255 inside, 0 outside (`preview --save-area`).
    pub fn to_mask(&self, w: u32, h: u32) -> GrayImage {
        match self {
            Area::Mask(m) => m.clone(),
            Area::Rect(_) => GrayImage::from_fn(w, h, |x, y| {
                image::Luma([if self.contains(x, y) { 255 } else { 0 }])
            }),
        }
    }

    /// Whether pixel (x, y) is in the treated area.
    fn contains(&self, x: u32, y: u32) -> bool {
        match self {
            Area::Rect(r) => x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h,
            Area::Mask(m) => m.get_pixel_checked(x, y).is_some_and(|p| p.0[0] >= 128),
        }
    }
}

/// What to render.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The treated area.
    pub area: Area,
    /// Photo scale, pixels per millimetre.
    pub px_per_mm: f64,
    /// Dots per cm².
    pub density_per_cm2: f64,
    /// Dot diameter, mm (at the month rendered: spread included).
    pub dot_diameter_mm: f64,
    /// The predicted dot colour on the scalp target.
    pub dot: Lab,
    /// The measured scalp target (the colour the prediction is relative to).
    pub scalp: Lab,
    /// The measured hair target (pixels nearer it than the scalp are left alone).
    pub hair: Lab,
    /// Seed of the placement (the same seed, the same dots).
    pub seed: u64,
    /// A hairline, as a polyline in pixels (empty: none): density and dot size are graded
    /// over [`HAIRLINE_ZONE_MM`] from it.
    pub hairline: Vec<(f64, f64)>,
    /// The crown's whorl centre, pixels (`None`: none): dots around it follow [`whorl_keep`].
    pub crown: Option<(f64, f64)>,
}

/// What was rendered.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The photo with the dots.
    pub image: RgbImage,
    /// Dot centres placed in the area.
    pub dots: usize,
    /// Area treated, mm².
    pub area_mm2: f64,
    /// Pixels changed.
    pub pixels_changed: usize,
    /// Pixels inside dots left alone because they read as hair.
    pub hair_pixels_kept: usize,
    /// Dots drawn within [`HAIRLINE_ZONE_MM`] of the hairline (0 without one).
    pub dots_in_hairline_zone: usize,
    /// Dots drawn within [`CROWN_RADIUS_MM`] of the crown's whorl centre (0 without one).
    pub dots_in_crown: usize,
}

/// Distance from (x, y) to a polyline, in the polyline's units (infinite for none).
fn distance_to_polyline(line: &[(f64, f64)], x: f64, y: f64) -> f64 {
    nearest_on_polyline(line, x, y).0
}

/// The distance from (x, y) to a polyline (pixels), and the side it lies on: the sign of the
/// cross product of the nearest segment's direction with the way to the point (image axes:
/// positive is to the right of the direction of travel, seen on screen). Past an end the
/// nearest segment is extended, so each side is a whole part of the photo.
pub(crate) fn nearest_on_polyline(line: &[(f64, f64)], x: f64, y: f64) -> (f64, f64) {
    line.windows(2)
        .map(|w| {
            let ((ax, ay), (bx, by)) = (w[0], w[1]);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((x - ax) * dx + (y - ay) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let d = (x - ax - t * dx).hypot(y - ay - t * dy);
            (d, (dx * (y - ay) - dy * (x - ax)).signum())
        })
        .fold((f64::INFINITY, 0.0), |a, b| if b.0 < a.0 { b } else { a })
}

/// Where a point lies across the hairline zone: 0 on the line, 1 at its back edge and
/// beyond (and everywhere without a hairline).
pub fn hairline_depth(spec: &Spec, x: f64, y: f64) -> f64 {
    let d_mm = distance_to_polyline(&spec.hairline, x, y) / spec.px_per_mm;
    (d_mm / HAIRLINE_ZONE_MM).clamp(0.0, 1.0)
}

/// The share of the density kept at (x, y) around a whorl centre: a one-armed spiral
/// (Archimedean, [`CROWN_TURN_MM`] between turns, winding clockwise outward on the photo, as
/// most crowns do seen from above: Klar, Genetics 165, 2003) along which up to [`CROWN_THINNING`] of the dots are left out, most at the
/// centre and none from [`CROWN_RADIUS_MM`] out; 1 without a crown. So the crown reads as a
/// swirl that shows more scalp at its centre, not as an even fill or as rings.
pub fn whorl_keep(spec: &Spec, x: f64, y: f64) -> f64 {
    let Some((cx, cy)) = spec.crown else {
        return 1.0;
    };
    let (dx, dy) = (x - cx, y - cy);
    let r_mm = dx.hypot(dy) / spec.px_per_mm;
    if r_mm >= CROWN_RADIUS_MM {
        return 1.0;
    }
    // Image y points down, so atan2(dy, dx) grows clockwise on screen.
    let phase = dy.atan2(dx) - std::f64::consts::TAU * r_mm / CROWN_TURN_MM;
    let arm = 0.5 + 0.5 * phase.cos();
    1.0 - CROWN_THINNING * arm * (1.0 - r_mm / CROWN_RADIUS_MM)
}

/// A uniform number in [0, 1) from a cell and a seed (SplitMix64 of both).
fn unit(seed: u64, i: u64, j: u64, k: u64) -> f64 {
    let z = crate::numeric::splitmix64(
        seed ^ crate::numeric::splitmix64(i.wrapping_mul(0x1_0000_0001) ^ (j << 20) ^ k),
    );
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Tries per cell to place a dot clear of its neighbours.
const PLACEMENT_TRIES: u64 = 12;

/// Smallest gap between dot centres, in dot diameters: dots may nearly touch but never merge.
pub const MIN_SEPARATION: f64 = 1.1;

/// Dot centres (pixels) over the area at the spec's density: one per grid cell, anywhere in
/// the cell (so the pattern looks random, as follicles do), at least [`MIN_SEPARATION`]
/// diameters from every neighbour (tried [`PLACEMENT_TRIES`] times; a cell where no place is
/// clear stays empty, and the density drawn is reported). Behind a hairline the density and
/// the dot size are graded ([`hairline_depth`]): each dot is kept with the zone's share of the
/// density, and its size share is returned as the third value. Around a crown's whorl centre
/// the share kept is [`whorl_keep`]'s as well.
pub fn dot_centres(spec: &Spec) -> Vec<(f64, f64, f64)> {
    let (x0, y0, x1, y1) = spec.area.bounds();
    // Cell side so that one dot per cell gives the density: 100 mm² per cm².
    let cell = (100.0 / spec.density_per_cm2.max(1e-6)).sqrt() * spec.px_per_mm;
    let gap = MIN_SEPARATION * spec.dot_diameter_mm * spec.px_per_mm;
    let cols = (f64::from(x1 - x0) / cell).ceil() as usize;
    let rows = (f64::from(y1 - y0) / cell).ceil() as usize;
    let mut placed: Vec<Option<(f64, f64)>> = vec![None; cols * rows];
    for j in 0..rows {
        for i in 0..cols {
            let clear = |x: f64, y: f64, placed: &[Option<(f64, f64)>]| {
                (j.saturating_sub(1)..=j).all(|nj| {
                    (i.saturating_sub(1)..=(i + 1).min(cols - 1)).all(|ni| {
                        placed[nj * cols + ni].is_none_or(|(px, py)| (px - x).hypot(py - y) >= gap)
                    })
                })
            };
            for t in 0..PLACEMENT_TRIES {
                let x =
                    f64::from(x0) + (i as f64 + unit(spec.seed, i as u64, j as u64, 2 * t)) * cell;
                let y = f64::from(y0)
                    + (j as f64 + unit(spec.seed, i as u64, j as u64, 2 * t + 1)) * cell;
                if clear(x, y, &placed) {
                    placed[j * cols + i] = Some((x, y));
                    break;
                }
            }
        }
    }
    placed
        .into_iter()
        .enumerate()
        .filter_map(|(k, p)| p.map(|(x, y)| (k, x, y)))
        .filter(|&(_, x, y)| spec.area.contains(x as u32, y as u32))
        .filter_map(|(k, x, y)| {
            let t = hairline_depth(spec, x, y);
            let keep = (HAIRLINE_DENSITY_AT_LINE + (1.0 - HAIRLINE_DENSITY_AT_LINE) * t)
                * whorl_keep(spec, x, y);
            (unit(spec.seed, k as u64, 0, 1 << 20) < keep).then_some((
                x,
                y,
                HAIRLINE_DOT_AT_LINE + (1.0 - HAIRLINE_DOT_AT_LINE) * t,
            ))
        })
        .collect()
}

/// Render the dots of `spec` on `photo` (8-bit sRGB, oriented). Pixels outside the area are
/// copied unchanged.
pub fn render(photo: &RgbImage, spec: &Spec) -> Result<Rendered> {
    let (w, h) = photo.dimensions();
    if let Area::Mask(m) = &spec.area {
        if m.dimensions() != (w, h) {
            return Err(Error::usage(format!(
                "the mask is {}×{}, the photo {w}×{h}: they must be the same size",
                m.width(),
                m.height()
            )));
        }
    }
    if let Area::Rect(r) = &spec.area {
        if !r.fits_in(w, h) {
            return Err(Error::usage(format!(
                "the treated area {},{},{},{} reaches outside the {w}×{h} photo",
                r.x, r.y, r.w, r.h
            )));
        }
    }
    let ratio = {
        let (d, s) = (lab_to_linear(spec.dot), lab_to_linear(spec.scalp));
        let q = |a: f32, b: f32| {
            if b > 1e-6 {
                (a / b).clamp(0.0, 1.5)
            } else {
                1.0
            }
        };
        [q(d.red, s.red), q(d.green, s.green), q(d.blue, s.blue)]
    };
    let centres = dot_centres(spec);
    let full_radius = spec.dot_diameter_mm * spec.px_per_mm / 2.0;
    let mut image = photo.clone();
    // Coverage per pixel of the area's bounding box (the most any dot gives it), so touching
    // dots do not darken twice.
    let (x0, y0, x1, y1) = spec.area.bounds();
    let bw = (x1 - x0) as usize;
    let mut alpha = vec![0f32; bw * (y1 - y0) as usize];
    for &(cx, cy, size) in &centres {
        let radius = full_radius * size;
        let inner = radius * (1.0 - EDGE_SHARE);
        let (xa, xb) = ((cx - radius).floor().max(0.0), (cx + radius).ceil());
        let (ya, yb) = ((cy - radius).floor().max(0.0), (cy + radius).ceil());
        for y in (ya as u32).max(y0)..(yb as u32).min(y1) {
            for x in (xa as u32).max(x0)..(xb as u32).min(x1) {
                if !spec.area.contains(x, y) {
                    continue;
                }
                let r =
                    ((f64::from(x) + 0.5 - cx).powi(2) + (f64::from(y) + 0.5 - cy).powi(2)).sqrt();
                let a = if r <= inner {
                    1.0
                } else if r < radius {
                    // Smoothstep from the inner radius to the edge.
                    let t = (radius - r) / (radius - inner);
                    t * t * (3.0 - 2.0 * t)
                } else {
                    continue;
                };
                let e = &mut alpha[(y - y0) as usize * bw + (x - x0) as usize];
                *e = e.max(a as f32);
            }
        }
    }
    let (mut changed, mut hair_kept) = (0, 0);
    for (k, &a) in alpha.iter().enumerate() {
        if a <= 0.0 {
            continue;
        }
        let (x, y) = (x0 + (k % bw) as u32, y0 + (k / bw) as u32);
        let p = image.get_pixel(x, y).0;
        let lin: LinRgb = palette::Srgb::new(p[0], p[1], p[2]).into_linear();
        let lab = linear_to_lab(lin);
        if delta_e00(lab, spec.hair) < delta_e00(lab, spec.scalp) {
            hair_kept += 1;
            continue;
        }
        let f = |v: f32, q: f32| v * (1.0 - a + a * q);
        let out = LinRgb::new(
            f(lin.red, ratio[0]),
            f(lin.green, ratio[1]),
            f(lin.blue, ratio[2]),
        );
        let srgb: palette::Srgb<u8> = palette::Srgb::from_linear(out);
        let q = [srgb.red, srgb.green, srgb.blue];
        if q != p {
            changed += 1;
        }
        image.put_pixel(x, y, image::Rgb(q));
    }
    let area_px = match &spec.area {
        Area::Rect(r) => f64::from(r.w) * f64::from(r.h),
        Area::Mask(m) => m.pixels().filter(|p| p.0[0] >= 128).count() as f64,
    };
    Ok(Rendered {
        image,
        dots: centres.len(),
        area_mm2: area_px / (spec.px_per_mm * spec.px_per_mm),
        pixels_changed: changed,
        hair_pixels_kept: hair_kept,
        dots_in_hairline_zone: centres.iter().filter(|c| c.2 < 1.0).count(),
        dots_in_crown: spec.crown.map_or(0, |(cx, cy)| {
            centres
                .iter()
                .filter(|c| (c.0 - cx).hypot(c.1 - cy) < CROWN_RADIUS_MM * spec.px_per_mm)
                .count()
        }),
    })
}

/// The treated area `[x, y, w, h]` with a quarter of its size around it, inside a `w` × `h`
/// photo: the part a report shows before and after.
pub fn margin_box(area: [u32; 4], w: u32, h: u32) -> [u32; 4] {
    let [x, y, aw, ah] = area;
    let (mx, my) = (aw / 4, ah / 4);
    let (x0, y0) = (x.saturating_sub(mx), y.saturating_sub(my));
    let (x1, y1) = ((x + aw + mx).min(w), (y + ah + my).min(h));
    [
        x0,
        y0,
        x1.saturating_sub(x0).max(1),
        y1.saturating_sub(y0).max(1),
    ]
}
