//! Time each stage of the match pipeline on one photo (in-process, wall clock).
//!
//! `cargo run --release --example stages -- PHOTO`

use std::time::Instant;

use smpmatch::analysis::{analyze, AnalyzeOptions, Selection};
use smpmatch::input::{LoadLimits, Photo};
use smpmatch::pipeline;
use smpmatch::rank::{rank, RankOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: stages PHOTO")?);
    let t = Instant::now();
    let photo = Photo::load(&path, LoadLimits::default())?;
    let t_decode = t.elapsed();
    let t = Instant::now();
    let s = photo.sample_lab(None, smpmatch::analysis::DEFAULT_MAX_SAMPLES)?;
    let t_sample = t.elapsed();
    let t = Instant::now();
    let sep = smpmatch::analysis::segment::auto_separate(s.lab, 0x5EED);
    let t_seg = t.elapsed();
    drop(sep);
    let t = Instant::now();
    let texture = photo.grid_texture(smpmatch::analysis::tones::FIT_SAMPLES);
    let t_texture = t.elapsed();
    drop(texture);
    let sel = Selection {
        photo: Some(path.clone()),
        ..Selection::default()
    };
    let t = Instant::now();
    let a = analyze(&sel, &AnalyzeOptions::default())?;
    let t_analyze = t.elapsed();
    let catalog_path = std::path::Path::new("pigments/smp_sample.json");
    let cat = smpmatch::catalog::load(catalog_path)?;
    let targets = pipeline::targets(&a)?;
    let t = Instant::now();
    let r = rank(&cat, targets, &RankOptions::default());
    let t_rank = t.elapsed();
    let t = Instant::now();
    let m = pipeline::match_patient(
        &sel,
        &AnalyzeOptions::default(),
        &pipeline::Treatment::default(),
        &cat,
        catalog_path,
    )?;
    let t_match = t.elapsed();
    println!(
        "decode {t_decode:?} | sample+Lab {t_sample:?} | segmentation {t_seg:?} | texture {t_texture:?} | analyze (decode+all) {t_analyze:?} | rank {t_rank:?} ({} candidates) | match end to end {t_match:?} ({} shown)",
        r.candidates.len(),
        m.output.ranking.map_or(0, |r| r.len())
    );
    Ok(())
}
