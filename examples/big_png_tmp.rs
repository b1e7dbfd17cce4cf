use image::ImageEncoder;
fn main() {
    let (w, h) = (10_000u32, 10_000u32);
    let mut flat = Vec::with_capacity((w * h * 8) as usize);
    for y in 0..h {
        for x in 0..w {
            let v: [u16; 4] = if (x / 7 + y / 5) % 9 == 0 {
                [9000, 8000, 7000, 65535]
            } else {
                [48000, 38000, 33000, 65535]
            };
            for c in v {
                flat.extend_from_slice(&c.to_ne_bytes());
            }
        }
    }
    let icc = std::fs::read("tests/data/icc/AdobeRGB1998.icc").unwrap();
    let file = std::fs::File::create("/tmp/big16.png").unwrap();
    let mut enc = image::codecs::png::PngEncoder::new_with_quality(
        std::io::BufWriter::new(file),
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    enc.set_icc_profile(icc).unwrap();
    enc.write_image(&flat, w, h, image::ExtendedColorType::Rgba16)
        .unwrap();
}
