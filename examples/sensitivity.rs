//! The sensitivity table of docs/model.md: how the top-3 ranking of each shipped sample
//! changes when each model parameter moves ±50 %.
//!
//! `cargo run --release --example sensitivity` prints the Markdown table.

use std::path::PathBuf;

use smpmatch::analysis::{analyze, AnalyzeOptions, Selection};
use smpmatch::model::{Dots, ModelParams};
use smpmatch::rank::{rank, RankOptions, Targets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let catalog = smpmatch::catalog::load(std::path::Path::new("pigments/smp_sample.json"))?;
    let samples: Vec<(&str, Selection)> = vec![
        ("shaved_light", auto("shaved_light.jpg")),
        ("shaved_dark", auto("shaved_dark.jpg")),
        ("shaved_grey_dark", auto("shaved_grey_dark.jpg")),
        ("crown_tan", auto("crown_tan.jpg")),
        (
            "close-ups",
            Selection {
                hair_photos: vec![PathBuf::from("samples/hair_closeup.jpg")],
                scalp_photos: vec![PathBuf::from("samples/scalp_closeup.jpg")],
                ..Selection::default()
            },
        ),
    ];
    let mut targets = Vec::new();
    for (_, sel) in &samples {
        let a = analyze(sel, &AnalyzeOptions::default())?;
        targets.push(smpmatch::pipeline::targets(&a)?);
    }
    let top3 = |opts: &RankOptions, t: Targets| -> String {
        rank(&catalog, t, opts)
            .candidates
            .iter()
            .take(3)
            .map(|c| format!("{} {}:1", c.id, c.dilution.step))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let base = RankOptions::default();
    let baseline: Vec<String> = targets.iter().map(|&t| top3(&base, t)).collect();

    print!("| parameter | change |");
    for (name, _) in &samples {
        print!(" {name} |");
    }
    println!();
    print!("|---|---|");
    for _ in &samples {
        print!("---|");
    }
    println!();
    print!("| (defaults) | — |");
    for b in &baseline {
        print!(" {b} |");
    }
    println!();

    let p = ModelParams::default();
    let d = Dots::default();
    type Vary = Box<dyn Fn(f64) -> RankOptions>;
    let rows: Vec<(&str, Vary)> = vec![
        (
            "carbon_mu_a",
            Box::new(move |f| {
                with_params(ModelParams {
                    carbon_mu_a: p.carbon_mu_a * f,
                    ..p
                })
            }),
        ),
        (
            "healing_retention",
            Box::new(move |f| {
                with_params(ModelParams {
                    healing_retention: (p.healing_retention * f).min(1.0),
                    ..p
                })
            }),
        ),
        (
            "depth_mm",
            Box::new(move |f| {
                with_params(ModelParams {
                    depth_mm: p.depth_mm * f,
                    ..p
                })
            }),
        ),
        (
            "band_mm",
            Box::new(move |f| {
                with_params(ModelParams {
                    band_mm: p.band_mm * f,
                    ..p
                })
            }),
        ),
        (
            "skin.s_per_musp",
            Box::new(move |f| {
                let mut q = p;
                q.skin.s_per_musp *= f;
                with_params(q)
            }),
        ),
        (
            "skin.epidermis_mm",
            Box::new(move |f| {
                let mut q = p;
                q.skin.epidermis_mm *= f;
                with_params(q)
            }),
        ),
        (
            "migration_mm_per_year",
            Box::new(move |f| {
                with_params(ModelParams {
                    migration_mm_per_year: p.migration_mm_per_year * f,
                    ..p
                })
            }),
        ),
        (
            "spread_per_year",
            Box::new(move |f| {
                with_params(ModelParams {
                    spread_per_year: p.spread_per_year * f,
                    ..p
                })
            }),
        ),
        (
            "plateaus",
            Box::new(move |f| {
                with_params(ModelParams {
                    plateau_scale: p.plateau_scale * f,
                    ..p
                })
            }),
        ),
        (
            "fading half-lives",
            Box::new(|f| RankOptions {
                half_life_scale: f,
                ..RankOptions::default()
            }),
        ),
        (
            "dot density",
            Box::new(move |f| RankOptions {
                dots: Dots {
                    density_per_cm2: d.density_per_cm2 * f,
                    ..d
                },
                ..RankOptions::default()
            }),
        ),
    ];
    for (name, vary) in &rows {
        for (label, f) in [("−50 %", 0.5), ("+50 %", 1.5)] {
            let opts = vary(f);
            print!("| {name} | {label} |");
            for (i, &t) in targets.iter().enumerate() {
                let got = top3(&opts, t);
                if got == baseline[i] {
                    print!(" same |");
                } else {
                    print!(" {got} |");
                }
            }
            println!();
        }
    }
    Ok(())
}

fn auto(file: &str) -> Selection {
    Selection {
        photo: Some(PathBuf::from("samples").join(file)),
        ..Selection::default()
    }
}

fn with_params(params: ModelParams) -> RankOptions {
    RankOptions {
        params,
        ..RankOptions::default()
    }
}
