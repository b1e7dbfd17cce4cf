//! `--skin-reference-region`: a scalp redder than the person's untreated skin (sunburnt, or
//! freshly treated) is warned about, with what the recommendation would be at the
//! reference's redness. Painted photos whose truth is set here: dark stubble, a scalp and a
//! forehead patch of chosen CIELAB colours.

mod common;

use smpmatch::color::{lab_from_array, lab_to_srgb8};

const HAIR: [f64; 3] = [24.0, 3.0, 4.0];
const FOREHEAD: [f64; 3] = [62.0, 11.0, 17.0];
const HAIR_BOX: &str = "20,20,160,360";
const SCALP_BOX: &str = "220,20,160,360";
const REFERENCE_BOX: &str = "420,20,160,360";

fn painted(dir: &std::path::Path, name: &str, scalp: [f64; 3]) -> String {
    let [hair, scalp, forehead] = [HAIR, scalp, FOREHEAD].map(|l| lab_to_srgb8(lab_from_array(l)));
    let img = image::RgbImage::from_fn(600, 400, |x, _| {
        image::Rgb(match x {
            0..200 => hair,
            200..400 => scalp,
            _ => forehead,
        })
    });
    let path = dir.join(name);
    img.save(&path).expect("png");
    path.display().to_string()
}

/// `match` on a painted photo with its three regions, plus `extra` arguments.
fn run_match(photo: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "match",
        photo,
        "-c",
        "pigments/smp_sample.json",
        "--hair-region",
        HAIR_BOX,
        "--scalp-region",
        SCALP_BOX,
        "--skin-reference-region",
        REFERENCE_BOX,
    ];
    args.extend_from_slice(extra);
    let o = common::run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn matched(photo: &str) -> serde_json::Value {
    common::json_stdout(&run_match(photo, &["--json"]))
}

fn red_warnings(v: &serde_json::Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["code"] == "scalp_redder_than_reference")
        .map(|w| w["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_scalp_redder_than_the_forehead_is_warned_about() {
    let dir = tempfile::tempdir().expect("tmp");
    // Sunburnt: a* 8 above the forehead, lightness and b* alike.
    let photo = painted(dir.path(), "red.png", [60.0, 19.0, 17.0]);
    let v = matched(&photo);
    let r = &v["scalp"]["skin_reference"];
    let da = r["scalp_delta_a"].as_f64().expect("delta a");
    assert!((da - 8.0).abs() < 1.0, "Δa* {da} for a painted 8");
    assert_eq!(r["scalp_red"], true);
    let ref_lab = common::lab(&r["lab"]);
    assert!(
        (f64::from(ref_lab.a) - FOREHEAD[1]).abs() < 1.0,
        "{ref_lab:?}"
    );
    let best = &r["best_if_not_red"];
    assert!(best["pigment_id"].is_string(), "{r}");
    let changes = best["changes_recommendation"].as_bool().expect("bool");
    let ranked_first = &v["ranking"][0];
    assert_eq!(
        changes,
        best["pigment_id"] != ranked_first["pigment_id"]
            || best["dilution"] != ranked_first["dilution"],
        "{best} vs {ranked_first}"
    );
    let w = red_warnings(&v);
    assert_eq!(w.len(), 1, "{:?}", v["warnings"]);
    assert!(
        w[0].contains("Δa*") && w[0].contains("reference's redness"),
        "{}",
        w[0]
    );
}

#[test]
fn a_scalp_as_red_as_the_forehead_is_not() {
    let dir = tempfile::tempdir().expect("tmp");
    // Within a just-visible erythema (Δa* 1).
    let photo = painted(dir.path(), "calm.png", [61.0, 12.0, 17.0]);
    let v = matched(&photo);
    let r = &v["scalp"]["skin_reference"];
    assert!(r["scalp_delta_a"].as_f64().expect("Δa*") < 2.0, "{r}");
    assert_eq!(r["scalp_red"], false);
    assert!(r.get("best_if_not_red").is_none(), "{r}");
    assert!(red_warnings(&v).is_empty(), "{:?}", v["warnings"]);
    // Without the option nothing is reported.
    let o = common::run(&[
        "analyze",
        &photo,
        "--hair-region",
        HAIR_BOX,
        "--scalp-region",
        SCALP_BOX,
        "--json",
    ]);
    assert!(o.status.success());
    assert!(common::json_stdout(&o)["scalp"]
        .get("skin_reference")
        .is_none());
}

#[test]
fn a_reference_region_outside_the_photo_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let photo = painted(dir.path(), "small.png", [60.0, 12.0, 17.0]);
    let o = common::run(&[
        "analyze",
        &photo,
        "--hair-region",
        HAIR_BOX,
        "--scalp-region",
        SCALP_BOX,
        "--skin-reference-region",
        "500,300,200,200",
        "--json",
    ]);
    assert!(!o.status.success());
    let e = common::json_error(&o);
    let msg = e.to_string();
    assert!(msg.contains("small.png"), "{msg}");
}

/// The technician reads the red-scalp warning beside the answer, before the details: it
/// says the measured skin is the wrong one.
#[test]
fn the_red_scalp_warning_stands_beside_the_answer() {
    let dir = tempfile::tempdir().expect("tmp");
    let photo = painted(dir.path(), "red.png", [60.0, 19.0, 17.0]);
    let o = run_match(&photo, &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    let answer_end = text
        .lines()
        .position(|l| l.contains("warnings below") || l.contains("warning below"))
        .expect("the answer's last line");
    let answer: Vec<&str> = text.lines().take(answer_end).collect();
    assert!(answer[0].starts_with("Recommended: "), "{text}");
    assert!(
        answer
            .iter()
            .any(|l| l.contains("check:") && l.contains("redder than the reference skin")),
        "{}",
        answer.join("\n")
    );
}
