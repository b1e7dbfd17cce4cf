//! The real-photo evaluation harness on any labelled folder (the format of `tests/real/`):
//! a Markdown table, one row a photo, and how reliable the confidence is. With `--maps DIR`
//! it also writes, per photo, the automatic separation's reading (hair tinted blue, scalp
//! green, neither greyed) with the labelled rectangles outlined (hair red, scalp yellow), to
//! see why a photo went wrong.
//!
//! `cargo run --release --example eval_real -- tests/real [--maps DIR]`

use image::Rgb;
use smpmatch::analysis::{analyze, AnalyzeOptions, Selection};
use smpmatch::input::{LoadLimits, Photo};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let folder = args
        .first()
        .ok_or("usage: eval_real FOLDER [--maps DIR] (FOLDER holds labels.json and the photos)")?;
    let folder = std::path::Path::new(folder);
    let opts = AnalyzeOptions::default();
    let outcomes = smpmatch::evaluation::evaluate(folder, &opts)?;
    print!("{}", smpmatch::evaluation::table(&outcomes));
    if let Some(i) = args.iter().position(|a| a == "--maps") {
        let dir = std::path::Path::new(args.get(i + 1).ok_or("--maps needs a folder")?);
        std::fs::create_dir_all(dir)?;
        for label in smpmatch::evaluation::labels(folder)? {
            let path = folder.join(&label.photo);
            let photo = Photo::load(&path, LoadLimits::default())?;
            let rgb = photo.image.to_rgb8();
            let sel = Selection {
                photo: Some(path.clone()),
                ..Selection::default()
            };
            let mut map = match analyze(&sel, &opts).ok().and_then(|a| a.auto) {
                Some(sep) => smpmatch::output::visual::tinted(
                    &rgb,
                    &smpmatch::output::visual::role_map(&rgb, &sep, None),
                ),
                None => rgb.clone(),
            };
            for (r, colour) in [
                (label.hair_region, Rgb([230, 30, 30])),
                (label.scalp_region, Rgb([250, 220, 0])),
            ] {
                let Some([x, y, w, h]) = r else { continue };
                for (px, py, p) in map.enumerate_pixels_mut() {
                    let inside = px >= x && py >= y && px < x + w && py < y + h;
                    let edge = px < x + 2 || py < y + 2 || px + 2 >= x + w || py + 2 >= y + h;
                    if inside && edge {
                        *p = colour;
                    }
                }
            }
            let name = std::path::Path::new(&label.photo)
                .file_stem()
                .map_or("photo".into(), |s| s.to_string_lossy().into_owned());
            map.save(dir.join(format!("{name}.png")))?;
        }
    }
    Ok(())
}
