//! JSON as the files users own must be read: duplicate keys are an error, not "the last one
//! wins".
//!
//! RFC 8259 § 4 leaves duplicate member names to the parser, and `serde_json::Value` keeps the
//! last. For a catalog that silently loses data: a file with `"pigments"` twice validates
//! with the second list only, and the next `catalog measure` writes back only that list.
//! [`parse`] reads the same grammar as `serde_json` (a leading UTF-8 byte-order mark is
//! accepted, as Windows editors write one) and reports every duplicate with its JSON Pointer
//! and both member positions.
//!
//! ```
//! let e = smpmatch::io::strict_json::parse(r#"{"a": 1, "b": {"c": 2, "c": 3}}"#).unwrap_err();
//! assert_eq!(e.duplicates[0].0, "/b/c");
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a document was refused.
#[derive(Debug)]
pub struct StrictError {
    /// A syntax error (`serde_json`'s message, with line and column), if any.
    pub syntax: Option<String>,
    /// Each duplicate key: its JSON Pointer and what to say about it.
    pub duplicates: Vec<(String, String)>,
}

/// Parse `text` as JSON, refusing duplicate keys anywhere in the document.
pub fn parse(text: &str) -> Result<Value, StrictError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let dups = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Walk {
        pointer: String::new(),
        dups: &dups,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    let dups = dups.into_inner();
    match value {
        Ok(v) if dups.is_empty() => Ok(v),
        Ok(_) => Err(StrictError {
            syntax: None,
            duplicates: dups,
        }),
        Err(e) => Err(StrictError {
            syntax: Some(e.to_string()),
            duplicates: dups,
        }),
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

struct Walk<'a> {
    pointer: String,
    dups: &'a RefCell<Vec<(String, String)>>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Walk {
            pointer: format!("{}/{}", self.pointer, out.len()),
            dups: self.dups,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut member = 0usize;
        while let Some(key) = map.next_key::<String>()? {
            member += 1;
            let pointer = format!("{}/{}", self.pointer, escape(&key));
            let v = map.next_value_seed(Walk {
                pointer: pointer.clone(),
                dups: self.dups,
            })?;
            match seen.get(&key) {
                Some(first) => self.dups.borrow_mut().push((
                    pointer,
                    format!(
                        "duplicate key {key:?}: members {first} and {member} of the object at \
                         {} share this name (which one is meant?)",
                        if self.pointer.is_empty() {
                            "the top level"
                        } else {
                            &self.pointer
                        }
                    ),
                )),
                None => {
                    seen.insert(key.clone(), member);
                    out.insert(key, v);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_values_as_serde_json_without_duplicates() {
        let t = r#"{"a": [1, -2, 3.5e300, "x", null, true], "b": {"c/d": {}}}"#;
        let ours = parse(t).expect("parses");
        let theirs: Value = serde_json::from_str(t).expect("parses");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn every_duplicate_is_named_with_its_pointer() {
        let e = parse(r#"{"pigments": [], "x": [{"id": 1, "id": 2}], "pigments": [1]}"#)
            .expect_err("duplicates");
        let ptrs: Vec<&str> = e.duplicates.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(ptrs, ["/x/0/id", "/pigments"]);
        assert!(e.duplicates[1].1.contains("members 1 and 3"), "{:?}", e);
    }

    #[test]
    fn a_byte_order_mark_is_accepted_trailing_text_is_not() {
        assert!(parse("\u{feff}{\"a\": 1}").is_ok());
        assert!(parse("{\"a\": 1} x")
            .expect_err("trailing")
            .syntax
            .is_some());
    }
}
