//! Loading photos: bytes in, oriented pixels and their Lab samples out, with explicit limits.
//!
//! - Formats: JPEG, PNG, TIFF, WebP, recognised by content (not by extension); 8- and
//!   16-bit; grey, grey+alpha, RGB, RGBA.
//! - EXIF orientation is applied, so regions refer to the photo as a person sees it.
//! - Colour: an embedded ICC profile (JPEG APP2, PNG iCCP, TIFF, WebP) is honoured: the
//!   pixels are converted from it to sRGB (IEC 61966-2-1) with Little CMS (lcms2, relative
//!   colorimetric, 16 bits per channel). Without a profile, pixels are taken as sRGB.
//! - Fully transparent pixels (alpha = 0) are ignored.
//! - The full-resolution image is decoded once and never copied; the analysis reads a
//!   deterministic grid sample of it (see [`Photo::sample_lab`]).

use rayon::prelude::*;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use serde::Serialize;

use crate::color::{linear_from_srgb16, linear_from_srgb8, linear_to_lab_into, Lab};
use crate::error::{Error, Result};

/// Default upper bound on width × height: 100 megapixels (the largest phone sensors of 2026
/// produce 200 MP only in special modes; pass `--max-pixels` to raise it).
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;
/// Rows of decoder padding at the bottom of a JPEG from which it is taken as cut off (and at
/// least 1 % of the rows).
pub const PADDED_ROWS_MIN: u32 = 16;

/// How many bottom rows of `image` (as stored, before orientation) look like a decoder's
/// padding of missing scan data: rows that repeat exactly every 8 or 16 pixels (one block or
/// one MCU) without being flat, as the same block decoded again and again does, and a
/// photographed row with its sensor noise and compression texture never does. Flat rows are
/// not counted: a flat background (a synthetic card, a graphic) is not a sign of a cut.
pub fn padded_rows(image: &DynamicImage) -> u32 {
    let bytes = image.as_bytes();
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w < 32 || h == 0 {
        return 0;
    }
    let stride = bytes.len() / h;
    let px = stride / w;
    let periodic = |row: &[u8]| {
        let flat = row[..w * px].chunks_exact(px).all(|p| p == &row[..px]);
        !flat
            && [8usize, 16].iter().any(|&p| {
                let shift = p * px;
                row[shift..w * px] == row[..w * px - shift]
            })
    };
    (0..h)
        .rev()
        .take_while(|&y| periodic(&bytes[y * stride..(y + 1) * stride]))
        .count() as u32
}

/// Largest photo file read (bytes): far above any camera's JPEG or 16-bit PNG of
/// [`DEFAULT_MAX_PIXELS`] that compresses at all.
pub const MAX_PHOTO_BYTES: u64 = 1 << 30;

/// Limits for decoding: refused before any pixel buffer is allocated.
#[derive(Debug, Clone, Copy)]
pub struct LoadLimits {
    /// Largest width × height accepted.
    pub max_pixels: u64,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

/// A pixel rectangle in the oriented photo: `x, y` top-left, `w × h` size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Region {
    /// Left edge, pixels from the left of the oriented photo.
    pub x: u32,
    /// Top edge, pixels from the top.
    pub y: u32,
    /// Width in pixels (> 0).
    pub w: u32,
    /// Height in pixels (> 0).
    pub h: u32,
}

impl Region {
    /// Parse `X,Y,W,H` (non-negative integers, W and H > 0).
    pub fn parse(s: &str) -> std::result::Result<Region, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(format!("expected X,Y,W,H (four integers), got {s:?}"));
        }
        let mut v = [0u32; 4];
        for (slot, p) in v.iter_mut().zip(&parts) {
            *slot = p
                .parse()
                .map_err(|_| format!("{p:?} is not a non-negative integer (in {s:?})"))?;
        }
        if v[2] == 0 || v[3] == 0 {
            return Err(format!(
                "region {s:?} is empty (width and height must be > 0)"
            ));
        }
        Ok(Region {
            x: v[0],
            y: v[1],
            w: v[2],
            h: v[3],
        })
    }

    /// Whether the region lies inside a `width` × `height` image (no overflow on huge values).
    pub fn fits_in(&self, width: u32, height: u32) -> bool {
        u64::from(self.x) + u64::from(self.w) <= u64::from(width)
            && u64::from(self.y) + u64::from(self.h) <= u64::from(height)
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.w, self.h)
    }
}

/// How a photo's pixels came to be sRGB (`inputs[].color_space_source` in the output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColorSpaceSource {
    /// No profile: taken as sRGB.
    Assumed,
    /// Converted from the embedded ICC profile.
    IccConverted,
    /// The embedded profile is sRGB; nothing to convert.
    IccSrgb,
    /// Converted by a PNG's cHRM/gAMA chunks (no iCCP).
    PngChunksConverted,
    /// A PNG's cHRM/gAMA chunks describe sRGB.
    PngChunksSrgb,
    /// A profile that cannot be read or does not fit the pixels: taken as sRGB, with a
    /// warning.
    AssumedIccProfileUnusable,
    /// A HEIC without an ICC profile: converted to sRGB by the HEIC decoder from the file's
    /// `nclx` (or HEVC VUI) colour description; taken as sRGB when it has neither.
    HeifColourInfo,
}

/// What the output says about each photo.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PhotoInfo {
    /// Warnings about the file itself (extra frames), reported by the analysis.
    #[serde(skip)]
    #[schemars(skip)]
    pub notes: Vec<crate::warning::Warning>,
    /// The path as given on the command line.
    pub path: String,
    /// Detected container format: `jpeg`, `png`, `tiff` or `webp`.
    pub format: String,
    /// Width after EXIF orientation, pixels.
    pub width: u32,
    /// Height after EXIF orientation, pixels.
    pub height: u32,
    /// Bits per channel as stored: 8 or 16 (32 for float TIFF).
    pub bit_depth: u8,
    /// `grey`, `grey_alpha`, `rgb` or `rgba`.
    pub channels: String,
    /// EXIF orientation that was applied: `none`, `rotate90`, `rotate180`, `rotate270`,
    /// `flip_horizontal`, `flip_vertical`, `rotate90_flip_h`, `rotate270_flip_h`.
    pub orientation: String,
    /// Colour space the pixel values are in after loading: always `srgb`.
    pub color_space: String,
    /// How the pixels came to be sRGB.
    pub color_space_source: ColorSpaceSource,
    /// Size in bytes of the embedded ICC profile, null if none.
    pub icc_profile_bytes: Option<usize>,
    /// The embedded profile's description, e.g. `Display P3`, null if none.
    pub icc_profile_description: Option<String>,
    /// Why an embedded profile was not used, null otherwise.
    pub icc_problem: Option<String>,
}

/// A decoded, oriented photo.
pub struct Photo {
    /// Where it came from.
    pub path: PathBuf,
    /// The pixels, oriented as a person sees them.
    pub image: DynamicImage,
    /// What the output reports about it.
    pub info: PhotoInfo,
}

