//! Calibration against an independent truth: synthetic card photos painted from the
//! published ColorChecker values and passed through known cameras (src/synth.rs), the
//! shipped clinic samples (samples/truth.json), and synthetic follow-ups with a known
//! half-life.

mod common;
use common::{lab, measure_args, run, run_owned, truth};
use std::path::{Path, PathBuf};

use smpmatch::calibration::{calibrate, CalibrateOptions, Model, Profile};
use smpmatch::calibration::{detect, from_corners, reference, ReferenceSet, PATCHES};
use smpmatch::color::delta_e00;
use smpmatch::input::{LoadLimits, Photo};
use smpmatch::synth::{save_jpeg, Camera, CardScene};

/// A test set of distorted card photos: rotations in all four quadrants, scales, mild
/// perspective, casts, exposure, tone curves, crosstalk, vignetting, noise and JPEG.
fn scenes() -> Vec<(CardScene, u8)> {
    let cams = [
        Camera {
            gains: [1.25, 1.0, 0.7],
            exposure: 0.8,
            crosstalk: 0.05,
            vignetting: 0.15,
            noise: 2.0,
            ..Camera::default()
        },
        Camera {
            gains: [0.8, 1.0, 1.3],
            exposure: 1.05,
            gamma: 1.1,
            crosstalk: 0.08,
            vignetting: 0.1,
            noise: 2.0,
        },
        Camera {
            gains: [1.05, 1.0, 0.95],
            exposure: 0.65,
            gamma: 0.9,
            crosstalk: 0.02,
            vignetting: 0.05,
            noise: 3.0,
        },
        Camera {
            gains: [1.4, 1.0, 0.6],
            exposure: 0.9,
            gamma: 1.05,
            crosstalk: 0.1,
            vignetting: 0.2,
            noise: 1.5,
        },
    ];
    let geometry = [
        (0.0, [0.0, 0.0], 60.0),
        (17.0, [0.01, -0.02], 45.0),
        (95.0, [0.02, 0.01], 70.0),
        (180.0, [0.0, 0.03], 38.0),
        (-40.0, [-0.03, 0.0], 55.0),
        (268.0, [0.015, 0.015], 50.0),
    ];
    let mut out = Vec::new();
    for (k, &(angle, persp, pitch)) in geometry.iter().enumerate() {
        for (c, cam) in cams.iter().enumerate() {
            if (k + c) % 2 == 1 {
                continue; // 12 scenes: every geometry, each camera three times
            }
            let mut s = CardScene::new();
            s.angle_deg = angle;
            s.perspective = persp;
            s.pitch = pitch;
            s.camera = *cam;
            s.set = if k % 2 == 0 {
                ReferenceSet::AfterNov2014
            } else {
                ReferenceSet::BeforeNov2014
            };
            s.seed = (10 * k + c) as u64;
            out.push((s, 85 + (k * 2) as u8));
        }
    }
    out
}

fn write_scene(dir: &Path, name: &str, s: &CardScene, quality: u8) -> PathBuf {
    let path = dir.join(name);
    save_jpeg(&s.render(), &path, quality).expect("write jpeg");
    path
}

#[test]
fn detects_every_distorted_card_and_corrects_held_out_patches_below_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let set = scenes();
    let mut found = 0;
    let mut worst = 0.0f64;
    for (i, (s, q)) in set.iter().enumerate() {
        let path = write_scene(dir.path(), &format!("card{i}.jpg"), s, *q);
        let photo = Photo::load(&path, LoadLimits::default()).expect("load");
        let det = match detect(&photo) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("scene {i}: not detected: {e}");
                continue;
            }
        };
        // The patch order is the true one: patch 1's sampled centre lies on the painted one.
        let truth = s.homography();
        for (k, p) in det.patches.iter().enumerate() {
            let t = truth.apply([(k % 6) as f64, (k / 6) as f64]);
            let d = ((p.centre[0] - t[0]).powi(2) + (p.centre[1] - t[1]).powi(2)).sqrt();
            assert!(
                d < 0.2 * s.pitch,
                "scene {i} patch {}: {d:.1} px off",
                k + 1
            );
        }
        let prof = calibrate(&path, &det, &CalibrateOptions::default()).expect("fit");
        assert_eq!(prof.reference_set, s.set, "scene {i}: reference set");
        let r = prof.residuals;
        eprintln!(
            "scene {i}: before {:.2} after {:.2} held-out mean {:.2} max {:.2} ({})",
            r.before_mean_de00,
            r.after_mean_de00,
            r.held_out_mean_de00,
            r.held_out_max_de00,
            prof.correction.model.name()
        );
        worst = worst.max(r.held_out_mean_de00);
        assert!(
            r.held_out_mean_de00 <= 1.0,
            "scene {i}: held-out mean ΔE00 {}",
            r.held_out_mean_de00
        );
        assert!(r.before_mean_de00 > 2.0 * r.after_mean_de00);
        found += 1;
    }
    eprintln!(
        "detection rate {found}/{} ; worst held-out mean ΔE00 {worst:.2}",
        set.len()
    );
    assert_eq!(found, set.len(), "every card must be found");
}

