//! Two-ink blends: searched among the best single inks, kept only when clearly better.

use super::*;
use crate::catalog::Catalog;

/// A blend is reported only if its score beats the best single ink by at least this much:
/// about one just-perceptible difference, so a blend is never suggested for a gain no one
/// could see.
pub const BLEND_MARGIN_DE00: f64 = 1.0;

/// Default share step of blends (10 %).
pub const DEFAULT_BLEND_STEP: f64 = 0.1;

/// Blends are searched among this many best single inks (all pairs of them): every pair of a
/// clinic catalog, and a bounded search (780 pairs) in a supplier's library of thousands.
pub const BLEND_PARTNERS: usize = 40;

/// The blends searched and the best of them.
#[derive(Debug, Clone)]
pub struct BlendSearch {
    /// Blend recipes scored.
    pub considered: usize,
    /// Inks blends were made from (the best [`BLEND_PARTNERS`] single inks).
    pub partners: usize,
    /// The best blend, whether or not it made the ranking.
    pub best_id: Option<String>,
    /// Its score minus the best single ink's (negative: the blend is better).
    pub best_gain_de00: Option<f64>,
}

/// "70 % a + 30 % b".
pub fn blend_label(catalog: &Catalog, parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| format!("{:.0} % {}", 100.0 * p.share, catalog.pigments[p.ink].id))
        .collect::<Vec<_>>()
        .join(" + ")
}
