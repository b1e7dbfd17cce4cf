//! Helpers shared by the integration tests: run the built binary, read JSON, read Lab.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use smpmatch::color::Lab;

/// The smpmatch binary cargo built for the tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_smpmatch"))
}

/// Run smpmatch with `args`, colour off.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

/// stdout as JSON, or a panic that shows it.
pub fn json_stdout(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

/// The JSON error object on stderr, checked for its required fields.
pub fn json_error(o: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&o.stderr);
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("stderr not JSON ({e}): {text}"));
    assert!(
        v["error"]["kind"].is_string() && v["error"]["message"].is_string(),
        "{v}"
    );
    v
}

/// Lab from a JSON `[L, a, b]`.
pub fn lab(v: &serde_json::Value) -> Lab {
    let a: Vec<f32> = v
        .as_array()
        .expect("lab")
        .iter()
        .map(|x| x.as_f64().expect("num") as f32)
        .collect();
    Lab::new(a[0], a[1], a[2])
}

/// samples/truth.json.
pub fn truth() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string("samples/truth.json").expect("truth"))
        .expect("json")
}

/// Arguments of `catalog measure CATALOG --photo PHOTO --profile PROFILE`, then `extra`.
pub fn measure_args(
    catalog: &std::path::Path,
    photo: &std::path::Path,
    profile: &std::path::Path,
    extra: &[&str],
) -> Vec<String> {
    let mut v: Vec<String> = [
        "catalog",
        "measure",
        catalog.to_str().expect("utf8"),
        "--photo",
        photo.to_str().expect("utf8"),
        "--profile",
        profile.to_str().expect("utf8"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// Run smpmatch with owned arguments.
pub fn run_owned(args: &[String]) -> Output {
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

pub mod server;