#[test]
fn an_exactly_linear_camera_is_recovered_by_the_3x3_fit() {
    // Gains and crosstalk only, no tone curve, no noise, lossless PNG, no vignetting: the
    // fitted matrix must invert the camera's (known) matrix.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = CardScene::new();
    s.camera = Camera {
        gains: [1.2, 1.0, 0.8],
        crosstalk: 0.06,
        ..Camera::default()
    };
    let path = dir.path().join("linear.png");
    s.render().save(&path).expect("png");
    let photo = Photo::load(&path, LoadLimits::default()).expect("load");
    let det = detect(&photo).expect("detected");
    let prof = calibrate(
        &path,
        &det,
        &CalibrateOptions {
            model: Some(Model::Matrix3x3),
            ..CalibrateOptions::default()
        },
    )
    .expect("fit");
    let x = 0.06;
    let cam = nalgebra::Matrix3::new(
        1.2 * (1.0 - 2.0 * x),
        1.2 * x,
        1.2 * x,
        x,
        1.0 - 2.0 * x,
        x,
        0.8 * x,
        0.8 * x,
        0.8 * (1.0 - 2.0 * x),
    );
    let c = &prof.correction.coefficients;
    let fitted = nalgebra::Matrix3::from_fn(|r, k| c[r][k]);
    let product = fitted * cam;
    let err = (product - nalgebra::Matrix3::identity()).abs().max();
    eprintln!(
        "fitted · camera − I: max |{err:.4}|, after mean {:.3}",
        prof.residuals.after_mean_de00
    );
    assert!(err < 0.02, "{product}");
    // Only 8-bit quantisation and the out-of-gamut cyan patch remain.
    assert!(prof.residuals.after_mean_de00 < 0.35);
}

#[test]
fn manual_corners_give_the_same_profile_as_detection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (s, q) = &scenes()[1];
    let path = write_scene(dir.path(), "c.jpg", s, *q);
    let photo = Photo::load(&path, LoadLimits::default()).expect("load");
    let h = s.homography();
    let corners = [[0.0, 0.0], [5.0, 0.0], [5.0, 3.0], [0.0, 3.0]].map(|p| h.apply(p));
    let a = calibrate(
        &path,
        &from_corners(&photo, corners).expect("corners"),
        &CalibrateOptions::default(),
    )
    .expect("fit");
    let b = calibrate(
        &path,
        &detect(&photo).expect("detect"),
        &CalibrateOptions::default(),
    )
    .expect("fit");
    assert!((a.residuals.held_out_mean_de00 - b.residuals.held_out_mean_de00).abs() < 0.1);
}

#[test]
fn a_card_that_is_not_a_colorchecker_is_refused() {
    // Same geometry, patches shuffled: no orientation of the grid matches the reference.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = CardScene::new();
    s.patch_order = Some(vec![
        13, 4, 20, 9, 0, 17, 22, 6, 11, 2, 15, 19, 8, 23, 1, 10, 5, 14, 3, 21, 16, 7, 12, 18,
    ]);
    let path = write_scene(dir.path(), "shuffled.jpg", &s, 92);
    let o = run(&["calibrate", path.to_str().expect("utf8"), "--json"]);
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).expect("json error");
    let msg = err["error"]["message"].as_str().expect("message");
    assert!(
        msg.contains("no ColorChecker") && msg.contains("shuffled.jpg"),
        "{msg}"
    );
    assert!(o.stdout.is_empty());
}

/// A raw-like, green-cast photo (strong per-channel tone curve, no white balance): no 3 × 3
/// matrix explains its patches, so checking the patch order with a 3 × 3 alone rejected the
/// card as "another card"; the order check also tries gamma + 3 × 3, as the fit does.
#[test]
fn a_raw_like_green_cast_card_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = CardScene::new();
    s.camera = Camera {
        gains: [0.45, 1.0, 0.55],
        exposure: 0.9,
        gamma: 0.45,
        noise: 1.5,
        ..Camera::default()
    };
    let path = write_scene(dir.path(), "raw_like.jpg", &s, 92);
    let photo = Photo::load(&path, LoadLimits::default()).expect("load");
    let det = detect(&photo).expect("the card is found");
    // The found grid is the painted one: patch 1 (dark skin) and 19 (white) where painted.
    let h = s.homography();
    for (i, (c, r)) in [(0, (0.0, 0.0)), (18, (0.0, 3.0))] {
        let want = h.apply([c, r]);
        let got = det.patches[i].centre;
        let d = ((want[0] - got[0]).powi(2) + (want[1] - got[1]).powi(2)).sqrt();
        assert!(d < 0.2 * s.pitch, "patch {}: {got:?} vs {want:?}", i + 1);
    }
}

