//! `--exclude-region` (and the page's Exclude tool): what the technician marks as neither hair
//! nor scalp is left out of the automatic separation. A painted photo whose truth is set here:
//! skin with brown stubble dots, a wall around it, and a black object (a cap on the chair) in
//! the middle of the frame that colour alone takes for hair.

mod common;

use smpmatch::color::{delta_e00, lab_from_array, lab_to_srgb8, Lab};

const WALL: [f64; 3] = [72.0, 0.0, 2.0];
const SKIN: [f64; 3] = [60.0, 12.0, 16.0];
const HAIR: [f64; 3] = [30.0, 6.0, 10.0];
const CAP: [f64; 3] = [12.0, 0.0, 0.0];
/// The cap, X,Y,W,H.
const CAP_BOX: [u32; 4] = [100, 130, 140, 140];

fn painted(path: &std::path::Path) {
    let [wall, skin, hair, cap] = [WALL, SKIN, HAIR, CAP].map(|l| lab_to_srgb8(lab_from_array(l)));
    let img = image::RgbImage::from_fn(600, 400, |x, y| {
        let inside = |b: [u32; 4]| x >= b[0] && x < b[0] + b[2] && y >= b[1] && y < b[1] + b[3];
        let c = if inside(CAP_BOX) {
            cap
        } else if !inside([60, 40, 480, 320]) {
            wall
        } else if x >= 280 && (x / 6) % 3 == 0 && (y / 6) % 3 == 0 {
            // Square 6-pixel stubble dots over the right part of the scalp.
            hair
        } else {
            skin
        };
        image::Rgb(c)
    });
    img.save(path).expect("png");
}

fn hair_target(photo: &str, extra: &[&str]) -> (Lab, serde_json::Value) {
    let mut args = vec!["analyze", photo, "--json"];
    args.extend_from_slice(extra);
    let o = common::run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = common::json_stdout(&o);
    let t = &v["hair"]["target_lab"];
    (
        lab_from_array([0, 1, 2].map(|i| t[i].as_f64().expect("number"))),
        v,
    )
}

#[test]
fn an_excluded_object_is_no_longer_taken_for_hair() {
    let dir = tempfile::tempdir().expect("tmp");
    let photo = dir.path().join("cap.png");
    painted(&photo);
    let p = photo.to_str().expect("utf-8");
    let (before, _) = hair_target(p, &[]);
    let cap = lab_from_array(CAP);
    let hair = lab_from_array(HAIR);
    // Without help the black cap wins: the hair target is the cap's colour.
    assert!(
        delta_e00(before, cap) < delta_e00(before, hair),
        "the painted trap does not trap: {before:?}"
    );
    let b = CAP_BOX;
    let region = format!("{},{},{},{}", b[0] - 4, b[1] - 4, b[2] + 8, b[3] + 8);
    let (after, v) = hair_target(p, &["--exclude-region", &region]);
    let de = delta_e00(after, hair);
    assert!(
        de < 2.0,
        "hair target {after:?} is {de:.2} ΔE00 from the painted hair"
    );
    // The output says what was left out.
    assert_eq!(
        v["inputs"][0]["excluded_regions"][0]["x"].as_u64(),
        Some(u64::from(b[0] - 4))
    );
    let scalp = &v["scalp"]["target_lab"];
    let scalp = lab_from_array([0, 1, 2].map(|i| scalp[i].as_f64().expect("number")));
    assert!(delta_e00(scalp, lab_from_array(SKIN)) < 2.0, "{scalp:?}");
    // An exclusion outside the photo is refused, naming the photo.
    let o = common::run(&["analyze", p, "--exclude-region", "550,350,100,100"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Without a photo to refer to, it is a usage error.
    let o = common::run(&[
        "analyze",
        "--hair",
        "samples/hair_closeup.jpg",
        "--scalp",
        "samples/scalp_closeup.jpg",
        "--exclude-region",
        "0,0,10,10",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
