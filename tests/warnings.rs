//! Inputs that are usable but not what they seem get a warning in the output, never silence:
//! a multi-page TIFF, an embedded ICC profile the decoder had to drop, dots dense enough to
//! make a solid tattoo. And text from a file is shown, never obeyed by the terminal.

mod common;

use std::path::Path;

fn warnings(o: &std::process::Output) -> Vec<String> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    common::json_stdout(o)["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        // "code: message", so a test can look for either.
        .map(|w| {
            format!(
                "{}: {}",
                w["code"].as_str().expect("code"),
                w["message"].as_str().expect("message")
            )
        })
        .collect()
}

#[test]
fn a_multi_page_tiff_says_only_the_first_page_was_analysed() {
    let dir = tempfile::tempdir().expect("dir");
    let img = image::open("samples/scalp_closeup.jpg")
        .expect("open")
        .to_rgb8();
    let path = dir.path().join("pages.tif");
    let mut enc = tiff::encoder::TiffEncoder::new(std::fs::File::create(&path).expect("create"))
        .expect("enc");
    for _ in 0..2 {
        enc.write_image::<tiff::encoder::colortype::RGB8>(img.width(), img.height(), img.as_raw())
            .expect("page");
    }
    drop(enc);
    let w = warnings(&common::run(&[
        "analyze",
        "--scalp",
        path.to_str().expect("u"),
        "--json",
    ]));
    assert!(
        w.iter().any(|w| w.starts_with("extra_frames: ")
            && w.contains("multi-page TIFF")
            && w.contains("first")),
        "{w:?}"
    );
    // One page: no such warning.
    let one = dir.path().join("one.tif");
    img.save(&one).expect("save");
    let w = warnings(&common::run(&[
        "analyze",
        "--scalp",
        one.to_str().expect("u"),
        "--json",
    ]));
    assert!(!w.iter().any(|w| w.contains("multi-page")), "{w:?}");
}

/// `src` with an APP2 segment that claims to be chunk 1 of a 2-chunk ICC profile, whose
/// second chunk is missing (as when a tool drops one).
fn jpeg_with_half_an_icc_profile(src: &Path, out: &Path) {
    let jpeg = std::fs::read(src).expect("read");
    let icc = std::fs::read("tests/data/icc/AdobeRGB1998.icc").expect("icc");
    let mut body = b"ICC_PROFILE\0".to_vec();
    body.extend_from_slice(&[1, 2]); // chunk 1 of 2
    body.extend_from_slice(&icc[..icc.len() / 2]);
    let mut v = jpeg[..2].to_vec(); // SOI
    v.extend_from_slice(&[0xFF, 0xE2]);
    v.extend_from_slice(&u16::try_from(body.len() + 2).expect("len").to_be_bytes());
    v.extend_from_slice(&body);
    v.extend_from_slice(&jpeg[2..]);
    std::fs::write(out, v).expect("write");
}

#[test]
fn an_icc_profile_the_decoder_dropped_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("half_icc.jpg");
    jpeg_with_half_an_icc_profile(Path::new("samples/scalp_closeup.jpg"), &out);
    let o = common::run(&["analyze", "--scalp", out.to_str().expect("u"), "--json"]);
    let w = warnings(&o);
    let v = common::json_stdout(&o);
    assert_eq!(
        v["inputs"][0]["color_space_source"], "assumed_icc_profile_unusable",
        "{v}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("icc_profile_unusable: ") && w.contains("damaged or incomplete")),
        "{w:?}"
    );
    // The untouched photo has no ICC warning.
    let w = warnings(&common::run(&[
        "analyze",
        "--scalp",
        "samples/scalp_closeup.jpg",
        "--json",
    ]));
    assert!(!w.iter().any(|w| w.contains("ICC")), "{w:?}");
}

#[test]
fn dots_that_cover_the_skin_are_called_a_solid_tattoo() {
    let run = |density: &str, diameter: &str| {
        warnings(&common::run(&[
            "match",
            "samples/shaved_light.jpg",
            "--catalog",
            "pigments/smp_sample.json",
            "--density",
            density,
            "--dot-diameter",
            diameter,
            "--json",
        ]))
    };
    // 1 − exp(−1000 · π · 0.3² / 4) = 1.0: solid.
    assert!(run("1000", "3")
        .iter()
        .any(|w| w.starts_with("solid_tattoo: ") && w.contains("solid tattoo")));
    // 80/cm² of 0.4 mm: 1 − exp(−80 · π · 0.04² / 4) = 9.6 %, the intended stipple.
    assert!(!run("80", "0.4").iter().any(|w| w.contains("solid tattoo")));
}

