//! The pigment catalog: format (documented in `docs/catalog.md`, schema in
//! `docs/schema/catalog.schema.json`), validation and loading.
//!
//! Validation runs on the parsed JSON tree before the typed parse, so that *every* problem is
//! reported at once, each with its JSON Pointer path (RFC 6901), e.g. `/pigments/3/lab/0`.

pub mod diff;
pub mod fit;
pub mod import;
pub mod measure;

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::color::{lab_from_array, Lab};
use crate::error::{io_message, Error, Problem, Result};
use crate::io::files::OutputFile;
use crate::model::{Colorant, Constituent, Fading, ModelParams};

/// Catalog schema versions this build reads.
pub const SUPPORTED_SCHEMA_VERSIONS: &[u64] = &[1];
/// Largest catalog file read (bytes).
pub const MAX_CATALOG_BYTES: u64 = 32 << 20;
/// Most pigments in one catalog: a supplier's whole library fits; ranking stays under a
/// second per 10 000 inks (docs/performance.md).
pub const MAX_PIGMENTS: usize = 20_000;
/// Most diluent parts per part ink, for steps and fixed dilutions: 1:100 is already tinted
/// water; SMP practice stays within about 1:20.
pub const MAX_DILUTION: f64 = 100.0;
/// Most clinic dilution steps.
pub const MAX_DILUTION_STEPS: usize = 64;
/// Longest time since healing a healed swatch may report, months (50 years).
pub const MAX_MONTHS_HEALED: f64 = 600.0;
/// Longest fading half-life, months (100 years: no measurable fading).
pub const MAX_HALF_LIFE_MONTHS: f64 = 1200.0;
/// Largest sun sensitivity (the fading rate under high sun is at most 1 + this times the
/// rate under low sun).
pub const MAX_SUN_SENSITIVITY: f64 = 10.0;

/// A pigment catalog.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Format version: 1.
    pub schema_version: u64,
    /// Catalog name, e.g. the clinic or the brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text: provenance of the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The clinic's dilution steps (parts diluent per part ink), ascending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dilution_steps: Option<Vec<f64>>,
    /// The clinic's technique and the ageing measured in its patients, where it differs from
    /// the model's defaults (`catalog fit-fading` writes the ageing rates here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<CatalogModel>,
    /// The pigments (at least one).
    pub pigments: Vec<Pigment>,
}

/// A catalog's defaults for the appearance model (each field optional: absent means the
/// model's default, [`ModelParams::default`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogModel {
    /// Depth of the healed pigment band's top, mm (the clinic's technique; `--depth`
    /// overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_mm: Option<f64>,
    /// Downward migration of the pigment band, mm per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_mm_per_year: Option<f64>,
    /// Growth of the dot diameter per year, as a fraction of the healed diameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_per_year: Option<f64>,
    /// Where these values come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Limits of the catalog's `model` fields: (key, lowest, highest).
pub const MODEL_LIMITS: [(&str, f64, f64); 3] = [
    ("depth_mm", 0.02, 3.0),
    ("migration_mm_per_year", 0.0, 0.1),
    ("spread_per_year", 0.0, 0.5),
];

impl Catalog {
    /// The model parameters this catalog asks for: the defaults with its `model` section
    /// applied.
    pub fn model_params(&self) -> ModelParams {
        let mut p = ModelParams::default();
        if let Some(m) = &self.model {
            if let Some(v) = m.depth_mm {
                p.depth_mm = v;
            }
            if let Some(v) = m.migration_mm_per_year {
                p.migration_mm_per_year = v;
            }
            if let Some(v) = m.spread_per_year {
                p.spread_per_year = v;
            }
        }
        p
    }
}

/// The chemical base of a pigment: decides the default fading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Carbon black (PBk7): nearly all black tattoo and SMP inks.
    Carbon,
    /// Iron oxides (PBk11, PR101, PY42, PBr6): browns and warm tones.
    IronOxide,
    /// Anything else (organic pigments, mixtures of unknown composition).
    Other,
}

impl Base {
    /// Default fading of this base (see `docs/model.md` § Ageing for sources): carbon and
    /// iron oxide as their colorants ([`Colorant::fading`]); other pigments an assumption
    /// between iron oxides and organic toners.
    pub fn default_fading(self) -> Fading {
        match self {
            Base::Carbon => Colorant::CarbonBlack.fading(),
            Base::IronOxide => Colorant::IronOxideRed.fading(),
            Base::Other => Fading {
                half_life_months: 18.0,
                sun_sensitivity: 0.6,
                plateau: 0.3,
            },
        }
    }

    /// K(550 nm) of a full-strength ink of this base relative to carbon black, for inks
    /// known by their masstone only (assumption, see [`Colorant::relative_strength`]).
    pub fn relative_strength(self) -> f64 {
        match self {
            Base::Carbon => 1.0,
            Base::IronOxide => Colorant::IronOxideRed.relative_strength(),
            Base::Other => 0.5,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Base::Carbon => "carbon",
            Base::IronOxide => "iron_oxide",
            Base::Other => "other",
        }
    }
}

