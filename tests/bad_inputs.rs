//! The bad-input corpus: every case gives the documented exit code, a message that names the
//! file and the cause, no panic, and no partial JSON on stdout. The table printed by
//! `cargo test --test bad_inputs -- --nocapture` is the one in the closing note.

mod common;

use std::path::{Path, PathBuf};

struct Case {
    name: &'static str,
    args: Vec<String>,
    code: i32,
    /// Text the error message must contain (empty for successes).
    says: Vec<String>,
}

fn s(x: &str) -> String {
    x.to_string()
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn png(path: &Path, img: &image::RgbaImage) {
    img.save(path).expect("png");
}

fn corpus(d: &Path) -> Vec<Case> {
    let cat = s("pigments/smp_sample.json");
    let w = |name: &str, bytes: &[u8]| -> PathBuf {
        let f = d.join(name);
        std::fs::write(&f, bytes).expect("write");
        f
    };
    let jpeg = std::fs::read("samples/scalp_closeup.jpg").expect("sample");
    let png_bytes = {
        let f = d.join("ok.png");
        png(
            &f,
            &image::RgbaImage::from_pixel(40, 30, image::Rgba([190, 150, 130, 255])),
        );
        std::fs::read(&f).expect("png")
    };
    let zero = w("zero.jpg", b"");
    let trunc_jpg = w("truncated.jpg", &jpeg[..jpeg.len() / 2]);
    let trunc_png = w("truncated.png", &png_bytes[..png_bytes.len() / 2]);
    let renamed = w("really_png.jpg", &png_bytes);
    let text = w("notes.jpg", b"these are notes, not a photo\n");
    let heic = w(
        "photo.heic",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    );
    let missing = d.join("missing.jpg");
    let dir = d.join("a_directory.jpg");
    std::fs::create_dir(&dir).expect("dir");
    let one = d.join("one.png");
    png(
        &one,
        &image::RgbaImage::from_pixel(1, 1, image::Rgba([190, 150, 130, 255])),
    );
    let black = d.join("black.png");
    png(
        &black,
        &image::RgbaImage::from_pixel(50, 40, image::Rgba([0, 0, 0, 255])),
    );
    let white = d.join("white.png");
    png(
        &white,
        &image::RgbaImage::from_pixel(50, 40, image::Rgba([255, 255, 255, 255])),
    );
    let clear = d.join("transparent.png");
    png(
        &clear,
        &image::RgbaImage::from_pixel(50, 40, image::Rgba([190, 150, 130, 0])),
    );
    let blue = d.join("blue.png");
    png(
        &blue,
        &image::RgbaImage::from_pixel(50, 40, image::Rgba([30, 60, 200, 255])),
    );
    let bomb = {
        // A valid PNG header claiming 60 000 × 60 000 pixels, and nothing else.
        let mut v = Vec::new();
        let mut enc = png_header(60_000, 60_000);
        v.append(&mut enc);
        w("bomb.png", &v)
    };
    let spaced = d.join("scalp photo with spaces é ü.jpg");
    std::fs::write(&spaced, &jpeg).expect("copy");
    let cat_file = |name: &str, text: &str| -> String { p(&w(name, text.as_bytes())) };
    let pig = r#"{"id": "a", "name": "A", "base": "carbon", "lab": [22, 0, 0], "measurement": {"method": "illustrative", "source": "t"}}"#;
    let huge = d.join("huge.json");
    {
        let f = std::fs::File::create(&huge).expect("huge");
        f.set_len(33 << 20).expect("sparse");
    }
    let bad_utf8 = p(&w(
        "latin1.json",
        b"{\"schema_version\": 1, \"name\": \"Clinique \xe9t\xe9\", \"pigments\": []}",
    ));
    let bad_profile = p(&w("profile.json", b"{\"kind\": \"something else\"}"));
    let followups = p(&w(
        "followups.csv",
        b"pigment_id,months,L,a,b,skin_L,skin_a,skin_b\ncarbon-black,six,40,1,2,60,10,15\n",
    ));

    let cut_eoi = {
        let whole = std::fs::read("samples/shaved_light.jpg").expect("sample");
        let mut v = whole[..whole.len() * 6 / 10].to_vec();
        v.extend_from_slice(&[0xFF, 0xD9]);
        w("cut_eoi.jpg", &v)
    };
    let few_opaque = |name: &str, n: u32| {
        let f = d.join(name);
        let mut img = image::RgbaImage::from_pixel(40, 30, image::Rgba([190, 150, 130, 0]));
        for x in 0..n {
            img.put_pixel(10 + x, 10, image::Rgba([190, 150, 130, 255]));
        }
        png(&f, &img);
        f
    };
    let two_px = few_opaque("two_opaque.png", 2);
    let one_px = few_opaque("one_opaque.png", 1);
    let good_profile = {
        let f = d.join("good_profile.json");
        let o = common::run(&["calibrate", "samples/card_clinic.jpg", "--out", &p(&f)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        f
    };
    let worse_profile = {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&good_profile).expect("read")).expect("json");
        v["residuals"]["held_out_mean_de00"] = serde_json::json!(27.0);
        p(&w(
            "worse_profile.json",
            &serde_json::to_vec(&v).expect("json"),
        ))
    };
    let good_profile = p(&good_profile);
    let measure_cat = d.join("measure_catalog.json");
    std::fs::copy("pigments/smp_sample.json", &measure_cat).expect("copy");
    let big_csv = {
        let mut t = String::from("id,name,base,L,a,b\n");
        for i in 0..20_001 {
            t.push_str(&format!("ink-{i},Ink {i},carbon,20,0.5,0.5\n"));
        }
        w("big.csv", t.as_bytes())
    };
    let socket = d.join("sock.jpg");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket");
    let analyze = |photo: &str| vec![s("analyze"), s("--scalp"), s(photo), s("--json")];
    let auto = |photo: &str| {
        vec![
            s("match"),
            s(photo),
            s("--catalog"),
            cat.clone(),
            s("--json"),
        ]
    };
    let with_cat = |c: String| {
        vec![
            s("match"),
            s("samples/shaved_light.jpg"),
            s("--catalog"),
            c,
            s("--json"),
        ]
    };
    let case = |name, args: Vec<String>, code, says: &[&str]| Case {
        name,
        args,
        code,
        says: says.iter().map(|x| x.to_string()).collect(),
    };
    vec![
        case(
            "zero-byte file",
            analyze(&p(&zero)),
            3,
            &["zero.jpg", "empty"],
        ),
        case(
            "truncated JPEG",
            analyze(&p(&trunc_jpg)),
            3,
            &["truncated.jpg", "truncated"],
        ),
        case(
            "truncated PNG",
            analyze(&p(&trunc_png)),
            3,
            &["truncated.png"],
        ),
        case(
            "PNG content with a .jpg name (read by content)",
            analyze(&p(&renamed)),
            0,
            &[],
        ),
        case(
            "text file named .jpg",
            analyze(&p(&text)),
            3,
            &["notes.jpg", "not a recognised image"],
        ),
        case("HEIC photo", analyze(&p(&heic)), 3, &["photo.heic", "HEIC"]),
        case(
            "directory",
            analyze(&p(&dir)),
            3,
            &["a_directory.jpg", "directory"],
        ),
        case(
            "missing file",
            analyze(&p(&missing)),
            3,
            &["missing.jpg", "no such file"],
        ),
        case(
            "animated GIF",
            analyze("tests/data/animated.gif"),
            3,
            &["animated.gif", "GIF"],
        ),
        case(
            "CMYK JPEG (decoded to RGB)",
            analyze("tests/data/cmyk.jpg"),
            0,
            &[],
        ),
        case(
            "1 × 1 image, automatic separation",
            auto(&p(&one)),
            5,
            &["one.png"],
        ),
        case(
            "all-black image",
            auto(&p(&black)),
            5,
            &["black.png", "skin"],
        ),
        case(
            "all-white image",
            auto(&p(&white)),
            5,
            &["white.png", "skin"],
        ),
        case(
            "fully transparent image",
            auto(&p(&clear)),
            5,
            &["transparent.png", "transparent"],
        ),
        case(
            "no skin in the photo",
            auto(&p(&blue)),
            5,
            &["blue.png", "skin"],
        ),
        case(
            "no hair in the photo (bare skin)",
            auto(&p(&d.join("ok.png"))),
            5,
            &["ok.png", "no hair"],
        ),
        case(
            "60 000 × 60 000 PNG header",
            analyze(&p(&bomb)),
            3,
            &["bomb.png", "megapixels"],
        ),
        case(
            "--max-pixels below the photo",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--max-pixels"),
                s("1000"),
                s("--json"),
            ],
            3,
            &["shaved_light.jpg", "limit"],
        ),
        case(
            "region outside the photo",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--scalp-region"),
                s("1100,800,300,300"),
                s("--json"),
            ],
            2,
            &["does not fit"],
        ),
        case(
            "empty region",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--scalp-region"),
                s("10,10,0,5"),
                s("--json"),
            ],
            2,
            &["--scalp-region"],
        ),
        case(
            "malformed region",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--hair-region"),
                s("10,10"),
                s("--json"),
            ],
            2,
            &["--hair-region"],
        ),
        case(
            "regions without their photo",
            vec![
                s("analyze"),
                s("--hair-region"),
                s("0,0,10,10"),
                s("--json"),
            ],
            2,
            &["need the photo"],
        ),
        case(
            "path with spaces and non-ASCII",
            analyze(&p(&spaced)),
            0,
            &[],
        ),
        // '-' reads the photo from standard input; the harness gives an empty one.
        case("'-' with nothing on stdin", analyze("-"), 3, &["empty"]),
        case(
            "'-' twice",
            vec![
                s("analyze"),
                s("-"),
                s("--hair"),
                s("-"),
                s("--scalp-region"),
                s("0,0,10,10"),
                s("--json"),
            ],
            2,
            &["standard input", "at most once"],
        ),
        case(
            "catalog: NaN",
            with_cat(cat_file(
                "nan.json",
                &format!(
                    r#"{{"schema_version": 1, "pigments": [{}]}}"#,
                    pig.replace("[22, 0, 0]", "[NaN, 0, 0]")
                ),
            )),
            4,
            &["nan.json"],
        ),
        case(
            "catalog: L* out of range",
            with_cat(cat_file(
                "range.json",
                &format!(
                    r#"{{"schema_version": 1, "pigments": [{}]}}"#,
                    pig.replace("[22, 0, 0]", "[140, 0, 0]")
                ),
            )),
            4,
            &["range.json", "/pigments/0/lab"],
        ),
        case(
            "catalog: duplicate ids",
            with_cat(cat_file(
                "dup.json",
                &format!(r#"{{"schema_version": 1, "pigments": [{pig}, {pig}]}}"#),
            )),
            4,
            &["dup.json", "duplicate"],
        ),
        case(
            "catalog: unknown field",
            with_cat(cat_file(
                "unknown.json",
                &format!(r#"{{"schema_version": 1, "colour": 1, "pigments": [{pig}]}}"#),
            )),
            4,
            &["unknown.json", "unknown field"],
        ),
        case(
            "catalog: wrong schema version",
            with_cat(cat_file(
                "v9.json",
                &format!(r#"{{"schema_version": 9, "pigments": [{pig}]}}"#),
            )),
            4,
            &["v9.json", "schema_version"],
        ),
        case(
            "catalog: no pigments",
            with_cat(cat_file(
                "empty_list.json",
                r#"{"schema_version": 1, "pigments": []}"#,
            )),
            4,
            &["empty_list.json", "no pigments"],
        ),
        case(
            "catalog: empty file",
            with_cat(cat_file("empty.json", "")),
            4,
            &["empty.json"],
        ),
        case(
            "catalog: huge file",
            with_cat(p(&huge)),
            4,
            &["huge.json", "MiB"],
        ),
        case(
            "catalog: invalid UTF-8",
            with_cat(bad_utf8),
            4,
            &["latin1.json"],
        ),
        case("catalog: a directory", with_cat(p(d)), 4, &["directory"]),
        case(
            "catalog: missing",
            with_cat(p(&d.join("nope.json"))),
            4,
            &["nope.json"],
        ),
        case(
            "catalog: not JSON",
            with_cat(cat_file("prose.json", "pigments: carbon black")),
            4,
            &["prose.json"],
        ),
        case(
            "profile: not a profile",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--profile"),
                bad_profile,
                s("--json"),
            ],
            3,
            &["profile.json", "calibration profile"],
        ),
        case(
            "profile: missing",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--profile"),
                p(&d.join("none.json")),
                s("--json"),
            ],
            3,
            &["none.json"],
        ),
        case(
            "report: unknown extension",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--report"),
                s("r.pdf"),
                s("--json"),
            ],
            2,
            &[".html or .png"],
        ),
        case(
            "report: directory does not exist",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--report"),
                p(&d.join("no/such/dir/r.html")),
                s("--json"),
            ],
            73,
            &["r.html"],
        ),
        case(
            "--months not a number",
            vec![
                s("match"),
                s("samples/shaved_light.jpg"),
                s("--catalog"),
                cat.clone(),
                s("--months"),
                s("0,six"),
                s("--json"),
            ],
            2,
            &["six"],
        ),
        case(
            "--sun unknown",
            vec![
                s("match"),
                s("samples/shaved_light.jpg"),
                s("--catalog"),
                cat.clone(),
                s("--sun"),
                s("tropical"),
                s("--json"),
            ],
            2,
            &["tropical"],
        ),
        case(
            "unknown flag",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--colour"),
                s("--json"),
            ],
            2,
            &["--colour"],
        ),
        case(
            "calibrate: malformed --corners",
            vec![
                s("calibrate"),
                s("samples/card_clinic.jpg"),
                s("--corners"),
                s("1,2,3"),
                s("--json"),
            ],
            2,
            &["--corners"],
        ),
        case(
            "fit-fading: bad follow-up value",
            vec![
                s("catalog"),
                s("fit-fading"),
                cat.clone(),
                s("--followups"),
                followups,
                s("--json"),
            ],
            3,
            &["followups.csv", "months is not a number"],
        ),
        case(
            "batch: a missing path",
            vec![s("batch"), p(&missing), s("--catalog"), cat.clone()],
            6,
            &[],
        ),
        // Issue 12: inputs that used to give silent or wrong results.
        case(
            "JPEG cut short, end marker appended",
            analyze(&p(&cut_eoi)),
            3,
            &["cut_eoi.jpg", "cut off"],
        ),
        case(
            "--max-samples 5 on a region",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--scalp-region"),
                s("0,0,200,200"),
                s("--max-samples"),
                s("5"),
                s("--json"),
            ],
            5,
            &["scalp pixels were sampled", "--max-samples (now 5)"],
        ),
        case(
            "--max-samples 0",
            vec![
                s("analyze"),
                s("samples/shaved_light.jpg"),
                s("--max-samples"),
                s("0"),
                s("--json"),
            ],
            2,
            &["--max-samples must lie in 1–"],
        ),
        case(
            "--top 0",
            {
                let mut v = auto("samples/shaved_light.jpg");
                v.extend([s("--top"), s("0")]);
                v
            },
            2,
            &["--top must be at least 1"],
        ),
        case(
            "PNG with 2 opaque pixels",
            analyze(&p(&two_px)),
            5,
            &["only 2 scalp pixels"],
        ),
        case(
            "PNG with 1 opaque pixel",
            analyze(&p(&one_px)),
            5,
            &["only 1 scalp pixel was"],
        ),
        case(
            "degenerate --corners (all zero)",
            vec![
                s("calibrate"),
                s("samples/card_clinic.jpg"),
                s("--corners"),
                s("0,0,0,0,0,0,0,0"),
                s("--out"),
                p(&d.join("zero_corners.json")),
                s("--json"),
            ],
            5,
            &["card_clinic.jpg"],
        ),
        case(
            "profile worse than no correction",
            vec![
                s("match"),
                s("samples/shaved_light.jpg"),
                s("--catalog"),
                cat.clone(),
                s("--profile"),
                worse_profile,
                s("--json"),
            ],
            3,
            &["worse than none"],
        ),
        case(
            "catalog: months_healed 1e308",
            with_cat(cat_file(
                "months.json",
                &format!(
                    r#"{{"schema_version": 1, "pigments": [{}]}}"#,
                    pig.replace(
                        r#""source": "t"}"#,
                        r#""source": "t", "months_healed": 1e308}"#
                    )
                ),
            )),
            4,
            &["/pigments/0/measurement/months_healed", "0–600"],
        ),
        case(
            "catalog: dilution step 1e300",
            with_cat(cat_file(
                "steps.json",
                &format!(
                    r#"{{"schema_version": 1, "dilution_steps": [0, 1e300], "pigments": [{pig}]}}"#
                ),
            )),
            4,
            &["/dilution_steps/1", "0–100"],
        ),
        case(
            "catalog: 1 000 000 dilution steps",
            with_cat(cat_file(
                "many_steps.json",
                &format!(
                    r#"{{"schema_version": 1, "dilution_steps": [{}], "pigments": [{pig}]}}"#,
                    (0..1_000_000)
                        .map(|i| format!("{}", f64::from(i) * 1e-4))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            )),
            4,
            &["/dilution_steps", "above the limit of 64"],
        ),
        case(
            "catalog: impossible date",
            with_cat(cat_file(
                "date.json",
                &format!(
                    r#"{{"schema_version": 1, "pigments": [{}]}}"#,
                    pig.replace(
                        r#""source": "t"}"#,
                        r#""source": "t", "date": "2026-02-30"}"#
                    )
                ),
            )),
            4,
            &["/pigments/0/measurement/date", "no day 30"],
        ),
        case(
            "catalog: duplicate key",
            with_cat(cat_file(
                "dup_key.json",
                &format!(r#"{{"schema_version": 1, "pigments": [{pig}], "pigments": [{pig}]}}"#),
            )),
            4,
            &["/pigments", "duplicate key"],
        ),
        case(
            "catalog: UTF-8 byte-order mark (accepted)",
            with_cat(cat_file(
                "bom.json",
                &format!("\u{feff}{{\"schema_version\": 1, \"pigments\": [{pig}]}}"),
            )),
            0,
            &[],
        ),
        case(
            "delta-e 1e308",
            vec![s("delta-e"), s("1e308,0,0"), s("50,0,0"), s("--json")],
            2,
            &["L* must lie in 0–100"],
        ),
        case(
            "delta-e a* 1e30",
            vec![s("delta-e"), s("50,1e30,0"), s("50,0,0"), s("--json")],
            2,
            &["a* must lie in -500–500"],
        ),
        case(
            "measure: duplicate --swatch id",
            vec![
                s("catalog"),
                s("measure"),
                p(&measure_cat),
                s("--photo"),
                s("samples/card_clinic.jpg"),
                s("--profile"),
                good_profile.clone(),
                s("--swatch"),
                s("carbon-black=900,180,160,160"),
                s("--swatch"),
                s("carbon-black=900,380,160,160"),
                s("--json"),
            ],
            2,
            &["carbon-black", "twice"],
        ),
        case(
            "measure: impossible --date",
            vec![
                s("catalog"),
                s("measure"),
                p(&measure_cat),
                s("--photo"),
                s("samples/card_clinic.jpg"),
                s("--profile"),
                good_profile.clone(),
                s("--swatch"),
                s("carbon-black=900,180,160,160"),
                s("--date"),
                s("2026-02-30"),
                s("--json"),
            ],
            2,
            &["no day 30"],
        ),
        case(
            "measure: --months-healed NaN",
            vec![
                s("catalog"),
                s("measure"),
                p(&measure_cat),
                s("--photo"),
                s("samples/card_clinic.jpg"),
                s("--profile"),
                good_profile,
                s("--swatch"),
                s("carbon-black=900,180,160,160"),
                s("--months-healed"),
                s("NaN"),
                s("--json"),
            ],
            2,
            &["months healed"],
        ),
        case(
            "catalog import: 20 001 inks (above what every command reads)",
            vec![
                s("catalog"),
                s("import"),
                p(&big_csv),
                s("--out"),
                p(&d.join("big_import.json")),
                s("--json"),
            ],
            4,
            &["above the limit of 20000"],
        ),
        case(
            "a socket given as a photo",
            analyze(&p(&socket)),
            3,
            &["sock.jpg", "is a socket"],
        ),
    ]
}