impl Photo {
    /// Drop the photo on a short-lived thread when its pixels are large: giving a 12 MP
    /// photo's 36 MB back to the system takes milliseconds that the analysis need not wait
    /// for. Small photos (or no thread to be had) are dropped here.
    pub fn release(self) {
        const LARGE_BYTES: usize = 4 << 20;
        if self.image.as_bytes().len() >= LARGE_BYTES {
            // On failure the closure, and the photo with it, is dropped here.
            let _ = std::thread::Builder::new()
                .name("release photo".into())
                .spawn(move || drop(self));
        }
    }
}

/// Lab values read from a photo (or a region of it).
#[derive(Debug, Default)]
pub struct Samples {
    /// One Lab value per sampled opaque pixel.
    pub lab: Vec<Lab>,
    /// Sampled pixels skipped because fully transparent.
    pub transparent: usize,
    /// The grid the samples were read on, when none was transparent: then `lab` is that
    /// grid in row-major order, so each value's place in the photo is known.
    pub layout: Option<GridLayout>,
}

/// A row-major grid of `cols` × `rows` cells laid evenly over a photo or a region of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridLayout {
    /// Cells per row.
    pub cols: u32,
    /// Rows of cells.
    pub rows: u32,
}

impl GridLayout {
    /// The row-major index of the cell holding the point at (`fx`, `fy`), fractions of the
    /// photo's width and height (clamped to the grid).
    ///
    /// ```
    /// use smpmatch::input::GridLayout;
    /// let g = GridLayout { cols: 4, rows: 2 };
    /// assert_eq!(g.cell_at(0.6, 0.9), 6);
    /// assert_eq!(g.cell_at(1.0, 1.0), 7);
    /// ```
    pub fn cell_at(&self, fx: f32, fy: f32) -> usize {
        let x = ((fx * self.cols as f32) as u32).min(self.cols.saturating_sub(1));
        let y = ((fy * self.rows as f32) as u32).min(self.rows.saturating_sub(1));
        (y * self.cols + x) as usize
    }
}

impl From<[u32; 4]> for Region {
    /// `[x, y, w, h]`, as JSON clients send a rectangle.
    fn from(r: [u32; 4]) -> Region {
        Region {
            x: r[0],
            y: r[1],
            w: r[2],
            h: r[3],
        }
    }
}

