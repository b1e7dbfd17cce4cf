//! Never destroy a user's file: an output that is an input, a special file, a read-only file
//! or a file that is not of the output's kind is refused before anything is written; a
//! symlink is followed (the link stays a link, the lock is on the real file); a replaced file
//! keeps its mode and owner; stdout failures exit non-zero. Each case compares the user's
//! bytes before and after.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    common::run(args)
}

fn st(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

/// A scratch directory with two photos, the catalog, a CSV and a notes file.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        for (from, to) in [
            ("samples/shaved_light.jpg", "a.jpg"),
            ("samples/crown_tan.jpg", "b.jpg"),
            ("samples/card_clinic.jpg", "card.jpg"),
            ("pigments/smp_sample.json", "catalog.json"),
        ] {
            std::fs::copy(from, dir.path().join(to)).expect("copy");
        }
        std::fs::write(
            dir.path().join("inks.csv"),
            "id,name,base,L,a,b\nk1,Ink one,carbon,20,0.5,0.5\n",
        )
        .expect("csv");
        std::fs::write(dir.path().join("notes.txt"), "line one\nline two\n").expect("notes");
        Scratch { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `args` must exit with `code`, leave `file` byte-identical, and name `needle`.
fn refused(args: &[&str], code: i32, file: &Path, needle: &str) {
    let before = std::fs::read(file).expect("before");
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.to_lowercase().contains(&needle.to_lowercase()),
        "{args:?}: stderr lacks {needle:?}: {err}"
    );
    assert_eq!(
        std::fs::read(file).expect("after"),
        before,
        "{args:?} changed {}",
        file.display()
    );
}

#[test]
fn batch_never_appends_to_or_rewrites_a_file_that_is_not_its_output() {
    let s = Scratch::new();
    let (a, cat, notes) = (s.path("a.jpg"), s.path("catalog.json"), s.path("notes.txt"));
    // --out is one of the photos, or the catalog, with and without --resume.
    for resume in [false, true] {
        let mut extra: Vec<&str> = Vec::new();
        if resume {
            extra.push("--resume");
        }
        for out in [&a, &cat] {
            let mut args = vec!["batch", st(&a), "--catalog", st(&cat), "--out", st(out)];
            args.extend(&extra);
            refused(&args, 2, out, "same file as");
        }
        // A text file that is not a batch output.
        let mut args = vec!["batch", st(&a), "--catalog", st(&cat), "--out", st(&notes)];
        args.extend(&extra);
        refused(&args, 2, &notes, "not a smpmatch batch output");
    }
    // The photo given through a directory and the output inside it: same file.
    let d = s.dir.path();
    refused(
        &["batch", st(d), "--catalog", st(&cat), "--out", st(&a)],
        2,
        &a,
        "same file as",
    );
}

#[test]
fn calibrate_and_reports_never_overwrite_their_inputs() {
    let s = Scratch::new();
    let (a, card, cat) = (s.path("a.jpg"), s.path("card.jpg"), s.path("catalog.json"));
    refused(
        &["calibrate", st(&card), "--out", st(&card)],
        2,
        &card,
        "same file as",
    );
    // A profile never replaces a file that is not a profile (a catalog here).
    refused(
        &["calibrate", st(&card), "--out", st(&cat)],
        2,
        &cat,
        "not a smpmatch calibration profile",
    );
    let png = s.path("photo.png");
    image::open(&a).expect("open").save(&png).expect("png");
    refused(
        &["analyze", st(&png), "--report", st(&png)],
        2,
        &png,
        "same file as",
    );
    // The same photo spelled through a symlink is still the same file.
    let link = s.path("link.png");
    std::os::unix::fs::symlink(&png, &link).expect("symlink");
    refused(
        &["analyze", st(&png), "--report", st(&link)],
        2,
        &png,
        "same file as",
    );
    // catalog import --out over its own CSV, measure with the photo as its catalog.
    let csv = s.path("inks.csv");
    refused(
        &["catalog", "import", st(&csv), "--out", st(&csv)],
        2,
        &csv,
        "same file as",
    );
    refused(
        &["catalog", "import", st(&csv), "--out", st(&a)],
        4,
        &a,
        "not a smpmatch catalog",
    );
}

