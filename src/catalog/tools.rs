//! Catalog tools: import from a spreadsheet (CSV) and compare two catalogs.

use std::path::Path;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::catalog::{validate_value, Catalog, Problem};
use crate::color::{delta_e00, lab_from_array};
use crate::error::{Error, Result};

/// Columns `catalog import` understands (the first six are required).
pub const CSV_COLUMNS: [&str; 15] = [
    "id",
    "name",
    "base",
    "L",
    "a",
    "b",
    "method",
    "source",
    "date",
    "strength",
    "dilution",
    "half_life_months",
    "sun_sensitivity",
    "notes",
    "skin_lab",
];

/// Build a catalog from a CSV file (one pigment per row, header row first), validated with
/// the same rules as any catalog. Problems name the CSV row and column.
pub fn import_csv(
    path: &Path,
    name: Option<String>,
    dilution_steps: Option<Vec<f64>>,
) -> Result<Catalog> {
    let bytes =
        crate::io::files::read_input(path, "a CSV file", crate::catalog::MAX_CATALOG_BYTES)?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let fail = |message: String, problems: Vec<Problem>| Error::Catalog {
        path: path.to_path_buf(),
        message,
        problems,
    };
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| fail(format!("CSV header: {e}"), Vec::new()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut problems = Vec::new();
    for h in &header {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            problems.push(Problem {
                path: format!("column {h:?}"),
                message: format!("unknown column (known: {})", CSV_COLUMNS.join(", ")),
            });
        }
    }
    for need in &CSV_COLUMNS[..6] {
        if !header.iter().any(|h| h == need) {
            problems.push(Problem {
                path: format!("column {need:?}"),
                message: "required column is missing".into(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(fail(
            "the CSV header is not a catalog header".to_string(),
            problems,
        ));
    }
    let mut pigments = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| fail(format!("row {row}: {e}"), Vec::new()))?;
        let get = |col: &str| {
            header
                .iter()
                .position(|h| h == col)
                .and_then(|k| rec.get(k))
                .filter(|v| !v.is_empty())
        };
        // Numbers stay JSON strings when they do not parse, so validation reports them.
        let num = |col: &str| -> Option<Value> {
            get(col).map(|v| match v.parse::<f64>() {
                Ok(x) if x.is_finite() => json!(x),
                _ => json!(v),
            })
        };
        let mut p = Map::new();
        p.insert("id".into(), json!(get("id").unwrap_or("")));
        p.insert("name".into(), json!(get("name").unwrap_or("")));
        p.insert("base".into(), json!(get("base").unwrap_or("")));
        p.insert(
            "lab".into(),
            Value::Array(vec![
                num("L").unwrap_or(Value::Null),
                num("a").unwrap_or(Value::Null),
                num("b").unwrap_or(Value::Null),
            ]),
        );
        let mut m = Map::new();
        m.insert(
            "method".into(),
            json!(get("method").unwrap_or("illustrative")),
        );
        m.insert(
            "source".into(),
            json!(get("source").map_or_else(
                || format!(
                    "imported from {} row {row}; no provenance given",
                    path.display()
                ),
                str::to_string
            )),
        );
        if let Some(d) = get("date") {
            m.insert("date".into(), json!(d));
        }
        if let Some(s) = get("skin_lab") {
            let v: Vec<Value> = s
                .split([';', ' '])
                .filter(|x| !x.is_empty())
                .map(|x| x.parse::<f64>().map_or(json!(x), |f| json!(f)))
                .collect();
            m.insert("skin_lab".into(), Value::Array(v));
        }
        p.insert("measurement".into(), Value::Object(m));
        for col in ["strength", "dilution"] {
            if let Some(v) = num(col) {
                p.insert(col.into(), v);
            }
        }
        match (num("half_life_months"), num("sun_sensitivity")) {
            (None, None) => {}
            (h, s) => {
                p.insert(
                    "fading".into(),
                    json!({"half_life_months": h.unwrap_or(Value::Null),
                           "sun_sensitivity": s.unwrap_or(Value::Null)}),
                );
            }
        }
        if let Some(n) = get("notes") {
            p.insert("notes".into(), json!(n));
        }
        pigments.push(Value::Object(p));
    }
    let mut doc = Map::new();
    doc.insert("schema_version".into(), json!(1));
    if let Some(n) = name {
        doc.insert("name".into(), json!(n));
    }
    doc.insert(
        "description".into(),
        json!(format!("imported from {}", path.display())),
    );
    if let Some(s) = dilution_steps {
        doc.insert("dilution_steps".into(), json!(s));
    }
    doc.insert("pigments".into(), Value::Array(pigments));
    let doc = Value::Object(doc);
    let problems: Vec<Problem> = validate_value(&doc)
        .into_iter()
        .map(|p| Problem {
            path: csv_location(&p.path),
            message: p.message,
        })
        .collect();
    if !problems.is_empty() {
        return Err(fail(
            format!("{} problem(s) in the CSV", problems.len()),
            problems,
        ));
    }
    serde_json::from_value(doc).map_err(|e| fail(e.to_string(), Vec::new()))
}

/// `/pigments/3/lab/0` → `row 5, L`.
fn csv_location(pointer: &str) -> String {
    let parts: Vec<&str> = pointer.split('/').collect();
    match parts.as_slice() {
        ["", "pigments", i, rest @ ..] => {
            let row = i.parse::<usize>().map_or(0, |i| i + 2);
            let col = match rest {
                ["lab", "0"] => "L".to_string(),
                ["lab", "1"] => "a".to_string(),
                ["lab", "2"] => "b".to_string(),
                ["measurement", c, ..] => (*c).to_string(),
                ["fading", c] => (*c).to_string(),
                [] => String::new(),
                r => r.join("/"),
            };
            if col.is_empty() {
                format!("row {row}")
            } else {
                format!("row {row}, {col}")
            }
        }
        _ => pointer.to_string(),
    }
}

/// One difference between two catalogs.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Change {
    /// Pigment id.
    pub pigment_id: String,
    /// `added`, `removed` or `changed`.
    pub kind: String,
    /// ΔE00 between the two colours (changed pigments).
    pub lab_delta_e00: Option<f64>,
    /// Fields whose values differ, e.g. `lab`, `fading`, `measurement`.
    pub fields: Vec<String>,
}

/// Compare two catalogs pigment by pigment (by id), in the order of `a` then new ids of `b`.
pub fn diff(a: &Catalog, b: &Catalog) -> Vec<Change> {
    let mut out = Vec::new();
    for pa in &a.pigments {
        match b.pigments.iter().find(|p| p.id == pa.id) {
            None => out.push(Change {
                pigment_id: pa.id.clone(),
                kind: "removed".into(),
                lab_delta_e00: None,
                fields: Vec::new(),
            }),
            Some(pb) => {
                let va = serde_json::to_value(pa).unwrap_or(Value::Null);
                let vb = serde_json::to_value(pb).unwrap_or(Value::Null);
                let mut fields: Vec<String> = Vec::new();
                if let (Some(oa), Some(ob)) = (va.as_object(), vb.as_object()) {
                    let mut keys: Vec<&String> = oa.keys().chain(ob.keys()).collect();
                    keys.sort();
                    keys.dedup();
                    for k in keys {
                        if oa.get(k) != ob.get(k) {
                            fields.push(k.clone());
                        }
                    }
                }
                if !fields.is_empty() {
                    out.push(Change {
                        pigment_id: pa.id.clone(),
                        kind: "changed".into(),
                        lab_delta_e00: fields.iter().any(|f| f == "lab").then(|| {
                            let d = delta_e00(lab_from_array(pa.lab), lab_from_array(pb.lab));
                            (f64::from(d) * 100.0).round() / 100.0
                        }),
                        fields,
                    });
                }
            }
        }
    }
    for pb in &b.pigments {
        if !a.pigments.iter().any(|p| p.id == pb.id) {
            out.push(Change {
                pigment_id: pb.id.clone(),
                kind: "added".into(),
                lab_delta_e00: None,
                fields: Vec::new(),
            });
        }
    }
    out
}

/// A swatch to measure: which pigment, and where it is in the photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Swatch {
    /// Pigment id in the catalog.
    pub pigment_id: String,
    /// Rectangle of the swatch in the photo.
    pub region: crate::input::Region,
}