/// A card on a patterned background (a printed bedsheet, a shirt): 100-odd flat squares of
/// random colours, each about three times a patch's area, outnumber the 24 patches. The
/// squares form a grid of their own, which matches the ColorChecker in no orientation; the
/// patches, the next group of similar-sized regions, are found.
#[test]
fn a_card_on_a_patterned_background_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = CardScene::new();
    s.pitch = 40.0;
    let (cx, cy) = (s.centre[0], s.centre[1]);
    let mut k = 0u32;
    for gy in 0..11u32 {
        for gx in 0..14u32 {
            let (x, y) = (5 + gx * 64, 5 + gy * 64);
            let (fx, fy) = (f64::from(x), f64::from(y));
            // Keep clear of the card (6 × 4 patches at pitch 40, plus its border).
            if (fx + 50.0 > cx - 160.0 && fx < cx + 160.0)
                && (fy + 50.0 > cy - 120.0 && fy < cy + 120.0)
            {
                continue;
            }
            k += 1;
            let h = f64::from(k * 137 % 360).to_radians();
            let lab = smpmatch::color::Lab::new(
                35.0 + (k * 29 % 45) as f32,
                (30.0 * h.cos()) as f32,
                (30.0 * h.sin()) as f32,
            );
            s.swatches.push(([x, y, 50, 50], lab));
        }
    }
    assert!(k > 60, "{k} squares");
    let path = write_scene(dir.path(), "patterned.jpg", &s, 92);
    let photo = Photo::load(&path, LoadLimits::default()).expect("load");
    let det = detect(&photo).expect("the card is found");
    let h = s.homography();
    for (i, (c, r)) in [(0, (0.0, 0.0)), (18, (0.0, 3.0))] {
        let want = h.apply([c, r]);
        let got = det.patches[i].centre;
        let d = ((want[0] - got[0]).powi(2) + (want[1] - got[1]).powi(2)).sqrt();
        assert!(d < 0.2 * s.pitch, "patch {}: {got:?} vs {want:?}", i + 1);
    }
}

#[test]
fn a_photo_without_a_card_says_so() {
    let o = run(&["calibrate", "samples/shaved_light.jpg"]);
    assert_eq!(o.status.code(), Some(5));
    let text = String::from_utf8_lossy(&o.stderr);
    assert!(
        text.contains("no ColorChecker found") && text.contains("--corners"),
        "{text}"
    );
}