impl Photo {
    /// Decode a photo, applying EXIF orientation, within `limits`: colour-managed to sRGB,
    /// refused (naming the file) when damaged, cut short, too large or not a photo.
    ///
    /// ```
    /// use smpmatch::input::{LoadLimits, Photo};
    /// let p = Photo::load("samples/shaved_light.jpg".as_ref(), LoadLimits::default())?;
    /// assert_eq!((p.info.width, p.info.height), (1200, 900));
    /// # Ok::<(), smpmatch::Error>(())
    /// ```
    pub fn load(path: &Path, limits: LoadLimits) -> Result<Photo> {
        // `-` is standard input: one photo piped in (`cat x.jpg | smpmatch match - …`).
        let bytes = if path == Path::new("-") {
            crate::io::files::read_stdin("a photo", MAX_PHOTO_BYTES)?
        } else {
            crate::io::files::read_input(path, "a photo", MAX_PHOTO_BYTES)?
        };
        if bytes.is_empty() {
            return Err(Error::photo(path, "file is empty (0 bytes)"));
        }
        let reader = ImageReader::new(std::io::Cursor::new(&bytes[..]))
            .with_guessed_format()
            .map_err(|e| Error::read(path, e))?;
        let format = match reader.format() {
            Some(f @ image::ImageFormat::Jpeg)
            | Some(f @ image::ImageFormat::Png)
            | Some(f @ image::ImageFormat::Tiff)
            | Some(f @ image::ImageFormat::WebP) => f,
            Some(other) => {
                return Err(Error::photo(
                    path,
                    format!(
                        "{} images are not supported (use JPEG, PNG, TIFF or WebP)",
                        format_name(other)
                    ),
                ))
            }
            #[cfg(feature = "heic")]
            None if heifer::check_file_type(&bytes) != heifer::FileTypeResult::No
                && is_heif(&bytes) =>
            {
                return load_heif(path, &bytes, limits);
            }
            None if is_heif(&bytes) => {
                return Err(Error::photo(
                    path,
                    "this HEIC/HEIF file cannot be read here (a build without the `heic` \
                     feature, or a HEIF that is not HEVC-coded, such as AVIF): export as JPEG \
                     (iPhone: Settings → Camera → Formats → Most Compatible) or convert with \
                     heif-convert",
                ))
            }
            None => {
                return Err(Error::photo(
                    path,
                    "not a recognised image (expected JPEG, PNG, TIFF or WebP content)",
                ))
            }
        };
        if format == image::ImageFormat::Jpeg && !jpeg_is_complete(&bytes) {
            return Err(Error::photo(
                path,
                "JPEG is truncated (no end-of-image marker after the last scan); the photo \
                 was cut off during copy or upload",
            ));
        }
        let mut reader = reader;
        let mut decoder_limits = Limits::default();
        // 8 bytes per pixel covers 16-bit RGBA, the widest layout we decode.
        decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).max(64 << 20));
        reader.limits(decoder_limits);
        let mut decoder = reader
            .into_decoder()
            .map_err(|e| decode_error(path, format, e))?;
        let (w, h) = decoder.dimensions();
        if u64::from(w) * u64::from(h) > limits.max_pixels {
            return Err(Error::photo(path, over_limit(w, h, limits)));
        }
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let icc = decoder.icc_profile().ok().flatten();
        // A 16-bit PNG is read row by row, converted to sRGB at 16 bits and kept at 8 bits:
        // its 16-bit buffer (800 MB at 100 MP RGBA) is never held whole.
        let png16 = format == image::ImageFormat::Png
            && matches!(
                decoder.color_type(),
                image::ColorType::Rgb16
                    | image::ColorType::Rgba16
                    | image::ColorType::L16
                    | image::ColorType::La16
            );
        let bit_depth_in = (decoder.color_type().bits_per_pixel()
            / u16::from(decoder.color_type().channel_count())) as u8;
        let mut by_rows = None;
        let mut image = if png16 {
            drop(decoder);
            let chunks = icc
                .is_none()
                .then(|| png_colour_chunks(&bytes))
                .and_then(|c| png_chunk_profile(&c));
            let icc_profile = icc.as_deref().map(lcms2::Profile::new_icc);
            let (profile, origin) = match (&icc_profile, &chunks) {
                (Some(Ok(p)), _) => (Some(p), Some(ProfileOrigin::Icc)),
                (Some(Err(e)), _) => {
                    by_rows = Some(RowsOutcome::unusable(format!(
                        "unreadable ICC profile ({e})"
                    )));
                    (None, None)
                }
                (None, Some(p)) => (Some(p), Some(ProfileOrigin::PngChunks)),
                (None, None) => (None, None),
            };
            let (img, outcome) = png16_rows_to_srgb8(&bytes, profile, limits)
                .map_err(|e| Error::photo(path, format!("cannot decode the PNG: {e}")))?;
            if by_rows.is_none() {
                by_rows = Some(outcome.named(origin));
            }
            img
        } else {
            DynamicImage::from_decoder(decoder).map_err(|e| decode_error(path, format, e))?
        };
        if format == image::ImageFormat::Jpeg {
            let rows = padded_rows(&image);
            // A run that is the whole image is a flat picture, not a cut one.
            if rows >= PADDED_ROWS_MIN.max(image.height() / 100) && rows < image.height() {
                return Err(Error::photo(
                    path,
                    format!(
                        "the last {rows} of {} pixel rows repeat one 8- or 16-pixel block, as a \
                         decoder fills a JPEG whose data ends early: the photo was probably cut off during \
                         copy or upload (copy it again; if the band is real, crop it away)",
                        image.height()
                    ),
                ));
            }
        }
        image.apply_orientation(orientation);

        let color = image.color();
        let channels = match (color.has_color(), color.has_alpha()) {
            (false, false) => "grey",
            (false, true) => "grey_alpha",
            (true, false) => "rgb",
            (true, true) => "rgba",
        };
        let bit_depth = bit_depth_in;
        let png_chunks = (format == image::ImageFormat::Png && icc.is_none() && by_rows.is_none())
            .then(|| png_colour_chunks(&bytes))
            .and_then(|c| png_chunk_profile(&c));
        let (source, description, problem) = match (by_rows, &icc) {
            (Some(o), _) => (o.source, o.description, o.problem),
            (None, None) => match png_chunks.map(|p| profile_to_srgb(&mut image, &p)) {
                Some(Ok((true, _))) => (ColorSpaceSource::PngChunksConverted, None, None),
                Some(Ok((false, _))) => (ColorSpaceSource::PngChunksSrgb, None, None),
                Some(Err(why)) => (ColorSpaceSource::AssumedIccProfileUnusable, None, Some(why)),
                None => (ColorSpaceSource::Assumed, None, None),
            },
            (None, Some(bytes)) => icc_to_srgb(&mut image, bytes),
        };
        // A profile the decoder dropped (a JPEG APP2 chunk missing, a corrupt iCCP) must not
        // pass as "no profile, sRGB assumed".
        let (source, problem) = match (source, problem) {
            (ColorSpaceSource::Assumed, None) if has_icc_marker(&bytes, format) => (
                ColorSpaceSource::AssumedIccProfileUnusable,
                Some(
                    "the embedded ICC profile is damaged or incomplete (a chunk of it is missing) \
                     and was ignored"
                        .to_string(),
                ),
            ),
            other => other,
        };
        let mut notes = Vec::new();
        if let Some(n) = extra_frames(&bytes, format) {
            notes.push(crate::warning::Warning::new(
                crate::warning::WarningCode::ExtraFrames,
                format!(
                "{}: {n}; only the first was analysed (export the frame you mean as its own file)",
                path.display()
            ),
            ));
        }
        let info = PhotoInfo {
            notes,
            path: path.display().to_string(),
            format: format_name(format).to_lowercase(),
            width: image.width(),
            height: image.height(),
            bit_depth,
            channels: channels.to_string(),
            orientation: orientation_name(orientation).to_string(),
            color_space: "srgb".to_string(),
            color_space_source: source,
            icc_profile_bytes: icc.as_ref().map(Vec::len),
            icc_profile_description: description,
            icc_problem: problem,
        };
        Ok(Photo {
            path: path.to_path_buf(),
            image,
            info,
        })
    }

    /// A photo from pixels already in memory, taken as sRGB with no profile (as a file
    /// without one would be): for callers that decode themselves, and for tests.
    pub fn from_rgb8(path: impl Into<PathBuf>, image: image::RgbImage) -> Photo {
        let path = path.into();
        let info = PhotoInfo {
            notes: Vec::new(),
            path: path.display().to_string(),
            format: "memory".to_string(),
            width: image.width(),
            height: image.height(),
            bit_depth: 8,
            channels: "rgb".to_string(),
            orientation: "none".to_string(),
            color_space: "srgb".to_string(),
            color_space_source: ColorSpaceSource::Assumed,
            icc_profile_bytes: None,
            icc_profile_description: None,
            icc_problem: None,
        };
        Photo {
            path,
            image: DynamicImage::ImageRgb8(image),
            info,
        }
    }

    /// Check that `region` lies inside the oriented photo.
    pub fn check_region(&self, region: Region) -> Result<()> {
        if region.fits_in(self.info.width, self.info.height) {
            Ok(())
        } else {
            Err(Error::usage(format!(
                "{}: region {region} (X,Y,W,H) does not fit inside the {}×{} photo",
                self.path.display(),
                self.info.width,
                self.info.height
            )))
        }
    }

    /// Lab values of a deterministic, jittered stratified sample of `region` (whole photo
    /// when `None`).
    ///
    /// The region is cut into cells of `s × s` pixels, `s = ceil(sqrt(area / max_samples))`,
    /// and one pixel is read per cell at an offset given by a hash of the cell's position
    /// (row offset per row of cells, column offset per cell): at
    /// most about `max_samples` pixels, spread evenly over the area, identical from run to run.
    /// The jitter matters: a fixed stride that shares a factor with the 8 × 8 JPEG blocks (or
    /// 2 × 2 chroma subsampling) would read the same positions of every block and inherit
    /// their systematic error (measured: 0.37 ΔE00 on the hair of a sample at stride 4). Every
    /// pixel is read when the area is small enough.
    pub fn sample_lab(&self, region: Option<Region>, max_samples: usize) -> Result<Samples> {
        let region = match region {
            Some(r) => {
                self.check_region(r)?;
                r
            }
            None => Region {
                x: 0,
                y: 0,
                w: self.info.width,
                h: self.info.height,
            },
        };
        let area = u64::from(region.w) * u64::from(region.h);
        let step = grid_step(area, max_samples as u64);
        let (cols, rows) = (region.w.div_ceil(step), region.h.div_ceil(step));
        let mut out = Samples {
            lab: Vec::with_capacity(cols as usize * rows as usize),
            transparent: 0,
            layout: None,
        };
        // The pixel read in cell (cx, cy): offsets within the cell (clipped at the edges).
        // The row offset is drawn per row of cells and the column offset per cell, so one row
        // of cells reads one image row from left to right: memory order, which the
        // prefetcher follows (a fresh row per cell made sampling 2.3 × slower).
        let row_of = |cy: u32| -> u32 {
            if step == 1 {
                return region.y + cy;
            }
            let ch = step.min(region.h - cy * step);
            region.y + cy * step + (cell_hash(u32::MAX, cy) as u32) % ch
        };
        let col_of = |cx: u32, cy: u32| -> u32 {
            if step == 1 {
                return region.x + cx;
            }
            let cw = step.min(region.w - cx * step);
            region.x + cx * step + (cell_hash(cx, cy) as u32) % cw
        };
        // Rows of cells are read in parallel and joined in row order: the same sample on any
        // number of threads.
        macro_rules! walk {
            ($buf:expr, |$p:ident| $alpha:expr, $lab:expr) => {{
                let buf = &$buf;
                let per_row: Vec<(Vec<Lab>, usize)> = (0..rows)
                    .into_par_iter()
                    .map(|cy| {
                        let y = row_of(cy);
                        let mut linear = Vec::with_capacity(cols as usize);
                        let mut transparent = 0;
                        for cx in 0..cols {
                            let $p = buf.get_pixel(col_of(cx, cy), y).0;
                            if $alpha {
                                transparent += 1;
                            } else {
                                linear.push($lab);
                            }
                        }
                        let mut lab = Vec::with_capacity(linear.len());
                        linear_to_lab_into(&linear, &mut lab);
                        (lab, transparent)
                    })
                    .collect();
                for (lab, transparent) in per_row {
                    out.lab.extend_from_slice(&lab);
                    out.transparent += transparent;
                }
            }};
        }
        match &self.image {
            DynamicImage::ImageRgb8(b) => walk!(b, |p| false, linear_from_srgb8(p[0], p[1], p[2])),
            DynamicImage::ImageRgba8(b) => {
                walk!(b, |p| p[3] == 0, linear_from_srgb8(p[0], p[1], p[2]))
            }
            DynamicImage::ImageLuma8(b) => walk!(b, |p| false, linear_from_srgb8(p[0], p[0], p[0])),
            DynamicImage::ImageLumaA8(b) => {
                walk!(b, |p| p[1] == 0, linear_from_srgb8(p[0], p[0], p[0]))
            }
            DynamicImage::ImageRgb16(b) => {
                walk!(b, |p| false, linear_from_srgb16(p[0], p[1], p[2]))
            }
            DynamicImage::ImageRgba16(b) => {
                walk!(b, |p| p[3] == 0, linear_from_srgb16(p[0], p[1], p[2]))
            }
            DynamicImage::ImageLuma16(b) => {
                walk!(b, |p| false, linear_from_srgb16(p[0], p[0], p[0]))
            }
            DynamicImage::ImageLumaA16(b) => {
                walk!(b, |p| p[1] == 0, linear_from_srgb16(p[0], p[0], p[0]))
            }
            other => {
                // Float layouts (32-bit TIFF): read as sRGB-encoded values in [0, 1].
                let b = other.to_rgba32f();
                walk!(b, |p| p[3] <= 0.0, {
                    let q = |v: f32| (v.clamp(0.0, 1.0) * 65535.0).round() as u16;
                    linear_from_srgb16(q(p[0]), q(p[1]), q(p[2]))
                })
            }
        }
        out.layout = (out.transparent == 0).then_some(GridLayout { cols, rows });
        Ok(out)
    }
}

