//! What counts as skin and what as hair, by colour alone: the two tests the separation
//! (`segment`) and the choice of targets (`tones`) share.
//!
//! Skin: 20 ≤ L* ≤ 92, 4 ≤ C*ab ≤ 50 and 15° ≤ h_ab ≤ 90°, the range of measured human skin
//! colour in CIELAB across ITA classes (Chardon 1991; Del Bino 2006; Han 2006) with margin
//! for phone-camera rendering. Hair: at least
//! [`HAIR_MIN_DARKER_L`] darker than the scalp and of chroma at most [`HAIR_MAX_CHROMA`]
//! (hair is low-chroma: J. Soc. Cosmet. Chem. 51(5)).

use crate::color::{chroma, hue_deg, Lab};

/// Hair must be at least this much darker (L*) than the scalp.
pub const HAIR_MIN_DARKER_L: f32 = 10.0;
/// Hair chroma limit (C*ab).
pub const HAIR_MAX_CHROMA: f32 = 30.0;

/// Is this colour within the CIELAB range of human skin?
pub fn is_skin_like(lab: Lab) -> bool {
    let c = chroma(lab);
    let h = hue_deg(lab);
    (20.0..=92.0).contains(&lab.l) && (4.0..=50.0).contains(&c) && (15.0..=90.0).contains(&h)
}

/// Could this colour be hair on this scalp (darker by [`HAIR_MIN_DARKER_L`], low chroma)?
/// The automatic separation's test: the chroma limit keeps saturated clothing out.
pub fn is_darker_than_scalp(lab: Lab, scalp: Lab) -> bool {
    is_darker_by_rule(lab, scalp) && chroma(lab) <= HAIR_MAX_CHROMA
}

/// Darker than the scalp by at least [`HAIR_MIN_DARKER_L`]: the test for choosing the hair
/// target among pixels already known to be hair (no chroma limit there: red and auburn hair
/// reach C*ab 30 and more, and a region or close-up says what is hair).
pub fn is_darker_by_rule(lab: Lab, scalp: Lab) -> bool {
    lab.l <= scalp.l - HAIR_MIN_DARKER_L
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_skin_and_hair_colours_classify() {
        // Han et al. 2006 mean Korean skin; J Soc Cosmet Chem 51(5) black and dark-brown hair.
        let skin = Lab::new(61.7, 9.6, 17.1);
        assert!(is_skin_like(skin));
        assert!(!is_skin_like(Lab::new(18.4, -0.05, -0.84)));
        assert!(is_darker_than_scalp(Lab::new(18.4, -0.05, -0.84), skin));
        assert!(is_darker_than_scalp(Lab::new(22.7, 3.8, 4.6), skin));
        // Saturated blue clothing is neither.
        let blue = Lab::new(30.0, 20.0, -60.0);
        assert!(!is_skin_like(blue));
        assert!(!is_darker_than_scalp(blue, skin));
    }
}
