//! The model tables of docs/model.md §§ 5–7: fitted skins, healed carbon black at three depths
//! over ten years, a composite warm black over the same years, and the validation rows that
//! compare the model with published numbers.
//!
//! `cargo run --release --example model_tables` prints Markdown.

use smpmatch::color::Lab;
use smpmatch::model::skin::{SkinConstants, SkinOptics};
use smpmatch::model::{self, Colorant, ModelParams, Sun};
use smpmatch::pipeline::{predict, PredictRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::Path::new("pigments/smp_sample.json");
    let catalog = smpmatch::catalog::load(path)?;
    let skins = [
        ("light (ITA 45°)", Lab::new(66.0, 11.0, 16.0)),
        ("medium (ITA 15°)", Lab::new(55.0, 11.0, 19.0)),
        ("dark (ITA −39°)", Lab::new(35.0, 9.0, 14.0)),
    ];

    println!("### Skins fitted\n");
    println!("| skin | melanin | blood | scattering | fit ΔE00 | in published ranges |");
    println!("|---|---|---|---|---|---|");
    for (name, lab) in skins {
        let s = SkinOptics::fit(lab, SkinConstants::default());
        let c = s.chromophores;
        let r = s.in_published_ranges();
        println!(
            "| {name} {:.0}/{:.0}/{:.0} | {:.1} % | {:.2} % | ×{:.2} | {:.2} | melanin {}, blood {}, scattering {} |",
            lab.l, lab.a, lab.b,
            100.0 * c.melanin,
            100.0 * c.blood,
            c.scattering,
            s.fit_error(),
            yes(r[0]), yes(r[1]), yes(r[2])
        );
    }

    let months = vec![0.0, 12.0, 60.0, 120.0];
    let run = |ink: &str, skin: Lab, dilution: f64, depth: Option<f64>| {
        predict(
            &catalog,
            path,
            &PredictRequest {
                skin,
                ink_id: ink.into(),
                dilution: Some(dilution),
                depth_mm: depth,
                months: months.clone(),
                sun: Sun::Moderate,
            },
        )
    };
    for (ink, dilution) in [("carbon-black", 0.0), ("carbon-black", 6.0)] {
        println!("\n### {ink} at {dilution}:1, moderate sun (L* a* b*, hue°, cast Δa*/Δb*)\n");
        println!("| skin | depth mm | 0 months | 12 | 60 | 120 |");
        println!("|---|---|---|---|---|---|");
        for (name, lab) in skins {
            for depth in [0.1, 0.15, 0.3] {
                let p = run(ink, lab, dilution, Some(depth))?;
                print!("| {name} | {depth} |");
                for t in &p.timeline {
                    print!(
                        " {:.1} {:.1} {:.1}, {:.0}°, {:.1}/{:.1} |",
                        t.lab[0], t.lab[1], t.lab[2], t.hue_deg, t.cast[0], t.cast[1]
                    );
                }
                println!();
            }
        }
    }
    println!("\n### warm-black (composite) and carbon-black at 6:1, depth 0.15 mm, moderate sun\n");
    println!("| ink | skin | 0 months | 12 | 60 | 120 |");
    println!("|---|---|---|---|---|---|");
    for ink in ["warm-black", "carbon-black"] {
        for (name, lab) in skins {
            let p = run(ink, lab, 6.0, None)?;
            print!("| {ink} | {name} |");
            for t in &p.timeline {
                print!(
                    " {:.1} {:.1} {:.1}, {:.0}°, cast {:.1}/{:.1}, left {:.0} % |",
                    t.lab[0],
                    t.lab[1],
                    t.lab[2],
                    t.hue_deg,
                    t.cast[0],
                    t.cast[1],
                    100.0 * t.pigment_left
                );
            }
            println!();
        }
    }

    println!("\n### Validation rows\n");
    let (x, y) = model::spectrum::d65_chromaticity_of_table();
    println!("- D65 from the 10 nm table: x {x:.4}, y {y:.4} (CIE: 0.3127, 0.3290)");
    let oxide = Colorant::IronOxideRed.fading();
    let left14 = model::retention(&oxide, Sun::Moderate, 14.0);
    println!(
        "- iron oxide, 14 months, moderate sun: {:.0} % of the healed pigment lost (Kat 2006: mean 32 %, patient-reported); v1: {:.0} %",
        100.0 * (1.0 - left14),
        100.0 * (1.0 - (-std::f64::consts::LN_2 * 14.0 * 1.5 / 25.0).exp())
    );
    let carbon = Colorant::CarbonBlack.fading();
    for m in [120.0, 240.0] {
        println!(
            "- carbon, {m} months, moderate sun: {:.0} % of the healed pigment left (v1: {:.1} %)",
            100.0 * model::retention(&carbon, Sun::Moderate, m),
            100.0 * (-std::f64::consts::LN_2 * m * 1.3 / 40.0).exp()
        );
    }
    let p = ModelParams::default();
    println!(
        "- healed share {:.2} (Bäumler 2015: about a third lost in weeks)",
        p.healing_retention
    );
    // Spear & Arias 1995: about 60 % of iron-oxide areola tattoos ended lighter at 25 months.
    let brown = run("dark-brown", Lab::new(66.0, 11.0, 16.0), 2.0, None);
    if let Ok(b) = brown {
        println!(
            "- dark-brown (iron oxides) 2:1 on light skin: ΔE00 to healed {:.1} at 12 months, {:.1} at 60 (Spear & Arias 1995: ~60 % of iron-oxide tattoos visibly lighter at a mean 25 months)",
            b.timeline[1].delta_e00_to_healed, b.timeline[2].delta_e00_to_healed
        );
    }
    Ok(())
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
