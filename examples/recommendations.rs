//! The recommendation table of docs/model.md § 9: the ink, dilution and density the model
//! recommends for black, dark-brown, light-brown and grey hair on light and on dark skin,
//! with the shipped catalog. Uses only the ranking and plan API, so the same file runs
//! against earlier model versions for a before/after table.
//!
//! `cargo run --release --example recommendations` prints the Markdown table.
//!
//! Hair colours: black and dark-brown tresses as measured (J. Soc. Cosmet. Chem. 51(5));
//! light brown and grey illustrative. Skins: light (ITA 45°) and dark (ITA −39°). The stubble
//! look is the hair over 25 % of the area, averaged in linear light.

use smpmatch::color::{mix_linear, Lab};
use smpmatch::model::{Dots, ModelParams, Sun};
use smpmatch::plan::{plan, PlanOptions};
use smpmatch::rank::{rank, RankOptions, Setup, Targets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let catalog = smpmatch::catalog::load(std::path::Path::new("pigments/smp_sample.json"))?;
    let hairs = [
        ("black", Lab::new(18.4, -0.05, -0.84)),
        ("dark brown", Lab::new(22.7, 3.9, 4.7)),
        ("light brown", Lab::new(40.0, 7.0, 14.0)),
        ("grey", Lab::new(55.0, 0.0, 3.0)),
    ];
    let skins = [
        ("light", Lab::new(66.0, 11.0, 16.0)),
        ("dark", Lab::new(35.0, 9.0, 14.0)),
    ];
    println!(
        "| hair | skin | ink | dilution | density /cm² | dot ΔE00 | area ΔE00 | touch-up, months |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (hn, hair) in hairs {
        for (sn, skin) in skins {
            let targets = Targets {
                hair,
                stubble: mix_linear(hair, skin, 0.25),
                scalp: skin,
            };
            let opts = RankOptions {
                blends: false,
                ..RankOptions::default()
            };
            let r = rank(&catalog, targets, &opts);
            let Some(best) = r.candidates.first() else {
                continue;
            };
            let setup = Setup::new(
                &catalog,
                targets,
                ModelParams::default(),
                Dots::default(),
                Sun::Moderate,
                1.0,
            );
            let p = plan(&setup, best, &r.steps, &PlanOptions::default());
            println!(
                "| {hn} | {sn} | {} | {}:1 | {} | {:.1} | {:.1} | {} |",
                best.id,
                best.dilution.step,
                p.suggested_density_per_cm2,
                best.delta_e00_dot,
                best.delta_e00_area,
                best.touch_up_months
                    .map_or("> 120".to_string(), |m| format!("{m:.0}"))
            );
        }
    }
    Ok(())
}