fn clinic_profile(dir: &Path) -> PathBuf {
    let prof = dir.join("clinic.profile.json");
    let o = run(&[
        "calibrate",
        "samples/card_clinic.jpg",
        "--out",
        prof.to_str().expect("utf8"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Round trip: the file is the profile printed, and it loads.
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&prof).expect("profile")).expect("json");
    assert_eq!(printed["profile"], written);
    let loaded = Profile::load(&prof).expect("loads");
    let probe = [0.2, 0.1, 0.05];
    let c = loaded.correction.apply(probe);
    assert!(c.iter().all(|v| v.is_finite()));
    prof
}

#[test]
fn match_with_the_profile_recovers_the_uncast_photo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prof = clinic_profile(dir.path());
    let t = truth();
    let s = t["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .find(|s| s["file"] == "shaved_light.jpg")
        .expect("shaved_light")
        .clone();
    let (hair_truth, skin_truth) = (lab(&s["hair_lab"]), lab(&s["skin_lab"]));
    let targets = |extra: &[&str]| {
        let mut args = vec![
            "match",
            "samples/shaved_light_warm.jpg",
            "--catalog",
            "pigments/smp_sample.json",
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        (
            lab(&v["hair"]["target_lab"]),
            lab(&v["scalp"]["target_lab"]),
            v,
        )
    };
    let (h0, s0, _) = targets(&[]);
    let (h1, s1, v) = targets(&["--profile", prof.to_str().expect("utf8")]);
    // The uncast photo, analysed without a profile: the result calibration must recover.
    let o = run(&["analyze", "samples/shaved_light.jpg", "--json"]);
    let u: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let (hu, su) = (
        lab(&u["hair"]["target_lab"]),
        lab(&u["scalp"]["target_lab"]),
    );
    let (dh0, ds0) = (delta_e00(h0, hu), delta_e00(s0, su));
    let (dh1, ds1) = (delta_e00(h1, hu), delta_e00(s1, su));
    eprintln!(
        "vs the uncast result — uncalibrated: hair {dh0:.2} scalp {ds0:.2}; calibrated: hair \
         {dh1:.2} scalp {ds1:.2}; calibrated vs painted truth: hair {:.2} scalp {:.2}",
        delta_e00(h1, hair_truth),
        delta_e00(s1, skin_truth)
    );
    assert!(dh1 < 1.5 && ds1 < 1.5, "calibrated hair {dh1}, scalp {ds1}");
    assert!(
        ds0 > 3.0,
        "the cast must matter for the test to mean anything: {ds0}"
    );
    assert!(
        v["calibration"]["held_out_mean_de00"]
            .as_f64()
            .expect("residual")
            < 1.0
    );
    // The calibrated residual replaces the uncalibrated assumption in the uncertainty.
    let src = v["model"]["uncertainty_sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["name"] == "colour_l")
        .expect("colour_l")
        .clone();
    assert_eq!(src["high"], v["calibration"]["held_out_mean_de00"]);
}

#[test]
fn catalog_measure_writes_calibrated_swatches_atomically_with_backup_and_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prof = clinic_profile(dir.path());
    let cat = dir.path().join("clinic.json");
    let original = std::fs::read_to_string("pigments/smp_sample.json").expect("catalog");
    std::fs::write(&cat, &original).expect("copy");
    let t = truth();
    let swatches = t["clinic"]["swatches"]
        .as_array()
        .expect("swatches")
        .clone();
    let mut args: Vec<String> = vec![
        "catalog".into(),
        "measure".into(),
        cat.display().to_string(),
        "--photo".into(),
        "samples/card_clinic.jpg".into(),
        "--profile".into(),
        prof.display().to_string(),
        "--json".into(),
    ];
    for s in &swatches {
        let r: Vec<u64> = s["region"]
            .as_array()
            .expect("region")
            .iter()
            .map(|x| x.as_u64().expect("int"))
            .collect();
        args.push("--swatch".into());
        args.push(format!(
            "{}={},{},{},{}",
            s["pigment_id"].as_str().expect("id"),
            r[0],
            r[1],
            r[2],
            r[3]
        ));
    }
    // Dry run first: nothing changes.
    let mut dry = args.clone();
    dry.push("--dry-run".into());
    let o = run(&dry.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&cat).expect("cat"), original);

    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let backup = dir.path().join("clinic.json.bak");
    assert_eq!(std::fs::read_to_string(&backup).expect("backup"), original);
    let updated = smpmatch::catalog::load(&cat).expect("the written catalog is valid");
    for s in &swatches {
        let id = s["pigment_id"].as_str().expect("id");
        let p = updated
            .pigments
            .iter()
            .find(|p| p.id == id)
            .expect("pigment");
        let de = delta_e00(smpmatch::color::lab_from_array(p.lab), lab(&s["lab"]));
        eprintln!(
            "{id}: measured {:?}, painted {}, ΔE00 {de:.2}",
            p.lab, s["lab"]
        );
        assert!(de < 1.0, "{id}: ΔE00 {de}");
        assert_eq!(
            p.measurement.method,
            smpmatch::catalog::Method::MasstoneDrawdown
        );
        assert!(p.measurement.source.contains("card_clinic.jpg"));
        assert_eq!(p.history.len(), 1);
        assert_eq!(
            p.history[0].measurement.method,
            smpmatch::catalog::Method::Illustrative
        );
    }
    // Nothing is left behind, no temporary file and no lock: the profile, the catalog, its
    // backup.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["clinic.json", "clinic.json.bak", "clinic.profile.json"],
        "{names:?}"
    );

    // An unknown id changes nothing and says which ids exist.
    let before = std::fs::read_to_string(&cat).expect("cat");
    let o = run_owned(&measure_args(
        &cat,
        Path::new("samples/card_clinic.jpg"),
        &prof,
        &["--swatch", "no-such-ink=900,180,160,160"],
    ));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("carbon-black"));
    assert_eq!(std::fs::read_to_string(&cat).expect("cat"), before);
}