#[test]
fn special_files_are_refused_as_outputs() {
    let s = Scratch::new();
    let card = s.path("card.jpg");
    let fifo = s.path("pipe.json");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    for out in [fifo.as_path(), Path::new("/dev/null")] {
        let o = run(&["calibrate", st(&card), "--out", st(out)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", out.display());
        assert!(err.contains("regular files"), "{err}");
    }
    let meta = std::fs::symlink_metadata("/dev/null").expect("meta");
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &meta.file_type()
    ));
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(
        &std::fs::symlink_metadata(&fifo).expect("m").file_type()
    ));
    // A FIFO given as an input says what it is (and does not block).
    let o = run(&["analyze", st(&fifo)]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("FIFO"));
}

fn profile(s: &Scratch) -> PathBuf {
    let p = s.path("p.json");
    let o = run(&["calibrate", st(&s.path("card.jpg")), "--out", st(&p)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    p
}

fn measure(cat: &Path, s: &Scratch, prof: &Path, swatch: &str) -> Command {
    let mut c = Command::new(common::bin());
    c.args(common::measure_args(
        cat,
        &s.path("card.jpg"),
        prof,
        &["--swatch", swatch],
    ));
    c
}

fn history(cat: &Path, id: &str) -> usize {
    let c = smpmatch::catalog::load(cat).expect("valid");
    c.pigments
        .iter()
        .find(|p| p.id == id)
        .expect("pigment")
        .history
        .len()
}

#[test]
fn a_symlinked_catalog_is_updated_through_the_link_and_stays_a_link() {
    let s = Scratch::new();
    let prof = profile(&s);
    let real = s.path("catalog.json");
    let link = s.path("current.json");
    std::os::unix::fs::symlink("catalog.json", &link).expect("symlink");
    let o = measure(&link, &s, &prof, "carbon-black=900,180,160,160")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::symlink_metadata(&link)
        .expect("m")
        .file_type()
        .is_symlink());
    assert_eq!(
        history(&real, "carbon-black"),
        1,
        "the real catalog was updated"
    );
    // Two spellings of one catalog (the link and the file, concurrently) share one lock.
    let spelled = s.dir.path().join(".").join("catalog.json");
    for _ in 0..4 {
        let mut x = measure(&link, &s, &prof, "carbon-black=900,180,160,160")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut y = measure(&spelled, &s, &prof, "dark-brown=900,580,160,160")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn");
        assert!(x.wait().expect("x").success());
        assert!(y.wait().expect("y").success());
    }
    assert_eq!(history(&real, "carbon-black"), 5, "an update was lost");
    assert_eq!(history(&real, "dark-brown"), 4, "an update was lost");
    assert!(
        !s.path("current.json.lock").exists(),
        "lock beside the link"
    );
}

#[test]
fn a_read_only_catalog_is_refused_and_a_replaced_one_keeps_mode_and_owner() {
    let s = Scratch::new();
    let prof = profile(&s);
    let cat = s.path("catalog.json");
    std::fs::set_permissions(&cat, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let before = std::fs::read(&cat).expect("read");
    let o = measure(&cat, &s, &prof, "carbon-black=900,180,160,160")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(std::fs::read(&cat).expect("read"), before);
    assert_eq!(
        std::fs::metadata(&cat).expect("m").permissions().mode() & 0o777,
        0o444
    );
    // Writable, with unusual bits and (as root) another owner: both kept.
    std::fs::set_permissions(&cat, std::fs::Permissions::from_mode(0o660)).expect("chmod");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::os::unix::fs::chown(&cat, Some(65534), Some(65534)).expect("chown");
    }
    let o = measure(&cat, &s, &prof, "carbon-black=900,180,160,160")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = std::fs::metadata(&cat).expect("m");
    assert_eq!(m.permissions().mode() & 0o7777, 0o660, "mode kept");
    if root {
        assert_eq!((m.uid(), m.gid()), (65534, 65534), "owner kept");
    } else {
        eprintln!("not root: the owner case needs root to make a file owned by another user");
    }
    assert_eq!(history(&cat, "carbon-black"), 1);
}

#[test]
fn a_failed_write_to_stdout_exits_non_zero() {
    let s = Scratch::new();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let o = Command::new(common::bin())
        .args(["catalog", "import", st(&s.path("inks.csv"))])
        .stdout(full)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(73), "{err}");
    assert!(err.contains("standard output"), "{err}");
    // A reader that goes away early is not an error.
    let mut child = Command::new(common::bin())
        .args(["schema", "output"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    assert!(child.wait().expect("wait").success());
}

#[test]
fn duplicate_keys_are_a_validation_error_naming_their_paths() {
    let s = Scratch::new();
    let text = std::fs::read_to_string(s.path("catalog.json")).expect("read");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let first = serde_json::to_string(&v["pigments"][0]).expect("p");
    // "pigments" twice at the top level, and "id" twice in a pigment.
    let dup = format!(
        "{{\"schema_version\": 1, \"pigments\": {}, \"pigments\": [{}]}}",
        v["pigments"],
        first.replacen("{", "{\"id\": \"x\", ", 1)
    );
    let cat = s.path("dup.json");
    std::fs::write(&cat, &dup).expect("write");
    let o = run(&["catalog", "validate", st(&cat), "--json"]);
    assert_eq!(o.status.code(), Some(4));
    let v = common::json_stdout(&o);
    assert_eq!(v["valid"], false);
    let paths: Vec<&str> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["path"].as_str().expect("path"))
        .collect();
    assert!(paths.contains(&"/pigments"), "{paths:?}");
    assert!(paths.contains(&"/pigments/0/id"), "{paths:?}");
    // A byte-order mark is accepted.
    let bom = s.path("bom.json");
    std::fs::write(&bom, format!("\u{feff}{text}")).expect("write");
    assert!(run(&["catalog", "validate", st(&bom)]).status.success());
}

/// Results of a batch output, one value per line.
fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("out")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn batch_resume_retries_failures_keys_real_paths_and_refuses_other_settings() {
    let s = Scratch::new();
    let d = s.dir.path().join("photos");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::copy(s.path("a.jpg"), d.join("a.jpg")).expect("copy");
    std::fs::write(d.join("broken.jpg"), b"not a photo").expect("write");
    // A loop (two links back to the directory) and a second name for a.jpg.
    std::os::unix::fs::symlink(".", d.join("loop1")).expect("symlink");
    std::os::unix::fs::symlink("..", d.join("loop2")).expect("symlink");
    std::os::unix::fs::symlink("a.jpg", d.join("again.jpg")).expect("symlink");
    let out = s.path("out.jsonl");
    let cat = s.path("catalog.json");
    let dd = st(&d);
    let base = ["batch", dd, "--catalog", st(&cat), "--out", st(&out)];
    let o = run(&base);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(err.contains("loop"), "loops are reported: {err}");
    let recs = lines(&out);
    assert_eq!(recs.len(), 2, "each real photo once: {recs:?}");
    assert!(recs.iter().all(|r| r["run"]["catalog_sha256"].is_string()));
    // Resume with another spelling of the folder and of the photo: a.jpg is done, the
    // failure is retried (and its old record replaced, so each photo keeps one record).
    let spelled = format!("{}/./", dd);
    let a2 = d.join("again.jpg");
    let o = run(&[
        "batch",
        &spelled,
        st(&a2),
        "--catalog",
        st(&cat),
        "--out",
        st(&out),
        "--resume",
    ]);
    let so = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(
        o.status.code(),
        Some(6),
        "the broken photo fails again: {so}"
    );
    assert!(so.contains("0 matched, 1 failed, 1 already in"), "{so}");
    assert_eq!(lines(&out).len(), 2, "one record per photo");
    // --no-retry: nothing done, the earlier failure still counts.
    let mut args = base.to_vec();
    args.extend(["--resume", "--no-retry"]);
    let o = run(&args);
    let so = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(6), "{so}");
    assert!(
        so.contains("2 already in") && so.contains("not retried"),
        "{so}"
    );
    // Other settings or another catalog: refused, file untouched.
    let mut args = base.to_vec();
    args.extend(["--resume", "--sun", "high"]);
    refused(&args, 2, &out, "another catalog");
    let other = s.path("other.json");
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cat).expect("r")).expect("j");
    c["name"] = serde_json::json!("another catalog");
    std::fs::write(&other, serde_json::to_string(&c).expect("s")).expect("w");
    refused(
        &[
            "batch",
            dd,
            "--catalog",
            st(&other),
            "--out",
            st(&out),
            "--resume",
        ],
        2,
        &out,
        "another catalog",
    );
}

#[test]
fn a_second_batch_on_the_same_output_is_refused_while_the_first_runs() {
    let s = Scratch::new();
    let out = s.path("out.jsonl");
    // Hold the output's lock as a running batch would.
    let lock = std::fs::File::create(s.path("out.jsonl.lock")).expect("lock file");
    lock.lock().expect("lock");
    refused_absent(
        &[
            "batch",
            st(&s.path("a.jpg")),
            "--catalog",
            st(&s.path("catalog.json")),
            "--out",
            st(&out),
        ],
        &out,
    );
}

fn refused_absent(args: &[&str], out: &Path) {
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("another smpmatch batch"), "{err}");
    assert!(!out.exists());
}
