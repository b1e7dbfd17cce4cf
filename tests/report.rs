//! The visual report: the PNG swatch sheet's pixels against the JSON values, and the HTML
//! page rendered by a real browser (headless Chromium), checked for console errors and for
//! swatches of the expected colours.

mod common;
use common::run;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rgb(hex: &str) -> [u8; 3] {
    let h = hex.trim_start_matches('#');
    let p = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).expect("hex");
    [p(0), p(2), p(4)]
}

/// Run `match` with a report and return its JSON.
fn match_with_report(report: &Path) -> serde_json::Value {
    let o = run(&[
        "match",
        "samples/shaved_dark.jpg",
        "--catalog",
        "pigments/smp_sample.json",
        "--report",
        report.to_str().expect("utf8"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains(&format!("report written to {}", report.display())),
        "{said}"
    );
    serde_json::from_slice(&o.stdout).expect("json")
}

fn count_near(img: &image::RgbImage, want: [u8; 3], tol: i32) -> usize {
    img.pixels()
        .filter(|p| (0..3).all(|c| (i32::from(p.0[c]) - i32::from(want[c])).abs() <= tol))
        .count()
}

#[test]
fn png_sheet_shows_the_predicted_colours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sheet.png");
    let v = match_with_report(&path);
    let img = image::open(&path).expect("png").to_rgb8();
    // Layout: cells of 96 px with 8 px gaps; row 0 = hair, scalp, stubble; row 1 = the best
    // candidate at healed, 6, 12, 24, 36 months.
    let centre = |col: u32, row: u32| img.get_pixel(8 + col * 104 + 48, 8 + row * 104 + 48).0;
    assert_eq!(
        centre(0, 0),
        rgb(v["hair"]["target_hex"].as_str().expect("hex"))
    );
    assert_eq!(
        centre(1, 0),
        rgb(v["scalp"]["target_hex"].as_str().expect("hex"))
    );
    assert_eq!(
        centre(2, 0),
        rgb(v["stubble"]["hex"].as_str().expect("hex"))
    );
    let best = &v["ranking"][0];
    assert_eq!(centre(0, 1), rgb(best["healed_hex"].as_str().expect("hex")));
    // The dot sits on the patient's skin: the cell's corner is the scalp colour.
    let corner = img.get_pixel(8 + 4, 8 + 104 + 4).0;
    assert_eq!(corner, rgb(v["scalp"]["target_hex"].as_str().expect("hex")));
}

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("SMPMATCH_CHROMIUM") {
        return PathBuf::from(p);
    }
    let find = || {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .map(|n| Path::new("/usr/bin").join(n))
            .find(|p| p.exists())
    };
    if let Some(p) = find() {
        return p;
    }
    // The test installs what it needs (Debian's package) when it can.
    let _ = Command::new("apt-get")
        .args(["install", "-y", "-q", "chromium"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    find().unwrap_or_else(|| {
        panic!(
            "headless Chromium is needed for this test: `apt-get install chromium` (or set \
             SMPMATCH_CHROMIUM to a Chrome/Chromium binary)"
        )
    })
}

#[test]
fn html_report_renders_in_chromium_with_the_expected_swatches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("report.html");
    let v = match_with_report(&html);
    let page = std::fs::read_to_string(&html).expect("html");
    // Self-contained: nothing fetched, no script.
    for bad in ["src=\"http", "href=\"http", "<script", "url(http"] {
        assert!(
            !page.contains(bad),
            "report must be self-contained: found {bad}"
        );
    }
    assert!(page.contains("@page { size: A4"));
    // The answer comes before the photos, with the recommended ink by name.
    let best_name = v["ranking"][0]["name"].as_str().expect("name");
    let answer = page
        .find("<h2>Recommendation</h2>")
        .expect("a recommendation");
    let photos = page.find("<h2>Photos</h2>").expect("photos");
    assert!(answer < photos);
    assert!(page[answer..photos].contains(&format!("Recommended: {best_name},")));

    let shot = dir.path().join("shot.png");
    let o = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--force-color-profile=srgb",
            "--hide-scrollbars",
            "--window-size=1100,2400",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", html.display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = String::from_utf8_lossy(&o.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let img = image::open(&shot).expect("screenshot").to_rgb8();
    let best = &v["ranking"][0];
    let checks = [
        (
            "hair target",
            v["hair"]["target_hex"].as_str().expect("hex"),
            1500,
        ),
        (
            "scalp target",
            v["scalp"]["target_hex"].as_str().expect("hex"),
            1500,
        ),
        (
            "stubble look",
            v["stubble"]["hex"].as_str().expect("hex"),
            10_000,
        ),
        (
            "best healed dot",
            best["healed_hex"].as_str().expect("hex"),
            300,
        ),
    ];
    for (what, hex, min) in checks {
        let n = count_near(&img, rgb(hex), 1);
        eprintln!("{what} {hex}: {n} pixels");
        assert!(
            n >= min,
            "{what} {hex}: only {n} pixels of that colour in the screenshot"
        );
    }
}

#[test]
fn a_report_with_another_extension_is_a_usage_error() {
    let o = run(&[
        "match",
        "samples/shaved_light.jpg",
        "--catalog",
        "pigments/smp_sample.json",
        "--report",
        "out.pdf",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!Path::new("out.pdf").exists());
}
