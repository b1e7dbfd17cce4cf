//! Lighting gradients across a role's pixels: a bald crown lit from one side, or flash
//! fall-off, makes one half of the scalp lighter than the other, and then the target depends
//! on which pixels happened to be sampled. The analysis measures the gradient and warns with
//! its size (docs/model.md § 4).
//!
//! The measure: the sampled grid (a region's, or the whole photo's) is cut in half
//! left/right and top/bottom; in each half the role's pixels are reduced to their
//! per-channel median in CIELAB (robust to stray strands and highlights); the larger of the
//! two ΔE00 between opposite halves is the gradient. It reads no pixel of its own: it uses
//! the samples the analysis took, whose places [`crate::input::Samples::layout`] gives.

use crate::color::{delta_e00, Lab};
use crate::input::GridLayout;

/// A gradient above this ΔE00 between opposite halves is reported.
pub const GRADIENT_DE00: f32 = 3.0;
/// A half with fewer of the role's pixels than this is not compared.
const MIN_PIXELS: usize = 200;

/// Which halves differ most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gradient {
    /// ΔE00 between the medians of the two halves.
    pub de00: f32,
    /// `left`/`right` or `top`/`bottom`: the lighter half first.
    pub lighter: &'static str,
    /// The darker half.
    pub darker: &'static str,
}

fn median(v: &mut [f32]) -> f32 {
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f32::total_cmp);
    *m
}

/// Per-channel median of CIELAB values (`None` when fewer than [`MIN_PIXELS`]).
fn lab_median(px: &[Lab]) -> Option<Lab> {
    if px.len() < MIN_PIXELS {
        return None;
    }
    let mut l: Vec<f32> = px.iter().map(|p| p.l).collect();
    let mut a: Vec<f32> = px.iter().map(|p| p.a).collect();
    let mut b: Vec<f32> = px.iter().map(|p| p.b).collect();
    Some(Lab::new(median(&mut l), median(&mut a), median(&mut b)))
}

/// The lighting gradient of the samples `points`, laid out on `layout` (row-major), that
/// `keep` accepts. `None` when the points are not that whole grid, or a half holds too few
/// kept points.
pub fn across(points: &[Lab], layout: GridLayout, keep: impl Fn(Lab) -> bool) -> Option<Gradient> {
    let (cols, rows) = (layout.cols as usize, layout.rows as usize);
    if cols < 2 || rows < 2 || points.len() != cols * rows {
        return None;
    }
    // Kept points of each half: left, right, top, bottom.
    let mut halves: [Vec<Lab>; 4] = Default::default();
    for (k, &p) in points.iter().enumerate() {
        if !keep(p) {
            continue;
        }
        let (x, y) = (k % cols, k / cols);
        halves[if x < cols / 2 { 0 } else { 1 }].push(p);
        halves[if y < rows / 2 { 2 } else { 3 }].push(p);
    }
    let [left, right, top, bottom] = halves.map(|h| lab_median(&h));
    let pair = |a: Option<Lab>, b: Option<Lab>, na: &'static str, nb: &'static str| {
        let (a, b) = (a?, b?);
        let (lighter, darker) = if a.l >= b.l { (na, nb) } else { (nb, na) };
        Some(Gradient {
            de00: delta_e00(a, b),
            lighter,
            darker,
        })
    };
    [
        pair(left, right, "left", "right"),
        pair(top, bottom, "top", "bottom"),
    ]
    .into_iter()
    .flatten()
    .max_by(|x, y| x.de00.total_cmp(&y.de00))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Photo;
    use image::{Rgb, RgbImage};

    /// The photo's samples on its whole grid, as the analysis takes them.
    fn grid(img: RgbImage) -> (Vec<Lab>, GridLayout) {
        let s = Photo::from_rgb8("test.png", img)
            .sample_lab(None, 20_000)
            .expect("sampled");
        (s.lab, s.layout.expect("opaque, so laid out"))
    }

    #[test]
    fn a_side_lit_patch_is_measured_and_a_flat_one_is_not() {
        // Skin sRGB (200, 160, 140) lit from the left: linear light falls from 1.0 to 0.55
        // across the width (painted here, independent of the code under test).
        let (w, h) = (200u32, 100u32);
        let base = [200u8, 160, 140];
        let lit = RgbImage::from_fn(w, h, |x, _| {
            let f = 1.0 - 0.45 * x as f32 / (w - 1) as f32;
            let c = |v: u8| {
                let lin = (f32::from(v) / 255.0).powf(2.2) * f;
                (lin.powf(1.0 / 2.2) * 255.0).round() as u8
            };
            Rgb([c(base[0]), c(base[1]), c(base[2])])
        });
        let (px, layout) = grid(lit);
        let g = across(&px, layout, |_| true).expect("measured");
        // Left half median ≈ factor 0.89, right ≈ 0.66 of linear light: about 9 L* apart.
        assert!(g.de00 > GRADIENT_DE00, "{g:?}");
        assert_eq!((g.lighter, g.darker), ("left", "right"));
        let (px, layout) = grid(RgbImage::from_pixel(w, h, Rgb(base)));
        let g = across(&px, layout, |_| true).expect("measured");
        assert!(g.de00 < 0.1, "{g:?}");
        // Too few kept pixels: not measured.
        assert!(across(&px, layout, |_| false).is_none());
    }
}
