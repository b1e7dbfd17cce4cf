//! The decode floor for benchmarks: load a photo exactly as smpmatch does (format sniffing,
//! limits, EXIF orientation) and nothing else.
//!
//! `cargo run --release --example decode -- PHOTO`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: decode PHOTO")?;
    let photo =
        smpmatch::input::Photo::load(path.as_ref(), smpmatch::input::LoadLimits::default())?;
    println!("{}×{}", photo.info.width, photo.info.height);
    Ok(())
}
