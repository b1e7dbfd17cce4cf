//! The command line as other programs see it: exit codes, JSON on stdout, JSON errors on
//! stderr, determinism.

mod common;
use common::{bin, json_error, json_stdout, run};

use std::process::Command;

const CATALOG: &str = "pigments/smp_sample.json";
const SHAVED: &str = "samples/shaved_light.jpg";

#[test]
fn match_json_has_the_documented_keys() {
    let o = run(&["match", SHAVED, "--catalog", CATALOG, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "stderr must stay empty: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json_stdout(&o);
    assert_eq!(v["schema_version"], 8);
    let input = &v["inputs"][0];
    for k in ["path", "width", "height", "color_space"] {
        assert!(!input[k].is_null(), "inputs[0].{k}");
    }
    assert_eq!(input["width"], 1200);
    for role in ["hair", "scalp"] {
        let tones = v[role]["tones"].as_array().expect("tones");
        assert!(!tones.is_empty());
        let sum: f64 = tones.iter().map(|t| t["weight"].as_f64().expect("w")).sum();
        assert!((sum - 1.0).abs() < 1e-3, "{role} weights sum {sum}");
        for t in tones {
            assert_eq!(t["lab"].as_array().expect("lab").len(), 3);
            assert!(t["hex"].as_str().expect("hex").starts_with('#'));
        }
    }
    assert_eq!(v["hair"]["target_lab"].as_array().expect("target").len(), 3);
    assert!(v["scalp"]["ita_deg"].is_number());
    assert_eq!(v["scalp"]["skin_category"], "light");
    // Every warning carries a code and a message.
    for w in v["warnings"].as_array().expect("warnings") {
        assert!(w["code"].is_string() && w["message"].is_string(), "{w}");
    }
    let ranking = v["ranking"].as_array().expect("ranking");
    // Every single ink of the catalog, plus any blend that clears the margin.
    let singles = ranking.iter().filter(|r| r["kind"] == "single").count();
    assert_eq!(singles, 6);
    let scores: Vec<f64> = ranking
        .iter()
        .map(|r| r["score"].as_f64().expect("score"))
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] <= w[1]),
        "sorted best first: {scores:?}"
    );
    let steps: Vec<f64> = v["model"]["dilution_steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|x| x.as_f64().expect("step"))
        .collect();
    for r in ranking {
        assert!(r["pigment_id"].is_string() && r["name"].is_string());
        assert!(r["touch_up_months"].is_null() || r["touch_up_months"].is_number());
        // The dilution used is one of the clinic's steps.
        let d = r["dilution"].as_f64().expect("dilution");
        assert!(steps.contains(&d), "{d} not a clinic step");
        assert!(r["dilution_optimum"].is_number() || r["dilution_optimum"].is_null());
        let cov = r["coverage"].as_f64().expect("coverage");
        assert!(cov > 0.0 && cov < 1.0);
        for k in ["delta_e00_dot", "delta_e00_area", "uncertainty", "score"] {
            assert!(r[k].as_f64().expect(k) >= 0.0, "{k}");
        }
        assert!(r["tied_with_best"].is_boolean());
        let shares: f64 = r["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| c["share"].as_f64().expect("share"))
            .sum();
        assert!((shares - 1.0).abs() < 1e-9);
        let tl = r["timeline"].as_array().expect("timeline");
        assert_eq!(tl.len(), 7);
        for p in tl {
            assert!(p["month"].is_number() && p["delta_e00"].is_number());
            assert!(p["delta_e00_area"].is_number());
            assert_eq!(p["lab"].as_array().expect("lab").len(), 3);
        }
    }
    assert_eq!(ranking[0]["tied_with_best"], false);
    assert!(v["confidence"]["summary"].is_string());
    assert_eq!(v["confidence"]["best"], ranking[0]["pigment_id"]);
    assert!(v["blends"]["considered"].as_u64().expect("considered") > 0);
    assert!(v["stubble"]["lab"].is_array());

    let plan = &v["plan"];
    assert_eq!(plan["pigment_id"], ranking[0]["pigment_id"]);
    let sessions = plan["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 3);
    let mut last_l = f64::INFINITY;
    for (i, s) in sessions.iter().enumerate() {
        assert_eq!(s["index"], i + 1);
        assert_eq!(s["week"].as_f64(), Some(3.0 * i as f64));
        for k in ["pigment_id", "dilution", "lab", "delta_e00"] {
            assert!(!s[k].is_null(), "sessions[{i}].{k}");
        }
        // Sessions only ever darken the treated area.
        let l = s["lab"][0].as_f64().expect("L*");
        assert!(
            l <= last_l + 1e-9,
            "session {i} lighter than the one before"
        );
        last_l = l;
    }
    // The first session is never darker (less diluted) than the recommendation.
    assert!(
        sessions[0]["dilution"].as_f64() >= ranking[0]["dilution"].as_f64(),
        "{plan}"
    );
    assert_eq!(sessions[2]["dilution"], ranking[0]["dilution"]);
    assert!(plan["touch_up_months"].is_number() || plan["touch_up_months"].is_null());
    assert!(plan["suggested_density_per_cm2"].as_f64().expect("density") > 0.0);
}

#[test]
fn same_input_same_bytes() {
    let a = run(&["match", SHAVED, "--catalog", CATALOG, "--json"]);
    let b = run(&["match", SHAVED, "--catalog", CATALOG, "--json"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn same_bytes_on_one_thread_and_on_many() {
    // Sampling, k-means restarts, refinement, spreads and the ranking run in parallel; their
    // partial results are combined in a fixed order, so the thread count cannot show.
    let with = |threads: &str| {
        std::process::Command::new(bin())
            .args(["match", SHAVED, "--catalog", CATALOG, "--json"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("runs")
    };
    let one = with("1");
    assert!(one.status.success());
    for threads in ["2", "3", "8"] {
        assert_eq!(one.stdout, with(threads).stdout, "{threads} threads differ");
    }
}

#[test]
fn top_sun_and_months_shape_the_output() {
    let o = run(&[
        "match",
        SHAVED,
        "--catalog",
        CATALOG,
        "--json",
        "--top",
        "3",
        "--months",
        "0,12",
        "--sun",
        "high",
    ]);
    let v = json_stdout(&o);
    let r = v["ranking"].as_array().expect("ranking");
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["timeline"].as_array().expect("tl").len(), 2);
    assert_eq!(v["settings"]["sun"], "high");
    // More sun, faster fading: the best pigment's touch-up comes no later than under low sun.
    let low = json_stdout(&run(&[
        "match",
        SHAVED,
        "--catalog",
        CATALOG,
        "--json",
        "--sun",
        "low",
    ]));
    let id = r[0]["pigment_id"].clone();
    let find = |v: &serde_json::Value| {
        v["ranking"]
            .as_array()
            .expect("r")
            .iter()
            .find(|c| c["pigment_id"] == id)
            .expect("same pigment")["touch_up_months"]
            .as_f64()
    };
    let (hi_t, lo_t) = (find(&v), find(&low));
    assert!(
        hi_t.unwrap_or(f64::MAX) < lo_t.unwrap_or(f64::MAX),
        "high {hi_t:?} vs low {lo_t:?}"
    );
}

#[test]
fn analyze_with_close_ups_and_text_output() {
    let o = run(&[
        "analyze",
        "--hair",
        "samples/hair_closeup.jpg",
        "--scalp",
        "samples/scalp_closeup.jpg",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("hair: target") && text.contains("ITA"),
        "{text}"
    );
    assert!(!text.contains("\x1b["), "NO_COLOR must disable colour");
    let o = run(&[
        "analyze",
        "samples/scalp_closeup.jpg",
        "--scalp-region",
        "10,10,200,200",
        "--json",
    ]);
    let v = json_stdout(&o);
    assert!(v["hair"].is_null());
    assert_eq!(v["scalp"]["source"], "regions");
    assert_eq!(v["inputs"][0]["regions"][0]["w"], 200);
}

#[test]
fn delta_e_subcommand_reproduces_a_sharma_pair() {
    // Pair 1 of Sharma et al. (2005): ΔE00 = 2.0425.
    let o = run(&["delta-e", "50,2.6772,-79.7751", "50,0,-82.7485", "--json"]);
    assert!(o.status.success());
    let v = json_stdout(&o);
    assert_eq!(v["delta_e00"], 2.0425);
    // The inputs are echoed exactly as given, not rounded.
    assert_eq!(v["lab1"], serde_json::json!([50.0, 2.6772, -79.7751]));
    assert_eq!(v["lab2"], serde_json::json!([50.0, 0.0, -82.7485]));
    let o = run(&["delta-e", "50,2.6772,-79.7751", "50,0,-82.7485"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "2.0425");
}

#[test]
fn catalog_validate_reports_every_problem() {
    let ok = run(&["catalog", "validate", CATALOG, "--json"]);
    assert!(ok.status.success());
    assert_eq!(json_stdout(&ok)["valid"], true);

    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"schema_version": 1, "pigments": [
            {"id": "a", "name": "A", "base": "carbon", "lab": [120, 0, 0], "measurement": {"method": "illustrative", "source": "x"}},
            {"id": "a", "name": "B", "base": "carbon", "lab": [20, 0, 0]}
        ]}"#,
    )
    .expect("write");
    let o = run(&["catalog", "validate", bad.to_str().expect("utf8"), "--json"]);
    assert_eq!(o.status.code(), Some(4));
    let v = json_stdout(&o);
    assert_eq!(v["valid"], false);
    let paths: Vec<&str> = v["problems"]
        .as_array()
        .expect("p")
        .iter()
        .map(|p| p["path"].as_str().expect("s"))
        .collect();
    assert!(paths.contains(&"/pigments/0/lab/0"), "{paths:?}");
    assert!(paths.contains(&"/pigments/1/id"), "{paths:?}");
    assert!(
        paths.contains(&"/pigments/1"),
        "missing measurement: {paths:?}"
    );
    assert_eq!(json_error(&o)["error"]["kind"], "catalog");
}

#[test]
fn bad_inputs_fail_cleanly_with_json_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let empty = dir.path().join("empty.jpg");
    std::fs::write(&empty, b"").expect("w");
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, b"this is not a photo").expect("w");
    let truncated = dir.path().join("truncated.jpg");
    let bytes = std::fs::read(SHAVED).expect("sample");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).expect("w");
    let missing = dir.path().join("missing.jpg");
    let cases: Vec<(String, i32)> = vec![
        (empty.display().to_string(), 3),
        (text.display().to_string(), 3),
        (truncated.display().to_string(), 3),
        (missing.display().to_string(), 3),
        (dir.path().display().to_string(), 3),
    ];
    for (path, code) in cases {
        let o = run(&["match", &path, "--catalog", CATALOG, "--json"]);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{path}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.is_empty(), "{path}: no partial JSON on stdout");
        let e = json_error(&o);
        assert_eq!(e["error"]["kind"], "input");
        assert_eq!(
            e["error"]["path"],
            path.as_str(),
            "the error names the file"
        );
    }
    // Without --json: a readable message naming the file, no panic.
    let o = run(&["analyze", empty.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(3));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(
        msg.contains("empty.jpg") && !msg.contains("panicked"),
        "{msg}"
    );
}

#[test]
fn usage_and_catalog_errors_have_their_codes() {
    let o = run(&["match", SHAVED, "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(json_error(&o)["error"]["kind"], "usage");
    let o = run(&["analyze", SHAVED, "--hair-region", "0,0,5000,10", "--json"]);
    assert_eq!(o.status.code(), Some(2), "region outside the photo");
    assert!(json_error(&o)["error"]["message"]
        .as_str()
        .expect("m")
        .contains("does not fit"));
    let o = run(&[
        "match",
        SHAVED,
        "--catalog",
        "no/such/catalog.json",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(json_error(&o)["error"]["kind"], "catalog");
    let o = run(&["delta-e", "50,0", "50,0,0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn schema_files_match_the_types() {
    for (which, file) in [
        ("output", "docs/schema/output.schema.json"),
        ("catalog", "docs/schema/catalog.schema.json"),
        ("error", "docs/schema/error.schema.json"),
        ("profile", "docs/schema/profile.schema.json"),
    ] {
        let o = run(&["schema", which]);
        assert!(o.status.success());
        let committed = std::fs::read_to_string(file).unwrap_or_else(|_| panic!("{file} missing"));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            committed,
            "{file} is stale: regenerate with `cargo run -- schema {which} > {file}`"
        );
    }
}

#[test]
fn plan_flags_shape_the_plan() {
    let o = run(&[
        "match",
        "samples/shaved_grey_dark.jpg",
        "--catalog",
        CATALOG,
        "--json",
        "--sessions",
        "2",
        "--session-weeks",
        "4",
        "--density",
        "120",
        "--dot-diameter",
        "0.4",
        "--no-blends",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json_stdout(&o);
    let sessions = v["plan"]["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[1]["week"].as_f64(), Some(4.0));
    assert_eq!(sessions[1]["density_per_cm2"].as_f64(), Some(120.0));
    // Coverage of 120 dots of 0.4 mm per cm²: 1 − exp(−120 · π · 0.04² / 4).
    let expected = 1.0 - (-120.0 * std::f64::consts::PI * 0.04 * 0.04 / 4.0f64).exp();
    let cov = v["settings"]["dots"]["coverage"]
        .as_f64()
        .expect("coverage");
    assert!((cov - expected).abs() < 1e-4, "{cov} vs {expected}");
    assert_eq!(v["blends"]["considered"], 0);
    assert!(v["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .all(|r| r["kind"] == "single"));

    for bad in [
        vec!["--sessions", "5"],
        vec!["--density", "0"],
        vec!["--dot-diameter", "nan"],
        vec!["--session-weeks", "-1"],
    ] {
        let mut args = vec!["match", SHAVED, "--catalog", CATALOG, "--json"];
        args.extend(bad.iter().copied());
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert_eq!(json_error(&o)["error"]["kind"], "usage");
    }
}

#[test]
fn long_hair_close_up_warns_that_it_is_not_a_stubble_look() {
    let o = run(&[
        "match",
        "--hair",
        "samples/hair_closeup.jpg",
        "--scalp",
        "samples/scalp_closeup.jpg",
        "--catalog",
        CATALOG,
        "--json",
    ]);
    assert!(o.status.success());
    let v = json_stdout(&o);
    let warnings = v["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w["code"] == "stubble_too_dark"
            && w["message"].as_str().expect("message").contains("stubble")),
        "{warnings:?}"
    );
}

#[test]
fn text_output_shows_the_plan_table() {
    let o = run(&["match", SHAVED, "--catalog", CATALOG, "--color", "never"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in ["plan for", "session", "touch-up", "how sure:", "dilution"] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn terminal_output_fits_narrow_terminals_and_degrades_without_colour() {
    for cols in [60usize, 80, 100] {
        let o = Command::new(bin())
            .args(["match", SHAVED, "--catalog", CATALOG, "--color", "always"])
            .env("COLUMNS", cols.to_string())
            .output()
            .expect("runs");
        assert!(o.status.success());
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("[\x1b[48;2;") && text.contains("\x1b[0m]"),
            "--color always paints swatches, framed by brackets so dark ones show on dark \
             terminals"
        );
        for line in text.lines() {
            let w = smpmatch::output::display_width(line);
            assert!(w <= cols, "{cols} columns: {w}-column line {line:?}");
        }
        assert!(text.contains("plan for"));
    }
    // No colour: no escape sequences at all, hex codes instead.
    let o = run(&["match", SHAVED, "--catalog", CATALOG, "--color", "auto"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains('\x1b'));
    assert!(text.contains("[#"));
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let o = run(&["completions", "bash"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for sub in [
        "analyze",
        "match",
        "calibrate",
        "fit-fading",
        "--dot-diameter",
    ] {
        assert!(text.contains(sub), "completion lacks {sub}");
    }
    let o = run(&["man"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(".TH smpmatch 1") && text.contains("calibrate"));
    // Every page the top page refers to exists: one per subcommand, on stdout or in a folder.
    let o = run(&["man", "catalog", "import"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(".TH smpmatch-catalog-import 1") && text.contains("dilution"));
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(&["man", "--dir", dir.path().to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let top = std::fs::read_to_string(dir.path().join("smpmatch.1")).expect("smpmatch.1");
    let mut referenced = 0;
    for word in top.split_whitespace() {
        if let Some(name) = word.strip_suffix("(1)") {
            let file = format!("{}.1", name.replace("\\-", "-"));
            assert!(
                dir.path().join(&file).is_file(),
                "{file} is referenced but missing"
            );
            referenced += 1;
        }
    }
    assert!(referenced >= 8, "{referenced} pages referenced");
    assert!(dir.path().join("smpmatch-catalog-fit-fading.1").is_file());
    let o = run(&["man", "no-such-command"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn catalog_show_import_and_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(&["catalog", "show", CATALOG, "--json"]);
    assert!(o.status.success());
    let v = json_stdout(&o);
    assert_eq!(v["catalog"]["pigments"].as_array().expect("p").len(), 6);
    let o = run(&["catalog", "show", CATALOG, "--color", "never"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("carbon-black") && text.contains("[#") && text.contains("iron_oxide"));

    // Import: a spreadsheet with a quoted comma; then one with a bad number.
    let csv = dir.path().join("inks.csv");
    std::fs::write(
        &csv,
        "id,name,base,L,a,b,method,source,half_life_months,sun_sensitivity\n\
         ink-1,\"Black, jet\",carbon,21,0.2,-1,manufacturer,Brand sheet,40,0.3\n\
         ink-2,Brown,iron_oxide,31,9,12,,,,\n",
    )
    .expect("csv");
    let out = dir.path().join("inks.json");
    let o = run(&[
        "catalog",
        "import",
        csv.to_str().expect("u"),
        "--out",
        out.to_str().expect("u"),
        "--dilution-steps",
        "0,2,4,8",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cat = smpmatch::catalog::load(&out).expect("valid");
    assert_eq!(cat.pigments[0].name, "Black, jet");
    assert_eq!(cat.dilution_steps, Some(vec![0.0, 2.0, 4.0, 8.0]));
    assert_eq!(
        cat.pigments[1].measurement.method,
        smpmatch::catalog::Method::Illustrative
    );
    std::fs::write(
        &csv,
        "id,name,base,L,a,b\nink-1,Black,carbon,21,zero,-1\nink-1,Dup,granite,21,0,-1\n",
    )
    .expect("csv");
    let o = run(&["catalog", "import", csv.to_str().expect("u"), "--json"]);
    assert_eq!(o.status.code(), Some(4));
    let e = json_error(&o);
    let problems: Vec<String> = e["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| format!("{}: {}", p["path"], p["message"]))
        .collect();
    let all = problems.join("\n");
    assert!(all.contains("row 2, a"), "{all}");
    assert!(
        all.contains("row 3, id") && all.contains("duplicate"),
        "{all}"
    );
    assert!(all.contains("row 3, base"), "{all}");

    // Diff: the imported catalog against itself, then against a changed copy.
    let o = run(&[
        "catalog",
        "diff",
        out.to_str().expect("u"),
        out.to_str().expect("u"),
    ]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "no differences");
    let mut changed = cat.clone();
    changed.pigments[0].lab[0] += 2.0;
    changed.pigments.remove(1);
    let out2 = dir.path().join("inks2.json");
    std::fs::write(&out2, serde_json::to_string(&changed).expect("json")).expect("write");
    let o = run(&[
        "catalog",
        "diff",
        out.to_str().expect("u"),
        out2.to_str().expect("u"),
        "--json",
    ]);
    let v = json_stdout(&o);
    let ch = v["changes"].as_array().expect("changes");
    assert_eq!(ch.len(), 2);
    assert_eq!(ch[0]["kind"], "changed");
    assert!(ch[0]["lab_delta_e00"].as_f64().expect("de") > 1.0);
    assert_eq!(ch[1]["kind"], "removed");
}

/// A photo holding a colour card is not separated automatically (its black and skin-coloured
/// patches would be taken for hair and scalp): exit 5 with a message that says so and what
/// to do; with regions the same photo is analysed.
#[test]
fn a_card_photo_is_refused_for_automatic_separation() {
    let o = run(&[
        "match",
        "samples/card_clinic.jpg",
        "--catalog",
        CATALOG,
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(o.stdout.is_empty());
    let e = json_error(&o);
    assert_eq!(e["error"]["kind"], "analysis");
    let msg = e["error"]["message"].as_str().expect("message");
    assert!(
        msg.contains("colour card") && msg.contains("calibrate"),
        "{msg}"
    );
    assert!(msg.contains("samples/card_clinic.jpg"), "{msg}");
    // The dark swatch beside the card and the grey background, given as regions.
    let o = run(&[
        "analyze",
        "samples/card_clinic.jpg",
        "--hair-region",
        "920,200,120,120",
        "--scalp-region",
        "40,780,200,80",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// With --json, a usage error keeps what clap says on the following lines (the missing
/// argument's name), and batch reports a fatal error as the JSON error object.
#[test]
fn json_errors_name_the_missing_argument_and_batch_has_json() {
    let o = run(&["match", SHAVED, "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let e = json_error(&o);
    let msg = e["error"]["message"].as_str().expect("message");
    assert!(msg.contains("--catalog"), "{msg}");
    let o = run(&[
        "batch",
        SHAVED,
        "--catalog",
        "no/such/catalog.json",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(o.stdout.is_empty());
    let e = json_error(&o);
    assert_eq!(e["error"]["kind"], "catalog");
    assert_eq!(e["error"]["path"], "no/such/catalog.json");
}

/// Short flags are the long ones (`-c` catalog, `-k`, `-o`), `-j/--threads N` sets the worker
/// count without changing a byte, and a thread count of 0 is refused.
#[test]
fn short_flags_and_threads() {
    let long = run(&["match", SHAVED, "--catalog", CATALOG, "--k", "3", "--json"]);
    assert!(long.status.success());
    for args in [
        &[
            "-j", "1", "match", SHAVED, "-c", CATALOG, "-k", "3", "--json",
        ][..],
        &[
            "match",
            SHAVED,
            "-c",
            CATALOG,
            "-k",
            "3",
            "--json",
            "--threads",
            "3",
        ][..],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}");
        assert_eq!(o.stdout, long.stdout, "{args:?}");
    }
    let o = run(&["-j", "0", "match", SHAVED, "-c", CATALOG]);
    assert_eq!(o.status.code(), Some(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.jsonl");
    let o = run(&[
        "batch",
        SHAVED,
        "-c",
        CATALOG,
        "-o",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.is_file());
}

/// `-` reads one photo from standard input: the same analysis as from the file.
#[test]
fn a_photo_from_standard_input() {
    use std::io::Write;
    let bytes = std::fs::read(SHAVED).expect("sample");
    let mut child = Command::new(bin())
        .args(["match", "-", "-c", CATALOG, "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&bytes)
        .expect("write");
    let piped = child.wait_with_output().expect("runs");
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    let from_file = json_stdout(&run(&["match", SHAVED, "-c", CATALOG, "--json"]));
    let mut piped = json_stdout(&piped);
    assert_eq!(piped["inputs"][0]["path"], "-");
    piped["inputs"][0]["path"] = from_file["inputs"][0]["path"].clone();
    assert_eq!(piped, from_file);
}

/// Defaults from a config file and the environment: flag > environment > file > built-in,
/// relative paths in the file are relative to it, a typo in the file is an error naming it,
/// and `config show` says where each value came from.
#[test]
fn config_file_and_environment_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(CATALOG, dir.path().join("cat.json")).expect("copy");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "catalog = \"cat.json\"\nsun = \"high\"\nsessions = 2\ndepth_mm = 0.3\ndata_dir = \"records\"\n",
    )
    .expect("write");
    let with = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = Command::new(bin());
        c.args(args).env("SMPMATCH_CONFIG", &cfg);
        for v in [
            "SMPMATCH_CATALOG",
            "SMPMATCH_SUN",
            "SMPMATCH_SESSIONS",
            "SMPMATCH_DEPTH",
            "SMPMATCH_DATA",
        ] {
            c.env_remove(v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("runs")
    };
    let settings = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v = json_stdout(o);
        (
            v["settings"]["sun"].as_str().expect("sun").to_string(),
            v["plan"]["sessions"].as_array().expect("sessions").len(),
        )
    };
    // The file alone: no --catalog needed; its sun, sessions and depth.
    let o = with(&[], &["match", SHAVED, "--json"]);
    assert_eq!(settings(&o), ("high".to_string(), 2));
    assert_eq!(
        json_stdout(&o)["model"]["params"]["depth_mm"].as_f64(),
        Some(0.3)
    );
    // The records' data directory, relative to the file, for `record` (and `serve`).
    let o = with(&[], &["record", "patients"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("records").join("smpmatch.sqlite").is_file());
    // The environment beats the file; a flag beats both.
    let o = with(&[("SMPMATCH_SUN", "low")], &["match", SHAVED, "--json"]);
    assert_eq!(settings(&o).0, "low");
    let o = with(
        &[("SMPMATCH_SUN", "low")],
        &[
            "match",
            SHAVED,
            "--json",
            "--sun",
            "moderate",
            "--sessions",
            "3",
        ],
    );
    assert_eq!(settings(&o), ("moderate".to_string(), 3));
    // config show names the sources.
    let o = with(&[("SMPMATCH_SUN", "low")], &["config", "show", "--json"]);
    let v = json_stdout(&o);
    let source = |key: &str| {
        v["settings"]
            .as_array()
            .expect("settings")
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| s["source"].as_str().expect("source").to_string())
            .expect("key")
    };
    assert!(source("sun").contains("SMPMATCH_SUN"));
    assert!(source("sessions").contains("config file"));
    assert_eq!(source("density_per_cm2"), "built-in");
    assert!(source("depth_mm").contains("config file"));
    assert!(source("data_dir").contains("config file"));
    // `catalog measure` rewrites its catalog: the configured one is never its default.
    let o = with(
        &[],
        &[
            "catalog",
            "measure",
            "--photo",
            "samples/card_clinic.jpg",
            "--profile",
            "p.json",
            "--swatch",
            "carbon-black=1,1,5,5",
            "--json",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let msg = json_error(&o)["error"]["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert!(msg.contains("CATALOG"), "{msg}");
    // A typo in the file is an error that names the file.
    std::fs::write(&cfg, "catalgo = \"cat.json\"\n").expect("write");
    let o = with(&[], &["match", SHAVED, "--json"]);
    assert_eq!(o.status.code(), Some(3));
    let e = json_error(&o);
    let msg = e["error"]["message"].as_str().expect("message");
    assert!(
        msg.contains("config.toml") && msg.contains("catalgo"),
        "{msg}"
    );
}

#[test]
fn predict_gives_the_healed_dot_and_its_timeline() {
    let o = run(&[
        "predict",
        "--skin",
        "66,11,16",
        "-c",
        CATALOG,
        "--ink",
        "carbon-black",
        "--dilution",
        "6",
        "--months",
        "0,12,60,120",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json_stdout(&o);
    assert_eq!(v["command"], "predict");
    assert_eq!(v["schema_version"], 8);
    let t = v["timeline"].as_array().expect("timeline");
    let months: Vec<f64> = t.iter().map(|p| p["month"].as_f64().expect("m")).collect();
    assert_eq!(months, [0.0, 12.0, 60.0, 120.0]);
    // Healed: darker than the skin, with a blue-green cast (no colour rule makes it).
    let l0 = t[0]["lab"][0].as_f64().expect("L");
    assert!(l0 < 60.0, "{l0}");
    assert!(t[0]["cast"][1].as_f64().expect("cast") < -3.0);
    // Ageing: lighter every step, deeper, less pigment, drifting from the healed dot.
    for w in t.windows(2) {
        assert!(w[1]["lab"][0].as_f64() > w[0]["lab"][0].as_f64());
        assert!(w[1]["depth_mm"].as_f64() > w[0]["depth_mm"].as_f64());
        assert!(w[1]["pigment_left"].as_f64() < w[0]["pigment_left"].as_f64());
        assert!(w[1]["delta_e00_to_healed"].as_f64() > w[0]["delta_e00_to_healed"].as_f64());
    }
    // The plateau: pigment never goes to zero.
    assert!(t[3]["pigment_left"].as_f64().expect("left") > 0.3);
    // The fitted skin is reported and reproduces the given colour.
    assert!(v["skin"]["fit_delta_e00"].as_f64().expect("fit") < 0.5);

    // Deeper pigment is lighter.
    let at = |depth: &str| {
        let o = run(&[
            "predict",
            "--skin",
            "66,11,16",
            "-c",
            CATALOG,
            "--ink",
            "carbon-black",
            "--depth",
            depth,
            "--months",
            "0",
            "--json",
        ]);
        json_stdout(&o)["timeline"][0]["lab"][0]
            .as_f64()
            .expect("L")
    };
    assert!(at("0.1") < at("0.3"));

    // An unknown ink: a usage error naming the ids.
    let o = run(&[
        "predict", "--skin", "66,11,16", "-c", CATALOG, "--ink", "nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("carbon-black"));
}

#[test]
fn a_tinted_ink_is_validated_and_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cat = dir.path().join("tint.json");
    let ink = |tint: &str| {
        format!(
            r#"{{"schema_version": 1, "pigments": [{{"id": "brown", "name": "Brown",
            "base": "iron_oxide", "lab": [30, 10, 13],
            "measurement": {{"method": "masstone_drawdown", "source": "test"}}{tint}}}]}}"#
        )
    };
    let lab_at = |text: &str| {
        std::fs::write(&cat, text).expect("write");
        let o = run(&[
            "predict",
            "--skin",
            "66,11,16",
            "-c",
            cat.to_str().expect("utf8"),
            "--ink",
            "brown",
            "--dilution",
            "2",
            "--months",
            "0",
            "--json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        json_stdout(&o)["timeline"][0]["lab"].clone()
    };
    let plain = lab_at(&ink(""));
    let tinted = lab_at(&ink(r#", "tint": {"lab": [62, 9, 12], "ink_share": 0.1}"#));
    // The tint measures the ink's scattering: the prediction changes.
    assert_ne!(plain, tinted);
    // A share outside (0, 1) is refused, naming the field.
    std::fs::write(
        &cat,
        ink(r#", "tint": {"lab": [62, 9, 12], "ink_share": 1.5}"#),
    )
    .expect("write");
    let o = run(&["catalog", "validate", cat.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("/pigments/0/tint/ink_share")
            || String::from_utf8_lossy(&o.stdout).contains("/pigments/0/tint/ink_share")
    );
}

#[test]
fn depth_comes_from_the_flag_over_the_catalog_over_the_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The same ink at the same dilution, healed at two depths: deeper pigment is seen through
    // more tissue, so its healed dot is lighter.
    let healed_l = |v: &serde_json::Value, id: &str| {
        v["ranking"]
            .as_array()
            .expect("ranking")
            .iter()
            .find(|c| c["pigment_id"] == id && c["kind"] == "single")
            .map(|c| {
                (
                    c["healed_lab"][0].as_f64().expect("L"),
                    c["dilution"].clone(),
                )
            })
            .expect("candidate")
    };
    let args = |catalog: &str, extra: &[&str]| {
        let mut a = vec![
            "match",
            SHAVED,
            "--catalog",
            catalog,
            "--json",
            "--no-blends",
            "--density",
            "75",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run_s =
        |a: Vec<String>| json_stdout(&run(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    let shallow = run_s(args(CATALOG, &[]));
    let deep = run_s(args(CATALOG, &["--depth", "0.4"]));
    assert_eq!(shallow["model"]["params"]["depth_mm"], 0.15);
    assert_eq!(deep["model"]["params"]["depth_mm"], 0.4);
    let ((l_shallow, d1), (l_deep, d2)) = (
        healed_l(&shallow, "carbon-black"),
        healed_l(&deep, "carbon-black"),
    );
    assert_eq!(d1, d2, "the test compares one dilution at two depths");
    assert!(l_deep > l_shallow + 3.0, "{l_deep} vs {l_shallow}");
    // A catalog's model.depth_mm is the default; the flag wins over it.
    let mut cat: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(CATALOG).expect("catalog")).expect("json");
    cat["model"] = serde_json::json!({"depth_mm": 0.4, "source": "the clinic's technique"});
    let path = dir.path().join("deep.json");
    std::fs::write(&path, cat.to_string()).expect("write");
    let p = path.to_str().expect("utf8");
    let from_catalog = run_s(args(p, &[]));
    assert_eq!(from_catalog["model"]["params"]["depth_mm"], 0.4);
    assert_eq!(from_catalog["ranking"], deep["ranking"]);
    let flag_wins = run_s(args(p, &["--depth", "0.15"]));
    assert_eq!(flag_wins["ranking"], shallow["ranking"]);
    // Out-of-range model values are catalog errors at their JSON path.
    cat["model"] = serde_json::json!({"depth_mm": 7, "spread_per_year": -1, "speed": 1});
    std::fs::write(&path, cat.to_string()).expect("write");
    let o = run(&["catalog", "validate", p, "--json"]);
    assert_eq!(o.status.code(), Some(4));
    let out = String::from_utf8_lossy(&o.stdout);
    for pointer in ["/model/depth_mm", "/model/spread_per_year", "/model"] {
        assert!(out.contains(pointer), "{pointer} in {out}");
    }
    assert!(out.contains("speed"), "{out}");
}

/// The first lines of `match` at 80 columns state the answer in plain words: the ink by its
/// name, the dilution as parts, one density and dot size, the sessions, the touch-up on the
/// calendar, and how sure the ranking is; the details follow.
#[test]
fn the_answer_comes_first_in_plain_words() {
    for sample in [
        "samples/shaved_light.jpg",
        "samples/shaved_dark.jpg",
        "samples/crown_tan.jpg",
    ] {
        let args = [
            "match",
            sample,
            "--catalog",
            CATALOG,
            "--date",
            "2026-12-04",
        ];
        let o = Command::new(bin())
            .args(args)
            .args(["--color", "never"])
            .env("COLUMNS", "80")
            .output()
            .expect("runs");
        assert!(o.status.success(), "{sample}");
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let head: Vec<&str> = text.lines().take(8).collect();
        let j = json_stdout(&run(&[&args[..], &["--json"]].concat()));
        let best = &j["ranking"][0];
        let name = best["name"].as_str().expect("name");
        let id = best["pigment_id"].as_str().expect("id");
        let dilution = best["dilution"].as_f64().expect("dilution");
        let words = if dilution == 0.0 {
            "undiluted".to_string()
        } else if dilution == 1.0 {
            "1 part ink : 1 part diluent".to_string()
        } else {
            format!("1 part ink : {dilution} parts diluent")
        };
        let density = j["plan"]["suggested_density_per_cm2"]
            .as_f64()
            .expect("density");
        assert_eq!(
            head[0],
            format!("Recommended: {name}, {words}, {density} dots/cm², 0.5 mm across"),
            "{sample}:\n{text}"
        );
        let top = head.join("\n");
        assert!(
            !top.contains(id) || id == name,
            "{sample}: raw id in\n{top}"
        );
        let sessions = j["plan"]["sessions"].as_array().expect("sessions").len();
        assert!(
            top.contains(&format!("{sessions} sessions 3 weeks apart")),
            "{top}"
        );
        let dates = &j["plan"]["dates"];
        assert_eq!(dates["first_session"], "2026-12-04");
        let said = match dates["touch_up"].as_str() {
            Some(when) => format!("touch-up: around {when}"),
            None => "touch-up: not needed within 10 years".to_string(),
        };
        assert!(top.contains(&said), "{sample}: {top}");
        assert!(top.contains("how sure:"), "{top}");
        for line in text.lines() {
            assert!(
                smpmatch::output::display_width(line) <= 80,
                "{sample}: {line:?}"
            );
        }
    }
}

/// `--date` puts the plan on the calendar: three sessions three weeks apart from 2026-12-04
/// end on 2027-01-15; the touch-up months follow from the months the model gives, and the
/// likely range brackets them. Without `--date` the JSON carries no date (it depends on its
/// inputs only); a bad date is refused.
#[test]
fn the_date_puts_the_plan_on_the_calendar() {
    let j = json_stdout(&run(&[
        "match",
        SHAVED,
        "--catalog",
        CATALOG,
        "--date",
        "2026-12-04",
        "--json",
    ]));
    let plan = &j["plan"];
    let dates = &plan["dates"];
    assert_eq!(dates["first_session"], "2026-12-04");
    assert_eq!(dates["last_session"], "2027-01-15");
    let months = plan["touch_up_months"].as_f64().expect("touch-up due");
    let early = plan["touch_up_months_earliest"].as_f64().expect("earliest");
    assert!(early < months, "{early} vs {months}");
    if let Some(late) = plan["touch_up_months_latest"].as_f64() {
        assert!(late > months, "{late} vs {months}");
    }
    // 2027-01-15 plus the months, by the calendar's mean month (365.2425 / 12 days).
    let last = time::Date::from_calendar_date(2027, time::Month::January, 15).expect("date");
    let due = last + time::Duration::days((months * 365.2425 / 12.0).round() as i64);
    assert_eq!(
        dates["touch_up"],
        format!("{:04}-{:02}", due.year(), u8::from(due.month()))
    );
    let plain = json_stdout(&run(&["match", SHAVED, "--catalog", CATALOG, "--json"]));
    assert!(plain["plan"]["dates"].is_null());
    for bad in ["2026-13-01", "2026-02-30", "04/12/2026", "2026-1-5"] {
        let o = run(&["match", SHAVED, "--catalog", CATALOG, "--date", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(bad), "{bad}: {err}");
    }
}

/// Nothing people read runs past an 80-column terminal: the catalog, calibration and
/// prediction tables and the help of every command people type at the chair.
#[test]
fn tables_and_help_fit_80_columns() {
    let cases: [&[&str]; 11] = [
        &["catalog", "show", CATALOG, "--color", "never"],
        &["calibrate", "samples/card_clinic.jpg"],
        &[
            "predict",
            "--skin",
            "66,11,16",
            "-c",
            CATALOG,
            "--ink",
            "carbon-black",
        ],
        &["serve", "-h"],
        &["record", "-h"],
        &["-h"],
        &["match", "-h"],
        &["preview", "-h"],
        &["calibrate", "-h"],
        &["catalog", "-h"],
        &["predict", "-h"],
    ];
    for args in cases {
        let o = Command::new(bin())
            .args(args)
            .env("COLUMNS", "80")
            .output()
            .expect("runs");
        assert!(o.status.success(), "{args:?}");
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            assert!(
                smpmatch::output::display_width(line) <= 80,
                "{args:?}: {line:?}"
            );
        }
    }
}

/// After the answer, `match` shows the measurements in brief; `--verbose` adds every detail
/// (the photo, each role's tones and trimming, the ranking over time, blends).
#[test]
fn verbose_adds_the_details_after_the_answer() {
    let text = |extra: &[&str]| {
        let o = run(&[
            &["match", SHAVED, "--catalog", CATALOG, "--color", "never"][..],
            extra,
        ]
        .concat());
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let brief = text(&[]);
    let full = text(&["--verbose"]);
    assert!(brief.starts_with("Recommended: ") && full.starts_with("Recommended: "));
    assert!(brief.contains("measured: hair [#"), "{brief}");
    for detail in [
        "photo  samples/shaved_light.jpg",
        "hair: target",
        "over time",
        "blends:",
    ] {
        assert!(!brief.contains(detail), "{detail:?} in the brief output");
        assert!(full.contains(detail), "{detail:?} missing with --verbose");
    }
    // Both keep the table and the plan.
    for both in ["every recipe at its best dilution", "plan for Carbon black"] {
        assert!(brief.contains(both) && full.contains(both), "{both}");
    }
    // Two densities never stand side by side unexplained: the table names the one the inks
    // are compared at and the one the plan sets (read from the JSON, not assumed).
    let j = json_stdout(&run(&["match", SHAVED, "--catalog", CATALOG, "--json"]));
    let compared = j["settings"]["dots"]["density_per_cm2"]
        .as_f64()
        .expect("dots");
    let planned = j["plan"]["suggested_density_per_cm2"]
        .as_f64()
        .expect("plan density");
    assert_ne!(
        compared, planned,
        "the sample no longer shows two densities"
    );
    let header = brief
        .lines()
        .find(|l| l.starts_with("every recipe at its best dilution"))
        .expect("table header");
    assert!(
        header.contains(&format!("at {compared}/cm²"))
            && header.contains(&format!("the plan below sets {planned}/cm²")),
        "{header}"
    );
}

/// The plan per zone: the hairline graded from sparse, finer dots at the line to the
/// recommended density and dot size at the back of its band; mid-scalp and crown at the
/// recommended density throughout; the same in the terminal's plan, by zone name.
#[test]
fn the_plan_gives_density_and_dot_size_per_zone() {
    let j = json_stdout(&run(&["match", SHAVED, "--catalog", CATALOG, "--json"]));
    let plan = &j["plan"];
    let density = plan["suggested_density_per_cm2"].as_f64().expect("density");
    let dot = j["settings"]["dots"]["diameter_mm"]
        .as_f64()
        .expect("dot size");
    let zones = plan["zones"].as_array().expect("zones");
    let names: Vec<&str> = zones
        .iter()
        .map(|z| z["zone"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["hairline", "mid_scalp", "crown"]);
    for z in zones {
        let f = |k: &str| z[k].as_f64().expect(k);
        assert_eq!(f("density_per_cm2_back"), density, "{z}");
        assert_eq!(f("dot_diameter_mm_back"), dot, "{z}");
        if z["zone"] == "hairline" {
            assert!(f("density_per_cm2_front") < 0.5 * density, "{z}");
            assert!(f("dot_diameter_mm_front") < dot, "{z}");
            assert!(f("width_mm") > 0.0, "{z}");
        } else {
            assert_eq!(f("density_per_cm2_front"), density, "{z}");
            assert!(z["width_mm"].is_null(), "{z}");
        }
    }
    let o = run(&["match", SHAVED, "--catalog", CATALOG, "--color", "never"]);
    let text = String::from_utf8_lossy(&o.stdout);
    let plan_text = &text[text.find("by zone:").expect("zones in the plan")..];
    for name in ["hairline, front", "mid-scalp:", "crown:"] {
        assert!(plan_text.contains(name), "{name} missing:\n{plan_text}");
    }
}