/// A PNG signature, IHDR for `w` × `h` RGB8, a token IDAT and IEND: a header-only "bomb".
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        v.extend_from_slice(&body);
        v.extend_from_slice(&crc(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    // A token compressed-data chunk: decoders read up to the first IDAT before reporting
    // the size; the pixel data itself (10.8 GB) is never there.
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00]);
    chunk(b"IEND", &[]);
    v
}

#[test]
fn every_bad_input_fails_cleanly_with_its_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = corpus(dir.path());
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut table = String::from("| input | exit | message |\n|---|---|---|\n");
    for c in &cases {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let o = common::run(&args);
        let code = o.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert_ne!(code, 70, "{}: internal error: {stderr}", c.name);
        assert_ne!(code, 101, "{}: panic: {stderr}", c.name);
        assert_eq!(code, c.code, "{}: exit {code}, stderr {stderr}", c.name);
        let message = if code == 0 || c.args[0] == "batch" {
            String::new()
        } else {
            let json = c.args.iter().any(|a| a == "--json");
            let msg = if json {
                assert!(o.stdout.is_empty(), "{}: partial JSON on stdout", c.name);
                let v = common::json_error(&o);
                // Catalog errors list every problem with its JSON Pointer.
                let problems: Vec<String> = v["error"]["problems"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| {
                                // A problem names where it is (a JSON Pointer, or a CSV row); a syntax error has none.
                                assert!(
                                    p["path"].as_str().is_some_and(|s| !s.is_empty()),
                                    "{}: a problem without a JSON Pointer: {p}",
                                    c.name
                                );
                                format!(
                                    "{}: {}",
                                    p["path"].as_str().unwrap_or(""),
                                    p["message"].as_str().unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let mut m = v["error"]["message"].as_str().unwrap_or("").to_string();
                if !problems.is_empty() {
                    m = format!("{m} — {}", problems.join("; "));
                }
                m
            } else {
                stderr.trim().to_string()
            };
            for needle in &c.says {
                assert!(
                    msg.to_lowercase().contains(&needle.to_lowercase()),
                    "{}: message lacks {needle:?}: {msg}",
                    c.name
                );
            }
            msg
        };
        let short: String = message
            .replace(&dir.path().display().to_string(), "…")
            .chars()
            .take(110)
            .collect();
        table.push_str(&format!(
            "| {} | {code} | {} |\n",
            c.name,
            short.replace('|', "\\|")
        ));
    }
    eprintln!("{table}");
}