impl Photo {
    /// Local contrast of each cell of the grid that [`Photo::sample_lab`] lays over the whole
    /// photo for `max_samples`, in the same row-major order: the mean absolute L* difference
    /// along the four sides of a square of side `d` (a quarter of the cell, at least one
    /// pixel) at the cell's centre.
    ///
    /// Why: hair strands, with gaps or skin between them, make it high; bare skin and smooth
    /// walls keep it low, whatever their colour, so it finds hair that colour cannot (grey,
    /// white or blond hair as light as the scalp). The square scales with the cell, so the
    /// measure looks at the same share of the photo at any resolution.
    ///
    /// ```
    /// use smpmatch::input::{LoadLimits, Photo};
    /// let p = Photo::load("samples/shaved_light.jpg".as_ref(), LoadLimits::default())?;
    /// let t = p.grid_texture(20_000);
    /// assert_eq!(t.len(), p.sample_lab(None, 20_000)?.lab.len());
    /// # Ok::<(), smpmatch::Error>(())
    /// ```
    pub fn grid_texture(&self, max_samples: usize) -> Vec<f32> {
        let (w, h) = (self.info.width, self.info.height);
        let step = grid_step(u64::from(w) * u64::from(h), max_samples as u64);
        let (cols, rows) = (w.div_ceil(step), h.div_ceil(step));
        if w < 2 || h < 2 {
            return vec![0.0; cols as usize * rows as usize];
        }
        let d = (step / 4).max(1).min(w.min(h) - 1);
        let lightness = |x: u32, y: u32| {
            let [r, g, b] = self.linear_pixel(x, y);
            crate::color::lightness(crate::color::LinRgb::new(r, g, b))
        };
        // The square's corner in a cell starting at `start` of `len` pixels, kept inside a
        // photo side of `size` pixels.
        let corner = |start: u32, len: u32, size: u32| (start + len / 2).min(size - 1 - d);
        (0..rows)
            .into_par_iter()
            .flat_map_iter(|cy| {
                let y0 = corner(cy * step, step.min(h - cy * step), h);
                (0..cols).map(move |cx| (cx, y0))
            })
            .map(|(cx, y0)| {
                let x0 = corner(cx * step, step.min(w - cx * step), w);
                let (a, b) = (lightness(x0, y0), lightness(x0 + d, y0));
                let (c, e) = (lightness(x0, y0 + d), lightness(x0 + d, y0 + d));
                ((a - b).abs() + (c - e).abs() + (a - c).abs() + (b - e).abs()) / 4.0
            })
            .collect()
    }
}

/// A 64-bit hash of a sampling cell's position (SplitMix64 finaliser): the jitter of
/// [`Photo::sample_lab`], fixed so that samples are the same on every run and machine.
fn cell_hash(cx: u32, cy: u32) -> u64 {
    crate::numeric::splitmix64(u64::from(cx) << 32 | u64::from(cy))
}

/// Linear-light RGB pixels of a downsampled photo, for chart detection.
#[derive(Debug, Clone)]
pub struct LinearImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Row-major linear RGB.
    pub data: Vec<[f32; 3]>,
    /// Photo pixels per image pixel.
    pub scale: f64,
}

impl Photo {
    /// Linear RGB of one pixel (sRGB decoding; alpha ignored). `x`, `y` must lie inside.
    pub fn linear_pixel(&self, x: u32, y: u32) -> [f32; 3] {
        let lin8 = |r: u8, g: u8, b: u8| {
            let c: crate::color::LinRgb = palette::Srgb::new(r, g, b).into_linear();
            [c.red, c.green, c.blue]
        };
        let lin16 = |r: u16, g: u16, b: u16| {
            const MAX: f32 = u16::MAX as f32;
            let c: crate::color::LinRgb =
                palette::Srgb::new(f32::from(r) / MAX, f32::from(g) / MAX, f32::from(b) / MAX)
                    .into_linear();
            [c.red, c.green, c.blue]
        };
        match &self.image {
            DynamicImage::ImageRgb8(b) => {
                let p = b.get_pixel(x, y).0;
                lin8(p[0], p[1], p[2])
            }
            DynamicImage::ImageRgba8(b) => {
                let p = b.get_pixel(x, y).0;
                lin8(p[0], p[1], p[2])
            }
            DynamicImage::ImageLuma8(b) => {
                let p = b.get_pixel(x, y).0;
                lin8(p[0], p[0], p[0])
            }
            DynamicImage::ImageRgb16(b) => {
                let p = b.get_pixel(x, y).0;
                lin16(p[0], p[1], p[2])
            }
            DynamicImage::ImageRgba16(b) => {
                let p = b.get_pixel(x, y).0;
                lin16(p[0], p[1], p[2])
            }
            other => {
                let p = image::GenericImageView::get_pixel(other, x, y).0;
                lin8(p[0], p[1], p[2])
            }
        }
    }

