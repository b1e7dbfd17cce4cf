//! Physical behaviour of the appearance model and the plan, pinned as laws rather than as
//! numbers: monotone in dilution, time, sun and skin darkness; a pigment equal to the skin
//! never shows or changes; a blend is found where no single ink can reach the target.

use smpmatch::catalog::{parse, Catalog};
use smpmatch::color::{delta_e00, mix_linear, Lab};
use smpmatch::model::{Dots, ModelParams, Sun};
use smpmatch::rank::{rank, Part, RankOptions, Setup, Targets};

fn shipped() -> Catalog {
    smpmatch::catalog::load(std::path::Path::new("pigments/smp_sample.json")).expect("catalog")
}

/// Skins across the ITA classes (Chardon 1991 class centres, forehead-like values).
fn skins() -> [Lab; 4] {
    [
        Lab::new(70.0, 9.0, 15.0),
        Lab::new(60.0, 11.0, 18.0),
        Lab::new(48.0, 12.0, 20.0),
        Lab::new(34.0, 9.0, 13.0),
    ]
}

fn targets(scalp: Lab) -> Targets {
    let hair = Lab::new(20.0, 1.0, 1.5);
    Targets {
        hair,
        scalp,
        stubble: mix_linear(hair, scalp, 0.25),
    }
}

fn setup(cat: &Catalog, scalp: Lab, sun: Sun) -> Setup<'_> {
    Setup::new(
        cat,
        targets(scalp),
        ModelParams::default(),
        Dots::default(),
        sun,
        1.0,
    )
}

fn single(i: usize) -> [Part; 1] {
    [Part { ink: i, share: 1.0 }]
}

#[test]
fn more_diluent_gives_a_lighter_healed_dot() {
    let cat = shipped();
    for skin in skins() {
        let s = setup(&cat, skin, Sun::Moderate);
        for i in 0..cat.pigments.len() {
            let mut last = f32::NEG_INFINITY;
            for d in [0.0, 1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0, 30.0, 60.0] {
                let l = s.dot(&single(i), d, 0.0).l;
                assert!(
                    l >= last - 1e-3,
                    "{} on {skin:?}: L* fell from {last} to {l} at {d}:1",
                    cat.pigments[i].id
                );
                last = l;
            }
            // And it approaches the skin as the ink vanishes.
            assert!(delta_e00(s.dot(&single(i), 1e6, 0.0), skin) < 0.1);
        }
    }
}

#[test]
fn darker_skin_shows_less_contrast_for_the_same_mix() {
    let cat = shipped();
    for i in 0..cat.pigments.len() {
        let contrast: Vec<f32> = skins()
            .iter()
            .map(|&skin| {
                delta_e00(
                    setup(&cat, skin, Sun::Moderate).dot(&single(i), 6.0, 0.0),
                    skin,
                )
            })
            .collect();
        assert!(
            contrast.windows(2).all(|w| w[0] > w[1]),
            "{}: contrast {contrast:?}",
            cat.pigments[i].id
        );
    }
}

#[test]
fn fading_moves_toward_the_skin_over_time_and_faster_in_the_sun() {
    let cat = shipped();
    for skin in skins() {
        let low = setup(&cat, skin, Sun::Low);
        let high = setup(&cat, skin, Sun::High);
        for i in 0..cat.pigments.len() {
            let mut last = f32::INFINITY;
            for m in [0.0, 1.0, 6.0, 12.0, 24.0, 60.0, 120.0] {
                let to_skin = delta_e00(low.dot(&single(i), 4.0, m), skin);
                assert!(to_skin <= last + 1e-3, "{} month {m}", cat.pigments[i].id);
                last = to_skin;
                if m > 0.0 {
                    let sunny = delta_e00(high.dot(&single(i), 4.0, m), skin);
                    assert!(
                        sunny < to_skin,
                        "{} month {m}: sun must fade faster",
                        cat.pigments[i].id
                    );
                }
            }
        }
    }
}

