//! Drawing on the PNG swatch sheet: text in DejaVu Sans (rasterised by `ab_glyph`), filled
//! rectangles and discs. The sheet travels alone (a message, a print-out), so everything it
//! shows is labelled on it.
//!
//! DejaVu Sans 2.37 comes from the `dejavu` crate; its licence (Bitstream Vera derivative,
//! free to embed and redistribute) ships with that crate.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use image::{Rgb, RgbImage};

/// Black text.
pub const INK: Rgb<u8> = Rgb([20, 20, 20]);
/// Secondary text.
pub const MUTED: Rgb<u8> = Rgb([95, 95, 95]);

/// The two faces the sheet uses.
pub struct Pen {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

impl Pen {
    /// DejaVu Sans, regular and bold.
    pub fn new() -> Pen {
        // The fonts are compiled in and known to parse; a failure here is a build defect.
        let load = |b: &'static [u8]| FontRef::try_from_slice(b).expect("embedded DejaVu Sans");
        Pen {
            regular: load(dejavu::sans::regular()),
            bold: load(dejavu::sans::bold()),
        }
    }

    fn font(&self, face: Face) -> &FontRef<'static> {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    /// Width in pixels of `text` at `size` px (advances and kerning).
    pub fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let f = self.font(face).as_scaled(PxScale::from(size));
        let mut w = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                w += f.kern(p, id);
            }
            w += f.h_advance(id);
            prev = Some(id);
        }
        w
    }

    /// Height of one line at `size` px (ascent − descent + line gap), rounded up.
    pub fn line_height(&self, face: Face, size: f32) -> u32 {
        let f = self.font(face).as_scaled(PxScale::from(size));
        (f.ascent() - f.descent() + f.line_gap()).ceil() as u32
    }

    /// Draw `text` with its top-left corner at (`x`, `y`); returns the width drawn. Glyph
    /// coverage is blended over what is there; pixels outside the image are skipped.
    pub fn draw(
        &self,
        img: &mut RgbImage,
        face: Face,
        size: f32,
        (x, y): (f32, f32),
        colour: Rgb<u8>,
        text: &str,
    ) -> f32 {
        let font = self.font(face);
        let f = font.as_scaled(PxScale::from(size));
        let baseline = y + f.ascent();
        let (w, h) = img.dimensions();
        let mut caret = x;
        let mut prev = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                caret += f.kern(p, id);
            }
            let glyph = id.with_scale_and_position(size, point(caret, baseline));
            caret += f.h_advance(id);
            prev = Some(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cover| {
                let (px, py) = (
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                );
                if px < 0 || py < 0 || px >= i64::from(w) || py >= i64::from(h) {
                    return;
                }
                let a = cover.clamp(0.0, 1.0);
                let p = img.get_pixel_mut(px as u32, py as u32);
                for k in 0..3 {
                    let v = f32::from(p.0[k]) * (1.0 - a) + f32::from(colour.0[k]) * a;
                    p.0[k] = v.round() as u8;
                }
            });
        }
        caret - x
    }

    /// Break `text` into lines no wider than `max_width` px, at spaces (a word wider than
    /// the line stays whole on its own line).
    pub fn wrap(&self, face: Face, size: f32, text: &str, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.width(face, size, &candidate) > max_width {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Draw `text` wrapped to `max_width` from (`x`, `y`); returns the height used.
    #[allow(clippy::too_many_arguments)]
    pub fn paragraph(
        &self,
        img: &mut RgbImage,
        face: Face,
        size: f32,
        (x, y): (f32, f32),
        max_width: f32,
        colour: Rgb<u8>,
        text: &str,
    ) -> u32 {
        let lh = self.line_height(face, size);
        let lines = self.wrap(face, size, text, max_width);
        for (i, l) in lines.iter().enumerate() {
            self.draw(img, face, size, (x, y + (i as u32 * lh) as f32), colour, l);
        }
        lines.len() as u32 * lh
    }
}

impl Default for Pen {
    fn default() -> Self {
        Pen::new()
    }
}

/// Fill a rectangle (clipped to the image).
pub fn fill(img: &mut RgbImage, (x0, y0): (u32, u32), (w, h): (u32, u32), c: Rgb<u8>) {
    let (iw, ih) = img.dimensions();
    for y in y0..(y0 + h).min(ih) {
        for x in x0..(x0 + w).min(iw) {
            img.put_pixel(x, y, c);
        }
    }
}

/// A one-pixel frame just inside a rectangle, so a swatch shows on any background.
pub fn frame(img: &mut RgbImage, (x0, y0): (u32, u32), (w, h): (u32, u32), c: Rgb<u8>) {
    if w == 0 || h == 0 {
        return;
    }
    fill(img, (x0, y0), (w, 1), c);
    fill(img, (x0, y0 + h - 1), (w, 1), c);
    fill(img, (x0, y0), (1, h), c);
    fill(img, (x0 + w - 1, y0), (1, h), c);
}

/// Fill a disc of radius `r` centred at (`cx`, `cy`) (pixel centres inside it; clipped).
pub fn disc(img: &mut RgbImage, (cx, cy): (f64, f64), r: f64, c: Rgb<u8>) {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return;
    }
    let (x0, x1) = (
        (cx - r).floor().max(0.0) as u32,
        (cx + r).ceil().max(0.0) as u32,
    );
    let (y0, y1) = (
        (cy - r).floor().max(0.0) as u32,
        (cy + r).ceil().max(0.0) as u32,
    );
    for y in y0..=y1.min(h - 1) {
        for x in x0..=x1.min(w - 1) {
            if (f64::from(x) + 0.5 - cx).powi(2) + (f64::from(y) + 0.5 - cy).powi(2) <= r * r {
                img.put_pixel(x, y, c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dark_box(img: &RgbImage) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for (x, y, p) in img.enumerate_pixels() {
            if p.0[0] < 128 {
                b = Some(match b {
                    None => (x, y, x, y),
                    Some((a, c, d, e)) => (a.min(x), c.min(y), d.max(x), e.max(y)),
                });
            }
        }
        b
    }

    #[test]
    fn text_lands_where_and_as_large_as_asked() {
        let pen = Pen::new();
        let mut img = RgbImage::from_pixel(200, 60, Rgb([255, 255, 255]));
        let w = pen.draw(&mut img, Face::Regular, 20.0, (10.0, 10.0), INK, "HH");
        let (x0, y0, x1, y1) = dark_box(&img).expect("ink on the image");
        // A capital H at 20 px is about 0.73 em tall (DejaVu's cap height), from the top
        // of the line plus (ascent − cap height).
        let cap = y1 - y0 + 1;
        assert!((13..=16).contains(&cap), "cap height {cap}");
        assert!((10..=13).contains(&x0), "left edge {x0}");
        assert!(y0 > 10 && y0 < 18, "top {y0}");
        // The drawn width is the measured width, and the ink lies within it.
        assert!((w - pen.width(Face::Regular, 20.0, "HH")).abs() < 1e-3);
        assert!(f32::from(u16::try_from(x1).unwrap_or(0)) <= 10.0 + w);
        // Bold is wider than regular.
        assert!(pen.width(Face::Bold, 20.0, "HH") > w);
    }

    #[test]
    fn wrapping_keeps_every_line_within_the_width() {
        let pen = Pen::new();
        let text = "Recommended: Neutral grey, 1 part ink : 2 parts diluent, 80 dots/cm², \
                    0.45 mm across, in 3 sessions 2 weeks apart";
        let lines = pen.wrap(Face::Regular, 14.0, text, 200.0);
        assert!(lines.len() >= 3, "{lines:?}");
        for l in &lines {
            assert!(pen.width(Face::Regular, 14.0, l) <= 200.0, "{l}");
        }
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}
