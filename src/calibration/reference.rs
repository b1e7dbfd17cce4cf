//! The ColorChecker Classic 24: its layout and its published CIELAB values (X-Rite,
//! both printings), adapted from D50 to D65.

use std::sync::OnceLock;

use palette::chromatic_adaptation::AdaptIntoUnclamped;
use palette::convert::FromColorUnclamped;
use palette::white_point::{D50, D65};
use palette::{IntoColor, Xyz};
use serde::{Deserialize, Serialize};

use crate::color::Lab;

/// Patches per row (card held landscape).
pub const COLS: usize = 6;

/// Rows.
pub const ROWS: usize = 4;

/// Patches.
pub const PATCHES: usize = COLS * ROWS;

/// Which printing of the card the reference values describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceSet {
    /// Cards made before November 2014.
    BeforeNov2014,
    /// Cards made from November 2014 (new formulation).
    AfterNov2014,
}

impl ReferenceSet {
    /// Both sets.
    pub const ALL: [ReferenceSet; 2] = [ReferenceSet::BeforeNov2014, ReferenceSet::AfterNov2014];

    fn csv_name(self) -> &'static str {
        match self {
            ReferenceSet::BeforeNov2014 => "before_nov_2014",
            ReferenceSet::AfterNov2014 => "after_nov_2014",
        }
    }
}

/// One reference patch.
#[derive(Debug, Clone)]
pub struct RefPatch {
    /// 1-based patch number (row by row from dark skin).
    pub index: usize,
    /// Published name.
    pub name: String,
    /// Published CIELAB, D50.
    pub lab_d50: [f64; 3],
    /// Bradford-adapted to D65.
    pub lab: Lab,
    /// Linear sRGB (D65) of `lab`, unclamped (the cyan patch lies slightly outside sRGB).
    pub linear: [f64; 3],
}

/// The published values (X-Rite, collected in colour-science 0.4.7, see data/README.md).
const REFERENCE_CSV: &str = include_str!("../../data/colorchecker24_lab_d50.csv");

/// The 24 reference patches of one set, in patch order.
pub fn reference(set: ReferenceSet) -> &'static [RefPatch] {
    static SETS: OnceLock<[Vec<RefPatch>; 2]> = OnceLock::new();
    let sets = SETS.get_or_init(|| ReferenceSet::ALL.map(parse_reference));
    match set {
        ReferenceSet::BeforeNov2014 => &sets[0],
        ReferenceSet::AfterNov2014 => &sets[1],
    }
}

fn parse_reference(set: ReferenceSet) -> Vec<RefPatch> {
    let mut out = Vec::with_capacity(PATCHES);
    for f in crate::io::csv::reader(REFERENCE_CSV.as_bytes())
        .records()
        .flatten()
    {
        if f.len() != 6 || &f[0] != set.csv_name() {
            continue;
        }
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        let lab_d50 = [num(&f[3]), num(&f[4]), num(&f[5])];
        let (lab, linear) = adapt_d50_to_d65(lab_d50);
        out.push(RefPatch {
            index: f[1].parse().unwrap_or(0),
            name: f[2].to_string(),
            lab_d50,
            lab,
            linear,
        });
    }
    out
}

/// D50 Lab → (D65 Lab, D65 linear sRGB) through XYZ with the Bradford transform.
pub fn adapt_d50_to_d65(lab_d50: [f64; 3]) -> (Lab, [f64; 3]) {
    let l50 = palette::Lab::<D50, f64>::new(lab_d50[0], lab_d50[1], lab_d50[2]);
    let x50: Xyz<D50, f64> = l50.into_color();
    let x65: Xyz<D65, f64> = x50.adapt_into_unclamped();
    let lab65: palette::Lab<D65, f64> = x65.into_color();
    let lin = palette::LinSrgb::<f64>::from_color_unclamped(x65);
    (
        Lab::new(lab65.l as f32, lab65.a as f32, lab65.b as f32),
        [lin.red, lin.green, lin.blue],
    )
}
