//! Generates the photos in `samples/` and their ground truth, `samples/truth.json`.
//!
//! `cargo run --release --example make_samples [OUT_DIR]`
//!
//! Each photo is painted from chosen CIELAB tones (the ground truth, fixed here and
//! independent of the analysis code): scalp skin, then hair as stubble dots or strands with
//! anti-aliased edges (mixed in linear light), a lighting gradient (mean 1), Gaussian sensor
//! noise on the 8-bit codes, and JPEG compression (quality 92). A seeded ChaCha8 generator
//! makes every run produce the same files.

use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};
use palette::white_point::D65;
use palette::{FromColor, LinSrgb, Srgb};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde_json::json;
use smpmatch::calibration::ReferenceSet;
use smpmatch::synth::{Camera, CardScene};

type Lab = palette::Lab<D65, f32>;

/// Hair painted as round stubble dots or as strands (curves).
#[derive(Clone, Copy)]
enum HairStyle {
    /// Shaved head: dots of radius `r_min..r_max`.
    Stubble { r_min: f32, r_max: f32 },
    /// Longer hair: strands of half-width `half_width`, length `len`.
    Strands { half_width: f32, len: f32 },
}

struct Spec {
    file: &'static str,
    title: &'static str,
    width: u32,
    height: u32,
    skin: [f32; 3],
    hair: [f32; 3],
    style: HairStyle,
    /// Number of dots or strands.
    count: usize,
    /// Which CLI mode the sample is meant for.
    use_as: &'static str,
    seed: u64,
}

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            file: "shaved_light.jpg",
            title: "Shaved-head close-up, light skin, black stubble",
            width: 1200,
            height: 900,
            // Light skin (ITA 45°, Chardon 'light'); hair near the published black tress
            // (J Soc Cosmet Chem 51(5): L* 18.4).
            skin: [66.0, 11.0, 16.0],
            hair: [20.0, 1.0, 1.5],
            style: HairStyle::Stubble {
                r_min: 3.5,
                r_max: 5.5,
            },
            count: 5200,
            use_as: "auto",
            seed: 1,
        },
        Spec {
            file: "shaved_dark.jpg",
            title: "Shaved-head close-up, dark skin, black stubble",
            width: 1200,
            height: 900,
            // Dark skin (ITA −43°, 'dark'); black hair.
            skin: [36.0, 10.0, 15.0],
            hair: [16.0, 0.5, 0.5],
            style: HairStyle::Stubble {
                r_min: 3.5,
                r_max: 5.5,
            },
            count: 5200,
            use_as: "auto",
            seed: 2,
        },
        Spec {
            file: "shaved_grey_dark.jpg",
            title: "Shaved-head close-up, dark skin, greying (salt-and-pepper) stubble",
            width: 1200,
            height: 900,
            // Dark skin (ITA −38.7°, 'dark'); greying stubble read as a neutral dark grey,
            // lighter than black hair (L* 18.4) but still darker than the skin.
            skin: [38.0, 10.0, 15.0],
            hair: [26.0, 0.3, 1.0],
            style: HairStyle::Stubble {
                r_min: 3.5,
                r_max: 5.5,
            },
            count: 5200,
            use_as: "auto",
            seed: 6,
        },
        Spec {
            file: "crown_tan.jpg",
            title: "Thinning crown with longer dark-brown hair, tan skin",
            width: 1600,
            height: 1200,
            // Tan skin (ITA 21.8°); dark-brown hair (J Soc Cosmet Chem 51(5) range:
            // L* 21.7–23.8, a* 3.4–4.3, b* 3.9–5.4).
            skin: [58.0, 13.0, 20.0],
            hair: [23.0, 4.0, 5.0],
            style: HairStyle::Strands {
                half_width: 2.5,
                len: 260.0,
            },
            count: 420,
            use_as: "auto",
            seed: 3,
        },
        Spec {
            file: "hair_closeup.jpg",
            title: "Hair close-up: dense black strands",
            width: 1000,
            height: 750,
            // The published black tress colour (J Soc Cosmet Chem 51(5)).
            skin: [66.0, 11.0, 16.0],
            hair: [18.4, -0.05, -0.84],
            style: HairStyle::Strands {
                half_width: 3.0,
                len: 400.0,
            },
            count: 1400,
            use_as: "--hair",
            seed: 4,
        },
        Spec {
            file: "scalp_closeup.jpg",
            title: "Scalp close-up: bare skin with a few stubble dots",
            width: 1000,
            height: 750,
            // Mean Korean adult skin over 12 sites (Han et al., Skin Res Technol 2006).
            skin: [61.7, 9.6, 17.1],
            hair: [20.0, 1.0, 1.5],
            style: HairStyle::Stubble {
                r_min: 2.5,
                r_max: 3.5,
            },
            count: 250,
            use_as: "--scalp",
            seed: 5,
        },
    ]
}

