//! Colour calibration from a photographed ColorChecker: fit a correction from the photo's
//! linear RGB to the card's published values, choose the model by leave-one-out ΔE00, and
//! keep it as a profile that `analyze`, `match` and `catalog measure` apply
//! (docs/calibration.md).
//!
//! Models, in linear RGB (the correction must be linear in light to keep mixing laws):
//!
//! - `matrix3x3`: `rgb' = M · rgb`, 9 coefficients; it includes white balance (a diagonal M)
//!   and channel crosstalk.
//! - `root_polynomial2`: `rgb' = M · [R, G, B, √(RG), √(GB), √(RB)]`, 18 coefficients, the
//!   root-polynomial of degree 2 (Finlayson, Mackiewicz & Hurlbert, IEEE Trans. Image
//!   Process. 24(5), 2015): every term scales with exposure, so the fit holds when the
//!   exposure changes, unlike a plain polynomial.

pub mod detect;
mod fit;
mod profile;
pub mod reference;

pub use detect::*;
pub use fit::*;
pub use profile::*;
pub use reference::*;
