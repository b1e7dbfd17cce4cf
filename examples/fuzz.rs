//! A mutation fuzzer that runs on stable Rust (cargo fuzz needs a nightly toolchain, which
//! this project's machines do not have): seeded random mutations of valid inputs — bit
//! flips, byte overwrites, truncation, duplication and splicing of chunks, interesting
//! integers — fed to the photo loader + analysis, or to the catalog parser, for a fixed time.
//! Any panic is a finding: the input is saved under `target/fuzz-findings/` and the run fails.
//!
//! `cargo run --release --example fuzz -- photo 600`   (target, seconds)
//! `cargo run --release --example fuzz -- catalog 600`
//! `cargo run --release --example fuzz -- seeds photo DIR` writes the seeds (corpus for cargo fuzz)

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let files: &[&str] = match target {
        "photo" => &["samples/scalp_closeup.jpg", "samples/card_clinic.jpg"],
        _ => &["pigments/smp_sample.json"],
    };
    let mut out: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    if target == "photo" {
        // Small PNG, TIFF and WebP seeds made here, so every decoder is exercised.
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 120])
        });
        for fmt in [
            image::ImageFormat::Jpeg,
            image::ImageFormat::Png,
            image::ImageFormat::Tiff,
            image::ImageFormat::WebP,
        ] {
            let mut buf = std::io::Cursor::new(Vec::new());
            if img.write_to(&mut buf, fmt).is_ok() {
                out.push(buf.into_inner());
            }
        }
        // An embedded ICC profile (PNG iCCP) and the odd formats of the bad-input corpus.
        if let Ok(icc) = std::fs::read("tests/data/icc/AdobeRGB1998.icc") {
            let mut buf = Vec::new();
            let mut info = png::Info::with_size(64, 48);
            info.icc_profile = Some(icc.into());
            let ok = png::Encoder::with_info(&mut buf, info)
                .ok()
                .and_then(|mut e| {
                    e.set_color(png::ColorType::Rgb);
                    e.set_depth(png::BitDepth::Eight);
                    e.write_header().ok()
                })
                .and_then(|mut w| w.write_image_data(img.as_raw()).ok())
                .is_some();
            if ok {
                out.push(buf);
            }
        }
        for f in ["tests/data/cmyk.jpg", "tests/data/animated.gif"] {
            out.extend(std::fs::read(f).ok());
        }
    }
    out
}

fn mutate(rng: &mut ChaCha8Rng, input: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..=8) {
        if v.is_empty() {
            v.push(rng.random());
            continue;
        }
        let i = rng.random_range(0..v.len());
        match rng.random_range(0..7) {
            0 => v[i] ^= 1 << rng.random_range(0..8),
            1 => v[i] = rng.random(),
            2 => {
                let n = rng.random_range(0..v.len().min(64) + 1);
                v.truncate(v.len() - n.min(v.len()));
            }
            3 => {
                let j = rng.random_range(i..v.len().min(i + 256) + 1).min(v.len());
                let chunk = v[i..j].to_vec();
                let at = rng.random_range(0..=v.len());
                v.splice(at..at, chunk);
            }
            4 => {
                let interesting: [u32; 6] = [0, 1, 0x7fff, 0xffff, 0x7fff_ffff, 0xffff_ffff];
                let x = interesting[rng.random_range(0..interesting.len())].to_be_bytes();
                for (k, b) in x.iter().enumerate() {
                    if i + k < v.len() {
                        v[i + k] = *b;
                    }
                }
            }
            5 => {
                let other = &pool[rng.random_range(0..pool.len())];
                if !other.is_empty() {
                    let s = rng.random_range(0..other.len());
                    let e = (s + rng.random_range(1..512)).min(other.len());
                    v.splice(i..i, other[s..e].iter().copied());
                }
            }
            _ => {
                v.truncate(rng.random_range(0..=v.len()));
            }
        }
    }
    v
}

fn run_one(target: &str, data: &[u8], path: &std::path::Path) {
    match target {
        "photo" => {
            if std::fs::write(path, data).is_ok() {
                let limits = smpmatch::input::LoadLimits {
                    max_pixels: 4_000_000,
                };
                let sel = smpmatch::analysis::Selection {
                    photo: Some(path.to_path_buf()),
                    ..Default::default()
                };
                let opts = smpmatch::analysis::AnalyzeOptions {
                    limits,
                    max_samples: 20_000,
                    ..Default::default()
                };
                let _ = smpmatch::pipeline::analyze(&sel, &opts);
            }
        }
        _ => {
            let _ = smpmatch::catalog::parse(data);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).map_or("photo", String::as_str).to_string();
    if target == "seeds" {
        // `fuzz -- seeds photo DIR`: write the seed corpus for `cargo fuzz run photo DIR`.
        let which = args.get(2).map_or("photo", String::as_str);
        let out = std::path::PathBuf::from(args.get(3).map_or("fuzz/corpus", String::as_str));
        std::fs::create_dir_all(&out).expect("create the corpus directory");
        for (i, s) in seeds(which).iter().enumerate() {
            std::fs::write(out.join(format!("seed-{i:02}")), s).expect("write a seed");
        }
        return;
    }
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let pool = seeds(&target);
    assert!(
        !pool.is_empty(),
        "no seed inputs (run from the repository root)"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0xF022);
    let dir = std::path::PathBuf::from("target/fuzz-findings");
    let _ = std::fs::create_dir_all(&dir);
    let scratch = dir.join(format!("scratch-{target}"));
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let (mut runs, mut findings) = (0u64, 0u64);
    while start.elapsed() < Duration::from_secs(secs) {
        let base = &pool[rng.random_range(0..pool.len())];
        let input = mutate(&mut rng, base, &pool);
        runs += 1;
        if catch_unwind(AssertUnwindSafe(|| run_one(&target, &input, &scratch))).is_err() {
            findings += 1;
            let f = dir.join(format!("{target}-crash-{runs}.bin"));
            let _ = std::fs::write(&f, &input);
            eprintln!("PANIC on input saved to {}", f.display());
        }
    }
    let _ = std::fs::remove_file(&scratch);
    println!(
        "fuzz {target}: {runs} inputs in {:.0} s, {findings} panics",
        start.elapsed().as_secs_f64()
    );
    if findings > 0 {
        std::process::exit(1);
    }
}
