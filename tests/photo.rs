//! Photo loading: EXIF orientation, bit depths, channels, transparency, formats. Each image is
//! painted here with known colours, so the expected result is set by construction.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use smpmatch::color::{delta_e00, lab_from_srgb8};
use smpmatch::input::{LoadLimits, Photo, Region};

/// A minimal big-endian EXIF (TIFF) block with one Orientation tag.
fn exif_orientation(o: u16) -> Vec<u8> {
    let mut v = b"MM\0\x2a\0\0\0\x08".to_vec();
    v.extend_from_slice(&[0, 1]); // one IFD entry
    v.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // tag 0x0112, SHORT, count 1
    v.extend_from_slice(&o.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding + next IFD = 0
    v
}

#[test]
fn exif_orientation_is_applied() {
    // Stored 80×40: left half red, right half blue. Orientation 6 = rotate 90° clockwise to
    // display, so the displayed photo is 40×80 with red on top.
    let img = RgbImage::from_fn(80, 40, |x, _| {
        if x < 40 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("rotated.jpg");
    let mut buf = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut buf, 95);
    enc.set_exif_metadata(exif_orientation(6)).expect("exif");
    enc.write_image(img.as_raw(), 80, 40, image::ExtendedColorType::Rgb8)
        .expect("encode");
    std::fs::write(&path, buf).expect("write");

    let photo = Photo::load(&path, LoadLimits::default()).expect("load");
    assert_eq!((photo.info.width, photo.info.height), (40, 80));
    assert_eq!(photo.info.orientation, "rotate90");
    let top = photo
        .sample_lab(
            Some(Region {
                x: 5,
                y: 5,
                w: 30,
                h: 30,
            }),
            10_000,
        )
        .expect("top");
    let red = lab_from_srgb8(220, 20, 20);
    let mean_de: f32 =
        top.lab.iter().map(|&l| delta_e00(l, red)).sum::<f32>() / top.lab.len() as f32;
    assert!(
        mean_de < 3.0,
        "top of the displayed photo should be red, mean ΔE00 {mean_de}"
    );
}

#[test]
fn sixteen_bit_grey_and_alpha_pngs_read_correctly() {
    let dir = tempfile::tempdir().expect("tmp");
    let colour = [190u8, 153, 133];
    let want = lab_from_srgb8(colour[0], colour[1], colour[2]);

    // 16-bit RGB: 8-bit value v stored as v·257 is the same colour.
    let p16 = dir.path().join("deep.png");
    let img16 = image::ImageBuffer::<Rgb<u16>, Vec<u16>>::from_pixel(
        20,
        10,
        Rgb(colour.map(|v| u16::from(v) * 257)),
    );
    DynamicImage::ImageRgb16(img16).save(&p16).expect("save");
    let ph = Photo::load(&p16, LoadLimits::default()).expect("load");
    assert_eq!(ph.info.bit_depth, 16);
    let s = ph.sample_lab(None, 1000).expect("sample");
    assert!(s.lab.iter().all(|&l| delta_e00(l, want) < 0.01));

    // RGBA with a fully transparent half: those pixels are skipped and counted.
    let pa = dir.path().join("alpha.png");
    let imga = RgbaImage::from_fn(20, 10, |x, _| {
        if x < 10 {
            Rgba([colour[0], colour[1], colour[2], 255])
        } else {
            Rgba([0, 255, 0, 0])
        }
    });
    imga.save(&pa).expect("save");
    let ph = Photo::load(&pa, LoadLimits::default()).expect("load");
    let s = ph.sample_lab(None, 1000).expect("sample");
    assert_eq!((s.lab.len(), s.transparent), (100, 100));
    assert!(s.lab.iter().all(|&l| delta_e00(l, want) < 0.01));

    // Grey: a* = b* = 0.
    let pg = dir.path().join("grey.png");
    image::GrayImage::from_pixel(8, 8, image::Luma([128]))
        .save(&pg)
        .expect("save");
    let s = Photo::load(&pg, LoadLimits::default())
        .expect("load")
        .sample_lab(None, 100)
        .expect("s");
    assert!(s
        .lab
        .iter()
        .all(|l| l.a.abs() < 1e-3 && l.b.abs() < 1e-3 && (l.l - 53.585).abs() < 0.05));
}

#[test]
fn tiff_and_webp_are_read_and_content_beats_extension() {
    let dir = tempfile::tempdir().expect("tmp");
    let img = RgbImage::from_pixel(16, 16, Rgb([30, 60, 90]));
    let want = lab_from_srgb8(30, 60, 90);
    for name in ["a.tiff", "b.webp"] {
        let p = dir.path().join(name);
        img.save(&p).expect("save");
        // Renamed to a misleading extension: the content decides.
        let renamed = dir.path().join(format!("{name}.jpg"));
        std::fs::rename(&p, &renamed).expect("rename");
        let ph = Photo::load(&renamed, LoadLimits::default()).expect("load");
        let s = ph.sample_lab(None, 1000).expect("sample");
        assert!(s.lab.iter().all(|&l| delta_e00(l, want) < 0.01), "{name}");
    }
}

#[test]
fn oversized_images_are_refused_before_decoding() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("big.png");
    RgbImage::from_pixel(200, 200, Rgb([1, 2, 3]))
        .save(&p)
        .expect("save");
    let err = Photo::load(&p, LoadLimits { max_pixels: 10_000 })
        .err()
        .expect("refused");
    assert!(err.to_string().contains("--max-pixels"), "{err}");
}

#[test]
fn sampling_does_not_alias_with_a_periodic_pattern() {
    // Columns 0–1 of every 8 are black, the rest white: a quarter of the area is black by
    // construction. A fixed stride of 4 starting at 2 would read only white columns; the
    // jittered stratified sample must see the quarter.
    let img = RgbImage::from_fn(800, 800, |x, _| {
        if x % 8 < 2 {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stripes.png");
    img.save(&path).expect("save");
    let photo = Photo::load(&path, LoadLimits::default()).expect("load");
    let s = photo.sample_lab(None, 40_000).expect("sample");
    assert!(
        s.lab.len() <= 40_000 && s.lab.len() >= 39_000,
        "{}",
        s.lab.len()
    );
    let black = s.lab.iter().filter(|c| c.l < 50.0).count() as f64 / s.lab.len() as f64;
    // Binomial standard deviation at n = 40 000 is 0.002.
    assert!((black - 0.25).abs() < 0.01, "black share {black}");
    let again = photo.sample_lab(None, 40_000).expect("sample");
    assert_eq!(s.lab, again.lab, "sampling is not deterministic");
}