/// Follow-ups made by the appearance model itself from a known truth: carbon ink at a
/// healed concentration `c0`, fading with half-life `half_life` toward `plateau`, the band
/// migrating at `migration` mm/year and the dots spreading at `spread` a year, each follow-up
/// given `noise` (L*, a*, b* offsets cycled from a fixed list) and, with `dots`, the measured
/// dot diameter.
#[allow(clippy::too_many_arguments)]
fn model_followups(
    pigment: &str,
    months: &[f64],
    half_life: f64,
    plateau: f64,
    migration: f64,
    spread: f64,
    noise: f64,
    dots: bool,
) -> Vec<serde_json::Value> {
    use smpmatch::model::{ModelParams, PigmentOptics, Skin};
    let params = ModelParams {
        migration_mm_per_year: migration,
        spread_per_year: spread,
        ..ModelParams::default()
    };
    let optics = PigmentOptics::carbon_black(params.carbon_k550());
    let s = 0.3; // carbon's sun sensitivity in the catalog
    let cycle = [0.75, -1.0, 0.25, 1.0, -0.5, -0.75, 0.5, 0.0, -0.25, 0.875];
    let mut rows = Vec::new();
    let mut k = 0;
    for skin_lab in [[66.0, 11.0, 16.0], [52.0, 12.0, 19.0]] {
        let skin = Skin::new(smpmatch::color::lab_from_array(skin_lab), &params);
        for &m in months {
            // A diluted ink (about 1:5 healed): near-opaque dots hardly change colour as they
            // lose pigment, so their follow-ups could not pin a half-life.
            let left = plateau
                + (1.0 - plateau) * (-std::f64::consts::LN_2 * m * (1.0 + s) / half_life).exp();
            let grow = params.spread_at(m);
            let c = 0.12 * left / (grow * grow);
            let dot = skin.dot_at(&[(optics, c)], params.depth_at(m));
            let n = |i: usize| (noise * cycle[(k + i) % cycle.len()]) as f32;
            let mut row = serde_json::json!({
                "pigment_id": pigment,
                "months": m,
                "lab": [dot.l + n(0), dot.a + n(1), dot.b + n(2)],
                "skin_lab": skin_lab,
                "sun": "moderate"
            });
            if dots {
                row["dot_mm"] = serde_json::json!(0.5 * grow + 0.004 * cycle[k % cycle.len()]);
            }
            rows.push(row);
            k += 3;
        }
    }
    rows
}