fn lab_to_lin(lab: [f32; 3]) -> [f32; 3] {
    let c: LinSrgb<f32> = LinSrgb::from_color(Lab::new(lab[0], lab[1], lab[2]));
    [c.red, c.green, c.blue]
}

/// Stamp a soft disc into the coverage map (max-combine).
fn stamp(cov: &mut [f32], w: u32, h: u32, cx: f32, cy: f32, r: f32) {
    let x0 = (cx - r - 1.0).floor().max(0.0) as u32;
    let x1 = ((cx + r + 1.0).ceil() as u32).min(w - 1);
    let y0 = (cy - r - 1.0).floor().max(0.0) as u32;
    let y1 = ((cy + r + 1.0).ceil() as u32).min(h - 1);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            let c = (r + 0.5 - d).clamp(0.0, 1.0);
            let i = (y * w + x) as usize;
            if c > cov[i] {
                cov[i] = c;
            }
        }
    }
}

fn coverage(spec: &Spec, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let (w, h) = (spec.width, spec.height);
    let mut cov = vec![0f32; (w * h) as usize];
    match spec.style {
        HairStyle::Stubble { r_min, r_max } => {
            for _ in 0..spec.count {
                let cx = rng.random_range(0.0..w as f32);
                let cy = rng.random_range(0.0..h as f32);
                let r = rng.random_range(r_min..r_max);
                stamp(&mut cov, w, h, cx, cy, r);
            }
        }
        HairStyle::Strands { half_width, len } => {
            for _ in 0..spec.count {
                // A quadratic Bézier from a random start in a random direction, bent.
                let (x0, y0) = (
                    rng.random_range(0.0..w as f32),
                    rng.random_range(0.0..h as f32),
                );
                let ang: f32 = rng.random_range(0.0..std::f32::consts::TAU);
                let bend: f32 = rng.random_range(-0.5..0.5);
                let l = len * rng.random_range(0.6..1.0);
                let (x2, y2) = (x0 + l * ang.cos(), y0 + l * ang.sin());
                let (mx, my) = (0.5 * (x0 + x2), 0.5 * (y0 + y2));
                let (x1, y1) = (mx - bend * l * ang.sin(), my + bend * l * ang.cos());
                let steps = (2.0 * l) as usize;
                for s in 0..=steps {
                    let t = s as f32 / steps as f32;
                    let u = 1.0 - t;
                    let px = u * u * x0 + 2.0 * u * t * x1 + t * t * x2;
                    let py = u * u * y0 + 2.0 * u * t * y1 + t * t * y2;
                    if px >= -half_width
                        && py >= -half_width
                        && px < w as f32 + half_width
                        && py < h as f32 + half_width
                    {
                        stamp(&mut cov, w, h, px, py, half_width);
                    }
                }
            }
        }
    }
    cov
}

fn render(spec: &Spec) -> (RgbImage, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let cov = coverage(spec, &mut rng);
    let (w, h) = (spec.width, spec.height);
    let skin = lab_to_lin(spec.skin);
    let hair = lab_to_lin(spec.hair);
    let noise = Normal::new(0.0f32, 2.0).expect("valid sigma");
    let mut img = RgbImage::new(w, h);
    let mut hair_area = 0f64;
    for y in 0..h {
        for x in 0..w {
            let c = cov[(y * w + x) as usize];
            hair_area += f64::from(c);
            // Lighting: a gentle gradient with mean 1 over the frame (±6 % / ±4 %).
            let g = 1.0 + 0.12 * (x as f32 / w as f32 - 0.5) + 0.08 * (y as f32 / h as f32 - 0.5);
            let mut px = [0u8; 3];
            for ch in 0..3 {
                let lin = ((1.0 - c) * skin[ch] + c * hair[ch]) * g;
                let enc: Srgb<f32> = Srgb::from_linear(LinSrgb::new(lin, lin, lin));
                let v = enc.red * 255.0 + noise.sample(&mut rng);
                px[ch] = v.round().clamp(0.0, 255.0) as u8;
            }
            img.put_pixel(x, y, image::Rgb(px));
        }
    }
    (img, hair_area / f64::from(w * h))
}