    /// The photo point-sampled (the centre pixel of each block, in linear light) so that its
    /// longer side is at most `max_side` pixels: a cheap preview for searches that do not
    /// need the noise averaged out.
    pub fn linear_point_sampled(&self, max_side: u32) -> LinearImage {
        let (w, h) = (self.info.width, self.info.height);
        self.linear_reduced(max_side, |x0, y0, f| {
            self.linear_pixel((x0 + f / 2).min(w - 1), (y0 + f / 2).min(h - 1))
        })
    }

    /// The photo box-averaged (in linear light) so that its longer side is at most
    /// `max_side` pixels.
    pub fn linear_downsampled(&self, max_side: u32) -> LinearImage {
        let (w, h) = (self.info.width, self.info.height);
        self.linear_reduced(max_side, |x0, y0, f| {
            let mut acc = [0f32; 3];
            for dy in 0..f {
                for dx in 0..f {
                    let p = self.linear_pixel((x0 + dx).min(w - 1), (y0 + dy).min(h - 1));
                    acc[0] += p[0];
                    acc[1] += p[1];
                    acc[2] += p[2];
                }
            }
            let n = (f * f) as f32;
            [acc[0] / n, acc[1] / n, acc[2] / n]
        })
    }

    /// The photo reduced by an integer factor so that its longer side is at most `max_side`:
    /// each output pixel is `block(x0, y0, factor)` of the block whose top-left is (x0, y0).
    /// Output rows are computed in parallel; each is independent, so the result is the same
    /// on any number of threads.
    fn linear_reduced(
        &self,
        max_side: u32,
        block: impl Fn(u32, u32, u32) -> [f32; 3] + Sync,
    ) -> LinearImage {
        let (w, h) = (self.info.width, self.info.height);
        let f = w.max(h).div_ceil(max_side.max(1)).max(1);
        let (ow, oh) = ((w / f).max(1) as usize, (h / f).max(1) as usize);
        let mut data = vec![[0f32; 3]; ow * oh];
        data.par_chunks_mut(ow).enumerate().for_each(|(oy, row)| {
            for (ox, out) in row.iter_mut().enumerate() {
                *out = block(ox as u32 * f, oy as u32 * f, f);
            }
        });
        LinearImage {
            width: ow,
            height: oh,
            data,
            scale: f64::from(f),
        }
    }
}

/// Convert `image` from the embedded ICC profile to sRGB. Returns `Ok((None, _))` when the
/// profile is sRGB already (checked by transforming test colours), `Err(why)` when the
/// profile cannot be used. Grey images with a grey profile are left as they are (their
/// neutral values only need the tone curve, which for display profiles is sRGB-like).
/// How a row-by-row decode treated the colour: as the `color_space_source` values of
/// [`PhotoInfo`].
struct RowsOutcome {
    source: ColorSpaceSource,
    /// The rows were converted from the profile (else it is sRGB, or there is none).
    converted: bool,
    description: Option<String>,
    problem: Option<String>,
}

/// Where a PNG's colour profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProfileOrigin {
    /// An embedded ICC profile (`iCCP`).
    Icc,
    /// The `cHRM`/`gAMA` chunks.
    PngChunks,
}

impl RowsOutcome {
    fn unusable(why: String) -> RowsOutcome {
        RowsOutcome {
            source: ColorSpaceSource::AssumedIccProfileUnusable,
            converted: false,
            description: None,
            problem: Some(why),
        }
    }

    /// Name the outcome by the profile's origin (none: sRGB assumed).
    fn named(self, origin: Option<ProfileOrigin>) -> RowsOutcome {
        if self.source == ColorSpaceSource::AssumedIccProfileUnusable {
            return self;
        }
        let source = match (origin, self.converted) {
            (None, _) => ColorSpaceSource::Assumed,
            (Some(ProfileOrigin::Icc), true) => ColorSpaceSource::IccConverted,
            (Some(ProfileOrigin::Icc), false) => ColorSpaceSource::IccSrgb,
            (Some(ProfileOrigin::PngChunks), true) => ColorSpaceSource::PngChunksConverted,
            (Some(ProfileOrigin::PngChunks), false) => ColorSpaceSource::PngChunksSrgb,
        };
        RowsOutcome { source, ..self }
    }
}

/// Decode a 16-bit PNG row by row: each row converted from `profile` to sRGB at 16 bits (in
/// place, with lcms2), then rounded to 8 bits into the output. Peak memory is the 8-bit image
/// plus one row. Interlaced files are read whole (the rows come in passes).
fn png16_rows_to_srgb8(
    bytes: &[u8],
    profile: Option<&lcms2::Profile>,
    limits: LoadLimits,
) -> std::result::Result<(DynamicImage, RowsOutcome), String> {
    use lcms2::{Flags, Intent, PixelFormat, Transform};
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: usize::try_from(limits.max_pixels.saturating_mul(8).max(64 << 20))
                .unwrap_or(usize::MAX),
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let info = reader.info();
    let (w, h, interlaced) = (info.width as usize, info.height as usize, info.interlaced);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("an indexed 16-bit PNG".into()),
    };
    let mut outcome = RowsOutcome {
        source: ColorSpaceSource::Assumed,
        converted: false,
        description: None,
        problem: None,
    };
    // The transform, unless the profile is sRGB already (or grey, or unusable).
    let transform: Option<Transform<[u16; 3], [u16; 3]>> = match profile {
        None => None,
        Some(p) if channels >= 3 => {
            let mut probe = DynamicImage::new_rgb16(1, 1);
            match profile_to_srgb(&mut probe, p) {
                Ok((converted, description)) => {
                    outcome.description = description;
                    if converted {
                        outcome.converted = true;
                        Some(
                            Transform::new_flags(
                                p,
                                PixelFormat::RGB_16,
                                &lcms2::Profile::new_srgb(),
                                PixelFormat::RGB_16,
                                Intent::RelativeColorimetric,
                                Flags::default(),
                            )
                            .map_err(|e| format!("cannot convert from the ICC profile ({e})"))?,
                        )
                    } else {
                        None
                    }
                }
                Err(why) => {
                    outcome = RowsOutcome::unusable(why);
                    None
                }
            }
        }
        Some(p) => {
            let mut probe = DynamicImage::new_luma16(1, 1);
            if let Err(why) = profile_to_srgb(&mut probe, p) {
                outcome = RowsOutcome::unusable(why);
            }
            None
        }
    };
    let mut out = vec![0u8; w * h * channels];
    let to8 = |v: u16| ((u32::from(v) * 255 + 32_767) / 65_535) as u8;
    let mut convert_row = |y: usize, data: &[u8]| {
        let mut row: Vec<u16> = data
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        if let Some(t) = &transform {
            if channels == 3 {
                t.transform_in_place(bytemuck::cast_slice_mut::<u16, [u16; 3]>(&mut row));
            } else {
                // Colour of each RGBA pixel converted, alpha kept.
                let mut rgb: Vec<[u16; 3]> =
                    row.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
                t.transform_in_place(&mut rgb);
                for (p, c) in row.chunks_exact_mut(4).zip(rgb) {
                    p[..3].copy_from_slice(&c);
                }
            }
        }
        let dst = &mut out[y * w * channels..(y + 1) * w * channels];
        for (d, v) in dst.iter_mut().zip(row) {
            *d = to8(v);
        }
    };
    if interlaced {
        let mut buf = vec![0u8; reader.output_buffer_size().ok_or("image too large")?];
        reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        for (y, data) in buf.chunks_exact(w * channels * 2).enumerate().take(h) {
            convert_row(y, data);
        }
    } else {
        let mut y = 0;
        while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
            if y >= h {
                break;
            }
            convert_row(y, row.data());
            y += 1;
        }
        if y < h {
            return Err(format!("the image data ends after {y} of {h} rows"));
        }
    }
    let (w, h) = (w as u32, h as u32);
    let bad = || "internal: buffer size".to_string();
    let image = match channels {
        1 => DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, out).ok_or_else(bad)?),
        2 => DynamicImage::ImageLumaA8(image::GrayAlphaImage::from_raw(w, h, out).ok_or_else(bad)?),
        3 => DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, out).ok_or_else(bad)?),
        _ => DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, out).ok_or_else(bad)?),
    };
    Ok((image, outcome))
}