/// A catalog holding one ink measured as a healed swatch identical to the surrounding skin.
fn skin_coloured_catalog(skin: Lab) -> Catalog {
    let text = format!(
        r#"{{"schema_version": 1, "pigments": [{{
            "id": "skin-tone", "name": "Skin-coloured", "base": "other",
            "lab": [{l}, {a}, {b}],
            "measurement": {{"method": "healed_swatch", "source": "test",
                             "skin_lab": [{l}, {a}, {b}]}},
            "dilution": 4}}]}}"#,
        l = skin.l,
        a = skin.a,
        b = skin.b
    );
    parse(text.as_bytes()).unwrap_or_else(|(m, p)| panic!("{m}: {p:?}"))
}

#[test]
fn a_pigment_equal_to_the_skin_never_shows_nor_changes() {
    for skin in skins() {
        let cat = skin_coloured_catalog(skin);
        let s = setup(&cat, skin, Sun::High);
        for d in [0.0, 4.0, 30.0] {
            for m in [0.0, 12.0, 120.0] {
                let dot = s.dot(&single(0), d, m);
                assert!(delta_e00(dot, skin) < 0.1, "{skin:?} d {d} m {m}: {dot:?}");
            }
        }
        assert_eq!(s.touch_up(&single(0), 4.0), None);
    }
}

#[test]
fn zero_coverage_area_is_the_skin_and_full_coverage_is_the_dot() {
    let cat = shipped();
    let skin = skins()[1];
    let s = setup(&cat, skin, Sun::Moderate);
    let dot = s.dot(&single(0), 4.0, 0.0);
    assert!(delta_e00(s.area(dot, 0.0), skin) < 1e-3);
    assert!(delta_e00(s.area(dot, 1.0), dot) < 1e-3);
    // More density, more coverage, darker area.
    let cov = |n: f64| {
        Dots {
            diameter_mm: 0.5,
            density_per_cm2: n,
        }
        .coverage()
    };
    assert!(cov(40.0) < cov(80.0) && cov(80.0) < cov(160.0));
    assert!(s.area(dot, cov(40.0)).l > s.area(dot, cov(160.0)).l);
    // Coverage of sparse dots is their summed area: 80 dots of 0.5 mm on 1 cm² ≈ 0.157 cm².
    assert!((cov(1.0) - std::f64::consts::PI * 0.05 * 0.05 / 4.0).abs() < 1e-5);
}

#[test]
fn a_blend_is_found_where_no_single_ink_reaches_a_warm_target() {
    // Two inks far apart in hue: a cool blue-black (an organic blend, base "other": a
    // carbon-based ink is modelled by carbon's published spectrum, whatever its masstone)
    // and a bright orange-brown. A warm
    // light-brown hair target on light skin lies between their healed looks, so neither alone
    // matches and a blend must win by more than the margin.
    let text = r#"{"schema_version": 1, "pigments": [
        {"id": "cool-black", "name": "Cool black", "base": "other", "lab": [20, 0, -8],
         "measurement": {"method": "illustrative", "source": "test"}},
        {"id": "orange-brown", "name": "Orange brown", "base": "iron_oxide", "lab": [45, 25, 40],
         "measurement": {"method": "illustrative", "source": "test"}}]}"#;
    let cat = parse(text.as_bytes()).unwrap_or_else(|(m, p)| panic!("{m}: {p:?}"));
    let skin = Lab::new(66.0, 11.0, 16.0);
    // Light-brown hair (illustrative; lighter and warmer than the dark-brown tresses of
    // J. Soc. Cosmet. Chem. 51(5), L* 21.7–23.8): reachable in lightness on light skin.
    let hair = Lab::new(38.0, 6.0, 10.0);
    let t = Targets {
        hair,
        scalp: skin,
        stubble: mix_linear(hair, skin, 0.25),
    };
    let r = rank(&cat, t, &RankOptions::default());
    let best = &r.candidates[0];
    assert!(best.is_blend(), "best is {}", best.id);
    let best_single = r
        .candidates
        .iter()
        .find(|c| !c.is_blend())
        .expect("singles are always ranked");
    assert!(best_single.score - best.score >= smpmatch::rank::BLEND_MARGIN_DE00);
    assert!(r.blends.considered > 0);

    // Without blends only singles are ranked.
    let r = rank(
        &cat,
        t,
        &RankOptions {
            blends: false,
            ..RankOptions::default()
        },
    );
    assert!(r.candidates.iter().all(|c| !c.is_blend()));
}