/// How a pigment's `lab` was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Measured on an opaque drawdown of the ink (its masstone).
    MasstoneDrawdown,
    /// Measured on healed work in skin; `measurement.skin_lab` gives the surrounding skin,
    /// and the model derives the masstone from it.
    HealedSwatch,
    /// Stated by the manufacturer.
    Manufacturer,
    /// Not measured: an illustrative starting value, to be replaced by calibration.
    Illustrative,
}

/// Provenance of a pigment's colour.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// How `lab` was obtained.
    pub method: Method,
    /// Where the value comes from (instrument, photo and profile, publication, or why it is
    /// illustrative).
    pub source: String,
    /// Date of the measurement, ISO 8601 (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Skin colour around a healed swatch (required for `healed_swatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skin_lab: Option<[f64; 3]>,
    /// Months since treatment when a healed swatch was measured (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months_healed: Option<f64>,
}

/// One pigment (an ink, used at a stated dilution).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pigment {
    /// Unique identifier: letters, digits, `.`, `_`, `-`.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Chemical base.
    pub base: Base,
    /// CIELAB (D65, 2°) `[L*, a*, b*]` as measured (see `measurement.method`).
    pub lab: [f64; 3],
    /// Provenance of `lab`.
    pub measurement: Measurement,
    /// Pigment load relative to a full-strength ink, in (0, 1] (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<f64>,
    /// Parts diluent (distilled water) per part ink as listed (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dilution: Option<f64>,
    /// Fading parameters (default by `base`, or per colorant for a composite). Given here,
    /// they apply to every colorant of the ink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fading: Option<Fading>,
    /// A tint (let-down in a white) of the ink: with the masstone it measures the ink's
    /// scattering spectrum (docs/model.md § 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tint: Option<Tint>,
    /// What a composite ink is made of: colorants and their mass shares (summing to 1).
    /// Each colorant has its own optics and fading, so a composite changes hue as it ages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ColorantShare>>,
    /// Where `fading` comes from (written by `catalog fit-fading`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fading_source: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Earlier measurements, oldest first (written by `catalog measure`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

/// A let-down of an ink in a white, measured as an opaque drawdown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tint {
    /// CIELAB (D65, 2°) of the tint drawdown, specular included.
    pub lab: [f64; 3],
    /// Mass share of the ink's pigment in the let-down, in (0, 1).
    pub ink_share: f64,
    /// CIELAB of the white alone (default [`DEFAULT_WHITE_LAB`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub white_lab: Option<[f64; 3]>,
}

/// A titanium-dioxide white drawdown, specular included (assumption, when a tint does not
/// give its white).
pub const DEFAULT_WHITE_LAB: [f64; 3] = [95.0, -0.5, 1.5];

/// One colorant of a composite ink.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColorantShare {
    /// The colorant.
    pub colorant: Colorant,
    /// Its share of the ink's pigment by mass, in (0, 1].
    pub share: f64,
}

/// An earlier measurement of a pigment, kept when a new one replaces it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// The colour then.
    pub lab: [f64; 3],
    /// Its provenance.
    pub measurement: Measurement,
}

