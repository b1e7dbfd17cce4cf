//! `smpmatch serve` over HTTP, as a browser or a program talks to it: the token, the Host
//! check and the security headers; uploads held to the command line's limits; a region edit
//! moving the answer; two clients at once; a kill mid-write; SIGTERM; a restart that finds
//! the consultation again; and the records feeding `catalog fit-fading`.

mod common;

use common::server::{start, Served};
use serde_json::json;
use smpmatch::color::{delta_e00, lab_from_array, lab_to_srgb8};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn the_page_needs_its_token_and_its_host_and_sends_a_strict_policy() {
    let dir = tmp();
    let s = start(dir.path(), &[]);
    // No token, a wrong one, the right one.
    assert_eq!(s.get_with("/", None, None).status, 401);
    assert_eq!(s.get_with("/?token=0000", None, None).status, 401);
    let r = s.get_with(&format!("/?token={}", s.token), None, None);
    assert_eq!(r.status, 303);
    let cookie = r.header("set-cookie").expect("a cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(r.header("location"), Some("/"));
    // The page with the token; its policy forbids inline script and other origins.
    let page = s.get("/");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let html = String::from_utf8_lossy(&page.body);
    assert!(!html.contains("<script>") && !html.contains("http://") && !html.contains("https://"));
    let js = s.get_with("/assets/app.js", None, None);
    assert_eq!(js.status, 200);
    assert!(
        !String::from_utf8_lossy(&js.body).contains("://"),
        "the page loads nothing from elsewhere"
    );
    // The API without the token: the CLI's JSON error object.
    let r = s.get_with("/api/setup", None, None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["kind"], "usage");
    let r = s.get_with("/api/setup", Some("wrong-token-wrong-token"), None);
    assert_eq!(r.status, 401);
    // Another Host (DNS rebinding) is refused even with the token.
    let r = s.get_with("/api/setup", Some(&s.token), Some("evil.example:80"));
    assert_eq!(r.status, 421);
    assert_eq!(s.get("/api/setup").status, 200);
}

#[test]
fn uploads_are_held_to_the_command_lines_limits_and_never_name_a_path() {
    let dir = tmp();
    let s = start(dir.path(), &["--max-megapixels", "1"]);
    let r = s.post(
        "/api/photos",
        "application/octet-stream",
        b"not an image at all",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["kind"], "input");
    let bytes = std::fs::read("samples/shaved_light.jpg").expect("sample");
    // 1200 × 900 is over one megapixel.
    let r = s.post("/api/photos", "application/octet-stream", &bytes);
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let msg = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.contains("pixels") || msg.contains("megapixel"), "{msg}");
    // Half a JPEG.
    let small = std::fs::read("samples/hair_closeup.jpg").expect("sample");
    let r = s.post(
        "/api/photos",
        "application/octet-stream",
        &small[..small.len() / 2],
    );
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    // A photo is named by its hash only.
    for bad in ["../../etc/passwd", "/etc/passwd", "AB", &"g".repeat(64)] {
        let r = s.post_json("/api/match", &json!({ "photo": bad }));
        assert_eq!(r.status, 400, "{bad}");
    }
    let r = s.post_json("/api/match", &json!({ "photo": "a".repeat(64) }));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("upload it first"));
    // Unknown fields are refused, not ignored.
    let r = s.post_json(
        "/api/match",
        &json!({ "photo": "a".repeat(64), "path": "/etc" }),
    );
    assert!(r.status == 400 || r.status == 422, "{}", r.status);
    // Nothing was stored.
    let stored = walkdir::WalkDir::new(dir.path().join("photos"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(stored, 0);
}

/// Three painted bands: black hair, brown hair, skin (truth set here, not by smpmatch).
const BLACK: [f64; 3] = [18.0, 0.5, 1.0];
const BROWN: [f64; 3] = [36.0, 8.0, 16.0];
const SKIN: [f64; 3] = [66.0, 11.0, 16.0];

fn bands_photo(path: &std::path::Path) {
    let cols = [BLACK, BROWN, SKIN].map(|l| lab_to_srgb8(lab_from_array(l)));
    let img = image::RgbImage::from_fn(600, 300, |x, _| image::Rgb(cols[(x / 200) as usize]));
    img.save(path).expect("png");
}

#[test]
fn a_region_edit_moves_the_hair_target_and_the_ranking() {
    let dir = tmp();
    let photo = dir.path().join("bands.png");
    bands_photo(&photo);
    let s = start(&dir.path().join("data"), &[]);
    let sha = s.upload(photo.to_str().expect("utf-8"));
    let ask = |hair: [u32; 4]| {
        let r = s.post_json(
            "/api/match",
            &json!({ "photo": sha, "hair": [hair], "scalp": [[420, 20, 160, 260]] }),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let target = |m: &serde_json::Value| {
        let t = &m["result"]["hair"]["target_lab"];
        lab_from_array([0, 1, 2].map(|i| t[i].as_f64().expect("number")))
    };
    let black = ask([20, 20, 160, 260]);
    let brown = ask([220, 20, 160, 260]);
    let de_black = delta_e00(target(&black), lab_from_array(BLACK));
    let de_brown = delta_e00(target(&brown), lab_from_array(BROWN));
    assert!(de_black < 1.0 && de_brown < 1.0, "{de_black} {de_brown}");
    assert_eq!(black["result"]["hair"]["source"], "regions");
    assert!(
        black["overlay"].is_null(),
        "regions drawn: no automatic overlay"
    );
    let best = |m: &serde_json::Value| m["result"]["ranking"][0]["pigment_id"].clone();
    assert_ne!(best(&black), best(&brown), "the ranking follows the edit");
    assert!(black["answer"]
        .as_str()
        .unwrap_or("")
        .starts_with("Recommended:"));
    // Automatic separation: an overlay of the roles.
    let auto = s.post_json("/api/match", &json!({ "photo": sha }));
    assert_eq!(auto.status, 200);
    assert!(auto.json()["overlay"]
        .as_str()
        .unwrap_or("")
        .starts_with("data:image/png;base64,"));
}

#[test]
fn reference_skin_drawn_on_the_page_reaches_the_analysis() {
    let dir = tmp();
    let photo = dir.path().join("bands.png");
    bands_photo(&photo);
    let s = start(&dir.path().join("data"), &[]);
    let sha = s.upload(photo.to_str().expect("utf-8"));
    // Scalp and reference on the same painted skin: no redness between them.
    let r = s.post_json(
        "/api/match",
        &json!({ "photo": sha, "hair": [[20, 20, 160, 260]], "scalp": [[420, 20, 70, 260]],
                 "reference": [[510, 20, 70, 260]] }),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let reference = &r.json()["result"]["scalp"]["skin_reference"];
    let da = reference["scalp_delta_a"].as_f64().expect("Δa*");
    assert!(da.abs() < 0.5, "{reference}");
    assert_eq!(reference["scalp_red"], false);
}

#[test]
fn the_preview_follows_ink_dilution_and_month() {
    let dir = tmp();
    let s = start(dir.path(), &["samples/shaved_light.jpg"]);
    let setup = s.get("/api/setup").json();
    let sha = setup["photos"][0]["sha256"]
        .as_str()
        .expect("preloaded")
        .to_string();
    let pv = |extra: serde_json::Value| {
        let mut a = json!({ "photo": sha, "area": [400, 300, 300, 200], "px_per_mm": 6.0 });
        a.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let r = s.post_json("/api/preview", &a);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    };
    let undiluted = pv(json!({ "ink": "carbon-black", "dilution": 0.0 }));
    let diluted = pv(json!({ "ink": "carbon-black", "dilution": 3.0 }));
    let l = |p: &serde_json::Value| p["preview"]["dot_lab"][0].as_f64().expect("L*");
    assert!(
        l(&diluted) > l(&undiluted) + 1.0,
        "{} vs {}",
        l(&diluted),
        l(&undiluted)
    );
    // The page draws what the command line draws.
    let out = tmp();
    let png = out.path().join("p.png");
    let o = common::run(&[
        "preview",
        "samples/shaved_light.jpg",
        "-c",
        "pigments/smp_sample.json",
        "--region",
        "400,300,300,200",
        "--scale",
        "6",
        "--ink",
        "carbon-black",
        "--dilution",
        "3",
        "-o",
        png.to_str().expect("utf-8"),
        "--json",
    ]);
    let cli = common::json_stdout(&o);
    assert_eq!(cli["dot_lab"], diluted["preview"]["dot_lab"]);
    assert_eq!(cli["dots"], diluted["preview"]["dots"]);
    let months: Vec<f64> = undiluted["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|f| f["month"].as_f64().expect("month"))
        .collect();
    assert_eq!(months, vec![0.0, 6.0, 12.0, 24.0, 36.0]);
    assert_ne!(
        undiluted["frames"][0]["image"],
        undiluted["frames"][4]["image"]
    );
    // 50 mm × 33 mm at 100 dots/cm²: within a tenth of 1 667 dots.
    let dots = undiluted["preview"]["dots"].as_f64().expect("dots");
    assert!((dots - 1667.0).abs() < 167.0, "{dots}");
    // No treated area drawn: found where the scalp shows (the separation of this sample is
    // sure), and said.
    let r = s.post_json("/api/preview", &json!({ "photo": sha }));
    assert_eq!(r.status, 200, "no treated area: it is found");
    let found = r.json();
    assert_eq!(found["preview"]["area_source"], "found");
    assert!(found["preview"]["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w["code"] == "area_found"));
    // A real photo whose reading is unsure: the area is asked for in the page's words.
    let real =
        s.upload("tests/real/photos/train_1-Back_jpg.rf.27145bb778371ad2e7d1bdbd56f8dfe1.jpg");
    let r = s.post_json("/api/preview", &json!({ "photo": real }));
    assert_eq!(r.json()["error"]["kind"], "analysis");
    let msg = r.json()["error"]["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert!(
        msg.contains("“Treated area” tool") && !msg.contains("--region"),
        "{msg}"
    );
    let r = s.post_json(
        "/api/preview",
        &json!({ "photo": sha, "area": [1100, 800, 300, 300] }),
    );
    assert_eq!(r.status, 400, "an area outside the photo");
    // The report is a self-contained page with the preview.
    let r = s.post_json(
        "/api/report",
        &json!({ "photo": sha, "area": [400, 300, 300, 200], "patient": "P-<9>", "name": "IMG_<1>.jpg" }),
    );
    assert_eq!(r.status, 200);
    let html = String::from_utf8_lossy(&r.body);
    assert!(html.contains("Recommendation") && html.contains("months after healing"));
    assert!(html.contains("P-&lt;9&gt;") && !html.contains("P-<9>"));
    // The photo is shown by the name it was opened with, escaped, not by its stored path.
    assert!(
        html.contains("IMG_&lt;1&gt;.jpg") && !html.contains("/photos/"),
        "stored path shown"
    );
}

fn save(s: &Served, sha: &str, patient: &str) -> Option<i64> {
    let r = s.post_json(
        "/api/consultations",
        &json!({ "photo": sha, "patient": patient }),
    );
    (r.status == 201).then(|| r.json()["id"].as_i64().expect("id"))
}

#[test]
fn two_clients_at_once_do_not_corrupt_the_store() {
    let dir = tmp();
    let s = start(dir.path(), &["samples/shaved_light.jpg"]);
    let sha = s.get("/api/setup").json()["photos"][0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    let backup = dir.path().join("backup.sqlite");
    let ids: Vec<i64> = std::thread::scope(|sc| {
        // A backup taken while both clients write.
        let backing_up = sc.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            common::run(&[
                "record",
                "backup",
                "--to",
                backup.to_str().expect("utf-8"),
                "--data",
                dir.path().to_str().expect("utf-8"),
            ])
        });
        let handles: Vec<_> = (0..2)
            .map(|k| {
                let (s, sha) = (&s, &sha);
                sc.spawn(move || {
                    (0..8)
                        .map(|i| save(s, sha, &format!("C{k}-{i}")).expect("saved"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let ids = handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect();
        let o = backing_up.join().expect("backup");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        ids
    });
    // The backup is a whole database holding some of the consultations.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).expect("dir");
    std::fs::copy(&backup, copy.join("smpmatch.sqlite")).expect("copy");
    let copied = smpmatch::records::Store::open(&copy).expect("opens");
    assert_eq!(copied.integrity_check().expect("check"), "ok");
    assert!(copied.consultations(None).expect("list").len() <= 16);
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 16);
    let list = s.get("/api/consultations").json();
    assert_eq!(list.as_array().map(Vec::len), Some(16));
    let store = smpmatch::records::Store::open(dir.path()).expect("open beside the server");
    assert_eq!(store.integrity_check().expect("check"), "ok");
    assert_eq!(store.patients().expect("patients").len(), 16);
}

#[cfg(unix)]
#[test]
fn killing_the_server_mid_write_loses_at_most_the_request_in_flight() {
    let dir = tmp();
    let mut s = start(dir.path(), &[]);
    let acknowledged = std::sync::Mutex::new(Vec::<(i64, String)>::new());
    std::thread::scope(|sc| {
        let (s_ref, ack) = (&s, &acknowledged);
        let writer = sc.spawn(move || {
            // A new photo each time (so the photo store is written too), then a consultation.
            for i in 0u32.. {
                let (hair, skin) = (
                    lab_to_srgb8(lab_from_array(BLACK)),
                    lab_to_srgb8(lab_from_array(SKIN)),
                );
                let mut img = image::RgbImage::from_fn(64, 48, |x, _| {
                    image::Rgb(if x < 32 { hair } else { skin })
                });
                // One pixel tells the photos apart.
                img.put_pixel(
                    0,
                    0,
                    image::Rgb([(i % 251) as u8, (i / 251 % 251) as u8, 7]),
                );
                let mut png = std::io::Cursor::new(Vec::new());
                img.write_to(&mut png, image::ImageFormat::Png)
                    .expect("png");
                let Some(r) =
                    s_ref.try_post("/api/photos", "application/octet-stream", png.get_ref())
                else {
                    return;
                };
                if r.status != 200 {
                    return;
                }
                let sha = r.json()["sha256"].as_str().expect("sha").to_string();
                let ask = json!({
                    "photo": sha, "patient": format!("K-{i}"),
                    "hair": [[2, 2, 28, 44]], "scalp": [[34, 2, 28, 44]]
                });
                let Some(r) = s_ref.try_post(
                    "/api/consultations",
                    "application/json",
                    ask.to_string().as_bytes(),
                ) else {
                    return;
                };
                if r.status != 201 {
                    return;
                }
                let id = r.json()["id"].as_i64().expect("id");
                ack.lock().expect("lock").push((id, sha));
            }
        });
        // Let it write a few, then SIGKILL the server in the middle of its loop.
        while acknowledged.lock().expect("lock").len() < 6 {
            assert!(!writer.is_finished(), "the writer stopped before the kill");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let pid = i32::try_from(s.child.id()).expect("pid");
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
        let _ = writer.join();
    });
    let _ = s.child.wait();
    let acknowledged = acknowledged.into_inner().expect("lock");
    // Restart on the same data: everything acknowledged is there, at most one more.
    let s2 = start(dir.path(), &[]);
    let list = s2.get("/api/consultations").json();
    let ids: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect();
    for (id, sha) in &acknowledged {
        assert!(ids.contains(id), "acknowledged consultation {id} lost");
        let r = s2.get(&format!("/api/photos/{sha}"));
        assert_eq!(r.status, 200, "acknowledged photo {sha} lost");
    }
    assert!(
        ids.len() <= acknowledged.len() + 1,
        "{} vs {}",
        ids.len(),
        acknowledged.len()
    );
    let store = smpmatch::records::Store::open(dir.path()).expect("open");
    assert_eq!(store.integrity_check().expect("check"), "ok");
    // Every stored photo file is whole (temporary files aside, which are never named by a hash).
    for e in walkdir::WalkDir::new(dir.path().join("photos"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp") {
            continue;
        }
        image::open(e.path()).unwrap_or_else(|err| panic!("{name}: half a photo: {err}"));
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_it_cleanly_and_a_restart_finds_the_consultation() {
    use std::io::Read;
    let dir = tmp();
    let mut s = start(dir.path(), &["samples/shaved_light.jpg"]);
    let sha = s.get("/api/setup").json()["photos"][0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    let id = save(&s, &sha, "R-1").expect("saved");
    let pid = i32::try_from(s.child.id()).expect("pid");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = s.child.wait().expect("exits");
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    if let Some(mut e) = s.child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(err.contains("stopped"), "{err}");
    let s2 = start(dir.path(), &[]);
    let found = s2.get("/api/consultations?patient=R-1").json();
    assert_eq!(found[0]["id"].as_i64(), Some(id));
    assert_eq!(found[0]["pigment_id"], "carbon-black");
    let hair = found[0]["hair_lab"][0].as_f64().expect("hair L*");
    assert!(hair > 10.0 && hair < 40.0, "{hair}");
    let one = s2.get(&format!("/api/consultations/{id}")).json();
    assert_eq!(one["consultation"]["patient"], "R-1");
    assert_eq!(s2.get("/api/consultations/999").status, 400);
}

#[test]
fn records_feed_fit_fading_and_leave_out_the_healing_window() {
    let dir = tmp();
    let data = dir.path().join("data");
    let d = data.to_str().expect("utf-8");
    let sha = {
        let s = start(&data, &["samples/shaved_light.jpg"]);
        let sha = s.get("/api/setup").json()["photos"][0]["sha256"]
            .as_str()
            .expect("sha")
            .to_string();
        save(&s, &sha, "F-1").expect("saved");
        sha
    };
    assert_eq!(sha.len(), 64);
    let run = |args: &[&str]| {
        let o = common::run(args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(&[
        "record",
        "session",
        "1",
        "--date",
        "2026-01-05",
        "--ink",
        "carbon-black",
        "--dilution",
        "1",
        "--data",
        d,
    ]);
    // Three weeks on: inside the healing window, flagged.
    let soon = run(&[
        "record",
        "followup",
        "1",
        "--date",
        "2026-01-26",
        "--lab",
        "38,1,2",
        "--skin-lab",
        "66,11,16",
        "--data",
        d,
    ]);
    assert!(soon.contains("healing window"), "{soon}");
    for (date, l) in [
        ("2026-04-05", "40"),
        ("2026-07-05", "42"),
        ("2027-01-05", "45"),
        ("2028-01-05", "49"),
    ] {
        run(&[
            "record",
            "followup",
            "1",
            "--date",
            date,
            "--lab",
            &format!("{l},1,2"),
            "--skin-lab",
            "66,11,16",
            "--data",
            d,
        ]);
    }
    let csv = run(&["record", "followups", "--csv", "--data", d]);
    assert_eq!(
        csv.lines().count(),
        5,
        "header and four settled follow-ups: {csv}"
    );
    let csv_file = dir.path().join("f.csv");
    std::fs::write(&csv_file, &csv).expect("write");
    let fit = |how: &[&str]| {
        let mut args = vec![
            "catalog",
            "fit-fading",
            "pigments/smp_sample.json",
            "--dry-run",
            "--json",
        ];
        args.extend_from_slice(how);
        let v: serde_json::Value = serde_json::from_str(&run(&args)).expect("JSON");
        v
    };
    let from_records = fit(&["--records", d]);
    let from_csv = fit(&["--followups", csv_file.to_str().expect("utf-8")]);
    assert_eq!(from_records["fits"], from_csv["fits"]);
    assert_eq!(from_records["fits"][0]["points"], 4);
    // The show command names the flag.
    let show = run(&["record", "show", "1", "--data", d]);
    assert!(
        show.contains("inside the healing window") && show.contains("not used in fits"),
        "{show}"
    );
    // A backup while nobody writes is a whole database.
    let backup = dir.path().join("copy.sqlite");
    run(&[
        "record",
        "backup",
        "--to",
        backup.to_str().expect("utf-8"),
        "--data",
        d,
    ]);
    let copy_dir = dir.path().join("copy");
    std::fs::create_dir(&copy_dir).expect("dir");
    std::fs::copy(&backup, copy_dir.join("smpmatch.sqlite")).expect("copy");
    let copy = smpmatch::records::Store::open(&copy_dir).expect("opens");
    assert_eq!(copy.consultations(Some("F-1")).expect("list").len(), 1);
    assert_eq!(copy.followups(1).expect("follow-ups").len(), 5);
    // The backup may not be the database itself.
    let o = common::run(&[
        "record",
        "backup",
        "--to",
        &format!("{d}/smpmatch.sqlite"),
        "--data",
        d,
    ]);
    assert!(!o.status.success());
}

#[test]
fn a_card_photo_calibrates_on_the_spot_and_the_report_comes_as_png_too() {
    let dir = tmp();
    let s = start(
        dir.path(),
        &["samples/card_clinic.jpg", "samples/shaved_light.jpg"],
    );
    let setup = s.get("/api/setup").json();
    let card = setup["photos"][0]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    let head = setup["photos"][1]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    let (w, h) = (
        setup["photos"][0]["width"].as_f64().expect("w"),
        setup["photos"][0]["height"].as_f64().expect("h"),
    );
    let r = s.post_json("/api/calibrate", &json!({ "photo": card }));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let c = r.json();
    assert_eq!(c["index"], 0);
    assert!(c["held_out_mean_de00"].as_f64().expect("ΔE00") < 3.0, "{c}");
    assert_eq!(c["centres"].as_array().map(Vec::len), Some(24));
    for p in c["outline"].as_array().expect("outline") {
        let (x, y) = (p[0].as_f64().expect("x"), p[1].as_f64().expect("y"));
        assert!(
            (0.0..=w).contains(&x) && (0.0..=h).contains(&y),
            "{p} outside {w}×{h}"
        );
    }
    // The patient photo through that profile.
    let m = s.post_json("/api/match", &json!({ "photo": head, "profile": 0 }));
    assert_eq!(m.status, 200);
    assert!(!m.json()["result"]["calibration"].is_null());
    assert_eq!(
        s.post_json("/api/match", &json!({ "photo": head, "profile": 5 }))
            .status,
        400
    );
    // A photo without a card says so.
    let r = s.post_json("/api/calibrate", &json!({ "photo": head }));
    assert!(r.status == 422 || r.status == 400, "{}", r.status);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("card"),
        "{}",
        r.json()
    );
    // The report as a PNG sheet.
    let r = s.post_json("/api/report", &json!({ "photo": head, "format": "png" }));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    image::load_from_memory(&r.body).expect("a PNG");
    let r = s.post_json("/api/report", &json!({ "photo": head, "format": "pdf" }));
    assert_eq!(r.status, 400);
}

#[test]
fn another_address_still_needs_the_token_and_warns_of_no_tls() {
    use std::io::Read;
    let dir = tmp();
    let mut s = start(dir.path(), &["--bind", "0.0.0.0"]);
    // A tablet on the network uses the machine's name: no Host check there, the token guards.
    let r = s.get_with(
        "/api/setup",
        Some(&s.token.clone()),
        Some("clinic-laptop.local"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        s.get_with("/api/setup", None, Some("clinic-laptop.local"))
            .status,
        401
    );
    let _ = s.child.kill();
    let _ = s.child.wait();
    let mut err = String::new();
    if let Some(mut e) = s.child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(err.contains("without TLS"), "{err}");
}