/// Convert `image` from its embedded ICC profile to sRGB, and say what was done:
/// (`color_space_source`, the profile's description, the problem if it could not be used).
fn icc_to_srgb(
    image: &mut DynamicImage,
    icc: &[u8],
) -> (ColorSpaceSource, Option<String>, Option<String>) {
    match to_srgb(image, icc) {
        Ok((true, d)) => (ColorSpaceSource::IccConverted, d, None),
        Ok((false, d)) => (ColorSpaceSource::IccSrgb, d, None),
        Err(why) => (ColorSpaceSource::AssumedIccProfileUnusable, None, Some(why)),
    }
}

fn to_srgb(
    image: &mut DynamicImage,
    icc: &[u8],
) -> std::result::Result<(bool, Option<String>), String> {
    let profile =
        lcms2::Profile::new_icc(icc).map_err(|e| format!("unreadable ICC profile ({e})"))?;
    profile_to_srgb(image, &profile)
}

/// The PNG colour chunks that stand in for an ICC profile (PNG spec § 11.3.3): `sRGB`, or
/// `cHRM` (white point and primaries) and `gAMA` (the encoding exponent). Read from the file
/// bytes up to the first image data; `iCCP` takes precedence and is handled as ICC.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct PngColourChunks {
    /// An `sRGB` chunk is present.
    pub srgb: bool,
    /// `gAMA`: the file's encoding gamma (e.g. 0.45455 = 1/2.2).
    pub gamma: Option<f64>,
    /// `cHRM`: white x, y, then red, green and blue x, y.
    pub chromaticities: Option<[f64; 8]>,
}

/// Walk the chunks of a PNG file up to its first `IDAT`.
pub fn png_colour_chunks(bytes: &[u8]) -> PngColourChunks {
    let mut out = PngColourChunks::default();
    let mut i = 8;
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize;
        let kind = &bytes[i + 4..i + 8];
        let Some(data) = bytes.get(i + 8..i + 8 + len) else {
            break;
        };
        let be = |k: usize| {
            f64::from(u32::from_be_bytes([
                data[k],
                data[k + 1],
                data[k + 2],
                data[k + 3],
            ])) / 1e5
        };
        match kind {
            b"IDAT" => break,
            b"sRGB" => out.srgb = true,
            b"gAMA" if len == 4 => out.gamma = Some(be(0)).filter(|g| *g > 0.0),
            b"cHRM" if len == 32 => {
                let mut c = [0.0; 8];
                for (k, v) in c.iter_mut().enumerate() {
                    *v = be(4 * k);
                }
                out.chromaticities = Some(c);
            }
            _ => {}
        }
        i += 12 + len;
    }
    out
}

/// An lcms2 profile for the PNG chunks, or None when they say sRGB or nothing.
fn png_chunk_profile(c: &PngColourChunks) -> Option<lcms2::Profile> {
    if c.srgb || (c.gamma.is_none() && c.chromaticities.is_none()) {
        return None;
    }
    use lcms2::{CIExyY, CIExyYTRIPLE, ToneCurve};
    // sRGB / BT.709 primaries and D65 when cHRM is absent.
    let ch = c
        .chromaticities
        .unwrap_or([0.3127, 0.3290, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06]);
    let xy = |x: f64, y: f64| CIExyY { x, y, Y: 1.0 };
    let primaries = CIExyYTRIPLE {
        Red: xy(ch[2], ch[3]),
        Green: xy(ch[4], ch[5]),
        Blue: xy(ch[6], ch[7]),
    };
    // Without gAMA the values are taken as sRGB-encoded (the parametric sRGB curve).
    let curve = match c.gamma {
        Some(g) => ToneCurve::new(1.0 / g),
        None => {
            ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045])
                .ok()?
        }
    };
    lcms2::Profile::new_rgb(&xy(ch[0], ch[1]), &primaries, &[&curve, &curve, &curve]).ok()
}

fn profile_to_srgb(
    image: &mut DynamicImage,
    profile: &lcms2::Profile,
) -> std::result::Result<(bool, Option<String>), String> {
    use lcms2::{
        ColorSpaceSignature, Flags, InfoType, Intent, Locale, PixelFormat, Profile, Transform,
    };
    let description = profile.info(InfoType::Description, Locale::none());
    let color = image.color();
    match (profile.color_space(), color.has_color()) {
        (ColorSpaceSignature::RgbData, true) => {}
        (ColorSpaceSignature::GrayData, false) => return Ok((false, description)),
        (cs, _) => {
            return Err(format!(
                "the ICC profile is for {cs:?} but the pixels are {}",
                if color.has_color() { "RGB" } else { "grey" }
            ))
        }
    }
    let srgb = Profile::new_srgb();
    let probe: Transform<[u16; 3], [u16; 3]> = Transform::new(
        profile,
        PixelFormat::RGB_16,
        &srgb,
        PixelFormat::RGB_16,
        Intent::RelativeColorimetric,
    )
    .map_err(|e| format!("cannot convert from the ICC profile ({e})"))?;
    // Identity check on a grid of colours: an sRGB profile needs no conversion.
    let grid: Vec<[u16; 3]> = (0..64u16)
        .map(|i| [(i % 4) * 21845, (i / 4 % 4) * 21845, (i / 16) * 21845])
        .collect();
    let mut out = grid.clone();
    probe.transform_pixels(&grid, &mut out);
    let max_diff = grid
        .iter()
        .zip(&out)
        .flat_map(|(a, b)| (0..3).map(move |c| (i32::from(a[c]) - i32::from(b[c])).abs()))
        .max()
        .unwrap_or(0);
    if max_diff <= 96 {
        return Ok((false, description));
    }
    // Converted in place at 16 bits: a 16-bit photo is not copied (a 100 MP RGBA16 photo is
    // 800 MB), an 8-bit one is widened once so the conversion adds no rounding.
    if color.has_alpha() {
        if !matches!(image, DynamicImage::ImageRgba16(_)) {
            *image = DynamicImage::ImageRgba16(image.to_rgba16());
        }
        let DynamicImage::ImageRgba16(buf) = image else {
            return Err("internal: RGBA16 expected".into());
        };
        let t: Transform<[u16; 4], [u16; 4]> = Transform::new_flags(
            profile,
            PixelFormat::RGBA_16,
            &srgb,
            PixelFormat::RGBA_16,
            Intent::RelativeColorimetric,
            Flags::COPY_ALPHA,
        )
        .map_err(|e| format!("cannot convert from the ICC profile ({e})"))?;
        t.transform_in_place(bytemuck::cast_slice_mut::<u16, [u16; 4]>(buf));
    } else {
        if !matches!(image, DynamicImage::ImageRgb16(_)) {
            *image = DynamicImage::ImageRgb16(image.to_rgb16());
        }
        let DynamicImage::ImageRgb16(buf) = image else {
            return Err("internal: RGB16 expected".into());
        };
        probe.transform_in_place(bytemuck::cast_slice_mut::<u16, [u16; 3]>(buf));
    }
    Ok((true, description))
}