fn fit_fading_json(rows: &[serde_json::Value]) -> (serde_json::Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("followups.json");
    std::fs::write(&f, serde_json::to_string(rows).expect("json")).expect("write");
    let cat_path = dir.path().join("c.json");
    std::fs::copy("pigments/smp_sample.json", &cat_path).expect("copy");
    let o = run(&[
        "catalog",
        "fit-fading",
        cat_path.to_str().expect("utf8"),
        "--followups",
        f.to_str().expect("utf8"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (serde_json::from_slice(&o.stdout).expect("json"), dir)
}

fn ageing<'a>(v: &'a serde_json::Value, parameter: &str) -> &'a serde_json::Value {
    v["ageing"]
        .as_array()
        .expect("ageing")
        .iter()
        .find(|a| a["parameter"] == parameter)
        .expect(parameter)
}

#[test]
fn fit_fading_recovers_a_known_half_life_and_plateau_within_their_intervals() {
    // Truth: T½ = 30 months (sun-free), plateau 0.3, the default migration and spread;
    // ±0.5 noise in L*, a*, b*; six follow-ups per skin over six years.
    let (half_life, plateau) = (30.0, 0.3);
    let mut rows = model_followups(
        "carbon-black",
        &[1.0, 6.0, 12.0, 24.0, 48.0, 72.0],
        half_life,
        plateau,
        0.005,
        0.01,
        0.5,
        false,
    );
    // One pigment with too few follow-ups.
    rows.push(serde_json::json!({"pigment_id": "dark-brown", "months": 6, "lab": [50, 12, 15], "skin_lab": [66, 11, 16]}));
    let (v, dir) = fit_fading_json(&rows);
    let fit = &v["fits"][0];
    let t = fit["half_life_months"].as_f64().expect("t");
    let lo = fit["ci95_months"][0].as_f64().expect("lo");
    let hi = fit["ci95_months"][1].as_f64().expect("hi");
    let p = fit["plateau"].as_f64().expect("plateau");
    let (plo, phi) = (
        fit["plateau_ci95"][0].as_f64().expect("plo"),
        fit["plateau_ci95"][1].as_f64().expect("phi"),
    );
    eprintln!(
        "half-life {t} [{lo}, {hi}] (truth {half_life}); plateau {p} [{plo}, {phi}] (truth {plateau})"
    );
    assert_eq!(fit["plateau_fitted"], true);
    assert!(lo <= half_life && half_life <= hi);
    assert!((t - half_life).abs() / half_life < 0.25);
    assert!(plo <= plateau && plateau <= phi && (p - plateau).abs() < 0.1);
    assert_eq!(v["refusals"][0]["pigment_id"], "dark-brown");
    assert!(v["refusals"][0]["reason"]
        .as_str()
        .expect("why")
        .contains("at least 3"));
    let cat_path = dir.path().join("c.json");
    let updated = smpmatch::catalog::load(&cat_path).expect("valid");
    let cb = updated
        .pigments
        .iter()
        .find(|p| p.id == "carbon-black")
        .expect("cb");
    let f = cb.fading.expect("fading");
    assert_eq!((f.half_life_months, f.plateau), (t, p));
    assert!(cb
        .fading_source
        .as_deref()
        .expect("source")
        .contains("plateau"));
    // Noisy colours cannot pin a migration of 0.005 mm/year: reported, not written.
    let m = ageing(&v, "migration_mm_per_year");
    assert_eq!(m["written"], false, "{m}");
    assert!(updated
        .model
        .as_ref()
        .is_none_or(|m| m.migration_mm_per_year.is_none()));

    // Too few points for every pigment: exit 5 and the reason, nothing written.
    let f = dir.path().join("followups.json");
    std::fs::write(&f, serde_json::to_string(&rows[12..]).expect("json")).expect("write");
    let before = std::fs::read_to_string(&cat_path).expect("cat");
    let o = run(&[
        "catalog",
        "fit-fading",
        cat_path.to_str().expect("utf8"),
        "--followups",
        f.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 3"));
    assert_eq!(std::fs::read_to_string(&cat_path).expect("cat"), before);
}

#[test]
fn fit_fading_holds_the_plateau_when_the_follow_ups_cannot_pin_it() {
    // Four follow-ups at two months: a half-life, but not a plateau. The catalog's carbon
    // plateau (0.5) is kept, not reset to zero.
    let rows = model_followups(
        "carbon-black",
        &[2.0, 18.0],
        40.0,
        0.5,
        0.005,
        0.01,
        0.0,
        false,
    );
    let (v, dir) = fit_fading_json(&rows);
    let fit = &v["fits"][0];
    assert_eq!(fit["plateau_fitted"], false);
    assert_eq!(fit["plateau"], 0.5);
    let t = fit["half_life_months"].as_f64().expect("t");
    assert!((t - 40.0).abs() / 40.0 < 0.1, "{t}");
    let updated = smpmatch::catalog::load(&dir.path().join("c.json")).expect("valid");
    let cb = updated
        .pigments
        .iter()
        .find(|p| p.id == "carbon-black")
        .expect("cb");
    assert_eq!(cb.fading.expect("fading").plateau, 0.5);
}

#[test]
fn fit_fading_measures_migration_and_spread_when_the_follow_ups_pin_them() {
    // Noise-free colours over ten years with a fast migration (0.03 mm/year) and measured
    // dots spreading 2 % a year: both are recovered and written into the catalog's model.
    let rows = model_followups(
        "carbon-black",
        &[1.0, 12.0, 36.0, 60.0, 90.0, 120.0],
        40.0,
        0.5,
        0.03,
        0.02,
        0.0,
        true,
    );
    let (v, dir) = fit_fading_json(&rows);
    let m = ageing(&v, "migration_mm_per_year");
    let s = ageing(&v, "spread_per_year");
    let d = ageing(&v, "depth_mm");
    eprintln!(
        "{m}
{s}
{d}"
    );
    let mv = m["value"].as_f64().expect("migration");
    assert!((mv - 0.03).abs() < 0.006 && m["written"] == true, "{m}");
    let sv = s["value"].as_f64().expect("spread");
    assert!((sv - 0.02).abs() < 0.005 && s["written"] == true, "{s}");
    let dv = d["value"].as_f64().expect("depth");
    assert!((dv - 0.15).abs() < 0.03 && d["written"] == false, "{d}");
    let updated = smpmatch::catalog::load(&dir.path().join("c.json")).expect("valid");
    let model = updated.model.expect("model section");
    assert!((model.migration_mm_per_year.expect("migration") - mv).abs() < 1e-3);
    assert!((model.spread_per_year.expect("spread") - sv).abs() < 1e-3);
    assert!(model
        .source
        .as_deref()
        .expect("source")
        .contains("follow-ups"));
    // The half-life is still found with the geometry accounted for.
    let t = v["fits"][0]["half_life_months"].as_f64().expect("t");
    assert!((t - 40.0).abs() / 40.0 < 0.15, "{t}");
}

#[test]
fn references_are_the_published_d50_values_adapted() {
    // Spot-check the compiled data against the published figures (data/README.md).
    let r = reference(ReferenceSet::BeforeNov2014);
    assert_eq!(r.len(), PATCHES);
    assert_eq!(r[0].lab_d50, [37.99, 13.56, 14.06]);
    assert_eq!(r[23].lab_d50, [20.46, -0.08, -0.97]);
    // Neutral patches stay neutral through Bradford: |a*|, |b*| change < 0.6.
    for p in &r[18..] {
        assert!((p.lab.a as f64 - p.lab_d50[1]).abs() < 0.6, "{}", p.name);
    }
}

#[test]
fn a_worn_patch_is_flagged_and_a_different_light_is_noticed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Patch 7 (orange) printed as patch 12 (orange yellow): a faded, worn patch.
    let mut order: Vec<usize> = (0..PATCHES).collect();
    order[6] = 11;
    let mut s = CardScene::new();
    s.patch_order = Some(order);
    s.camera = Camera {
        gains: [1.1, 1.0, 0.9],
        noise: 1.0,
        ..Camera::default()
    };
    let worn = write_scene(dir.path(), "worn.jpg", &s, 92);
    let photo = Photo::load(&worn, LoadLimits::default()).expect("load");
    let prof = calibrate(
        &worn,
        &detect(&photo).expect("still found"),
        &CalibrateOptions::default(),
    )
    .expect("fit");
    let flagged: Vec<usize> = prof
        .patches
        .iter()
        .filter(|p| p.outlier)
        .map(|p| p.index)
        .collect();
    assert_eq!(flagged, vec![7], "{:?}", prof.warnings);
    assert!(prof.warnings.iter().any(|w| w.contains("patch 7")));

    // A profile made under one light, used on a photo (with the card) under another.
    let mut a = CardScene::new();
    a.camera = Camera {
        gains: [1.2, 1.0, 0.75],
        noise: 1.0,
        ..Camera::default()
    };
    let mut b = a.clone();
    b.camera.gains = [0.8, 1.0, 1.3];
    let pa = write_scene(dir.path(), "light_a.jpg", &a, 92);
    let pb = write_scene(dir.path(), "light_b.jpg", &b, 92);
    let prof_path = dir.path().join("a.profile.json");
    assert!(run(&[
        "calibrate",
        pa.to_str().expect("u"),
        "--out",
        prof_path.to_str().expect("u")
    ])
    .status
    .success());
    let cat = dir.path().join("c.json");
    std::fs::copy("pigments/smp_sample.json", &cat).expect("copy");
    let measure = |photo: &Path| {
        let o = run_owned(&measure_args(
            &cat,
            photo,
            &prof_path,
            &[
                "--swatch",
                "carbon-black=20,20,60,60",
                "--dry-run",
                "--json",
            ],
        ));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        v["warnings"].as_array().expect("warnings").clone()
    };
    assert!(measure(&pa).iter().all(|w| w["code"] != "light_differs"));
    assert!(measure(&pb).iter().any(|w| w["code"] == "light_differs"
        && w["message"]
            .as_str()
            .unwrap_or("")
            .contains("lit differently")));
}

#[test]
fn healed_swatches_are_measured_with_their_skin_and_weighting_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prof = dir.path().join("skin.profile.json");
    let o = run(&[
        "calibrate",
        "samples/card_clinic.jpg",
        "--weight",
        "skin",
        "--out",
        prof.to_str().expect("u"),
        "--json",
    ]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["profile"]["weighting"], "skin");
    let cat = dir.path().join("c.json");
    std::fs::copy("pigments/smp_sample.json", &cat).expect("copy");
    // The dark-brown drawdown stands in for healed work; the background for the skin.
    let card = Path::new("samples/card_clinic.jpg");
    let healed = [
        "--swatch",
        "dark-brown=900,580,160,160",
        "--method",
        "healed-swatch",
    ];
    let mut with_skin = healed.to_vec();
    with_skin.extend(["--skin-region", "1100,20,80,80", "--months-healed", "3"]);
    let o = run_owned(&measure_args(&cat, card, &prof, &with_skin));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = smpmatch::catalog::load(&cat).expect("valid");
    let p = c.pigments.iter().find(|p| p.id == "dark-brown").expect("p");
    assert_eq!(
        p.measurement.method,
        smpmatch::catalog::Method::HealedSwatch
    );
    assert!(p.measurement.skin_lab.is_some());
    assert_eq!(p.measurement.months_healed, Some(3.0));
    // Without the skin region the command refuses (usage) and writes nothing.
    let before = std::fs::read_to_string(&cat).expect("cat");
    let o = run_owned(&measure_args(&cat, card, &prof, &healed));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&cat).expect("cat"), before);
}

