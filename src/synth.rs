//! Synthetic photos with known ground truth, for the tests, the benches and the sample
//! generator: a ColorChecker card (and optional ink swatches) painted from the *published*
//! reference values, then passed through a known camera: channel crosstalk, colour cast,
//! exposure, a tone curve, vignetting, noise and 8-bit encoding. Nothing here reads the
//! calibration code, so what calibration recovers is checked against an independent truth.

use image::{Rgb, RgbImage};
use nalgebra::{Matrix3, Vector3};

use crate::calibration::{reference, Homography, ReferenceSet, COLS, ROWS};
use crate::color::{lab_to_linear, Lab};

/// A camera and its light: how scene linear RGB becomes the photo's values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Share of each channel leaking into the other two (0 = none).
    pub crosstalk: f64,
    /// Per-channel gains: the colour cast of the light / white balance error.
    pub gains: [f64; 3],
    /// Overall exposure multiplier.
    pub exposure: f64,
    /// Tone curve exponent applied to linear values (1 = linear).
    pub gamma: f64,
    /// Darkening at the image corners (0 = none, 0.2 = corners at 80 %).
    pub vignetting: f64,
    /// Gaussian noise σ in 8-bit codes.
    pub noise: f64,
}

impl Default for Camera {
    fn default() -> Self {
        Camera {
            crosstalk: 0.0,
            gains: [1.0; 3],
            exposure: 1.0,
            gamma: 1.0,
            vignetting: 0.0,
            noise: 0.0,
        }
    }
}

impl Camera {
    /// Scene linear RGB → camera linear RGB (before vignetting, noise and encoding).
    pub fn apply(&self, rgb: [f64; 3]) -> [f64; 3] {
        let x = self.crosstalk;
        let mixed = [
            (1.0 - 2.0 * x) * rgb[0] + x * rgb[1] + x * rgb[2],
            x * rgb[0] + (1.0 - 2.0 * x) * rgb[1] + x * rgb[2],
            x * rgb[0] + x * rgb[1] + (1.0 - 2.0 * x) * rgb[2],
        ];
        let mut out = [0.0; 3];
        for c in 0..3 {
            out[c] = (mixed[c].max(0.0) * self.gains[c] * self.exposure).powf(self.gamma);
        }
        out
    }
}

impl Camera {
    /// Photograph an existing sRGB image through this camera (no added noise): each pixel is
    /// decoded to linear light, passed through [`Camera::apply`] and the vignetting, and
    /// re-encoded.
    pub fn apply_image(&self, img: &RgbImage) -> RgbImage {
        let (w, h) = (f64::from(img.width()), f64::from(img.height()));
        let r_max2 = (w * w + h * h) / 4.0;
        RgbImage::from_fn(img.width(), img.height(), |x, y| {
            let p = img.get_pixel(x, y).0;
            let lin: crate::color::LinRgb = palette::Srgb::new(p[0], p[1], p[2]).into_linear();
            let cam = self.apply([
                f64::from(lin.red),
                f64::from(lin.green),
                f64::from(lin.blue),
            ]);
            let (dx, dy) = (f64::from(x) - w / 2.0, f64::from(y) - h / 2.0);
            let vig = 1.0 - self.vignetting * (dx * dx + dy * dy) / r_max2;
            Rgb(cam.map(|v| (srgb_encode((v * vig).clamp(0.0, 1.0)) * 255.0).round() as u8))
        })
    }
}

/// A card in a scene.
#[derive(Debug, Clone)]
pub struct CardScene {
    /// Photo size.
    pub width: u32,
    /// Photo size.
    pub height: u32,
    /// Card centre in the photo.
    pub centre: [f64; 2],
    /// Distance between patch centres, pixels.
    pub pitch: f64,
    /// Rotation, degrees.
    pub angle_deg: f64,
    /// Perspective terms of the card → photo map (0 = none; ±0.03 is mild).
    pub perspective: [f64; 2],
    /// Printed reference set.
    pub set: ReferenceSet,
    /// Scene background, linear RGB.
    pub background: [f64; 3],
    /// Extra flat swatches: photo rectangle (x, y, w, h) and colour.
    pub swatches: Vec<([u32; 4], Lab)>,
    /// The camera.
    pub camera: Camera,
    /// Noise seed.
    pub seed: u64,
    /// Print patch `patch_order[k]` (0-based) at position k, to make a card that is *not* a
    /// ColorChecker; None = the real layout.
    pub patch_order: Option<Vec<usize>>,
}

impl CardScene {
    /// A frontal card of pitch 60 px in the middle of a 900 × 700 photo.
    pub fn new() -> CardScene {
        CardScene {
            width: 900,
            height: 700,
            centre: [450.0, 350.0],
            pitch: 60.0,
            angle_deg: 0.0,
            perspective: [0.0, 0.0],
            set: ReferenceSet::AfterNov2014,
            background: [0.18, 0.17, 0.15],
            swatches: Vec::new(),
            camera: Camera::default(),
            seed: 1,
            patch_order: None,
        }
    }

