//! smpmatch: pigment colour matching for scalp micropigmentation (SMP).
//!
//! The modules follow the pipeline:
//!
//! ```text
//! photo (load) → segment (hair / scalp) → tones (CIELAB k-means, targets, ITA)
//!   → model (healed look, fading) → rank (CIEDE2000 scores) → report (JSON, terminal)
//! ```
//!
//! `catalog` reads and validates pigment catalogs; `analysis` runs the first half of the
//! pipeline; `cli` is the command line. See `docs/model.md` and `docs/json.md`.

#![warn(missing_docs)]

pub mod analysis;
pub mod calibrate;
pub mod catalog;
pub mod catalog_tools;
pub mod chart;
pub mod color;
pub mod error;
pub mod fading;
pub mod files;
pub mod model;
pub mod photo;
pub mod pipeline;
pub mod plan;
pub mod rank;
pub mod report;
pub mod segment;
pub mod strict_json;
pub mod synth;
#[cfg(test)]
mod test_support;
pub mod tones;
pub mod visual;

pub use error::{Error, Result};
