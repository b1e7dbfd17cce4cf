//! `catalog diff`: two catalogs compared pigment by pigment.

use serde::Serialize;
use serde_json::Value;

use crate::catalog::Catalog;
use crate::color::{delta_e00, lab_from_array};

/// How a pigment differs between two catalogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the second catalog.
    Added,
    /// Only in the first.
    Removed,
    /// In both, with different values.
    Changed,
}

/// One difference between two catalogs.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Change {
    /// Pigment id.
    pub pigment_id: String,
    /// What happened to it.
    pub kind: ChangeKind,
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
                kind: ChangeKind::Removed,
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
                        kind: ChangeKind::Changed,
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
                kind: ChangeKind::Added,
                lab_delta_e00: None,
                fields: Vec::new(),
            });
        }
    }
    out
}