#[test]
fn control_characters_in_a_catalog_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("pigments/smp_sample.json").expect("read"))
            .expect("json");
    // OSC retitle + BEL, clear screen, carriage return, NUL, C1 CSI.
    c["name"] = serde_json::json!("Clinic\u{1b}]0;owned\u{7}\u{1b}[2J\r\u{0}\u{9b}31m");
    c["pigments"][0]["name"] = serde_json::json!("Black\u{1b}[8mhidden\u{1b}[0m");
    let cat = dir.path().join("evil.json");
    std::fs::write(&cat, serde_json::to_string(&c).expect("s")).expect("w");
    let cat = cat.to_str().expect("u");
    for args in [
        vec!["catalog", "show", cat, "--color", "never"],
        vec!["catalog", "show", cat, "--color", "always"],
        vec![
            "match",
            "samples/shaved_light.jpg",
            "--catalog",
            cat,
            "--color",
            "never",
        ],
    ] {
        let o = common::run(&args);
        assert!(o.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&o.stdout);
        let colour = args.contains(&"always");
        for (i, ch) in text.char_indices() {
            let ok = ch == '\n'
                || ch == '\t'
                || !ch.is_control()
                || (colour && ch == '\u{1b}' && text[i..].starts_with("\u{1b}[") && {
                    let body = &text[i + 2..];
                    let n = body
                        .bytes()
                        .take_while(|b| b.is_ascii_digit() || *b == b';')
                        .count();
                    body.as_bytes().get(n) == Some(&b'm') && n > 0
                });
            assert!(ok, "{args:?}: raw control {ch:?} in {text:?}");
        }
        assert!(!text.contains("\u{1b}]0;"), "{args:?}");
        assert!(
            !text.contains("\u{1b}[2J") && !text.contains("\u{1b}[8m"),
            "{args:?}"
        );
    }
}

/// A RIFF chunk: four-character code, little-endian length, payload, pad to even.
fn riff_chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut c = fourcc.to_vec();
    c.extend_from_slice(&u32::try_from(payload.len()).expect("len").to_le_bytes());
    c.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        c.push(0);
    }
    c
}

fn u24(v: u32) -> [u8; 3] {
    let b = v.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// An animated WebP of `frames` copies of `img`, built by the container specification
/// (https://developers.google.com/speed/webp/docs/riff_container): VP8X with the animation
/// flag, ANIM, then one ANMF per frame around a lossless VP8L bitstream.
fn animated_webp(img: &image::RgbImage, frames: usize) -> Vec<u8> {
    let mut still = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut still)
        .encode(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode");
    // The still file is RIFF <len> WEBP VP8L <len> <bitstream>.
    assert_eq!(&still[12..16], b"VP8L");
    let len = u32::from_le_bytes(still[16..20].try_into().expect("4")) as usize;
    let vp8l = riff_chunk(b"VP8L", &still[20..20 + len]);
    let (w, h) = (img.width() - 1, img.height() - 1);
    let mut vp8x = vec![0x02, 0, 0, 0];
    vp8x.extend_from_slice(&u24(w));
    vp8x.extend_from_slice(&u24(h));
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(b"VP8X", &vp8x));
    body.extend(riff_chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]));
    for _ in 0..frames {
        let mut anmf = Vec::new();
        anmf.extend_from_slice(&u24(0));
        anmf.extend_from_slice(&u24(0));
        anmf.extend_from_slice(&u24(w));
        anmf.extend_from_slice(&u24(h));
        anmf.extend_from_slice(&u24(100));
        anmf.push(0);
        anmf.extend_from_slice(&vp8l);
        body.extend(riff_chunk(b"ANMF", &anmf));
    }
    riff_chunk(b"RIFF", &body)
}

#[test]
fn an_animated_webp_says_only_the_first_frame_was_analysed() {
    let dir = tempfile::tempdir().expect("dir");
    let img = image::open("samples/scalp_closeup.jpg")
        .expect("open")
        .to_rgb8();
    let path = dir.path().join("moving.webp");
    std::fs::write(&path, animated_webp(&img, 2)).expect("write");
    let w = warnings(&common::run(&[
        "analyze",
        "--scalp",
        path.to_str().expect("u"),
        "--json",
    ]));
    assert!(
        w.iter().any(|w| w.starts_with("extra_frames: ")
            && w.contains("animated WebP")
            && w.contains("first")),
        "{w:?}"
    );
    // A still WebP of the same photo: no such warning.
    let still = dir.path().join("still.webp");
    img.save(&still).expect("save");
    let w = warnings(&common::run(&[
        "analyze",
        "--scalp",
        still.to_str().expect("u"),
        "--json",
    ]));
    assert!(!w.iter().any(|w| w.contains("animated")), "{w:?}");
}