/// What `catalog measure` is asked to do.
#[derive(Debug, Clone)]
pub struct MeasureRequest {
    /// The photo holding the swatches.
    pub photo: std::path::PathBuf,
    /// The calibration profile for that photo's light.
    pub profile: std::path::PathBuf,
    /// The swatches (each pigment once).
    pub swatches: Vec<Swatch>,
    /// What the swatches are: `MasstoneDrawdown` or `HealedSwatch`.
    pub method: crate::catalog::Method,
    /// Skin beside healed swatches (required for `HealedSwatch`).
    pub skin_region: Option<crate::input::Region>,
    /// Months since healed swatches were made.
    pub months_healed: Option<f64>,
    /// Measurement date, YYYY-MM-DD (default: the photo's EXIF date).
    pub date: Option<String>,
    /// Report without writing.
    pub dry_run: bool,
}

/// A swatch whose spread is above this (ΔE00) is not flat: texture, glare or an edge.
pub const SWATCH_FLAT_DE00: f32 = 3.0;

/// Measure pigment swatches in a calibrated photo and write them into the catalog at
/// `catalog_path` (locked, atomically, the previous file kept as `.bak`, the old values in
/// each pigment's `history`). With `dry_run`, nothing is written.
pub fn measure(catalog_path: &Path, req: &MeasureRequest) -> Result<crate::output::MeasureOut> {
    use crate::calibration::{self, Profile};
    use crate::catalog::{HistoryEntry, Measurement, Method};
    use crate::color::{lab_to_array, round};
    use crate::input::{LoadLimits, Photo};

    let mut ids = std::collections::HashSet::new();
    if let Some(dup) = req
        .swatches
        .iter()
        .find(|s| !ids.insert(s.pigment_id.as_str()))
    {
        return Err(Error::usage(format!(
            "--swatch {}: this pigment is given twice; measure it once per run",
            dup.pigment_id
        )));
    }
    let healed = req.method == Method::HealedSwatch;
    if !matches!(req.method, Method::MasstoneDrawdown | Method::HealedSwatch) {
        return Err(Error::usage(
            "a swatch is measured as a masstone drawdown or a healed swatch",
        ));
    }
    let update = crate::catalog::Update::begin(
        catalog_path,
        req.dry_run,
        &[("the photo", &req.photo), ("the profile", &req.profile)],
    )?;
    let cat = &update.catalog;
    let profile = Profile::load(&req.profile)?;
    let photo = Photo::load(&req.photo, LoadLimits::default())?;
    let mut warnings = calibration::lighting_warnings(&profile, &photo);
    let skin = match (healed, req.skin_region) {
        (true, None) => {
            return Err(Error::usage(
                "--method healed-swatch needs --skin-region X,Y,W,H (the skin beside the \
                 swatches)",
            ))
        }
        (_, Some(r)) => Some(calibration::measure_region(
            &photo,
            r,
            Some(&profile.correction),
        )?),
        _ => None,
    };
    let date = req.date.clone().or_else(|| {
        calibration::ExifFacts::read(&photo.path)
            .and_then(|e| e.date_time)
            .map(|d| d.chars().take(10).collect::<String>().replace(':', "-"))
    });
    let mut updated = cat.clone();
    let mut measured = Vec::new();
    for sw in &req.swatches {
        let Some(p) = updated.pigments.iter_mut().find(|p| p.id == sw.pigment_id) else {
            let known: Vec<&str> = cat.pigments.iter().map(|p| p.id.as_str()).collect();
            return Err(Error::usage(format!(
                "--swatch {}: no pigment with this id in {} (ids: {})",
                sw.pigment_id,
                catalog_path.display(),
                known.join(", ")
            )));
        };
        let m = calibration::measure_region(&photo, sw.region, Some(&profile.correction))?;
        if m.spread_de00 > SWATCH_FLAT_DE00 {
            warnings.push(format!(
                "{}: the swatch rectangle is not flat (spread {:.1} ΔE00): texture, glare \
                 or an edge inside it",
                sw.pigment_id, m.spread_de00
            ));
        }
        let previous = p.lab;
        p.history.push(HistoryEntry {
            lab: p.lab,
            measurement: p.measurement.clone(),
        });
        p.lab = lab_to_array(m.lab);
        p.measurement = Measurement {
            method: req.method,
            source: format!(
                "smpmatch catalog measure: photo {}, region {}, profile {} ({}, held-out \
                 ΔE00 {:.2}, card photo {})",
                photo.path.display(),
                sw.region,
                req.profile.display(),
                profile.correction.model.name(),
                profile.residuals.held_out_mean_de00,
                profile.source_photo
            ),
            date: date.clone(),
            skin_lab: skin.map(|s| lab_to_array(s.lab)),
            months_healed: if healed { req.months_healed } else { None },
        };
        measured.push(crate::output::MeasuredOut {
            pigment_id: sw.pigment_id.clone(),
            lab: p.lab,
            previous_lab: previous,
            change_de00: round(delta_e00(m.lab, lab_from_array(previous)), 2),
            spread_de00: round(m.spread_de00, 2),
            pixels: m.pixels,
        });
    }
    let backup = update.commit(&updated)?;
    Ok(crate::output::MeasureOut {
        schema_version: crate::output::SCHEMA_VERSION,
        command: "catalog measure".into(),
        catalog: catalog_path.display().to_string(),
        written: !req.dry_run,
        backup: backup.map(|b| b.display().to_string()),
        measured,
        warnings,
    })
}