#[test]
fn blends_are_not_ranked_for_a_gain_no_one_could_see() {
    // Two nearly identical blacks: no blend can clear the margin.
    let text = r#"{"schema_version": 1, "pigments": [
        {"id": "black-a", "name": "Black A", "base": "carbon", "lab": [22, 0, -0.5],
         "measurement": {"method": "illustrative", "source": "test"}},
        {"id": "black-b", "name": "Black B", "base": "carbon", "lab": [22.5, 0.3, 0.2],
         "measurement": {"method": "illustrative", "source": "test"}}]}"#;
    let cat = parse(text.as_bytes()).unwrap_or_else(|(m, p)| panic!("{m}: {p:?}"));
    let r = rank(&cat, targets(skins()[1]), &RankOptions::default());
    assert!(r.candidates.iter().all(|c| !c.is_blend()));
    assert!(r.blends.considered > 0);
}

#[test]
fn lighter_hair_needs_more_diluent() {
    // Practitioners dilute more for lighter hair: the solver must agree in direction.
    let cat = shipped();
    let skin = skins()[1];
    let carbon = cat
        .pigments
        .iter()
        .position(|p| p.id == "carbon-black")
        .expect("carbon-black");
    let mut last = -1.0;
    for hair_l in [20.0, 30.0, 40.0, 48.0] {
        let hair = Lab::new(hair_l, 0.5, 1.5);
        let t = Targets {
            hair,
            scalp: skin,
            stubble: mix_linear(hair, skin, 0.25),
        };
        let s = Setup::new(
            &cat,
            t,
            ModelParams::default(),
            Dots::default(),
            Sun::Moderate,
            1.0,
        );
        let (d, _) = s.best_dilution(&single(carbon), &s.steps());
        let opt = d.optimum.expect("solved");
        assert!(opt >= last, "hair L* {hair_l}: optimum {opt} < {last}");
        last = opt;
    }
    assert!(last > 0.0);
}

#[test]
fn uncertainty_ties_near_identical_inks_and_separates_different_ones() {
    // Two inks 0.3 ΔE00 apart cannot be told apart; a light grey-brown can.
    let text = r#"{"schema_version": 1, "pigments": [
        {"id": "black-a", "name": "Black A", "base": "carbon", "lab": [22, 0, -0.5],
         "measurement": {"method": "illustrative", "source": "test"}},
        {"id": "black-b", "name": "Black B", "base": "carbon", "lab": [22.3, 0.1, -0.3],
         "measurement": {"method": "illustrative", "source": "test"}},
        {"id": "pale", "name": "Pale orange", "base": "other", "lab": [60, 20, 40],
         "measurement": {"method": "illustrative", "source": "test"}}]}"#;
    let cat = parse(text.as_bytes()).unwrap_or_else(|(m, p)| panic!("{m}: {p:?}"));
    let r = rank(
        &cat,
        targets(skins()[1]),
        &RankOptions {
            blends: false,
            ..RankOptions::default()
        },
    );
    let by_id = |id: &str| r.candidates.iter().find(|c| c.id == id).expect("ranked");
    assert!(r.candidates[0].id.starts_with("black-"));
    assert!(r.candidates[1].tied_with_best, "{:?}", r.candidates[1].id);
    assert!(!by_id("pale").tied_with_best);
    for c in &r.candidates {
        assert!(c.uncertainty > 0.0 && c.uncertainty.is_finite());
    }
}
