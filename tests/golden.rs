//! Golden outputs: every shipped sample, through every command a user or a program runs,
//! must print byte-identical output from one refactor to the next.
//!
//! These files are not truth about colour (tests/samples.rs and tests/reference.rs check
//! that against independent values); they pin down *behaviour*, so that moving code cannot
//! change an answer unnoticed. When a change is meant to alter output, regenerate them with
//! `SMPMATCH_BLESS=1 cargo test --test golden` and say why in the commit.

mod common;

use std::path::Path;

const CATALOG: &str = "pigments/smp_sample.json";
const AUTO: [&str; 5] = [
    "shaved_light",
    "shaved_dark",
    "shaved_grey_dark",
    "crown_tan",
    "shaved_light_warm",
];

/// One command and the file its stdout is compared with.
struct Case {
    name: String,
    args: Vec<String>,
}

fn case(name: impl Into<String>, args: &[&str]) -> Case {
    Case {
        name: name.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
    }
}

fn sample(name: &str) -> String {
    format!("samples/{name}.jpg")
}

fn cases(tmp: &str) -> Vec<Case> {
    let profile = format!("{tmp}/clinic.profile.json");
    let mut v = Vec::new();
    for s in AUTO {
        let p = sample(s);
        v.push(case(format!("analyze_{s}"), &["analyze", &p, "--json"]));
        v.push(case(
            format!("match_{s}"),
            &["match", &p, "--catalog", CATALOG, "--json"],
        ));
    }
    let (hair, scalp) = (sample("hair_closeup"), sample("scalp_closeup"));
    v.push(case(
        "analyze_closeups",
        &["analyze", "--hair", &hair, "--scalp", &scalp, "--json"],
    ));
    v.push(case(
        "match_closeups_options",
        &[
            "match",
            "--hair",
            &hair,
            "--scalp",
            &scalp,
            "--catalog",
            CATALOG,
            "--sun",
            "high",
            "--months",
            "0,6,12,24,60",
            "--top",
            "5",
            "--json",
        ],
    ));
    let light = sample("shaved_light");
    v.push(case(
        "match_regions_no_blends",
        &[
            "match",
            &light,
            "--hair-region",
            "0,0,1200,300",
            "--scalp-region",
            "300,500,600,300",
            "--catalog",
            CATALOG,
            "--no-blends",
            "--density",
            "30",
            "--dot-diameter",
            "0.3",
            "--sessions",
            "2",
            "--session-weeks",
            "3",
            "--k",
            "4",
            "--seed",
            "7",
            "--json",
        ],
    ));
    v.push(case(
        "match_shaved_light_text",
        &[
            "match",
            &light,
            "--catalog",
            CATALOG,
            "--color",
            "never",
            "--date",
            "2026-12-04",
        ],
    ));
    v.push(case(
        "analyze_crown_tan_text",
        &["analyze", &sample("crown_tan"), "--color", "never"],
    ));
    // Calibration, then a match through the profile, then a measured swatch (dry run).
    let card = sample("card_clinic");
    v.push(case(
        "calibrate_card_clinic",
        &["calibrate", &card, "--out", &profile, "--json"],
    ));
    v.push(case(
        "match_shaved_light_warm_profile",
        &[
            "match",
            &sample("shaved_light_warm"),
            "--profile",
            &profile,
            "--catalog",
            CATALOG,
            "--json",
        ],
    ));
    v.push(case(
        "catalog_measure_dry_run",
        &[
            "catalog",
            "measure",
            CATALOG,
            "--photo",
            &card,
            "--profile",
            &profile,
            "--swatch",
            "carbon-black=900,180,160,160",
            "--swatch",
            "warm-black=900,380,160,160",
            "--dry-run",
            "--json",
        ],
    ));
    v.push(case("catalog_show", &["catalog", "show", CATALOG]));
    v.push(case(
        "catalog_validate",
        &["catalog", "validate", CATALOG, "--json"],
    ));
    v.push(case(
        "delta_e",
        &["delta-e", "50,2.6772,-79.7751", "50,0,-82.7485", "--json"],
    ));
    for s in ["output", "catalog", "error", "profile"] {
        v.push(case(format!("schema_{s}"), &["schema", s]));
    }
    v
}

#[test]
fn every_sample_gives_the_golden_output() {
    let dir = tempfile::tempdir().expect("dir");
    let tmp = dir.path().to_str().expect("utf8").to_string();
    let bless = std::env::var_os("SMPMATCH_BLESS").is_some();
    let golden = Path::new("tests/golden");
    let mut differ = Vec::new();
    for c in cases(&tmp) {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let o = common::run(&args);
        assert!(
            o.status.success(),
            "{}: {}",
            c.name,
            String::from_utf8_lossy(&o.stderr)
        );
        // The temporary directory is the one thing that differs between runs.
        let out = String::from_utf8(o.stdout)
            .expect("utf8")
            .replace(&tmp, "$TMP");
        let ext = if args.contains(&"--json") || args[0] == "schema" {
            "json"
        } else {
            "txt"
        };
        let file = golden.join(format!("{}.{ext}", c.name));
        if bless {
            std::fs::create_dir_all(golden).expect("mkdir");
            std::fs::write(&file, &out).expect("write");
            continue;
        }
        let want = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with SMPMATCH_BLESS=1)", file.display()));
        if want != out {
            let line = want
                .lines()
                .zip(out.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(out.lines().count()));
            differ.push(format!(
                "{}: first difference at line {}:\n  golden: {}\n  now:    {}",
                file.display(),
                line + 1,
                want.lines().nth(line).unwrap_or("<end>"),
                out.lines().nth(line).unwrap_or("<end>")
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// The worked example in docs/json.md is what the command prints today.
#[test]
fn the_worked_example_in_the_json_docs_is_current() {
    let doc = std::fs::read_to_string("docs/json.md").expect("docs/json.md");
    let section = doc
        .split("## A worked example")
        .nth(1)
        .expect("the worked example section");
    let command = section
        .split('`')
        .nth(1)
        .expect("the command, in backquotes")
        .replace('\n', " ");
    let block = section
        .split("```json\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a json block");
    let documented: serde_json::Value = serde_json::from_str(block).expect("the block is JSON");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let o = common::run(&args);
    assert!(o.status.success(), "{command}");
    assert_eq!(
        common::json_stdout(&o),
        documented,
        "docs/json.md's worked example is stale: regenerate it with `{command}`"
    );
}
