//! Real consultation photos (tests/real: CC BY 4.0 photos from the Roboflow "hair-loss"
//! dataset's train and valid splits, hair and scalp rectangles labelled by eye; see
//! tests/real/README.md). The labels are the truth; these tests hold the automatic
//! separation to them.

use std::path::Path;

use smpmatch::analysis::AnalyzeOptions;
use smpmatch::evaluation::{evaluate, labels, Summary, RELIABILITY_TARGET, SURE};

const FOLDER: &str = "tests/real";

#[test]
fn the_labelled_set_is_whole() {
    let l = labels(Path::new(FOLDER)).expect("labels.json");
    assert!(
        l.len() >= 30,
        "at least 30 labelled real photos, found {}",
        l.len()
    );
    for p in &l {
        let path = Path::new(FOLDER).join(&p.photo);
        assert!(path.is_file(), "{} is missing", path.display());
        assert!(
            p.hair_region.is_some() || p.scalp_region.is_some(),
            "{}: a label with neither region cannot score anything",
            p.photo
        );
    }
}

/// When the program says it is sure (confidence ≥ 0.8), its hair and scalp targets are within
/// 3 ΔE00 of the labelled regions' in at least 95 % of those photos. Printed: the per-photo
/// table (`cargo test --test real_photos -- --nocapture`).
#[test]
fn sure_answers_are_right() {
    let outcomes = evaluate(Path::new(FOLDER), &AnalyzeOptions::default()).expect("evaluation");
    println!("{}", smpmatch::evaluation::table(&outcomes));
    let s = Summary::of(&outcomes);
    assert!(s.photos >= 30);
    let wrong_sure: Vec<String> = outcomes
        .iter()
        .filter(|o| o.sure() && o.right() == Some(false))
        .map(|o| {
            format!(
                "{} (confidence {:.2}, hair {:?}, scalp {:?} ΔE00)",
                o.label.photo,
                o.confidence.unwrap_or(0.0),
                o.hair_de00,
                o.scalp_de00
            )
        })
        .collect();
    assert!(
        s.reliability() >= RELIABILITY_TARGET,
        "sure (≥ {SURE}) on {} photos, right on {} ({:.0} %); wrong but sure: {wrong_sure:#?}",
        s.sure,
        s.sure_right,
        100.0 * s.reliability()
    );
}
