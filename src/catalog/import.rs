//! `catalog import`: a catalog from a spreadsheet (CSV), validated with the same rules as
//! any catalog; problems name the CSV row and column.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::catalog::{validate_value, Catalog};

use crate::error::Problem;
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
    let mut rdr = crate::io::csv::reader(&bytes);
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