/// Display P3: the P3 primaries, D65 white and the sRGB tone curve (Apple's definition).
fn display_p3() -> Result<lcms2::Profile, Box<dyn std::error::Error>> {
    let white = lcms2::CIExyY {
        x: 0.3127,
        y: 0.3290,
        Y: 1.0,
    };
    let xy = |x: f64, y: f64| lcms2::CIExyY { x, y, Y: 1.0 };
    let primaries = lcms2::CIExyYTRIPLE {
        Red: xy(0.680, 0.320),
        Green: xy(0.265, 0.690),
        Blue: xy(0.150, 0.060),
    };
    // sRGB's piecewise curve: IEC 61966-2-1 as an ICC parametric curve of type 4.
    let curve = lcms2::ToneCurve::new_parametric(
        4,
        &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045],
    )?;
    Ok(lcms2::Profile::new_rgb(
        &white,
        &primaries,
        &[&curve, &curve, &curve],
    )?)
}

fn write_p3_png(src: &Path, dst: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let rgb = image::open(src)?.to_rgb16();
    let (w, h) = rgb.dimensions();
    let p3 = display_p3()?;
    let t: lcms2::Transform<[u16; 3], [u16; 3]> = lcms2::Transform::new(
        &lcms2::Profile::new_srgb(),
        lcms2::PixelFormat::RGB_16,
        &p3,
        lcms2::PixelFormat::RGB_16,
        lcms2::Intent::RelativeColorimetric,
    )?;
    let px: Vec<[u16; 3]> = rgb.pixels().map(|p| p.0).collect();
    let mut out = px.clone();
    t.transform_pixels(&px, &mut out);
    let mut info = png::Info::with_size(w, h);
    info.color_type = png::ColorType::Rgb;
    info.bit_depth = png::BitDepth::Sixteen;
    info.icc_profile = Some(std::borrow::Cow::Owned(p3.icc()?));
    let enc = png::Encoder::with_info(std::io::BufWriter::new(std::fs::File::create(dst)?), info)?;
    let mut wr = enc.write_header()?;
    let bytes: Vec<u8> = out
        .iter()
        .flat_map(|p| p.iter().flat_map(|v| v.to_be_bytes()))
        .collect();
    wr.write_image_data(&bytes)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--large FILE`: only a 12-megapixel (4000 × 3000) shaved-head photo, for benchmarks.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--large") {
        let path = PathBuf::from(args.get(2).ok_or("--large needs a file name")?);
        let mut spec = specs()
            .into_iter()
            .find(|s| s.file == "shaved_light.jpg")
            .ok_or("spec")?;
        spec.width = 4000;
        spec.height = 3000;
        spec.count *= 11; // the same stubble density over 11× the area
        spec.seed = 12;
        let (img, _) = render(&spec);
        write_jpeg(&path, &img)?;
        println!("wrote {} (4000×3000)", path.display());
        return Ok(());
    }
    // `--p3-png IN OUT.png`: IN (sRGB) re-encoded in Display P3 as a 16-bit PNG with the P3
    // ICC profile embedded: the source of the HEIC test photos (samples/README.md).
    if args.get(1).map(String::as_str) == Some("--p3-png") {
        let (src, dst) = (
            args.get(2).ok_or("--p3-png IN OUT")?,
            args.get(3).ok_or("--p3-png IN OUT")?,
        );
        write_p3_png(Path::new(src), Path::new(dst))?;
        println!("wrote {dst} (Display P3, 16 bits, ICC embedded)");
        return Ok(());
    }
    let out: PathBuf = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("samples"));
    std::fs::create_dir_all(&out)?;
    let mut truth = Vec::new();
    for spec in specs() {
        let (img, hair_fraction) = render(&spec);
        write_jpeg(&out.join(spec.file), &img)?;
        let ita = ((spec.skin[0] - 50.0) / spec.skin[2]).atan().to_degrees();
        truth.push(json!({
            "file": spec.file,
            "title": spec.title,
            "width": spec.width,
            "height": spec.height,
            "use_as": spec.use_as,
            "skin_lab": spec.skin,
            "hair_lab": spec.hair,
            "hair_area_fraction": (hair_fraction * 1000.0).round() / 1000.0,
            "skin_ita_deg": (f64::from(ita) * 100.0).round() / 100.0,
        }));
        println!(
            "wrote {} ({}×{}, hair {:.1} %)",
            spec.file,
            spec.width,
            spec.height,
            100.0 * hair_fraction
        );
    }
    // A clinic's light and camera: warm cast, under-exposed, channel crosstalk, vignetting.
    let camera = Camera {
        crosstalk: 0.04,
        gains: [1.18, 1.0, 0.78],
        exposure: 0.9,
        gamma: 1.0,
        vignetting: 0.05,
        noise: 2.0,
    };
    // The shaved_light photo retaken under that light.
    let base = specs()
        .into_iter()
        .find(|s| s.file == "shaved_light.jpg")
        .ok_or("spec")?;
    let (img, _) = render(&base);
    write_jpeg(
        &out.join("shaved_light_warm.jpg"),
        &camera.apply_image(&img),
    )?;
    println!("wrote shaved_light_warm.jpg (shaved_light.jpg under the clinic camera)");
    // The card and three ink drawdowns, photographed together under the same light.
    let swatches: Vec<(&str, [u32; 4], [f32; 3])> = vec![
        ("carbon-black", [900, 180, 160, 160], [21.0, 0.4, -1.2]),
        ("warm-black", [900, 380, 160, 160], [24.5, 2.6, 3.1]),
        ("dark-brown", [900, 580, 160, 160], [31.0, 9.0, 12.0]),
    ];
    let scene = CardScene {
        width: 1200,
        height: 900,
        centre: [430.0, 450.0],
        pitch: 95.0,
        angle_deg: 6.0,
        perspective: [0.015, -0.01],
        set: ReferenceSet::AfterNov2014,
        background: [0.2, 0.19, 0.17],
        swatches: swatches
            .iter()
            .map(|&(_, r, l)| (r, Lab::new(l[0], l[1], l[2])))
            .collect(),
        camera,
        seed: 7,
        patch_order: None,
    };
    write_jpeg(&out.join("card_clinic.jpg"), &scene.render())?;
    println!("wrote card_clinic.jpg (ColorChecker, after-Nov-2014, and three ink drawdowns)");
    let card = json!({
        "file": "card_clinic.jpg",
        "camera": {
            "crosstalk": camera.crosstalk, "gains": camera.gains, "exposure": camera.exposure,
            "gamma": camera.gamma, "vignetting": camera.vignetting, "noise": camera.noise
        },
        "card": {"reference_set": "after_nov_2014", "centre": scene.centre, "pitch": scene.pitch,
                 "angle_deg": scene.angle_deg},
        "swatches": swatches.iter().map(|(id, r, l)| json!({"pigment_id": id, "region": r, "lab": l})).collect::<Vec<_>>(),
        "cast_copy_of": {"shaved_light_warm.jpg": "shaved_light.jpg"},
    });
    let doc = json!({
        "generator": "cargo run --release --example make_samples",
        "clinic": card,
        "note": "skin_lab and hair_lab are the CIELAB (D65) tones painted; lighting gradient has mean 1; noise σ = 2 codes; JPEG quality 92",
        "samples": truth,
    });
    std::fs::write(
        out.join("truth.json"),
        serde_json::to_string_pretty(&doc)? + "\n",
    )?;
    Ok(())
}

fn write_jpeg(path: &Path, img: &RgbImage) -> Result<(), Box<dyn std::error::Error>> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, 92).write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    std::fs::write(path, buf)?;
    Ok(())
}
