//! Tone recovery on the shipped samples: the analysis must find the CIELAB tones the
//! generator painted (samples/truth.json), within ΔE00 < 1.5.

mod common;

use std::path::Path;

use common::lab;
use smpmatch::analysis::{analyze, AnalyzeOptions, Selection};
use smpmatch::color::{delta_e00, SkinCategory};

/// The painted samples of samples/truth.json.
fn truth() -> Vec<serde_json::Value> {
    common::truth()["samples"]
        .as_array()
        .expect("samples array")
        .clone()
}

#[test]
fn automatic_separation_recovers_painted_tones() {
    for s in truth().iter().filter(|s| s["use_as"] == "auto") {
        let path = Path::new("samples").join(s["file"].as_str().expect("file"));
        let sel = Selection {
            photo: Some(path.clone()),
            ..Selection::default()
        };
        let a = analyze(&sel, &AnalyzeOptions::default()).expect("analysis");
        let (hair, scalp) = a.targets().expect("both roles");
        let de_hair = delta_e00(hair, lab(&s["hair_lab"]));
        let de_scalp = delta_e00(scalp, lab(&s["skin_lab"]));
        eprintln!(
            "{}: hair ΔE00 {de_hair:.2}, scalp ΔE00 {de_scalp:.2}",
            path.display()
        );
        assert!(
            de_hair < 1.5,
            "{}: hair {hair:?} vs truth, ΔE00 {de_hair}",
            path.display()
        );
        assert!(
            de_scalp < 1.5,
            "{}: scalp {scalp:?} vs truth, ΔE00 {de_scalp}",
            path.display()
        );
        let ita = s["skin_ita_deg"].as_f64().expect("ita") as f32;
        let (got_ita, cat) = a.ita.expect("ita");
        assert_eq!(
            cat,
            SkinCategory::from_ita(ita),
            "{}: ITA {got_ita} vs {ita}",
            path.display()
        );
        assert!(a.auto.as_ref().expect("auto").confidence >= 0.6);
    }
}

#[test]
fn close_ups_recover_painted_tones() {
    let all = truth();
    let find = |use_as: &str| {
        all.iter()
            .find(|s| s["use_as"] == use_as)
            .expect("sample")
            .clone()
    };
    let (h, sc) = (find("--hair"), find("--scalp"));
    let sel = Selection {
        hair_photos: vec![Path::new("samples").join(h["file"].as_str().expect("f"))],
        scalp_photos: vec![Path::new("samples").join(sc["file"].as_str().expect("f"))],
        ..Selection::default()
    };
    let a = analyze(&sel, &AnalyzeOptions::default()).expect("analysis");
    let (hair, scalp) = a.targets().expect("both");
    let (dh, ds) = (
        delta_e00(hair, lab(&h["hair_lab"])),
        delta_e00(scalp, lab(&sc["skin_lab"])),
    );
    eprintln!("close-ups: hair ΔE00 {dh:.2}, scalp ΔE00 {ds:.2}");
    assert!(dh < 1.5 && ds < 1.5, "hair {dh}, scalp {ds}");
}

#[test]
fn regions_recover_painted_tones() {
    // The hair close-up is ≥ 90 % hair; the scalp close-up ~99 % skin: regions on them act as
    // role rectangles on one photo each (two runs, one per photo).
    let all = truth();
    let sc = all
        .iter()
        .find(|s| s["use_as"] == "--scalp")
        .expect("scalp sample");
    let sel = Selection {
        photo: Some(Path::new("samples").join(sc["file"].as_str().expect("f"))),
        scalp_regions: vec![smpmatch::input::Region {
            x: 100,
            y: 100,
            w: 400,
            h: 300,
        }],
        ..Selection::default()
    };
    let a = analyze(&sel, &AnalyzeOptions::default()).expect("analysis");
    let scalp = a.scalp.expect("scalp").target;
    assert!(delta_e00(scalp, lab(&sc["skin_lab"])) < 1.5);
    assert!(a.hair.is_none());
}

#[test]
fn stubble_look_matches_the_painted_area_mix() {
    // Ground truth from the generator: hair painted over a known share of the area, so the
    // area look is that share of hair light plus the rest of skin light (linear RGB).
    for s in truth().iter().filter(|s| s["use_as"] == "auto") {
        let path = Path::new("samples").join(s["file"].as_str().expect("file"));
        let sel = Selection {
            photo: Some(path.clone()),
            ..Selection::default()
        };
        let a = analyze(&sel, &AnalyzeOptions::default()).expect("analysis");
        let f = s["hair_area_fraction"].as_f64().expect("fraction");
        let expected = smpmatch::color::mix_linear(lab(&s["hair_lab"]), lab(&s["skin_lab"]), f);
        let st = a.stubble.expect("stubble");
        let de = delta_e00(st.lab, expected);
        let got_f = f64::from(st.hair_area_fraction.expect("fraction"));
        eprintln!(
            "{}: stubble ΔE00 {de:.2}, hair fraction {got_f:.3} vs {f:.3}",
            path.display()
        );
        assert!(de < 2.0, "{}: stubble ΔE00 {de}", path.display());
        assert!(
            (got_f - f).abs() < 0.08,
            "{}: fraction {got_f}",
            path.display()
        );
    }
}

#[test]
fn sampling_for_speed_keeps_tones_within_0_3_of_full_resolution() {
    // Every pixel vs the default stratified sample: the targets and every tone of the
    // sampled result must lie within ΔE00 0.3 of the full-resolution analysis.
    for s in truth().iter() {
        let path = Path::new("samples").join(s["file"].as_str().expect("file"));
        let sel = match s["use_as"].as_str().expect("use") {
            "auto" => Selection {
                photo: Some(path.clone()),
                ..Selection::default()
            },
            "--hair" => Selection {
                hair_photos: vec![path.clone()],
                ..Selection::default()
            },
            _ => Selection {
                scalp_photos: vec![path.clone()],
                ..Selection::default()
            },
        };
        let fast = analyze(&sel, &AnalyzeOptions::default()).expect("fast");
        let full = analyze(
            &sel,
            &AnalyzeOptions {
                max_samples: usize::MAX,
                ..AnalyzeOptions::default()
            },
        )
        .expect("full");
        for (a, b, role) in [
            (&fast.hair, &full.hair, "hair"),
            (&fast.scalp, &full.scalp, "scalp"),
        ] {
            let (Some(a), Some(b)) = (a, b) else {
                assert!(
                    a.is_none() && b.is_none(),
                    "{}: {role} presence differs",
                    path.display()
                );
                continue;
            };
            let d = delta_e00(a.target, b.target);
            eprintln!(
                "{} {role}: target ΔE00 {d:.3} (sampled {} px of {} )",
                path.display(),
                a.pixels_sampled,
                b.pixels_sampled
            );
            assert!(d <= 0.3, "{} {role}: target moved {d}", path.display());
            for t in &a.tones {
                let nearest = b
                    .tones
                    .iter()
                    .map(|u| delta_e00(t.lab, u.lab))
                    .fold(f32::INFINITY, f32::min);
                assert!(
                    nearest <= 0.3 || t.weight < 0.05,
                    "{} {role}: tone {:?} ({:.1} %) is {nearest} from any full-resolution tone",
                    path.display(),
                    t.lab,
                    100.0 * t.weight
                );
            }
        }
    }
}
