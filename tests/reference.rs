//! Colour maths against published reference data (never against our own output).

use smpmatch::color::{delta_e00, lab_from_srgb8, lab_to_hex, Lab};

/// Sharma, Wu & Dalal (2005), all 34 pairs, within 1e-4 of the published 4-decimal values.
#[test]
fn ciede2000_matches_all_34_sharma_pairs() {
    let csv = include_str!("data/sharma_ciede2000.csv");
    let mut n = 0;
    let mut worst = 0f64;
    for line in csv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let v: Vec<f64> = line
            .split(',')
            .map(|x| x.trim().parse().expect("number"))
            .collect();
        let a = Lab::new(v[0] as f32, v[1] as f32, v[2] as f32);
        let b = Lab::new(v[3] as f32, v[4] as f32, v[5] as f32);
        let got = f64::from(delta_e00(a, b));
        let err = (got - v[6]).abs();
        worst = worst.max(err);
        assert!(
            err < 1e-4,
            "pair {}: got {got:.5}, published {:.4}",
            n + 1,
            v[6]
        );
        // Symmetric, as the formula is.
        assert!((f64::from(delta_e00(b, a)) - got).abs() < 1e-4);
        n += 1;
    }
    assert_eq!(n, 34);
    eprintln!("Sharma 2005: 34 pairs, worst |error| = {worst:.2e}");
}

/// sRGB (IEC 61966-2-1) → CIELAB D65 for the primaries and white, as published by
/// B. Lindbloom's calculator and colour-science (`colour.XYZ_to_Lab(sRGB_to_XYZ(...))`).
#[test]
fn srgb_to_lab_matches_published_values() {
    let cases = [
        ((255, 255, 255), (100.0, 0.0, 0.0)),
        ((0, 0, 0), (0.0, 0.0, 0.0)),
        ((255, 0, 0), (53.2408, 80.0925, 67.2032)),
        ((0, 255, 0), (87.7347, -86.1827, 83.1793)),
        ((0, 0, 255), (32.2970, 79.1875, -107.8602)),
        ((128, 128, 128), (53.5850, 0.0, 0.0)),
    ];
    for ((r, g, b), (l, a, bb)) in cases {
        let lab = lab_from_srgb8(r, g, b);
        let d = ((lab.l - l).powi(2) + (lab.a - a).powi(2) + (lab.b - bb).powi(2)).sqrt();
        assert!(
            d < 0.1,
            "sRGB ({r},{g},{b}) → {lab:?}, published ({l}, {a}, {bb})"
        );
    }
}

#[test]
fn lab_to_hex_inverts_srgb() {
    for rgb in [(12u8, 200u8, 99u8), (250, 250, 3), (190, 153, 133)] {
        let hex = lab_to_hex(lab_from_srgb8(rgb.0, rgb.1, rgb.2));
        assert_eq!(hex, format!("#{:02x}{:02x}{:02x}", rgb.0, rgb.1, rgb.2));
    }
}