/// Whether the file carries an embedded ICC profile marker: JPEG `ICC_PROFILE` APP2, PNG
/// `iCCP`, WebP `ICCP` (TIFF's tag is inside the IFD and is read by the decoder itself).
fn has_icc_marker(bytes: &[u8], format: image::ImageFormat) -> bool {
    let needle: &[u8] = match format {
        image::ImageFormat::Jpeg => b"ICC_PROFILE\0",
        image::ImageFormat::Png => b"iCCP",
        image::ImageFormat::WebP => b"ICCP",
        _ => return false,
    };
    memchr::memmem::find(bytes, needle).is_some()
}

/// "a multi-page TIFF" or "an animated WebP" when the file holds more than one image.
fn extra_frames(bytes: &[u8], format: image::ImageFormat) -> Option<&'static str> {
    let cursor = std::io::Cursor::new(bytes);
    match format {
        image::ImageFormat::Tiff => tiff::decoder::Decoder::new(cursor)
            .ok()
            .filter(|d| d.more_images())
            .map(|_| "a multi-page TIFF (more than one image)"),
        image::ImageFormat::WebP => image_webp::WebPDecoder::new(cursor)
            .ok()
            .filter(|d| d.is_animated())
            .map(|_| "an animated WebP (more than one frame)"),
        _ => None,
    }
}

/// An ISO-BMFF file of the HEIF family (HEIC, HEIF, AVIF): `ftyp` box with a HEIF brand.
/// Decode a HEIC photo (pure Rust, `heifer`) under the same limits as the other formats.
/// Rotation and mirroring come from the container (`irot`/`imir`), which HEIF makes
/// authoritative: the EXIF orientation an iPhone also writes is not applied a second time.
/// An embedded ICC profile (Display P3 on iPhones) goes through Little CMS as a JPEG's does;
/// without one, the decoder converts from the file's `nclx` colour description. 10- and
/// 12-bit photos are kept at 16 bits until converted. An HDR gain map is ignored: the base
/// image is the photo as an SDR screen shows it.
#[cfg(feature = "heic")]
fn load_heif(path: &Path, bytes: &[u8], limits: LoadLimits) -> Result<Photo> {
    let bad =
        |e: &dyn std::fmt::Display| Error::photo(path, format!("cannot decode the HEIC: {e}"));
    let file = heifer::heifer_isobmff::HeifFile::parse(bytes).map_err(|e| bad(&e))?;
    let id = file.primary_id;
    if let Some((w, h)) = file.image_size(id).map_err(|e| bad(&e))? {
        if u64::from(w) * u64::from(h) > limits.max_pixels {
            return Err(Error::photo(path, over_limit(w, h, limits)));
        }
    }
    let icc = file
        .icc_profile(id)
        .map_err(|e| bad(&e))?
        .map(<[u8]>::to_vec);
    let options = heifer::Options {
        max_threads: 0,
        max_pixels: limits.max_pixels,
    };
    // An 8-bit photo is decoded at 8 bits (half the memory of a 48 MP phone photo); a 10- or
    // 12-bit one at 16 bits, so the colour conversion adds no rounding.
    let depth = coded_depth(&file).unwrap_or(16);
    let alpha;
    let mut image = if depth <= 8 {
        let d = if icc.is_some() {
            heifer::decode_rgba8(bytes, &options)
        } else {
            heifer::decode_srgb_rgba8(bytes, &options)
        }
        .map_err(|e| bad(&e))?;
        alpha = d.has_alpha;
        image::RgbaImage::from_raw(d.width, d.height, d.data).map(DynamicImage::ImageRgba8)
    } else {
        let d = if icc.is_some() {
            heifer::decode_with_options(bytes, &options)
        } else {
            heifer::decode_srgb_with_options(bytes, &options)
        }
        .map_err(|e| bad(&e))?;
        alpha = d.has_alpha;
        let max = f64::from(d.max_value());
        let wide: Vec<u16> = d
            .data
            .iter()
            .map(|&v| (f64::from(v) / max * 65535.0).round() as u16)
            .collect();
        image::ImageBuffer::from_raw(d.width, d.height, wide).map(DynamicImage::ImageRgba16)
    }
    .ok_or_else(|| bad(&"pixel buffer does not match the image size"))?;
    if !alpha {
        image = match image {
            DynamicImage::ImageRgba8(i) => {
                DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(i).to_rgb8())
            }
            other => DynamicImage::ImageRgb16(other.to_rgb16()),
        };
    }
    let (source, description, problem) = match &icc {
        None => (ColorSpaceSource::HeifColourInfo, None, None),
        Some(p) => icc_to_srgb(&mut image, p),
    };
    let info = PhotoInfo {
        notes: Vec::new(),
        path: path.display().to_string(),
        format: "heic".into(),
        width: image.width(),
        height: image.height(),
        bit_depth: depth,
        channels: if alpha { "rgba" } else { "rgb" }.into(),
        orientation: "container".into(),
        color_space: "srgb".to_string(),
        color_space_source: source,
        icc_profile_bytes: icc.as_ref().map(Vec::len),
        icc_profile_description: description,
        icc_problem: problem,
    };
    Ok(Photo {
        path: path.to_path_buf(),
        image,
        info,
    })
}

/// Why a `w` × `h` photo is refused under `limits`.
fn over_limit(w: u32, h: u32, limits: LoadLimits) -> String {
    format!(
        "image is {w}×{h} = {:.1} megapixels, above the limit of {:.1} (raise it with \
         --max-pixels)",
        (f64::from(w) * f64::from(h)) / 1e6,
        limits.max_pixels as f64 / 1e6
    )
}

/// The coded bit depth of a HEIC's primary image (of its first tile for a grid).
#[cfg(feature = "heic")]
fn coded_depth(file: &heifer::heifer_isobmff::HeifFile<'_>) -> Option<u8> {
    let id = file.primary_id;
    let item = match file.hevc_config(id).ok().flatten() {
        Some(c) => return Some(c.bit_depth_luma.max(c.bit_depth_chroma)),
        None => file.referenced_items(id, b"dimg").first().copied()?,
    };
    let c = file.hevc_config(item).ok().flatten()?;
    Some(c.bit_depth_luma.max(c.bit_depth_chroma))
}

fn is_heif(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif",
        ]
        .iter()
        .any(|b| &bytes[8..12] == *b)
}

