//! Per-stage benches: decode, Lab conversion (sampling), separation, tone clustering,
//! ranking, report (JSON and text). `cargo bench` (uses the shipped samples and catalog).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use smpmatch::analysis::tones::{extract, Role, ToneOptions};
use smpmatch::analysis::{analyze, AnalyzeOptions, Selection, DEFAULT_MAX_SAMPLES};
use smpmatch::color::Lab;
use smpmatch::input::{LoadLimits, Photo};

const SAMPLE: &str = "samples/crown_tan.jpg";

fn benches(c: &mut Criterion) {
    let path = Path::new(SAMPLE);
    c.bench_function("decode crown_tan.jpg (1.9 MP)", |b| {
        b.iter(|| Photo::load(black_box(path), LoadLimits::default()).expect("decode"))
    });
    let photo = Photo::load(path, LoadLimits::default()).expect("decode");
    c.bench_function("sample + sRGB->Lab, default cap", |b| {
        b.iter(|| {
            photo
                .sample_lab(None, black_box(DEFAULT_MAX_SAMPLES))
                .expect("sample")
        })
    });
    let lab: Vec<Lab> = photo
        .sample_lab(None, DEFAULT_MAX_SAMPLES)
        .expect("sample")
        .lab;
    let grid: Vec<Lab> = photo
        .sample_lab(None, smpmatch::analysis::tones::FIT_SAMPLES)
        .expect("grid")
        .lab;
    c.bench_function("hair/scalp separation, k=6", |b| {
        b.iter(|| {
            smpmatch::analysis::segment::auto_separate_with(black_box(lab.clone()), &grid, 0x5EED)
        })
    });
    c.bench_function("tones, k=auto, whole sample as one role", |b| {
        b.iter(|| {
            extract(
                Role::Scalp,
                black_box(lab.clone()),
                ToneOptions::default(),
                None,
            )
        })
    });
    let sel = Selection {
        photo: Some(path.to_path_buf()),
        ..Selection::default()
    };
    let analysis = analyze(&sel, &AnalyzeOptions::default()).expect("analysis");
    let catalog = smpmatch::catalog::load(Path::new("pigments/smp_sample.json")).expect("catalog");
    let targets = smpmatch::pipeline::targets(&analysis).expect("targets");
    let opts = smpmatch::rank::RankOptions::default();
    c.bench_function(
        "rank 6 inks + 135 blends, dilution solved, uncertainty",
        |b| b.iter(|| smpmatch::rank::rank(&catalog, black_box(targets), &opts)),
    );
    let singles = smpmatch::rank::RankOptions {
        blends: false,
        ..smpmatch::rank::RankOptions::default()
    };
    c.bench_function("rank 6 inks, no blends", |b| {
        b.iter(|| smpmatch::rank::rank(&catalog, black_box(targets), &singles))
    });
    // A supplier's library: the sample catalog's inks repeated with shifted colours.
    let mut group = c.benchmark_group("large catalogs");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let mut big = catalog.clone();
        big.pigments = (0..n)
            .map(|i| {
                let mut p = catalog.pigments[i % catalog.pigments.len()].clone();
                p.id = format!("{}-{i}", p.id);
                let t = i as f64;
                p.lab[0] += 3.0 * (t * 0.37).sin();
                p.lab[1] += 2.0 * (t * 0.71).sin();
                p.lab[2] += 2.0 * (t * 1.13).sin();
                p
            })
            .collect();
        group.bench_function(format!("rank {n} inks, no blends"), |b| {
            b.iter(|| smpmatch::rank::rank(&big, black_box(targets), &singles))
        });
        group.bench_function(format!("rank {n} inks + blends of the best 40"), |b| {
            b.iter(|| smpmatch::rank::rank(&big, black_box(targets), &opts))
        });
    }
    group.finish();
    let catalog_path = Path::new("pigments/smp_sample.json");
    let treatment = smpmatch::pipeline::Treatment::default();
    let build = || {
        smpmatch::pipeline::match_patient(
            &sel,
            &AnalyzeOptions::default(),
            &treatment,
            &catalog,
            catalog_path,
        )
        .expect("match")
        .output
    };
    c.bench_function(
        "match end to end (analyze, rank, plan, build) + JSON + text",
        |b| {
            b.iter(|| {
                let out = build();
                let json = serde_json::to_string(&out).expect("json");
                let text = smpmatch::output::render_text(&out, false, 100, true);
                (json.len(), text.len())
            })
        },
    );
    c.bench_function("analyze crown_tan.jpg end to end", |b| {
        b.iter(|| analyze(black_box(&sel), &AnalyzeOptions::default()).expect("analysis"))
    });
}

criterion_group! {
    name = pipeline;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(pipeline);
