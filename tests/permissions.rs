//! Unreadable inputs and unwritable outputs: a clear error naming the file, the documented
//! exit code, no panic, nothing on stdout, and the user's files untouched.
//!
//! Root reads and writes through any permission bits, so when the tests run as root (as CI
//! does) the binary is run as `nobody` through `setpriv`; everything it needs is copied to a
//! world-readable directory first.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A world-readable scratch directory holding a copy of the binary, a photo and the catalog.
struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        chmod(&root, 0o755);
        let bin = root.join("smpmatch");
        std::fs::copy(common::bin(), &bin).expect("copy binary");
        chmod(&bin, 0o755);
        for (from, to) in [
            ("samples/scalp_closeup.jpg", "scalp.jpg"),
            ("samples/shaved_light.jpg", "shaved.jpg"),
            ("pigments/smp_sample.json", "catalog.json"),
        ] {
            std::fs::copy(from, root.join(to)).expect("copy input");
            chmod(&root.join(to), 0o644);
        }
        Scratch {
            _dir: dir,
            root,
            bin,
        }
    }

    fn path(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }

    /// Run the copied binary as an unprivileged user.
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = if is_root() {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(&self.bin);
            c
        } else {
            Command::new(&self.bin)
        };
        cmd.args(args)
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .output()
            .expect("runs (setpriv is part of util-linux)")
    }
}

fn assert_clean_failure(o: &Output, code: i32, file: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "stderr: {stderr}");
    assert!(o.stdout.is_empty(), "partial output on stdout");
    let v = common::json_error(o);
    let msg = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.to_lowercase().contains("permission denied"),
        "cause missing: {msg}"
    );
    assert!(msg.contains(file), "file missing: {msg}");
    assert_eq!(v["error"]["exit_code"], code, "{v}");
}

#[test]
fn the_unprivileged_user_can_run_the_copied_binary() {
    // Guards the tests below: a failure to even start would look like a permission error.
    let s = Scratch::new();
    let o = s.run(&["match", "shaved.jpg", "--catalog", "catalog.json", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    common::json_stdout(&o);
}

#[test]
fn unreadable_photo_is_an_input_error_naming_the_file() {
    let s = Scratch::new();
    chmod(&s.root.join("shaved.jpg"), 0o000);
    let o = s.run(&["analyze", "shaved.jpg", "--json"]);
    assert_clean_failure(&o, 3, "shaved.jpg");
}

#[test]
fn unreadable_catalog_is_a_catalog_error_naming_the_file() {
    let s = Scratch::new();
    chmod(&s.root.join("catalog.json"), 0o000);
    let o = s.run(&["match", "shaved.jpg", "--catalog", "catalog.json", "--json"]);
    assert_clean_failure(&o, 4, "catalog.json");
}

#[test]
fn unreadable_photo_in_a_batch_gives_an_error_record_not_a_crash() {
    let s = Scratch::new();
    let photos = s.root.join("photos");
    std::fs::create_dir(&photos).expect("mkdir");
    std::fs::copy("samples/scalp_closeup.jpg", photos.join("a.jpg")).expect("copy");
    chmod(&photos.join("a.jpg"), 0o644);
    std::fs::copy("samples/shaved_light.jpg", photos.join("b.jpg")).expect("copy");
    chmod(&photos.join("b.jpg"), 0o000);
    chmod(&photos, 0o755);
    let o = s.run(&["batch", "photos", "--catalog", "catalog.json"]);
    // One photo fails, the other is analysed: exit 6 and one record each.
    assert_eq!(
        o.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let bad = lines
        .iter()
        .find(|r| r["photo"].as_str().is_some_and(|p| p.ends_with("b.jpg")))
        .expect("record for b.jpg");
    let msg = bad["error"]["message"].as_str().unwrap_or("");
    assert!(msg.contains("permission denied"), "{bad}");
}

#[test]
fn unwritable_output_directory_fails_cleanly_and_leaves_the_catalog_whole() {
    let s = Scratch::new();
    let before = std::fs::read(s.root.join("catalog.json")).expect("read");
    // The catalog stays readable but its directory is read-only: no temporary file, no
    // backup, no rename can be made there.
    chmod(&s.root, 0o555);
    let out = s.path("report.html");
    let o = s.run(&[
        "match",
        "shaved.jpg",
        "--catalog",
        "catalog.json",
        "--report",
        &out,
        "--json",
    ]);
    chmod(&s.root, 0o755);
    let code = o.status.code();
    assert!(
        code == Some(73),
        "exit {code:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "partial output on stdout");
    let v = common::json_error(&o);
    let msg = v["error"]["message"].as_str().unwrap_or("");
    assert!(msg.contains("report.html"), "{msg}");
    assert!(msg.to_lowercase().contains("permission denied"), "{msg}");
    assert_eq!(
        std::fs::read(s.root.join("catalog.json")).expect("read"),
        before
    );
}

#[test]
fn catalog_update_in_a_read_only_directory_fails_and_keeps_the_catalog() {
    let s = Scratch::new();
    std::fs::copy("samples/card_clinic.jpg", s.root.join("card.jpg")).expect("copy");
    chmod(&s.root.join("card.jpg"), 0o644);
    chmod(&s.root, 0o777);
    let o = s.run(&["calibrate", "card.jpg", "--out", "profile.json", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let before = std::fs::read(s.root.join("catalog.json")).expect("read");
    chmod(&s.root, 0o555);
    let args = common::measure_args(
        Path::new("catalog.json"),
        Path::new("card.jpg"),
        Path::new("profile.json"),
        &["--swatch", "carbon-black=900,180,160,160", "--json"],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = s.run(&args);
    chmod(&s.root, 0o755);
    assert_clean_failure(&o, 4, "catalog.json");
    assert_eq!(
        std::fs::read(s.root.join("catalog.json")).expect("read"),
        before,
        "the catalog changed"
    );
    let left: Vec<String> = std::fs::read_dir(&s.root)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("catalog") && n != "catalog.json")
        .collect();
    assert!(left.is_empty(), "stray files: {left:?}");
}

#[test]
fn dry_run_works_on_a_catalog_in_a_read_only_directory() {
    let s = Scratch::new();
    std::fs::copy("samples/card_clinic.jpg", s.root.join("card.jpg")).expect("copy");
    chmod(&s.root.join("card.jpg"), 0o644);
    chmod(&s.root, 0o777);
    let o = s.run(&["calibrate", "card.jpg", "--out", "profile.json", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    chmod(&s.root, 0o555);
    let args = common::measure_args(
        Path::new("catalog.json"),
        Path::new("card.jpg"),
        Path::new("profile.json"),
        &[
            "--swatch",
            "carbon-black=900,180,160,160",
            "--dry-run",
            "--json",
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = s.run(&args);
    chmod(&s.root, 0o755);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = common::json_stdout(&o);
    assert_eq!(v["written"], false, "{v}");
}
