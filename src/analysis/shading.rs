//! Lighting gradients across a role's pixels: a bald crown lit from one side, or flash
//! fall-off, makes one half of the scalp lighter than the other, and then the target depends
//! on which pixels happened to be sampled. The analysis measures the gradient and warns with
//! its size (docs/model.md § 4).
//!
//! The measure: the area (a region, or the whole photo) is cut in half left/right and
//! top/bottom; in each half the role's pixels are reduced to their per-channel median in
//! CIELAB (robust to stray strands and highlights); the larger of the two ΔE00 between
//! opposite halves is the gradient.

use crate::color::{delta_e00, Lab};
use crate::error::Result;
use crate::input::{Photo, Region};

/// A gradient above this ΔE00 between opposite halves is reported.
pub const GRADIENT_DE00: f32 = 3.0;
/// Pixels sampled per half.
const SAMPLES_PER_HALF: usize = 8_000;
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

/// The lighting gradient of the pixels of `area` that `keep` accepts, after `correct` (the
/// colour correction of the analysis). `None` when a half holds too few of them.
pub fn across(
    photo: &Photo,
    area: Region,
    keep: &(dyn Fn(Lab) -> bool + Sync),
    correct: &dyn Fn(Vec<Lab>) -> Vec<Lab>,
) -> Result<Option<Gradient>> {
    let (hw, hh) = (area.w / 2, area.h / 2);
    if hw == 0 || hh == 0 {
        return Ok(None);
    }
    let half = |x: u32, y: u32, w: u32, h: u32| -> Result<Option<Lab>> {
        let s = photo.sample_lab(Some(Region { x, y, w, h }), SAMPLES_PER_HALF)?;
        let px: Vec<Lab> = correct(s.lab).into_iter().filter(|&p| keep(p)).collect();
        Ok(lab_median(&px))
    };
    let left = half(area.x, area.y, hw, area.h)?;
    let right = half(area.x + hw, area.y, area.w - hw, area.h)?;
    let top = half(area.x, area.y, area.w, hh)?;
    let bottom = half(area.x, area.y + hh, area.w, area.h - hh)?;
    let pair = |a: Option<Lab>, b: Option<Lab>, na: &'static str, nb: &'static str| {
        let (a, b) = (a?, b?);
        let (lighter, darker) = if a.l >= b.l { (na, nb) } else { (nb, na) };
        Some(Gradient {
            de00: delta_e00(a, b),
            lighter,
            darker,
        })
    };
    Ok([
        pair(left, right, "left", "right"),
        pair(top, bottom, "top", "bottom"),
    ]
    .into_iter()
    .flatten()
    .max_by(|x, y| x.de00.total_cmp(&y.de00)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn photo(img: RgbImage) -> Photo {
        Photo::from_rgb8("test.png", img)
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
        let all = Region { x: 0, y: 0, w, h };
        let g = across(&photo(lit), all, &|_| true, &|v| v)
            .expect("sampled")
            .expect("measured");
        // Left half median ≈ factor 0.89, right ≈ 0.66 of linear light: about 9 L* apart.
        assert!(g.de00 > GRADIENT_DE00, "{g:?}");
        assert_eq!((g.lighter, g.darker), ("left", "right"));
        let flat = RgbImage::from_pixel(w, h, Rgb(base));
        let g = across(&photo(flat), all, &|_| true, &|v| v)
            .expect("sampled")
            .expect("measured");
        assert!(g.de00 < 0.1, "{g:?}");
        // Too few kept pixels: not measured.
        let none = across(
            &photo(RgbImage::from_pixel(w, h, Rgb(base))),
            all,
            &|_| false,
            &|v| v,
        )
        .expect("sampled");
        assert!(none.is_none());
    }
}