impl Pigment {
    /// The ink in the appearance model: its constituents (optics per unit concentration,
    /// share, fading), and whether a healed swatch had to be clamped.
    ///
    /// - `components` given: each colorant's published or typical optics ([`Colorant`]);
    /// - base `carbon`: carbon black's published spectrum (its masstone carries no
    ///   information: it is the drawdown's surface);
    /// - a healed swatch: inverted through the skin beside it at the concentration its
    ///   dilution and age leave;
    /// - otherwise the masstone, at the base's relative strength.
    pub fn constituents(&self, params: &ModelParams) -> (Vec<Constituent>, bool) {
        use crate::model::{healed_concentration, retention, PigmentOptics, Skin, Sun};
        let p = self;
        let k_carbon = params.carbon_k550();
        let fading = |c: Option<Colorant>| match (p.fading, c) {
            (Some(f), _) => f,
            (None, Some(c)) => c.fading(),
            (None, None) => p.base.default_fading(),
        };
        if let Some(parts) = &p.components {
            let mut v: Vec<Constituent> = parts
                .iter()
                .map(|c| Constituent {
                    colorant: Some(c.colorant),
                    optics: c.colorant.optics(k_carbon),
                    share: c.share,
                    fading: fading(Some(c.colorant)),
                })
                .collect();
            // Measured drawdowns decide the shares (the listed ones are the start); each
            // colorant keeps its optics and fading. Flagged when the colorants cannot make
            // the measured colour within a unit.
            let worst = match (p.measurement.method, p.measurement.skin_lab) {
                (Method::MasstoneDrawdown, _) => Some(Constituent::fit_shares(
                    &mut v,
                    &crate::model::Drawdowns::Masstone {
                        masstone: p.lab(),
                        tint: p.tint.map(|t| {
                            (
                                lab_from_array(t.lab),
                                t.ink_share,
                                lab_from_array(t.white_lab.unwrap_or(DEFAULT_WHITE_LAB)),
                            )
                        }),
                    },
                )),
                (Method::HealedSwatch, Some(skin_lab)) => {
                    let skin = Skin::new(lab_from_array(skin_lab), params);
                    let months = p.measurement.months_healed.unwrap_or(0.0);
                    let kept: Vec<f64> = v
                        .iter()
                        .map(|c| retention(&c.fading, Sun::Low, months))
                        .collect();
                    Some(Constituent::fit_shares(
                        &mut v,
                        &crate::model::Drawdowns::Healed {
                            skin: &skin,
                            healed: p.lab(),
                            c: healed_concentration(params, p.strength(), p.dilution()),
                            retention: &kept,
                        },
                    ))
                }
                _ => None,
            };
            return (v, worst.is_some_and(|d| d > 1.0));
        }
        let single = |optics: PigmentOptics, colorant: Option<Colorant>| Constituent {
            colorant,
            optics,
            share: 1.0,
            fading: fading(colorant),
        };
        match (p.measurement.method, p.measurement.skin_lab) {
            (Method::HealedSwatch, Some(skin_lab)) => {
                let skin = Skin::new(lab_from_array(skin_lab), params);
                let months = p.measurement.months_healed.unwrap_or(0.0);
                // Healed swatches are assumed measured under low sun (documented).
                let c = healed_concentration(params, p.strength(), p.dilution())
                    * retention(&p.fading(), Sun::Low, months);
                let (optics, clamped) = skin.invert(p.lab(), c);
                (vec![single(optics, None)], clamped)
            }
            _ if p.tint.is_some() => {
                let t = p.tint.unwrap_or(Tint {
                    lab: p.lab,
                    ink_share: 0.5,
                    white_lab: None,
                });
                let k550 = k_carbon * p.base.relative_strength();
                match PigmentOptics::from_masstone_and_tint(
                    p.lab(),
                    lab_from_array(t.lab),
                    t.ink_share,
                    lab_from_array(t.white_lab.unwrap_or(DEFAULT_WHITE_LAB)),
                    k550,
                ) {
                    Some(o) => (vec![single(o, None)], false),
                    // Inconsistent drawdowns: the masstone alone, flagged.
                    None => (
                        vec![single(
                            PigmentOptics::from_masstone(p.lab(), k550)
                                .unwrap_or_else(|| PigmentOptics::carbon_black(k550)),
                            None,
                        )],
                        true,
                    ),
                }
            }
            _ if p.base == Base::Carbon => (
                vec![single(
                    PigmentOptics::carbon_black(k_carbon),
                    Some(Colorant::CarbonBlack),
                )],
                false,
            ),
            _ => {
                let k550 = k_carbon * p.base.relative_strength();
                match PigmentOptics::from_masstone(p.lab(), k550) {
                    Some(o) => (vec![single(o, None)], false),
                    None => (vec![single(PigmentOptics::carbon_black(k550), None)], true),
                }
            }
        }
    }

    /// Measured colour.
    pub fn lab(&self) -> Lab {
        lab_from_array(self.lab)
    }
    /// Strength, default 1.
    pub fn strength(&self) -> f64 {
        self.strength.unwrap_or(1.0)
    }
    /// Listed dilution, default 0.
    pub fn dilution(&self) -> f64 {
        self.dilution.unwrap_or(0.0)
    }
    /// Fading of the ink as a whole (of a single-colorant ink), default by base.
    pub fn fading(&self) -> Fading {
        self.fading.unwrap_or_else(|| self.base.default_fading())
    }
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn unknown_keys(&mut self, obj: &serde_json::Map<String, Value>, path: &str, known: &[&str]) {
        for k in obj.keys() {
            if !known.contains(&k.as_str()) {
                self.push(
                    &format!("{path}/{}", escape(k)),
                    format!("unknown field {k:?} (known: {})", known.join(", ")),
                );
            }
        }
    }

