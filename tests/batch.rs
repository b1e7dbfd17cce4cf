//! `smpmatch batch`: one JSON line per photo, in order, errors as records, the same result as
//! `match`, and `--resume` after an interrupted run.

mod common;
use common::run;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["shaved_light.jpg", "crown_tan.jpg"] {
        std::fs::copy(format!("samples/{f}"), dir.path().join(f)).expect("copy");
    }
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::copy(
        "samples/shaved_dark.jpg",
        dir.path().join("sub/shaved_dark.JPG"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("sub/broken.jpg"), b"not a photo").expect("write");
    std::fs::write(
        dir.path().join("sub/notes.txt"),
        b"ignored: not an image extension",
    )
    .expect("w");
    dir
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("out")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn batch_records_every_photo_in_order_and_matches_match() {
    let dir = setup();
    let d = dir.path().to_str().expect("utf8");
    let o = run(&[
        "batch",
        d,
        "--catalog",
        "pigments/smp_sample.json",
        "--top",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(6), "one photo is broken");
    let recs: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let names: Vec<String> = recs
        .iter()
        .map(|r| {
            r["photo"]
                .as_str()
                .expect("photo")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "crown_tan.jpg",
            "shaved_light.jpg",
            "broken.jpg",
            "shaved_dark.JPG"
        ]
    );
    assert_eq!(recs[2]["ok"], false);
    assert_eq!(recs[2]["error"]["kind"], "input");
    assert!(recs[2]["error"]["message"]
        .as_str()
        .expect("m")
        .contains("broken.jpg"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 matched, 1 failed"));
    // Each record's result is exactly what `match --json` prints for that photo.
    let photo = recs[1]["photo"].as_str().expect("photo");
    let single = run(&[
        "match",
        photo,
        "--catalog",
        "pigments/smp_sample.json",
        "--top",
        "3",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&single.stdout).expect("json");
    assert_eq!(recs[1]["result"], v);
}

#[test]
fn resume_skips_recorded_photos_and_redoes_a_cut_off_line() {
    let dir = setup();
    let d = dir.path().to_str().expect("utf8");
    let out = dir.path().join("out.jsonl");
    let o = run(&[
        "batch",
        d,
        "--catalog",
        "pigments/smp_sample.json",
        "--out",
        out.to_str().expect("u"),
    ]);
    assert_eq!(o.status.code(), Some(6));
    let full = std::fs::read_to_string(&out).expect("out");
    // Simulate a kill during the third record: keep two records and half of the third.
    let mut cut: Vec<&str> = full.lines().collect();
    let third = cut[2];
    cut.truncate(2);
    let partial = format!("{}\n{}", cut.join("\n"), &third[..third.len() / 2]);
    std::fs::write(&out, partial).expect("write");
    let o = run(&[
        "batch",
        d,
        "--catalog",
        "pigments/smp_sample.json",
        "--out",
        out.to_str().expect("u"),
        "--resume",
    ]);
    assert_eq!(o.status.code(), Some(6), "the broken photo fails again");
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 already in"));
    let recs = lines(&out);
    let mut photos: Vec<&str> = recs
        .iter()
        .map(|r| r["photo"].as_str().expect("p"))
        .collect();
    photos.sort_unstable();
    photos.dedup();
    assert_eq!(recs.len(), 4, "every photo exactly once");
    assert_eq!(photos.len(), 4);
    // Only the failed photo is left: retried (and failing again), still one record each.
    let o = run(&[
        "batch",
        d,
        "--catalog",
        "pigments/smp_sample.json",
        "--out",
        out.to_str().expect("u"),
        "--resume",
    ]);
    assert_eq!(o.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&o.stdout).contains("3 already in"));
    assert_eq!(lines(&out).len(), 4);
}

/// `--progress json`: one `photo` event per photo on stderr, in the order of the records,
/// then a `summary` whose counts match the records; stdout stays the records alone.
#[test]
fn progress_json_reports_each_photo_and_a_summary() {
    let dir = setup();
    let o = run(&[
        "batch",
        dir.path().to_str().expect("utf8"),
        "-c",
        "pigments/smp_sample.json",
        "--progress",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(6), "one broken photo");
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).expect("progress line is JSON"))
        .collect();
    let (photos, summary) = events.split_at(events.len() - 1);
    assert_eq!(photos.len(), records.len());
    for (k, (e, r)) in photos.iter().zip(&records).enumerate() {
        assert_eq!(e["event"], "photo");
        assert_eq!(e["photo"], r["photo"]);
        assert_eq!(e["ok"], r["ok"]);
        assert_eq!(e["done"], k + 1);
        assert_eq!(e["total"], records.len());
    }
    let s = &summary[0];
    assert_eq!(s["event"], "summary");
    let failed = records.iter().filter(|r| r["ok"] == false).count();
    assert_eq!(s["failed"], failed);
    assert_eq!(s["matched"], records.len() - failed);
    assert!(s["elapsed_s"].as_f64().is_some_and(|t| t >= 0.0));
}

/// `--files-from FILE|-` adds paths (one per line, or NUL-separated with `-0`), and the list
/// itself is never an acceptable `--out`.
#[test]
fn files_from_a_list_or_standard_input() {
    use std::io::Write;
    let dir = setup();
    let list = dir.path().join("list.txt");
    let (a, b) = (
        dir.path().join("shaved_light.jpg"),
        dir.path().join("crown_tan.jpg"),
    );
    std::fs::write(&list, format!("{}\r\n\n{}\n", a.display(), b.display())).expect("write");
    let list_s = list.to_str().expect("utf8");
    let o = run(&[
        "batch",
        "--files-from",
        list_s,
        "-c",
        "pigments/smp_sample.json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let photos: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("record");
            v["photo"].as_str().expect("photo").to_string()
        })
        .collect();
    assert_eq!(photos.len(), 2, "{photos:?}");
    // NUL-separated on standard input.
    let mut child = std::process::Command::new(common::bin())
        .args([
            "batch",
            "--files-from",
            "-",
            "-0",
            "-c",
            "pigments/smp_sample.json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = a.to_str().expect("utf8").as_bytes().to_vec();
    input.push(0);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write");
    let o = child.wait_with_output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
    // The list is an input: refused as --out, and left as it was.
    let before = std::fs::read(&list).expect("read");
    let o = run(&[
        "batch",
        "--files-from",
        list_s,
        "-c",
        "pigments/smp_sample.json",
        "-o",
        list_s,
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(&list).expect("read"), before);
}

/// `-q`: the records on stdout, nothing on stderr (no notes, no summary).
#[test]
fn quiet_batch_prints_records_only() {
    let dir = setup();
    let o = run(&[
        "-q",
        "batch",
        dir.path().to_str().expect("utf8"),
        "-c",
        "pigments/smp_sample.json",
    ]);
    assert_eq!(o.status.code(), Some(6), "one broken photo");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() >= 3);
    let loud = run(&[
        "batch",
        dir.path().to_str().expect("utf8"),
        "-c",
        "pigments/smp_sample.json",
    ]);
    assert!(String::from_utf8_lossy(&loud.stderr).contains("matched"));
}
