//! HEIC photos (the iPhone default), decoded in pure Rust: a HEIC and its JPEG twin give the
//! same tones. The twins are made by libheif's own encoder (`heif-enc` 1.15 with x265, an
//! encoder independent of the decoder under test) from `samples/shaved_light.jpg`:
//! `shaved_light.heic` at 8 bits without a colour profile, and `shaved_light_p3.heic` at
//! 10 bits in Display P3 with its ICC profile, as an iPhone writes (samples/README.md).

mod common;

use smpmatch::color::{delta_e00, lab_from_array, Lab};

fn targets(photo: &str) -> (serde_json::Value, Lab, Lab) {
    let o = common::run(&["analyze", photo, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = common::json_stdout(&o);
    let lab = |k: &str| {
        let t = &v[k]["target_lab"];
        lab_from_array([0, 1, 2].map(|i| t[i].as_f64().expect("number")))
    };
    let (h, s) = (lab("hair"), lab("scalp"));
    (v, h, s)
}

#[test]
fn a_heic_and_its_jpeg_twin_give_the_same_tones() {
    let (_, jh, js) = targets("samples/shaved_light.jpg");
    for (file, depth, source) in [
        ("samples/shaved_light.heic", 8, "heif_colour_info"),
        ("samples/shaved_light_p3.heic", 10, "icc_converted"),
    ] {
        let (v, h, s) = targets(file);
        let input = &v["inputs"][0];
        assert_eq!(input["format"], "heic", "{file}");
        assert_eq!(input["bit_depth"], depth, "{file}");
        assert_eq!(input["color_space_source"], source, "{file}");
        assert_eq!(
            (input["width"].as_u64(), input["height"].as_u64()),
            (Some(1200), Some(900))
        );
        let (dh, ds) = (delta_e00(h, jh), delta_e00(s, js));
        // Two lossy codecs apart: under 1 ΔE00 (below what a person sees side by side).
        assert!(
            dh < 1.0 && ds < 1.0,
            "{file}: hair {dh:.2}, scalp {ds:.2} ΔE00 from the JPEG"
        );
    }
}

#[test]
fn the_display_p3_profile_is_what_makes_the_p3_twin_right() {
    // Read the P3 twin's pixels as if they were sRGB (no colour management): the scalp moves
    // by more than the tolerance above, so the test above does check the ICC conversion.
    let bytes = std::fs::read("samples/shaved_light_p3.heic").expect("sample");
    let raw = heifer::decode(&bytes).expect("decodes");
    assert_eq!(raw.bit_depth, 10);
    let max = f64::from(raw.max_value());
    let (_, _, jpeg_scalp) = targets("samples/shaved_light.jpg");
    // The skin of the painted sample: every pixel lighter than L* 50 in a central block.
    let (w, h) = (raw.width as usize, raw.height as usize);
    let mut labs: Vec<Lab> = Vec::new();
    for y in (h / 4..3 * h / 4).step_by(7) {
        for x in (w / 4..3 * w / 4).step_by(7) {
            let p = &raw.data[4 * (y * w + x)..4 * (y * w + x) + 3];
            let c = |v: u16| (f64::from(v) / max * 255.0).round() as u8;
            labs.push(smpmatch::color::lab_from_srgb8(c(p[0]), c(p[1]), c(p[2])));
        }
    }
    let skin: Vec<Lab> = labs.into_iter().filter(|l| l.l > 50.0).collect();
    let median = |f: fn(&Lab) -> f32| {
        let mut v: Vec<f32> = skin.iter().map(f).collect();
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    let unmanaged = Lab::new(median(|l| l.l), median(|l| l.a), median(|l| l.b));
    let off = delta_e00(unmanaged, jpeg_scalp);
    eprintln!("unmanaged Display P3 reads {off:.2} ΔE00 off the JPEG scalp");
    assert!(off > 2.0, "unmanaged P3 reads only {off:.2} ΔE00 off");
}

#[test]
fn heic_is_held_to_the_pixel_limit_and_a_cut_file_is_refused() {
    let o = common::run(&[
        "analyze",
        "samples/shaved_light.heic",
        "--max-pixels",
        "500000",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("megapixels") && err.contains("shaved_light.heic"),
        "{err}"
    );
    let bytes = std::fs::read("samples/shaved_light.heic").expect("sample");
    let dir = tempfile::tempdir().expect("tmp");
    let cut = dir.path().join("cut.heic");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let o = common::run(&["analyze", cut.to_str().expect("utf-8")]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("cut.heic"));
}

/// HEIC twins of four real consultation photos (tests/real, CC BY 4.0; `heif-enc -q 90` from
/// the JPEG): the labelled hair and scalp regions measure the same in both.
#[test]
fn real_consultation_photos_measure_the_same_as_heic() {
    let labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/real/labels.json").expect("labels"))
            .expect("JSON");
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/real/heic").expect("twins") {
        let heic = entry.expect("entry").path();
        let stem = heic
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let label = labels["photos"]
            .as_array()
            .expect("photos")
            .iter()
            .find(|p| p["photo"] == format!("photos/{stem}.jpg"))
            .unwrap_or_else(|| panic!("{stem}: no label"));
        let region = |k: &str| {
            let r = &label[k];
            (0..4)
                .map(|i| r[i].as_u64().expect("number").to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let (hair, scalp) = (region("hair_region"), region("scalp_region"));
        let measure = |photo: &str| {
            let o = common::run(&[
                "analyze",
                photo,
                "--hair-region",
                &hair,
                "--scalp-region",
                &scalp,
                "--json",
            ]);
            assert!(
                o.status.success(),
                "{photo}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let v = common::json_stdout(&o);
            let lab = |k: &str| {
                let t = &v[k]["target_lab"];
                lab_from_array([0, 1, 2].map(|i| t[i].as_f64().expect("number")))
            };
            (lab("hair"), lab("scalp"))
        };
        let jpeg = format!("tests/real/photos/{stem}.jpg");
        let (jh, js) = measure(&jpeg);
        let (hh, hs) = measure(heic.to_str().expect("utf-8"));
        let (dh, ds) = (delta_e00(hh, jh), delta_e00(hs, js));
        eprintln!("{stem}: hair {dh:.2}, scalp {ds:.2} ΔE00 between HEIC and JPEG");
        assert!(dh < 1.5 && ds < 1.5, "{stem}: hair {dh:.2}, scalp {ds:.2}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}
