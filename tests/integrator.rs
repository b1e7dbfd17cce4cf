//! What a program calling smpmatch relies on: every JSON document it prints is valid against
//! the schema smpmatch publishes (`docs/schema/`, checked with the `jsonschema` crate, an
//! independent validator): match and analyze documents on every kind of input (automatic,
//! regions, close-ups, a profile, HEIC, standard input), each batch record's result, the
//! error objects of every exit code, the shipped catalog and a fitted profile.

mod common;

use common::{bin, run};
use serde_json::Value;

fn validator(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{file} is not a schema: {e}"))
}

fn check(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn stdout_json(args: &[&str]) -> Value {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    common::json_stdout(&o)
}

const CAT: &str = "pigments/smp_sample.json";

#[test]
fn every_output_document_is_valid_against_the_published_output_schema() {
    let output = validator("docs/schema/output.schema.json");
    let dir = tempfile::tempdir().expect("tmp");
    let profile = dir.path().join("clinic.json");
    let p = profile.to_str().expect("utf-8");
    let o = run(&["calibrate", "samples/card_clinic.jpg", "--out", p, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cases: Vec<Vec<&str>> = vec![
        vec!["analyze", "samples/shaved_light.jpg", "--json"],
        vec!["analyze", "samples/shaved_light_p3.heic", "--json"],
        vec!["match", "samples/shaved_light.jpg", "-c", CAT, "--json"],
        vec![
            "match",
            "samples/shaved_dark.jpg",
            "-c",
            CAT,
            "--json",
            "--date",
            "2027-01-10",
        ],
        vec![
            "match",
            "samples/crown_tan.jpg",
            "-c",
            CAT,
            "--json",
            "--no-blends",
            "--top",
            "2",
        ],
        vec![
            "match",
            "--hair",
            "samples/hair_closeup.jpg",
            "--scalp",
            "samples/scalp_closeup.jpg",
            "-c",
            CAT,
            "--json",
        ],
        vec![
            "match",
            "samples/shaved_light.jpg",
            "--hair-region",
            "0,0,300,300",
            "--scalp-region",
            "600,400,300,200",
            "-c",
            CAT,
            "--json",
        ],
        vec![
            "match",
            "samples/shaved_light_warm.jpg",
            "-c",
            CAT,
            "--profile",
            p,
            "--json",
        ],
        vec![
            "match",
            "samples/shaved_grey_dark.jpg",
            "-c",
            CAT,
            "--json",
            "--sun",
            "high",
            "--sessions",
            "2",
        ],
    ];
    for args in &cases {
        check(&output, &stdout_json(args), &args.join(" "));
    }
    // The validator does reject a document that breaks the schema.
    let mut broken = stdout_json(&cases[2]);
    broken["schema_version"] = Value::String("five".into());
    assert!(!output.is_valid(&broken));
    let mut broken = stdout_json(&cases[2]);
    broken["ranking"][0]["healed_lab"] = serde_json::json!([1, 2]);
    assert!(
        !output.is_valid(&broken),
        "a Lab of two numbers passes the schema"
    );
    // A photo on standard input.
    let bytes = std::fs::read("samples/shaved_light.jpg").expect("sample");
    let mut child = std::process::Command::new(bin())
        .args(["match", "-", "-c", CAT, "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&bytes).expect("write");
    }
    let o = child.wait_with_output().expect("output");
    assert!(o.status.success());
    check(&output, &common::json_stdout(&o), "match - (stdin)");
    // Every batch record: its result is an output document, its error an error body.
    let error = validator("docs/schema/error.schema.json");
    let o = run(&["batch", "samples/", "-c", CAT, "-q"]);
    assert_eq!(o.status.code(), Some(6), "the card photo fails");
    let mut seen = (0, 0);
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let rec: Value = serde_json::from_str(line).expect("a JSON line");
        if rec["ok"] == Value::Bool(true) {
            check(&output, &rec["result"], &format!("batch {}", rec["photo"]));
            seen.0 += 1;
        } else {
            let wrapped = serde_json::json!({ "error": rec["error"] });
            check(&error, &wrapped, &format!("batch error {}", rec["photo"]));
            seen.1 += 1;
        }
    }
    assert!(seen.0 >= 8 && seen.1 >= 1, "{seen:?}");
}

#[test]
fn every_error_object_is_valid_against_the_published_error_schema() {
    let error = validator("docs/schema/error.schema.json");
    let dir = tempfile::tempdir().expect("tmp");
    let bad_catalog = dir.path().join("bad.json");
    std::fs::write(&bad_catalog, r#"{"pigments": [{"id": ""}]}"#).expect("write");
    let not_photo = dir.path().join("x.jpg");
    std::fs::write(&not_photo, b"not a photo").expect("write");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["match", "samples/shaved_light.jpg", "--json"], 2),
        (vec!["match", "no/such.jpg", "-c", CAT, "--json"], 3),
        (
            vec![
                "match",
                not_photo.to_str().expect("utf-8"),
                "-c",
                CAT,
                "--json",
            ],
            3,
        ),
        (
            vec![
                "match",
                "samples/shaved_light.jpg",
                "-c",
                bad_catalog.to_str().expect("utf-8"),
                "--json",
            ],
            4,
        ),
        (
            vec!["match", "samples/card_clinic.jpg", "-c", CAT, "--json"],
            5,
        ),
        (
            vec![
                "batch",
                "samples/shaved_light.jpg",
                "-c",
                "nope.json",
                "--json",
            ],
            4,
        ),
        (vec!["delta-e", "50,0", "50,0,0", "--json"], 2),
        (
            vec![
                "catalog",
                "validate",
                bad_catalog.to_str().expect("utf-8"),
                "--json",
            ],
            4,
        ),
    ];
    for (args, code) in &cases {
        let o = run(args);
        assert_eq!(o.status.code(), Some(*code), "{args:?}");
        let v = common::json_error(&o);
        check(&error, &v, &args.join(" "));
        assert_eq!(v["error"]["exit_code"], *code, "{args:?}");
    }
}

#[test]
fn the_shipped_catalog_and_a_fitted_profile_are_valid_against_their_schemas() {
    let catalog = validator("docs/schema/catalog.schema.json");
    let shipped: Value =
        serde_json::from_str(&std::fs::read_to_string(CAT).expect("catalog")).expect("JSON");
    check(&catalog, &shipped, CAT);
    let profile = validator("docs/schema/profile.schema.json");
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("p.json");
    let o = run(&[
        "calibrate",
        "samples/card_clinic.jpg",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success());
    let p: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("profile")).expect("JSON");
    check(&profile, &p, "fitted profile");
}
