//! The real-photo evaluation harness on any labelled folder (the format of `tests/real/`):
//! a Markdown table, one row a photo, and how reliable the confidence is.
//!
//! `cargo run --release --example eval_real -- tests/real`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = std::env::args()
        .nth(1)
        .ok_or("usage: eval_real FOLDER (holding labels.json and the photos)")?;
    let outcomes = smpmatch::evaluation::evaluate(
        std::path::Path::new(&folder),
        &smpmatch::analysis::AnalyzeOptions::default(),
    )?;
    print!("{}", smpmatch::evaluation::table(&outcomes));
    Ok(())
}
