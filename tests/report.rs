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
fn png_sheet_shows_the_predicted_colours_and_labels_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sheet.png");
    let v = match_with_report(&path);
    let img = image::open(&path).expect("png").to_rgb8();
    // Swatches are 96 px squares with a one-pixel grey frame; dots are discs of 0.3 × 96 px
    // radius (about 2 600 px). Found by colour, wherever the layout puts them.
    let cell = 96 * 96;
    let hex = |p: &serde_json::Value| rgb(p.as_str().expect("hex"));
    let best = &v["ranking"][0];
    for (what, want, min) in [
        ("hair target", hex(&v["hair"]["target_hex"]), cell * 9 / 10),
        ("scalp target", hex(&v["scalp"]["target_hex"]), 5 * cell / 2),
        ("stubble look", hex(&v["stubble"]["hex"]), cell * 9 / 10),
        ("best healed dot", hex(&best["healed_hex"]), 2_000),
    ] {
        let n = count_near(&img, want, 0);
        assert!(n >= min, "{what}: {n} pixels of {want:?}, want ≥ {min}");
    }
    // Labelled: text (near-black pixels) above the first swatch (title and recommendation),
    // and beside each candidate row, left of the swatches (its name and dilution).
    let dark = |x0: u32, x1: u32, y0: u32, y1: u32| {
        (y0..y1.min(img.height()))
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 90))
            .count()
    };
    let hair = hex(&v["hair"]["target_hex"]);
    let first_swatch_row = (0..img.height())
        .find(|&y| (0..img.width()).any(|x| img.get_pixel(x, y).0 == hair))
        .expect("a hair swatch");
    assert!(
        dark(0, img.width(), 0, first_swatch_row) > 1_000,
        "no title or recommendation above the swatches"
    );
    let dot = hex(&best["healed_hex"]);
    let dot_rows: Vec<u32> = (0..img.height())
        .filter(|&y| (0..img.width()).any(|x| img.get_pixel(x, y).0 == dot))
        .collect();
    let (top, left_of_swatches) = (
        dot_rows[0].saturating_sub(48),
        (0..img.width())
            .find(|&x| img.get_pixel(x, dot_rows[0]).0 == dot)
            .expect("dot")
            .saturating_sub(100),
    );
    assert!(
        dark(0, left_of_swatches, top, top + 96) > 200,
        "the best candidate's row has no label"
    );
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
    // The reading of the photo (which pixels were hair and scalp) is there but folded away,
    // and the page points at no file the clinic does not have.
    let roles = page
        .find("<details class=\"roles\">")
        .expect("a foldable role map");
    assert!(page[roles..].contains("alt=\"pixel roles\""));
    assert!(!page.contains("<details class=\"roles\" open"));
    assert!(
        !page.contains("docs/"),
        "the page must not point at repository files"
    );
    // Each candidate's row says how much its dot changes by 36 months (from the JSON
    // timeline, to the 0.05 of its rounding), and whether that is too little to see.
    for c in v["ranking"].as_array().expect("ranking").iter().take(5) {
        let at = |month: f64| {
            let t = c["timeline"]
                .as_array()
                .expect("timeline")
                .iter()
                .find(|t| t["month"].as_f64() == Some(month))
                .expect("month in the timeline");
            let l = |i: usize| t["lab"][i].as_f64().expect("lab") as f32;
            smpmatch::color::Lab::new(l(0), l(1), l(2))
        };
        let change = smpmatch::color::delta_e00(at(0.0), at(36.0));
        let shown = [change, change - 0.05, change + 0.05]
            .iter()
            .map(|x| format!("changes {x:.1} ΔE00 by 36 months"))
            .find(|t| page.contains(t.as_str()))
            .unwrap_or_else(|| panic!("no change of about {change:.2} on the page"));
        let invisible = page.contains(&format!("{shown}: too little to see"));
        if !(0.9..=1.1).contains(&change) {
            assert_eq!(invisible, change < 1.0, "{shown}, computed {change:.2}");
        }
    }

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
