//! Colour management: a photo re-encoded in another RGB space with its ICC profile embedded
//! must measure like the sRGB original. Profiles: Adobe RGB (1998), ProPhoto RGB and a
//! red/green-swapping profile from Debian's colord-data package (tests/data/icc), and Display
//! P3 built from its published definition.

mod common;

use std::path::Path;

use image::{ImageEncoder, RgbImage};
use lcms2::{CIExyY, CIExyYTRIPLE, Intent, PixelFormat, Profile, ToneCurve, Transform};
use smpmatch::analysis::{analyze, AnalyzeOptions, Selection};
use smpmatch::color::delta_e00;

/// Display P3: P3 primaries, D65 white, the sRGB tone curve (parametric type 4).
fn display_p3() -> Profile {
    let white = CIExyY {
        x: 0.3127,
        y: 0.3290,
        Y: 1.0,
    };
    let primaries = CIExyYTRIPLE {
        Red: CIExyY {
            x: 0.680,
            y: 0.320,
            Y: 1.0,
        },
        Green: CIExyY {
            x: 0.265,
            y: 0.690,
            Y: 1.0,
        },
        Blue: CIExyY {
            x: 0.150,
            y: 0.060,
            Y: 1.0,
        },
    };
    let curve =
        ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045])
            .expect("sRGB curve");
    Profile::new_rgb(&white, &primaries, &[&curve, &curve, &curve]).expect("P3")
}

/// Convert an sRGB photo to `profile`'s space (16-bit) and write it as PNG with the
/// profile embedded.
fn reencode(src: &Path, profile: &Profile, icc: Vec<u8>, out: &Path) {
    let img: RgbImage = image::open(src).expect("open").to_rgb8();
    let rgb16: Vec<[u16; 3]> = img
        .pixels()
        .map(|p| p.0.map(|v| u16::from(v) * 257))
        .collect();
    let t: Transform<[u16; 3], [u16; 3]> = Transform::new(
        &Profile::new_srgb(),
        PixelFormat::RGB_16,
        profile,
        PixelFormat::RGB_16,
        Intent::RelativeColorimetric,
    )
    .expect("transform");
    let mut conv = rgb16.clone();
    t.transform_pixels(&rgb16, &mut conv);
    // The encoder takes 16-bit samples in native byte order.
    let flat: Vec<u8> = conv
        .iter()
        .flat_map(|p| p.iter().flat_map(|v| v.to_ne_bytes()))
        .collect();
    let file = std::fs::File::create(out).expect("create");
    let mut enc = image::codecs::png::PngEncoder::new(std::io::BufWriter::new(file));
    enc.set_icc_profile(icc).expect("PNG carries ICC");
    enc.write_image(
        &flat,
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb16,
    )
    .expect("encode");
}

fn targets(
    path: &Path,
) -> (
    smpmatch::color::Lab,
    smpmatch::color::Lab,
    String,
    Vec<String>,
) {
    let a = analyze(
        &Selection {
            photo: Some(path.to_path_buf()),
            ..Selection::default()
        },
        &AnalyzeOptions::default(),
    )
    .expect("analysis");
    let (h, s) = a.targets().expect("targets");
    (
        h,
        s,
        smpmatch::output::wire_name(&a.inputs[0].info.color_space_source),
        a.warnings.into_iter().map(|w| w.message).collect(),
    )
}

#[test]
fn a_photo_in_another_rgb_space_measures_like_its_srgb_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = Path::new("samples/shaved_light.jpg");
    let (h0, s0, how, _) = targets(src);
    assert_eq!(how, "assumed");
    let mut cases: Vec<(&str, Profile, Vec<u8>)> = Vec::new();
    for name in ["AdobeRGB1998", "ProPhotoRGB", "SwappedRedAndGreen"] {
        let bytes = std::fs::read(format!("tests/data/icc/{name}.icc")).expect("profile");
        let p = Profile::new_icc(&bytes).expect("parses");
        cases.push((name, p, bytes));
    }
    let p3 = display_p3();
    let p3_bytes = p3.icc().expect("serialise P3");
    cases.push(("DisplayP3", display_p3(), p3_bytes));
    for (name, profile, bytes) in cases {
        let out = dir.path().join(format!("{name}.png"));
        reencode(src, &profile, bytes, &out);
        let (h, s, how, warnings) = targets(&out);
        let (dh, ds) = (delta_e00(h, h0), delta_e00(s, s0));
        eprintln!("{name}: hair ΔE00 {dh:.3}, scalp ΔE00 {ds:.3} ({how})");
        assert_eq!(how, "icc_converted", "{name}");
        assert!(warnings.iter().all(|w| !w.contains("ICC")), "{warnings:?}");
        assert!(dh < 0.5 && ds < 0.5, "{name}: hair {dh}, scalp {ds}");
    }
}