/// Fit pigments' fading half-lives from dated follow-ups (`followups`, a CSV) and write them
/// into the catalog at `catalog_path` (as [`measure`] writes). Fails when no pigment could be
/// fitted; each pigment left out is listed with its reason.
pub fn fit_fading(
    catalog_path: &Path,
    followups: &Path,
    dry_run: bool,
) -> Result<crate::output::FitFadingOut> {
    let update = crate::catalog::Update::begin(
        catalog_path,
        dry_run,
        &[("the follow-ups file", followups)],
    )?;
    let cat = &update.catalog;
    let rows = crate::model::fading::load_followups(followups)?;
    let params = crate::model::ModelParams::default();
    let (fits, refusals) = crate::model::fading::fit(cat, &rows, &params);
    if fits.is_empty() {
        let why: Vec<String> = refusals
            .iter()
            .map(|r| format!("{}: {}", r.pigment_id, r.reason))
            .collect();
        return Err(Error::Analysis {
            path: Some(followups.to_path_buf()),
            message: format!("no pigment could be fitted — {}", why.join("; ")),
        });
    }
    let mut updated = cat.clone();
    for f in &fits {
        if let Some(p) = updated.pigments.iter_mut().find(|p| p.id == f.pigment_id) {
            p.fading = Some(crate::model::Fading {
                half_life_months: f.half_life_months,
                sun_sensitivity: f.sun_sensitivity,
            });
            p.fading_source = Some(format!(
                "smpmatch catalog fit-fading: {} follow-ups from {}; half-life 95 % \
                 interval {}–{} months",
                f.points,
                followups.display(),
                f.ci95_months.0,
                f.ci95_months
                    .1
                    .map_or("unbounded".to_string(), |v| v.to_string())
            ));
        }
    }
    let backup = update.commit(&updated)?;
    Ok(crate::output::FitFadingOut {
        schema_version: crate::output::SCHEMA_VERSION,
        command: "catalog fit-fading".into(),
        catalog: catalog_path.display().to_string(),
        written: !dry_run,
        backup: backup.map(|b| b.display().to_string()),
        fits,
        refusals,
    })
}