/// A complete JPEG has an end-of-image marker (FF D9) after its last start-of-scan
/// (FF DA). Entropy-coded data escapes FF bytes, so neither marker occurs inside a scan; an
/// EXIF thumbnail's markers sit before the main scan. The decoder itself pads truncated
/// files with grey, which would be analysed as if it were the photo.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    // Equivalently, and reading only the ends of the file: there is a scan, and no scan
    // starts after the last EOI (memchr's SIMD search; a full byte-by-byte scan of a 7 MB
    // photo cost ≈ 8 ms).
    let (sos, eoi) = ([0xFF, 0xDA], [0xFF, 0xD9]);
    match memchr::memmem::rfind(bytes, &eoi) {
        Some(e) => {
            memchr::memmem::find(bytes, &sos).is_some_and(|first| first < e)
                && memchr::memmem::find(&bytes[e..], &sos).is_none()
        }
        None => false,
    }
}

/// Grid step that keeps a sample of `area` pixels at or below about `max_samples`.
pub fn grid_step(area: u64, max_samples: u64) -> u32 {
    if area <= max_samples.max(1) {
        1
    } else {
        ((area as f64 / max_samples.max(1) as f64).sqrt().ceil() as u32).max(1)
    }
}

fn format_name(f: image::ImageFormat) -> &'static str {
    match f {
        image::ImageFormat::Jpeg => "JPEG",
        image::ImageFormat::Png => "PNG",
        image::ImageFormat::Tiff => "TIFF",
        image::ImageFormat::WebP => "WebP",
        image::ImageFormat::Gif => "GIF",
        image::ImageFormat::Bmp => "BMP",
        image::ImageFormat::Avif => "AVIF",
        image::ImageFormat::Ico => "ICO",
        image::ImageFormat::OpenExr => "OpenEXR",
        image::ImageFormat::Hdr => "Radiance HDR",
        image::ImageFormat::Pnm => "PNM",
        image::ImageFormat::Tga => "TGA",
        image::ImageFormat::Dds => "DDS",
        image::ImageFormat::Farbfeld => "Farbfeld",
        image::ImageFormat::Qoi => "QOI",
        _ => "this format's",
    }
}

fn orientation_name(o: image::metadata::Orientation) -> &'static str {
    use image::metadata::Orientation::*;
    match o {
        NoTransforms => "none",
        Rotate90 => "rotate90",
        Rotate180 => "rotate180",
        Rotate270 => "rotate270",
        FlipHorizontal => "flip_horizontal",
        FlipVertical => "flip_vertical",
        Rotate90FlipH => "rotate90_flip_h",
        Rotate270FlipH => "rotate270_flip_h",
    }
}

fn decode_error(path: &Path, format: image::ImageFormat, e: image::ImageError) -> Error {
    let what = format_name(format);
    match e {
        image::ImageError::Limits(l) => Error::photo(
            path,
            format!("{what} image exceeds the decoding limits ({l}); raise --max-pixels"),
        ),
        image::ImageError::IoError(io) => Error::photo(
            path,
            format!("cannot read {what} data (truncated or unreadable file?): {io}"),
        ),
        image::ImageError::Unsupported(u) => {
            Error::photo(path, format!("unsupported {what} variant: {u}"))
        }
        other => Error::photo(
            path,
            format!("cannot decode {what} (corrupt or truncated file?): {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_texture_is_high_on_strands_and_zero_on_flat_skin() {
        // 400 × 400: the left half flat skin, the right half 1-pixel strands of white on that
        // skin every other column and row (a checkerboard of skin and white: every step of
        // the texture's square crosses from one to the other).
        let skin = [200u8, 160, 140];
        let img = image::RgbImage::from_fn(400, 400, |x, y| {
            image::Rgb(if x >= 200 && (x + y) % 2 == 0 {
                [250, 250, 250]
            } else {
                skin
            })
        });
        let step_l = crate::color::lab_from_srgb8(250, 250, 250).l
            - crate::color::lab_from_srgb8(skin[0], skin[1], skin[2]).l;
        let p = Photo::from_rgb8("t.png", img);
        // 160 000 pixels for 10 000 samples: 4 × 4 cells, 100 × 100 of them, d = 1.
        let t = p.grid_texture(10_000);
        assert_eq!(t.len(), 100 * 100);
        for row in [0usize, 37, 99] {
            assert!(
                t[row * 100 + 10].abs() < 1e-4,
                "flat skin: {}",
                t[row * 100 + 10]
            );
            assert!(
                (t[row * 100 + 80] - step_l).abs() < 1e-3,
                "strands: {} vs {step_l}",
                t[row * 100 + 80]
            );
        }
    }

    #[test]
    fn region_parsing() {
        assert_eq!(
            Region::parse("1,2,3,4"),
            Ok(Region {
                x: 1,
                y: 2,
                w: 3,
                h: 4
            })
        );
        assert!(Region::parse("1,2,0,4").is_err());
        assert!(Region::parse("-1,2,3,4").is_err());
        assert!(Region::parse("1,2,3").is_err());
    }

    #[test]
    fn a_cut_jpeg_with_an_end_marker_appended_is_refused() {
        let whole = std::fs::read("samples/shaved_light.jpg").expect("sample");
        let dir = tempfile::tempdir().expect("dir");
        let cut = dir.path().join("cut.jpg");
        let mut bytes = whole[..whole.len() * 6 / 10].to_vec();
        bytes.extend_from_slice(&[0xFF, 0xD9]);
        std::fs::write(&cut, &bytes).expect("write");
        let Err(e) = Photo::load(&cut, LoadLimits::default()) else {
            panic!("a cut JPEG was loaded");
        };
        assert!(e.to_string().contains("cut off"), "{e}");
        // The whole photo loads; flat rows (a plain background) are not padding.
        assert!(Photo::load(Path::new("samples/shaved_light.jpg"), LoadLimits::default()).is_ok());
        let mut img =
            image::RgbImage::from_fn(64, 400, |x, y| image::Rgb([(x * 3 + y) as u8, 90, 80]));
        for y in 395..400 {
            for x in 0..64 {
                img.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        assert_eq!(padded_rows(&DynamicImage::ImageRgb8(img)), 0);
    }

    #[test]
    fn jpeg_completeness_needs_an_end_marker_after_the_last_scan() {
        // SOI, an EXIF thumbnail (its own scan and EOI), the main scan, then EOI or not.
        let thumb = [0xFF, 0xDA, 1, 2, 0xFF, 0xD9];
        let mut whole = vec![0xFF, 0xD8];
        whole.extend_from_slice(&thumb);
        whole.extend_from_slice(&[0xFF, 0xDA, 7, 0xFF, 0x00, 9]);
        let cut = whole.clone();
        whole.extend_from_slice(&[0xFF, 0xD9, 0, 0]); // trailing padding is allowed
        assert!(jpeg_is_complete(&whole));
        assert!(
            !jpeg_is_complete(&cut),
            "main scan cut off after the thumbnail's EOI"
        );
        assert!(
            !jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xD9]),
            "no scan at all"
        );
        assert!(!jpeg_is_complete(&[]));
    }

    #[test]
    fn grid_step_bounds_the_sample() {
        assert_eq!(grid_step(100, 1000), 1);
        let s = grid_step(12_000_000, 250_000);
        assert!(12_000_000 / u64::from(s * s) <= 250_000);
        assert!(12_000_000 / u64::from((s - 1) * (s - 1)) > 250_000);
    }
}