/// `samples/scalp_closeup.jpg` as an 8-bit PNG carrying `icc` as its iCCP chunk.
fn png_with_icc(icc: Vec<u8>, out: &Path) {
    let img = image::open("samples/scalp_closeup.jpg")
        .expect("open")
        .to_rgb8();
    let file = std::fs::File::create(out).expect("create");
    let mut enc = image::codecs::png::PngEncoder::new(std::io::BufWriter::new(file));
    enc.set_icc_profile(icc).expect("PNG carries ICC");
    enc.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .expect("encode");
}

#[test]
fn an_unusable_profile_is_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("bad_icc.png");
    png_with_icc(
        b"this is not an ICC profile at all, just text".to_vec(),
        &out,
    );
    let o = common::run(&["analyze", "--scalp", out.to_str().expect("utf8"), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = common::json_stdout(&o);
    assert_eq!(
        v["inputs"][0]["color_space_source"],
        "assumed_icc_profile_unusable"
    );
    assert_eq!(v["warnings"][0]["code"], "icc_profile_unusable");
    assert!(v["warnings"][0]["message"]
        .as_str()
        .expect("w")
        .contains("unreadable ICC profile"));
}

#[test]
fn an_srgb_profile_needs_no_conversion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("srgb.png");
    png_with_icc(Profile::new_srgb().icc().expect("icc"), &out);
    let o = common::run(&["analyze", "--scalp", out.to_str().expect("utf8"), "--json"]);
    let v = common::json_stdout(&o);
    assert_eq!(v["inputs"][0]["color_space_source"], "icc_srgb");
    assert!(v["inputs"][0]["icc_profile_description"].is_string());
}

#[test]
fn png_gama_and_chrm_chunks_are_honoured() {
    // The photo re-encoded with gamma 1/1.8 (a PNG gAMA of 0.55556) and declared so, with
    // cHRM giving the sRGB primaries: it must measure like the original.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = Path::new("samples/shaved_light.jpg");
    let (h0, s0, _, _) = targets(src);
    let img = image::open(src).expect("open").to_rgb8();
    let data: Vec<u8> = img
        .as_raw()
        .iter()
        .map(|&v| {
            let lin = smpmatch::synth::srgb_decode(f64::from(v) / 255.0);
            (lin.powf(1.0 / 1.8) * 255.0).round() as u8
        })
        .collect();
    let out = dir.path().join("gamma18.png");
    let file = std::fs::File::create(&out).expect("create");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), img.width(), img.height());
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_source_gamma(png::ScaledFloat::new(1.0 / 1.8));
    enc.set_source_chromaticities(png::SourceChromaticities::new(
        (0.3127, 0.3290),
        (0.64, 0.33),
        (0.30, 0.60),
        (0.15, 0.06),
    ));
    enc.write_header()
        .expect("header")
        .write_image_data(&data)
        .expect("data");
    let (h, s, how, _) = targets(&out);
    let (dh, ds) = (delta_e00(h, h0), delta_e00(s, s0));
    eprintln!("gAMA 1/1.8 + cHRM: hair ΔE00 {dh:.3}, scalp ΔE00 {ds:.3} ({how})");
    assert_eq!(how, "png_chunks_converted");
    assert!(dh < 0.5 && ds < 0.5, "hair {dh}, scalp {ds}");
    let chunks = smpmatch::input::png_colour_chunks(&std::fs::read(&out).expect("read"));
    assert!((chunks.gamma.expect("gAMA") - 0.55556).abs() < 1e-4);
}
