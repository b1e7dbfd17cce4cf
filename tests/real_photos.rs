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

/// The preview's thinning area (`preview` without `--region`) on the labelled real photos,
/// read with the labelled hair and scalp regions (as after a technician shows them): the
/// labelled bare-scalp rectangle must lie inside the area found and the labelled hair
/// rectangle outside it. Scale: the photo's longer side as 200 mm, as `preview` assumes.
/// Printed: the per-photo table (`-- --nocapture`).
#[test]
fn the_thinning_area_holds_the_labelled_scalp_and_not_the_hair() {
    use smpmatch::analysis::{analyze, Selection};
    use smpmatch::input::Region;
    use smpmatch::preview::thinning::{find, reader_for};
    let inside = |mask: &image::GrayImage, r: [u32; 4]| {
        let [x, y, w, h] = r;
        let n = (y..y + h)
            .flat_map(|j| (x..x + w).map(move |i| (i, j)))
            .filter(|&(i, j)| mask.get_pixel(i, j).0[0] == 255)
            .count();
        n as f64 / f64::from(w * h)
    };
    let (mut tried, mut right) = (0, 0);
    println!("photo                              scalp in  hair in  area cm²  right");
    for l in labels(Path::new(FOLDER)).expect("labels") {
        let (Some(hr), Some(sr)) = (l.hair_region, l.scalp_region) else {
            continue;
        };
        let path = Path::new(FOLDER).join(&l.photo);
        let sel = Selection {
            photo: Some(path.clone()),
            hair_regions: vec![Region::from(hr)],
            scalp_regions: vec![Region::from(sr)],
            ..Selection::default()
        };
        let a = analyze(&sel, &AnalyzeOptions::default()).expect("analysis");
        let rgb = smpmatch::input::Photo::load(&path, Default::default())
            .expect("photo")
            .image
            .to_rgb8();
        let reader = reader_for(&a, None, &rgb).expect("regions given");
        let px_per_mm = f64::from(rgb.width().max(rgb.height())) / 200.0;
        tried += 1;
        let (s_in, h_in, cm2) = match find(&rgb, px_per_mm, &reader, &[]) {
            Some(t) => (inside(&t.mask, sr), inside(&t.mask, hr), t.area_mm2 / 100.0),
            None => (0.0, 0.0, 0.0),
        };
        let ok = s_in >= 0.8 && h_in <= 0.2;
        right += usize::from(ok);
        println!(
            "{:34} {:7.2}  {:7.2}  {:8.1}  {}",
            &l.photo[7..l.photo.len().min(41)],
            s_in,
            h_in,
            cm2,
            if ok { "yes" } else { "NO" }
        );
    }
    println!("right on {right} of {tried}");
    assert!(tried >= 15, "only {tried} photos have both regions");
    assert!(
        right as f64 >= 0.8 * tried as f64,
        "the area held the labelled scalp and not the hair on {right} of {tried} photos"
    );
}

/// One confidence everywhere: when lighting that differs across a role lowers the
/// separation's confidence after the fact, the "uncertain" warning states the confidence the
/// output reports (it used to give the value before the lowering: 0.36 beside a reported 0.18),
/// and appears exactly when that confidence is below the warning level.
#[test]
fn the_uncertain_warning_states_the_reported_confidence() {
    use smpmatch::analysis::{analyze, segment::WARN_CONFIDENCE, Selection};
    use smpmatch::warning::WarningCode;
    let mut lowered = 0;
    for p in labels(Path::new(FOLDER)).expect("labels.json") {
        let sel = Selection {
            photo: Some(Path::new(FOLDER).join(&p.photo)),
            ..Selection::default()
        };
        let Ok(a) = analyze(&sel, &AnalyzeOptions::default()) else {
            continue; // refused: no confidence to state
        };
        let Some(sep) = &a.auto else { continue };
        let said: Vec<&str> = a
            .warnings
            .iter()
            .filter(|w| w.code == WarningCode::SeparationUncertain)
            .map(|w| w.message.as_str())
            .collect();
        if sep.confidence < WARN_CONFIDENCE {
            assert_eq!(said.len(), 1, "{}: {said:?}", p.photo);
            let c = format!("confidence {:.2})", sep.confidence);
            assert!(said[0].contains(&c), "{}: {} vs {c}", p.photo, said[0]);
        } else {
            assert!(said.is_empty(), "{}: {said:?}", p.photo);
        }
        lowered += a
            .warnings
            .iter()
            .filter(|w| w.code == WarningCode::LightingGradient)
            .count();
    }
    assert!(
        lowered > 0,
        "no photo of the set exercises a lowered confidence"
    );
}

/// Light hair (blond, grey, white) is not separated automatically (hair must be 10 L* darker
/// than the scalp); where no hair is found, the refusal says why and what to give instead.
#[test]
fn light_hair_that_is_not_found_is_explained() {
    use smpmatch::analysis::{analyze, Selection};
    let mut explained = Vec::new();
    for l in labels(Path::new(FOLDER)).expect("labels.json") {
        if !matches!(l.hair_colour.as_deref(), Some("blond" | "grey" | "white")) {
            continue;
        }
        let sel = Selection {
            photo: Some(Path::new(FOLDER).join(&l.photo)),
            ..Selection::default()
        };
        // A photo refused for another reason (no skin, a card) says so itself.
        let Ok(a) = analyze(&sel, &AnalyzeOptions::default()) else {
            continue;
        };
        if a.hair.is_some() {
            continue;
        }
        let message = a.targets().expect_err("no hair target").to_string();
        assert!(
            message.contains("blond, grey or white") && message.contains("--hair-region"),
            "{}: {message}",
            l.photo
        );
        explained.push(l.photo);
    }
    // Four labelled photos of light hair got no automatic hair on 2026-12-06, three of them
    // blond, grey or white (the ones checked here) once light hair was also found by texture:
    // grey train_13-Back, blond train_19-Right, white valid_36-Back (and light-brown
    // valid_24-Top-Down, not checked here).
    assert!(explained.len() >= 2, "{explained:?}");
}

/// What the separation has won on the labelled set stays won (measured 2026-12-06, after the
/// main-scalp and background-region rules of docs/model.md § 3; before them: 5 right, scalp
/// within 3 / 6 ΔE00 on 3 / 7, gross scalp errors on 7, hair within 3 on 6; then after light
/// hair by texture with its blended target: hair within 3 / 6 on 7 / 9 → 11 / 15, gross or
/// not found 8 → 6, right 6 → 10). A change that loses ground fails here and must say why in
/// docs/model.md, or not land.
#[test]
fn the_separation_keeps_its_measured_accuracy() {
    let outcomes = evaluate(Path::new(FOLDER), &AnalyzeOptions::default()).expect("evaluation");
    let s = Summary::of(&outcomes);
    let table = smpmatch::evaluation::table(&outcomes);
    assert!(
        s.right >= 10,
        "right on {} photos (was 10)\n{table}",
        s.right
    );
    assert!(s.scalp.within_3 >= 6, "scalp (was 6 within 3)\n{table}");
    assert!(s.scalp.within_6 >= 11, "scalp (was 11 within 6)\n{table}");
    assert!(s.scalp.gross <= 2, "scalp (was 2 gross)\n{table}");
    assert!(s.hair.within_3 >= 11, "hair (was 11 within 3)\n{table}");
    assert!(s.hair.within_6 >= 15, "hair (was 15 within 6)\n{table}");
    assert!(
        s.hair.gross <= 6,
        "hair (was 6 gross or not found)\n{table}"
    );
}