    fn string(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) if required => {
                self.push(path, format!("missing required field {key:?}"));
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.push(
                    &format!("{path}/{key}"),
                    format!("must be a string, got {}", type_name(other)),
                );
                None
            }
        }
    }

    fn number(&mut self, v: &Value, path: &str) -> Option<f64> {
        match v.as_f64() {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                let hint = match v {
                    Value::String(s)
                        if s.eq_ignore_ascii_case("nan") || s.to_lowercase().contains("inf") =>
                    {
                        " (NaN and infinity are not allowed)"
                    }
                    _ => "",
                };
                self.push(
                    path,
                    format!("must be a finite number, got {}{hint}", type_name(v)),
                );
                None
            }
        }
    }

    fn lab(&mut self, v: &Value, path: &str) {
        let Some(arr) = v.as_array() else {
            self.push(
                path,
                format!("must be an array [L*, a*, b*], got {}", type_name(v)),
            );
            return;
        };
        if arr.len() != 3 {
            self.push(
                path,
                format!(
                    "must hold exactly 3 numbers [L*, a*, b*], got {}",
                    arr.len()
                ),
            );
            return;
        }
        if let Some(l) = self.number(&arr[0], &format!("{path}/0")) {
            if !(0.0..=100.0).contains(&l) {
                self.push(
                    &format!("{path}/0"),
                    format!("L* must lie in 0–100, got {l}"),
                );
            }
        }
        for (i, item) in arr.iter().enumerate().skip(1) {
            if let Some(x) = self.number(item, &format!("{path}/{i}")) {
                if !(-128.0..=128.0).contains(&x) {
                    let name = if i == 1 { "a*" } else { "b*" };
                    self.push(
                        &format!("{path}/{i}"),
                        format!("{name} must lie in −128–128, got {x}"),
                    );
                }
            }
        }
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Check a parsed catalog document; returns every problem found (empty when valid).
pub fn validate_value(doc: &Value) -> Vec<Problem> {
    let mut ck = Checker {
        problems: Vec::new(),
    };
    let Some(root) = doc.as_object() else {
        ck.push(
            "",
            format!("a catalog must be a JSON object, got {}", type_name(doc)),
        );
        return ck.problems;
    };
    ck.unknown_keys(
        root,
        "",
        &[
            "schema_version",
            "name",
            "description",
            "dilution_steps",
            "model",
            "pigments",
        ],
    );
    if let Some(v) = root.get("model") {
        match v.as_object() {
            Some(m) => {
                let known: Vec<&str> = MODEL_LIMITS.iter().map(|l| l.0).chain(["source"]).collect();
                ck.unknown_keys(m, "/model", &known);
                for (key, lo, hi) in MODEL_LIMITS {
                    if let Some(x) = m.get(key) {
                        let kp = format!("/model/{key}");
                        if let Some(x) = ck.number(x, &kp) {
                            if !(lo..=hi).contains(&x) {
                                ck.push(&kp, format!("must lie in {lo}–{hi}, got {x}"));
                            }
                        }
                    }
                }
                ck.string(m, "/model", "source", false);
            }
            None => ck.push("/model", format!("must be an object, got {}", type_name(v))),
        }
    }
    match root.get("schema_version") {
        None => ck.push("", "missing required field \"schema_version\""),
        Some(v) => match v.as_u64() {
            Some(n) if SUPPORTED_SCHEMA_VERSIONS.contains(&n) => {}
            _ => ck.push(
                "/schema_version",
                format!("unsupported schema_version {v}; this build reads {SUPPORTED_SCHEMA_VERSIONS:?}"),
            ),
        },
    }
    ck.string(root, "", "name", false);
    ck.string(root, "", "description", false);
    if let Some(steps) = root.get("dilution_steps") {
        match steps.as_array() {
            Some(arr) if arr.len() > MAX_DILUTION_STEPS => ck.push(
                "/dilution_steps",
                format!(
                    "{} steps, above the limit of {MAX_DILUTION_STEPS}",
                    arr.len()
                ),
            ),
            Some(arr) if !arr.is_empty() => {
                let mut last = f64::NEG_INFINITY;
                for (i, s) in arr.iter().enumerate() {
                    let p = format!("/dilution_steps/{i}");
                    if let Some(x) = ck.number(s, &p) {
                        if x < 0.0 {
                            ck.push(&p, format!("a dilution cannot be negative, got {x}"));
                        } else if x > MAX_DILUTION {
                            ck.push(
                                &p,
                                format!(
                                    "must lie in 0–{MAX_DILUTION} parts diluent per part ink, \
                                     got {x}"
                                ),
                            );
                        } else if x <= last {
                            ck.push(&p, "dilution steps must be strictly increasing");
                        }
                        last = x;
                    }
                }
            }
            _ => ck.push("/dilution_steps", "must be a non-empty array of numbers"),
        }
    }
    match root.get("pigments") {
        None => ck.push("", "missing required field \"pigments\""),
        Some(Value::Array(arr)) if arr.is_empty() => {
            ck.push("/pigments", "the catalog has no pigments")
        }
        Some(Value::Array(arr)) if arr.len() > MAX_PIGMENTS => ck.push(
            "/pigments",
            format!("{} pigments, above the limit of {MAX_PIGMENTS}", arr.len()),
        ),
        Some(Value::Array(arr)) => {
            let mut first_seen: HashMap<String, usize> = HashMap::new();
            for (i, p) in arr.iter().enumerate() {
                check_pigment(&mut ck, p, i, &mut first_seen);
            }
        }
        Some(other) => ck.push(
            "/pigments",
            format!("must be an array, got {}", type_name(other)),
        ),
    }
    ck.problems
}

fn check_pigment(ck: &mut Checker, p: &Value, i: usize, first_seen: &mut HashMap<String, usize>) {
    let path = format!("/pigments/{i}");
    let Some(obj) = p.as_object() else {
        ck.push(
            &path,
            format!("a pigment must be an object, got {}", type_name(p)),
        );
        return;
    };
    ck.unknown_keys(
        obj,
        &path,
        &[
            "id",
            "name",
            "base",
            "lab",
            "measurement",
            "strength",
            "dilution",
            "fading",
            "fading_source",
            "components",
            "tint",
            "notes",
            "history",
        ],
    );
    if let Some(v) = obj.get("tint").filter(|v| !v.is_null()) {
        let tp = format!("{path}/tint");
        match v.as_object() {
            Some(t) => {
                ck.unknown_keys(t, &tp, &["lab", "ink_share", "white_lab"]);
                match t.get("lab") {
                    None => ck.push(&tp, "missing required field \"lab\""),
                    Some(l) => ck.lab(l, &format!("{tp}/lab")),
                }
                if let Some(w) = t.get("white_lab").filter(|v| !v.is_null()) {
                    ck.lab(w, &format!("{tp}/white_lab"));
                }
                match t.get("ink_share") {
                    None => ck.push(&tp, "missing required field \"ink_share\""),
                    Some(x) => {
                        let sp = format!("{tp}/ink_share");
                        if let Some(x) = ck.number(x, &sp) {
                            if !(x > 0.0 && x < 1.0) {
                                ck.push(&sp, format!("must lie in (0, 1), got {x}"));
                            }
                        }
                    }
                }
            }
            None => ck.push(&tp, format!("must be an object, got {}", type_name(v))),
        }
    }
    if let Some(v) = obj.get("components").filter(|v| !v.is_null()) {
        check_components(ck, v, &format!("{path}/components"));
    }
    if let Some(id) = ck.string(obj, &path, "id", true) {
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            ck.push(
                &format!("{path}/id"),
                format!("id {id:?} must be non-empty letters, digits, '.', '_' or '-'"),
            );
        } else if let Some(&j) = first_seen.get(&id) {
            ck.push(
                &format!("{path}/id"),
                format!("duplicate id {id:?} (first used by /pigments/{j})"),
            );
        } else {
            first_seen.insert(id, i);
        }
    }
    ck.string(obj, &path, "name", true);
    match obj.get("base") {
        None => ck.push(&path, "missing required field \"base\""),
        Some(Value::String(s)) if ["carbon", "iron_oxide", "other"].contains(&s.as_str()) => {}
        Some(v) => ck.push(
            &format!("{path}/base"),
            format!("must be \"carbon\", \"iron_oxide\" or \"other\", got {v}"),
        ),
    }
    match obj.get("lab") {
        None => ck.push(&path, "missing required field \"lab\""),
        Some(v) => ck.lab(v, &format!("{path}/lab")),
    }
    match obj.get("measurement") {
        None => ck.push(&path, "missing required field \"measurement\""),
        Some(v) => check_measurement(ck, v, &format!("{path}/measurement")),
    }
    if let Some(v) = obj.get("history").filter(|v| !v.is_null()) {
        let hp = format!("{path}/history");
        match v.as_array() {
            Some(arr) => {
                for (k, e) in arr.iter().enumerate() {
                    let ep = format!("{hp}/{k}");
                    match e.as_object() {
                        Some(eo) => {
                            ck.unknown_keys(eo, &ep, &["lab", "measurement"]);
                            match eo.get("lab") {
                                None => ck.push(&ep, "missing required field \"lab\""),
                                Some(l) => ck.lab(l, &format!("{ep}/lab")),
                            }
                            match eo.get("measurement") {
                                None => ck.push(&ep, "missing required field \"measurement\""),
                                Some(m) => check_measurement(ck, m, &format!("{ep}/measurement")),
                            }
                        }
                        None => ck.push(&ep, format!("must be an object, got {}", type_name(e))),
                    }
                }
            }
            None => ck.push(&hp, format!("must be an array, got {}", type_name(v))),
        }
    }
    if let Some(v) = obj
        .get("fading_source")
        .filter(|v| !v.is_null() && !v.is_string())
    {
        ck.push(
            &format!("{path}/fading_source"),
            format!("must be a string, got {}", type_name(v)),
        );
    }
    if let Some(v) = obj.get("strength").filter(|v| !v.is_null()) {
        let sp = format!("{path}/strength");
        if let Some(x) = ck.number(v, &sp) {
            if !(x > 0.0 && x <= 1.0) {
                ck.push(&sp, format!("must lie in (0, 1], got {x}"));
            }
        }
    }
    if let Some(v) = obj.get("dilution").filter(|v| !v.is_null()) {
        let dp = format!("{path}/dilution");
        if let Some(x) = ck.number(v, &dp) {
            if !(0.0..=MAX_DILUTION).contains(&x) {
                ck.push(
                    &dp,
                    format!("must lie in 0–{MAX_DILUTION} parts diluent per part ink, got {x}"),
                );
            }
        }
    }
    if let Some(v) = obj.get("fading").filter(|v| !v.is_null()) {
        let fp = format!("{path}/fading");
        match v.as_object() {
            Some(f) => {
                ck.unknown_keys(f, &fp, &["half_life_months", "sun_sensitivity", "plateau"]);
                if let Some(x) = f.get("plateau").filter(|v| !v.is_null()) {
                    let kp = format!("{fp}/plateau");
                    if let Some(x) = ck.number(x, &kp) {
                        if !(0.0..1.0).contains(&x) {
                            ck.push(&kp, format!("must lie in [0, 1), got {x}"));
                        }
                    }
                }
                for (key, min_exclusive, max) in [
                    ("half_life_months", true, MAX_HALF_LIFE_MONTHS),
                    ("sun_sensitivity", false, MAX_SUN_SENSITIVITY),
                ] {
                    match f.get(key) {
                        None => ck.push(&fp, format!("missing required field {key:?}")),
                        Some(x) => {
                            let kp = format!("{fp}/{key}");
                            if let Some(x) = ck.number(x, &kp) {
                                if x > max {
                                    ck.push(&kp, format!("must be at most {max}, got {x}"));
                                } else if (min_exclusive && x <= 0.0) || x < 0.0 {
                                    ck.push(
                                        &kp,
                                        format!(
                                            "must be {}, got {x}",
                                            if min_exclusive { "> 0" } else { "≥ 0" }
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
            }
            None => ck.push(&fp, format!("must be an object, got {}", type_name(v))),
        }
    }
    if let Some(v) = obj.get("notes").filter(|v| !v.is_null() && !v.is_string()) {
        ck.push(
            &format!("{path}/notes"),
            format!("must be a string, got {}", type_name(v)),
        );
    }
}

fn check_components(ck: &mut Checker, v: &Value, path: &str) {
    let Some(arr) = v.as_array() else {
        ck.push(path, format!("must be an array, got {}", type_name(v)));
        return;
    };
    if arr.is_empty() {
        ck.push(path, "must list at least one colorant");
        return;
    }
    let names: Vec<String> = Colorant::ALL
        .iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let mut total = 0.0;
    let mut seen: Vec<&str> = Vec::new();
    for (k, e) in arr.iter().enumerate() {
        let ep = format!("{path}/{k}");
        let Some(eo) = e.as_object() else {
            ck.push(&ep, format!("must be an object, got {}", type_name(e)));
            continue;
        };
        ck.unknown_keys(eo, &ep, &["colorant", "share"]);
        match eo.get("colorant") {
            Some(Value::String(c)) if names.contains(c) => {
                if seen.contains(&c.as_str()) {
                    ck.push(&format!("{ep}/colorant"), format!("{c:?} is listed twice"));
                }
                seen.push(c.as_str());
            }
            Some(c) => ck.push(
                &format!("{ep}/colorant"),
                format!("must be one of {}, got {c}", names.join(", ")),
            ),
            None => ck.push(&ep, "missing required field \"colorant\""),
        }
        match eo.get("share") {
            None => ck.push(&ep, "missing required field \"share\""),
            Some(x) => {
                let sp = format!("{ep}/share");
                if let Some(x) = ck.number(x, &sp) {
                    if !(x > 0.0 && x <= 1.0) {
                        ck.push(&sp, format!("must lie in (0, 1], got {x}"));
                    }
                    total += x;
                }
            }
        }
    }
    if (total - 1.0).abs() > 1e-3 && total > 0.0 {
        ck.push(path, format!("shares must sum to 1, got {total}"));
    }
}

fn check_measurement(ck: &mut Checker, v: &Value, mp: &str) {
    let Some(m) = v.as_object() else {
        ck.push(mp, format!("must be an object, got {}", type_name(v)));
        return;
    };
    ck.unknown_keys(
        m,
        mp,
        &["method", "source", "date", "skin_lab", "months_healed"],
    );
    let method = ck.string(m, mp, "method", true);
    const METHODS: [&str; 4] = [
        "masstone_drawdown",
        "healed_swatch",
        "manufacturer",
        "illustrative",
    ];
    if let Some(ref meth) = method {
        if !METHODS.contains(&meth.as_str()) {
            ck.push(
                &format!("{mp}/method"),
                format!("must be one of {}, got {meth:?}", METHODS.join(", ")),
            );
        }
    }
    ck.string(m, mp, "source", true);
    if let Some(Value::String(d)) = m.get("date") {
        if let Err(why) = check_date(d) {
            ck.push(&format!("{mp}/date"), why);
        }
    }
    ck.string(m, mp, "date", false);
    match m.get("skin_lab") {
        Some(v) if !v.is_null() => ck.lab(v, &format!("{mp}/skin_lab")),
        _ if method.as_deref() == Some("healed_swatch") => ck.push(
            mp,
            "a healed_swatch measurement needs \"skin_lab\", the skin around the swatch",
        ),
        _ => {}
    }
    if let Some(v) = m.get("months_healed").filter(|v| !v.is_null()) {
        let mh = format!("{mp}/months_healed");
        if let Some(x) = ck.number(v, &mh) {
            if !(0.0..=MAX_MONTHS_HEALED).contains(&x) {
                ck.push(
                    &mh,
                    format!("must lie in 0–{MAX_MONTHS_HEALED} months, got {x}"),
                );
            }
        }
    }
}

/// Check a calendar date as catalogs and `--date` hold it: ISO 8601 `YYYY-MM-DD` (or the
/// reduced precisions `YYYY-MM` and `YYYY`), a real day of the Gregorian calendar.
///
/// ```
/// assert!(smpmatch::catalog::check_date("2024-02-29").is_ok());
/// assert!(smpmatch::catalog::check_date("2026-02-30").is_err());
/// ```
pub fn check_date(s: &str) -> std::result::Result<(), String> {
    let bad = || format!("{s:?} is not a date (expected YYYY-MM-DD)");
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<i32>().ok())
            .flatten()
    };
    let year = parts.first().and_then(|p| num(p, 4)).ok_or_else(bad)?;
    let month = match parts.get(1) {
        None => return Ok(()),
        Some(p) => num(p, 2).ok_or_else(bad)?,
    };
    let month = time::Month::try_from(u8::try_from(month).map_err(|_| bad())?)
        .map_err(|_| format!("{s:?}: there is no month {month}"))?;
    let day = match parts.get(2) {
        None if parts.len() == 2 => return Ok(()),
        Some(p) if parts.len() == 3 => num(p, 2).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    time::Date::from_calendar_date(year, month, u8::try_from(day).map_err(|_| bad())?)
        .map(|_| ())
        .map_err(|_| format!("{s:?}: {month} {year} has no day {day}"))
}

/// Write a catalog to the checked output `out`: validated first (an invalid catalog, or one
/// this build would refuse to read back, is never written), then atomically, keeping the
/// previous file as `FILE.bak`. Returns the backup path, if any.
pub fn save(out: &OutputFile, catalog: &Catalog) -> Result<Option<std::path::PathBuf>> {
    let path = &out.given;
    let value = serde_json::to_value(catalog)
        .map_err(|e| Error::Internal(format!("cannot serialise the catalog: {e}")))?;
    let problems = validate_value(&value);
    if !problems.is_empty() {
        return Err(Error::Catalog {
            path: path.to_path_buf(),
            message: format!(
                "refusing to write an invalid catalog ({} problems)",
                problems.len()
            ),
            problems,
        });
    }
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| Error::Internal(format!("cannot serialise the catalog: {e}")))?;
    text.push('\n');
    if text.len() as u64 > MAX_CATALOG_BYTES {
        return Err(Error::Catalog {
            path: path.to_path_buf(),
            message: format!(
                "refusing to write a catalog of {} bytes: above the {} MiB limit every command \
                 reads catalogs with",
                text.len(),
                MAX_CATALOG_BYTES >> 20
            ),
            problems: Vec::new(),
        });
    }
    crate::io::files::replace_with_backup(out, &text).map_err(|e| update_error(path, e))
}

/// Check `path` as a catalog to be written by a command whose inputs are `inputs`, and take
/// its update lock (see [`crate::io::files::lock`]), on the real file behind any symlink. A
/// catalog that cannot be written or locked cannot be updated: a catalog error.
pub fn lock_for_update(
    path: &Path,
    inputs: &[(&str, &Path)],
) -> Result<(OutputFile, crate::io::files::FileLock)> {
    let out = OutputFile::check(path, inputs).map_err(|e| update_error(path, e))?;
    let lock = crate::io::files::lock(&out).map_err(|e| update_error(path, e))?;
    Ok((out, lock))
}

/// A read–modify–write of a catalog file: the catalog is read under its lock, held until
/// [`Update::commit`] has written the new version, so two concurrent updates lose neither.
/// A dry run takes no lock and writes nothing, so it also works on a read-only catalog.
#[derive(Debug)]
pub struct Update {
    /// The checked output and its lock; None for a dry run.
    target: Option<(OutputFile, crate::io::files::FileLock)>,
    /// The catalog as read under the lock.
    pub catalog: Catalog,
}

impl Update {
    /// Lock (unless `dry_run`) and read the catalog at `path`; `inputs` are the command's
    /// other inputs, which must not be the catalog itself.
    pub fn begin(path: &Path, dry_run: bool, inputs: &[(&str, &Path)]) -> Result<Update> {
        let target = if dry_run {
            None
        } else {
            Some(lock_for_update(path, inputs)?)
        };
        let catalog = match &target {
            Some((out, _)) => load_as(&out.real, path)?,
            None => load(path)?,
        };
        Ok(Update { target, catalog })
    }

    /// Write `updated` with [`save`] (nothing for a dry run); returns the backup path.
    pub fn commit(self, updated: &Catalog) -> Result<Option<std::path::PathBuf>> {
        match &self.target {
            None => Ok(None),
            Some((out, _lock)) => save(out, updated),
        }
    }
}

/// A failure to write or lock a catalog, reported as a catalog error about that catalog
/// (exit code 4), naming the file actually involved (temporary, backup, lock) in the message.
/// A refusal of the command line (an output that is an input) stays a usage error.
fn update_error(path: &Path, e: Error) -> Error {
    match e {
        Error::Read { path: p, source } => update_error(
            path,
            Error::output(p, format!("cannot read: {}", io_message(&source))),
        ),
        Error::Write { path: p, source } => update_error(
            path,
            Error::output(p, format!("cannot write: {}", io_message(&source))),
        ),
        Error::Input { path: p, message } | Error::Output { path: p, message } => Error::Catalog {
            path: path.to_path_buf(),
            message: if p == path {
                format!("cannot update the catalog: {message}")
            } else {
                format!("cannot update the catalog: {}: {message}", p.display())
            },
            problems: Vec::new(),
        },
        other => other,
    }
}

/// Read, parse and validate a catalog file. A catalog with any problem is refused whole,
/// every problem listed with its JSON Pointer (`Error::Catalog`).
///
/// ```
/// let cat = smpmatch::catalog::load(std::path::Path::new("pigments/smp_sample.json"))?;
/// assert!(cat.pigments.iter().any(|p| p.id == "carbon-black"));
/// # Ok::<(), smpmatch::Error>(())
/// ```
pub fn load(path: &Path) -> Result<Catalog> {
    load_as(path, path)
}

/// Read the catalog at `real`, naming it `shown` in errors.
fn load_as(real: &Path, shown: &Path) -> Result<Catalog> {
    let path = shown;
    let fail = |message: String, problems: Vec<Problem>| Error::Catalog {
        path: path.to_path_buf(),
        message,
        problems,
    };
    let meta = std::fs::metadata(real).map_err(|e| fail(io_message(&e), Vec::new()))?;
    if !meta.is_file() {
        return Err(fail(
            format!(
                "is {}, not a catalog file",
                crate::io::files::file_kind(&meta)
            ),
            Vec::new(),
        ));
    }
    if meta.len() > MAX_CATALOG_BYTES {
        return Err(fail(
            format!(
                "catalog is {} bytes, above the {} MiB limit",
                meta.len(),
                MAX_CATALOG_BYTES >> 20
            ),
            Vec::new(),
        ));
    }
    let bytes = std::fs::read(real).map_err(|e| fail(io_message(&e), Vec::new()))?;
    parse(&bytes).map_err(|(message, problems)| fail(message, problems))
}

/// Parse and validate catalog bytes. On failure: a summary and every problem.
pub fn parse(bytes: &[u8]) -> std::result::Result<Catalog, (String, Vec<Problem>)> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        (
            format!(
                "not valid UTF-8 text (byte {}); a catalog is a UTF-8 JSON file",
                e.valid_up_to()
            ),
            Vec::new(),
        )
    })?;
    let doc: Value = crate::io::strict_json::parse(text).map_err(|e| match e.syntax {
        // A syntax error is the whole story: no per-field problems (see `Error::Catalog`).
        Some(syntax) => (format!("not valid JSON: {syntax}"), Vec::new()),
        None => (
            format!(
                "invalid catalog: {} duplicate key{}",
                e.duplicates.len(),
                if e.duplicates.len() == 1 { "" } else { "s" }
            ),
            e.duplicates
                .into_iter()
                .map(|(path, message)| Problem { path, message })
                .collect(),
        ),
    })?;
    let problems = validate_value(&doc);
    if !problems.is_empty() {
        let n = problems.len();
        return Err((
            format!(
                "invalid catalog: {n} problem{}",
                if n == 1 { "" } else { "s" }
            ),
            problems,
        ));
    }
    serde_json::from_value(doc).map_err(|e| {
        // Validation mirrors the types; reaching here is a gap in validate_value.
        let msg = format!("invalid catalog: {e}");
        (
            msg.clone(),
            vec![Problem {
                path: String::new(),
                message: msg,
            }],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "schema_version": 1,
            "pigments": [{
                "id": "black", "name": "Black", "base": "carbon", "lab": [22.0, 0.0, -0.5],
                "measurement": {"method": "illustrative", "source": "test"}
            }]
        })
    }

    fn paths(doc: &Value) -> Vec<String> {
        validate_value(doc).into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn good_catalog_has_no_problems() {
        assert!(validate_value(&good()).is_empty());
        assert!(parse(good().to_string().as_bytes()).is_ok());
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let mut doc = good();
        let p0 = doc["pigments"][0].clone();
        let mut p1 = p0.clone();
        p1["lab"] = json!([120.0, 0.0, "NaN"]);
        let mut p2 = p0.clone();
        p2.as_object_mut().map(|o| o.remove("name"));
        p2["id"] = json!("other");
        p2["colour"] = json!("x");
        doc["pigments"] = json!([p0, p1, p2]);
        doc["schema_version"] = json!(7);
        let got = paths(&doc);
        assert!(got.contains(&"/schema_version".to_string()), "{got:?}");
        assert!(
            got.contains(&"/pigments/1/id".to_string()),
            "duplicate id: {got:?}"
        );
        assert!(
            got.contains(&"/pigments/1/lab/0".to_string()),
            "L* range: {got:?}"
        );
        assert!(
            got.contains(&"/pigments/1/lab/2".to_string()),
            "NaN: {got:?}"
        );
        assert!(
            got.contains(&"/pigments/2".to_string()),
            "missing name: {got:?}"
        );
        assert!(
            got.contains(&"/pigments/2/colour".to_string()),
            "unknown field: {got:?}"
        );
    }

    #[test]
    fn syntax_errors_and_empty_catalogs_are_refused() {
        assert!(parse(b"{\"schema_version\": 1, \"pigments\": [NaN]}").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(&[0xff, 0xfe]).is_err());
        let empty = json!({"schema_version": 1, "pigments": []});
        assert_eq!(paths(&empty), vec!["/pigments".to_string()]);
    }

    #[test]
    fn healed_swatch_needs_skin() {
        let mut doc = good();
        doc["pigments"][0]["measurement"]["method"] = json!("healed_swatch");
        assert_eq!(paths(&doc), vec!["/pigments/0/measurement".to_string()]);
    }
}
