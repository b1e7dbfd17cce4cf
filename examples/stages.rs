//! Time each stage of the match pipeline on one photo (in-process, wall clock).
//!
//! `cargo run --release --example stages -- PHOTO`

use std::time::Instant;

use smpmatch::analysis::{analyze, AnalyzeOptions, Selection};
use smpmatch::photo::{LoadLimits, Photo};
use smpmatch::rank::{rank, RankOptions, Targets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: stages PHOTO")?);
    let t = Instant::now();
    let photo = Photo::load(&path, LoadLimits::default())?;
    let t_decode = t.elapsed();
    let t = Instant::now();
    let s = photo.sample_lab(None, smpmatch::analysis::DEFAULT_MAX_SAMPLES)?;
    let t_sample = t.elapsed();
    let t = Instant::now();
    let sep = smpmatch::segment::auto_separate(s.lab, 0x5EED);
    let t_seg = t.elapsed();
    drop(sep);
    let sel = Selection {
        photo: Some(path.clone()),
        ..Selection::default()
    };
    let t = Instant::now();
    let a = analyze(&sel, &AnalyzeOptions::default())?;
    let t_analyze = t.elapsed();
    let (hair, scalp) = a.targets()?;
    let cat = smpmatch::catalog::load(std::path::Path::new("pigments/smp_sample.json"))?;
    let targets = Targets {
        hair,
        scalp,
        stubble: a.stubble.map_or(hair, |s| s.lab),
    };
    let t = Instant::now();
    let r = rank(&cat, targets, &RankOptions::default());
    let t_rank = t.elapsed();
    println!(
        "decode {t_decode:?} | sample+Lab {t_sample:?} | segmentation {t_seg:?} | analyze (decode+all) {t_analyze:?} | rank {t_rank:?} ({} candidates)",
        r.candidates.len()
    );
    Ok(())
}