#[test]
fn tints_are_measured_beside_their_white_and_written_as_the_pigments_tint() {
    use smpmatch::color::lab_from_array;
    use smpmatch::model::pigment::saunderson;
    use smpmatch::model::skin::km_infinite;
    use smpmatch::model::spectrum::{self, Spectrum, BANDS};
    use smpmatch::model::{Colorant, ModelParams};
    // Truth: the catalog's medium brown (three iron oxides) mixed in shares unlike the listed
    // 0.2 / 0.45 / 0.35, its masstone, a white, and a 1:9 let-down, painted by Kubelka–Munk
    // with the Saunderson correction beside a ColorChecker.
    let truth = [
        (Colorant::IronOxideBlack, 0.35),
        (Colorant::IronOxideRed, 0.25),
        (Colorant::IronOxideYellow, 0.40),
    ];
    let (mut k, mut s) = ([0.0; BANDS], [0.0; BANDS]);
    for (c, w) in truth {
        let o = c.optics(ModelParams::default().carbon_k550());
        for b in 0..BANDS {
            k[b] += w * o.k[b];
            s[b] += w * o.s[b];
        }
    }
    let alpha = 0.7 * s.iter().sum::<f64>() / BANDS as f64;
    let (kw, sw) = ([0.02 * alpha; BANDS], [alpha; BANDS]);
    let lab_of = |k: &Spectrum, s: &Spectrum| {
        let r: Spectrum = std::array::from_fn(|i| saunderson(km_infinite(k[i], s[i])));
        spectrum::lab(&r)
    };
    let share = 0.1;
    let mix = |a: &Spectrum, b: &Spectrum| -> Spectrum {
        std::array::from_fn(|i| share * a[i] + (1.0 - share) * b[i])
    };
    let (mass, white, tint) = (
        lab_of(&k, &s),
        lab_of(&kw, &sw),
        lab_of(&mix(&k, &kw), &mix(&s, &sw)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut scene = CardScene::new();
    scene.swatches = vec![
        ([20, 20, 90, 90], white),
        ([130, 20, 90, 90], mass),
        ([240, 20, 90, 90], tint),
        // A blue no iron oxide makes.
        (
            [350, 20, 90, 90],
            smpmatch::color::Lab::new(45.0, 5.0, -35.0),
        ),
    ];
    // A warm cast for the card to correct.
    scene.camera = Camera {
        gains: [1.15, 1.0, 0.85],
        noise: 1.0,
        ..Camera::default()
    };
    let photo = write_scene(dir.path(), "drawdowns.jpg", &scene, 95);
    let prof = dir.path().join("p.profile.json");
    let o = run(&[
        "calibrate",
        photo.to_str().expect("u"),
        "--out",
        prof.to_str().expect("u"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cat = dir.path().join("c.json");
    std::fs::copy("pigments/smp_sample.json", &cat).expect("copy");
    let o = run_owned(&measure_args(
        &cat,
        &photo,
        &prof,
        &["--swatch", "medium-brown=145,35,60,60"],
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tint_args = [
        "--swatch",
        "medium-brown=255,35,60,60",
        "--method",
        "tint-drawdown",
        "--ink-share",
        "0.1",
        "--white-region",
        "35,35,60,60",
        "--json",
    ];
    let o = run_owned(&measure_args(&cat, &photo, &prof, &tint_args));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["measured"][0]["tint"], true);
    assert!(
        v["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .all(|w| w["code"] != "tint_inconsistent"),
        "{v}"
    );
    let c = smpmatch::catalog::load(&cat).expect("valid");
    let p = c
        .pigments
        .iter()
        .find(|p| p.id == "medium-brown")
        .expect("p");
    let t = p.tint.expect("tint written");
    let (dt, dw, dm) = (
        delta_e00(lab_from_array(t.lab), tint),
        delta_e00(lab_from_array(t.white_lab.expect("white")), white),
        delta_e00(lab_from_array(p.lab), mass),
    );
    eprintln!("tint {dt:.2}, white {dw:.2}, masstone {dm:.2} ΔE00 from the painted colours");
    assert!(dt < 1.5 && dw < 1.5 && dm < 2.0);
    assert_eq!(t.ink_share, 0.1);
    // The composite's shares now come from both drawdowns.
    let (parts, inconsistent) = p.constituents(&c.model_params());
    assert!(!inconsistent);
    for (part, (colorant, w)) in parts.iter().zip(truth) {
        assert_eq!(part.colorant, Some(colorant));
        assert!(
            (part.share - w).abs() < 0.08,
            "{colorant:?}: {} vs truth {w}",
            part.share
        );
    }

    // A "tint" no mix of the ink's colorants makes (blue from iron oxides): measured,
    // flagged.
    let mut bad = tint_args.to_vec();
    bad[1] = "medium-brown=365,35,60,60";
    let o = run_owned(&measure_args(&cat, &photo, &prof, &bad));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w["code"] == "tint_inconsistent"));

    // A tint without its ink share is a usage error, and nothing is written.
    let before = std::fs::read(&cat).expect("cat");
    let o = run_owned(&measure_args(
        &cat,
        &photo,
        &prof,
        &[
            "--swatch",
            "medium-brown=255,35,60,60",
            "--method",
            "tint-drawdown",
        ],
    ));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--ink-share"));
    assert_eq!(std::fs::read(&cat).expect("cat"), before);
}