    /// Card grid (column, row of patch centres) → photo pixels.
    pub fn homography(&self) -> Homography {
        let (s, c) = self.angle_deg.to_radians().sin_cos();
        let centre_grid = Matrix3::new(
            1.0,
            0.0,
            -((COLS - 1) as f64) / 2.0,
            0.0,
            1.0,
            -((ROWS - 1) as f64) / 2.0,
            0.0,
            0.0,
            1.0,
        );
        let persp = Matrix3::new(
            1.0,
            0.0,
            0.0,
            0.0,
            1.0,
            0.0,
            self.perspective[0],
            self.perspective[1],
            1.0,
        );
        let rot_scale = Matrix3::new(
            self.pitch * c,
            -self.pitch * s,
            self.centre[0],
            self.pitch * s,
            self.pitch * c,
            self.centre[1],
            0.0,
            0.0,
            1.0,
        );
        Homography(rot_scale * persp * centre_grid)
    }

    /// The scene's linear RGB at a photo point (before the camera).
    fn scene_at(&self, inv: &Matrix3<f64>, x: f64, y: f64, patches: &[[f64; 3]]) -> [f64; 3] {
        for (rect, lab) in &self.swatches {
            let [rx, ry, rw, rh] = rect.map(f64::from);
            if x >= rx && x < rx + rw && y >= ry && y < ry + rh {
                let l = lab_to_linear(*lab);
                return [f64::from(l.red), f64::from(l.green), f64::from(l.blue)];
            }
        }
        let g = inv * Vector3::new(x, y, 1.0);
        let (gc, gr) = (g[0] / g[2], g[1] / g[2]);
        let (c, r) = (gc.round(), gr.round());
        let inside_card =
            gc >= -0.8 && gc <= COLS as f64 - 0.2 && gr >= -0.8 && gr <= ROWS as f64 - 0.2;
        if !inside_card {
            return self.background;
        }
        if (gc - c).abs() <= 0.4
            && (gr - r).abs() <= 0.4
            && (0.0..COLS as f64).contains(&c)
            && (0.0..ROWS as f64).contains(&r)
        {
            return patches[r as usize * COLS + c as usize];
        }
        // The card's black frame.
        [0.012, 0.012, 0.012]
    }

    /// Render the photo.
    pub fn render(&self) -> RgbImage {
        let refs = reference(self.set);
        let patches: Vec<[f64; 3]> = match &self.patch_order {
            Some(order) => order.iter().map(|&i| refs[i % refs.len()].linear).collect(),
            None => refs.iter().map(|p| p.linear).collect(),
        };
        let inv = self
            .homography()
            .0
            .try_inverse()
            .unwrap_or_else(Matrix3::identity);
        let mut rng = SplitMix(self.seed);
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let r_max2 = (w * w + h * h) / 4.0;
        RgbImage::from_fn(self.width, self.height, |px, py| {
            // 3 × 3 supersampling: anti-aliased edges, mixed in linear light.
            let mut acc = [0.0; 3];
            for a in 0..3 {
                for b in 0..3 {
                    let x = f64::from(px) + (f64::from(a) + 0.5) / 3.0;
                    let y = f64::from(py) + (f64::from(b) + 0.5) / 3.0;
                    let v = self.scene_at(&inv, x, y, &patches);
                    for c in 0..3 {
                        acc[c] += v[c] / 9.0;
                    }
                }
            }
            let cam = self.camera.apply(acc);
            let (dx, dy) = (f64::from(px) - w / 2.0, f64::from(py) - h / 2.0);
            let vig = 1.0 - self.camera.vignetting * (dx * dx + dy * dy) / r_max2;
            let mut out = [0u8; 3];
            for c in 0..3 {
                let enc = srgb_encode((cam[c] * vig).clamp(0.0, 1.0)) * 255.0;
                let noisy = enc + self.camera.noise * rng.gaussian();
                out[c] = noisy.round().clamp(0.0, 255.0) as u8;
            }
            Rgb(out)
        })
    }
}

impl Default for CardScene {
    fn default() -> Self {
        CardScene::new()
    }
}

/// sRGB transfer function (IEC 61966-2-1), linear → encoded.
pub fn srgb_encode(v: f64) -> f64 {
    if v <= 0.003_130_8 {
        12.92 * v
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// sRGB transfer function, encoded → linear.
pub fn srgb_decode(v: f64) -> f64 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// A small deterministic generator (SplitMix64) for image noise; statistical quality is
/// ample for noise, and it keeps the library free of an RNG dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        let z = crate::numeric::splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gaussian(&mut self) -> f64 {
        let (u, v) = (self.next_f64(), self.next_f64());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Write a JPEG at `quality`.
pub fn save_jpeg(img: &RgbImage, path: &std::path::Path, quality: u8) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut enc =
        image::codecs::jpeg::JpegEncoder::new_with_quality(std::io::BufWriter::new(file), quality);
    enc.encode_image(img).map_err(std::io::Error::other)
}
