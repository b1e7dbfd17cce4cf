//! smpmatch: pigment colour matching for scalp micropigmentation (SMP).
//!
//! The modules follow the pipeline:
//!
//! ```text
//! input (decode, ICC, sample) → calibration (card → profile) → analysis (hair / scalp
//!   separation, CIELAB tones, ITA) → model (healed look, fading) → rank (CIEDE2000 scores)
//!   → plan (sessions) → preview (the dots drawn on the photo) → output (JSON, text,
//!   visual report)
//! ```
//!
//! `pipeline` runs a whole job (`analyze`, `match_patient`); `catalog` reads, validates,
//! writes, imports and measures pigment catalogs; `color` holds the colour science,
//! `numeric` the small numerical tools, `mask` the cell masks (connected regions), `io` the
//! file rules (atomic writes, locks, strict JSON). The command line is the binary's
//! (src/main.rs). See `docs/model.md` and `docs/json.md`.

#![warn(missing_docs)]

pub mod analysis;
pub mod calibration;
pub mod catalog;
pub mod color;
pub mod error;
pub mod evaluation;
pub mod input;
pub mod io;
pub mod mask;
pub mod model;
pub mod numeric;
pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod plan;
pub mod preview;
pub mod rank;
#[cfg(feature = "records")]
pub mod records;
#[cfg(feature = "serve")]
pub mod serve;
pub mod synth;
#[cfg(test)]
mod test_support;
pub mod warning;

pub use error::{Error, Result};
