//! Never lose a catalog: concurrent writers do not lose updates (lock), and a writer killed
//! at any moment leaves the old or the new catalog, never half of one (atomic rename).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn profile(dir: &Path) -> PathBuf {
    let p = dir.join("p.json");
    let o = common::run(&[
        "calibrate",
        "samples/card_clinic.jpg",
        "--out",
        p.to_str().expect("u"),
    ]);
    assert!(o.status.success());
    p
}

fn measure(cat: &Path, prof: &Path, swatch: &str) -> Child {
    Command::new(common::bin())
        .args(common::measure_args(
            cat,
            Path::new("samples/card_clinic.jpg"),
            prof,
            &["--swatch", swatch],
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

#[test]
fn two_writers_at_once_lose_no_update() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prof = profile(dir.path());
    let cat = dir.path().join("c.json");
    std::fs::copy("pigments/smp_sample.json", &cat).expect("copy");
    let rounds = 6;
    for _ in 0..rounds {
        let mut a = measure(&cat, &prof, "carbon-black=900,180,160,160");
        let mut b = measure(&cat, &prof, "dark-brown=900,580,160,160");
        assert!(a.wait().expect("a").success());
        assert!(b.wait().expect("b").success());
    }
    let c = smpmatch::catalog::load(&cat).expect("valid");
    for id in ["carbon-black", "dark-brown"] {
        let p = c.pigments.iter().find(|p| p.id == id).expect("pigment");
        assert_eq!(p.history.len(), rounds, "{id}: an update was lost");
    }
}

#[test]
fn a_writer_killed_at_any_moment_leaves_a_whole_catalog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prof = profile(dir.path());
    let cat = dir.path().join("c.json");
    std::fs::copy("pigments/smp_sample.json", &cat).expect("copy");
    // How long one writer takes here, to spread the kills over its whole life. A busy or
    // slow machine can make later writers slower than this first one, so the schedule adapts:
    // each block of 20 rounds spreads kills over 0–1.1 × `life`, and a block in which no
    // writer finished doubles `life` (one in which every writer finished halves it), until
    // both cases have been seen; the bound only stops a machine that never finishes a writer.
    let t = std::time::Instant::now();
    assert!(measure(&cat, &prof, "carbon-black=900,180,160,160")
        .wait()
        .expect("wait")
        .success());
    let mut life = t.elapsed().as_secs_f64();
    let mut current = std::fs::read_to_string(&cat).expect("read");
    let (mut killed, mut finished) = (0, 0);
    const BLOCK: u32 = 20;
    const MAX_ROUNDS: u32 = 400;
    let (mut block_killed, mut block_finished) = (0, 0);
    for i in 0..MAX_ROUNDS {
        if i >= 3 * BLOCK && killed > 10 && finished > 0 {
            break;
        }
        let mut child = measure(&cat, &prof, "carbon-black=900,180,160,160");
        std::thread::sleep(Duration::from_secs_f64(
            life * 1.1 * f64::from(i % BLOCK) / f64::from(BLOCK),
        ));
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().expect("wait");
        if status.success() {
            finished += 1;
            block_finished += 1;
        } else {
            killed += 1;
            block_killed += 1;
        }
        if i % BLOCK == BLOCK - 1 {
            if block_finished == 0 {
                life *= 2.0;
            } else if block_killed == 0 {
                life /= 2.0;
            }
            (block_killed, block_finished) = (0, 0);
        }
        let now = std::fs::read_to_string(&cat).expect("catalog still there");
        let parsed = smpmatch::catalog::load(&cat);
        assert!(
            parsed.is_ok(),
            "round {i}: catalog does not parse: {parsed:?}"
        );
        if now != current {
            // The new content: one more history entry than before.
            let before: serde_json::Value = serde_json::from_str(&current).expect("json");
            let after: serde_json::Value = serde_json::from_str(&now).expect("json");
            let n =
                |v: &serde_json::Value| v["pigments"][0]["history"].as_array().map_or(0, Vec::len);
            assert_eq!(n(&after), n(&before) + 1, "round {i}: neither old nor new");
            current = now;
        }
    }
    eprintln!("{killed} writers killed, {finished} finished; the catalog was whole every time");
    // The next successful writer removes the temporary files the killed ones left.
    assert!(measure(&cat, &prof, "carbon-black=900,180,160,160")
        .wait()
        .expect("wait")
        .success());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    assert!(
        killed > 10 && finished > 0,
        "the schedule must hit both cases"
    );
}
