//! Warnings: a result was produced, but something about it deserves a person's attention.
//! Each carries a stable [`WarningCode`] a program can act on, beside the message for people
//! (docs/json.md § Warnings lists every code).

use serde::Serialize;

/// What a warning is about. Serialised as its snake_case name; codes are never renamed,
/// only added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// A multi-page TIFF or animated WebP: only the first image was analysed.
    ExtraFrames,
    /// The photo's embedded colour profile could not be used; its pixels were read as sRGB.
    IccProfileUnusable,
    /// The photo was taken with another camera, or flash, than the card photo of the profile.
    CameraDiffers,
    /// A card in the photo reads off after correction: the light differs from the profile's.
    LightDiffers,
    /// No skin-like colour: hair and scalp cannot be told apart automatically.
    NoSkinColour,
    /// Little or no hair in the photo.
    LittleHair,
    /// The scalp covers little of the photo.
    LittleScalp,
    /// Two different skin-like colours cover large areas.
    TwoSkinColours,
    /// Hair and scalp differ little in colour.
    LowContrast,
    /// Much of the photo is neither hair nor scalp (background).
    MuchBackground,
    /// The automatic separation's confidence is low.
    SeparationUncertain,
    /// No hair pixels were found.
    NoHairPixels,
    /// No scalp tone has a skin-like colour; the heaviest is used.
    ScalpToneNotSkin,
    /// No hair tone is darker than the scalp by the rule; the heaviest is used.
    HairToneNotDarker,
    /// The scalp target's b* is not positive: ITA is not meaningful.
    ItaNotMeaningful,
    /// A healed swatch (or a tint) cannot be reproduced by the model; its optics were clamped.
    HealedSwatchClamped,
    /// The catalog holds illustrative (not measured) colours.
    IllustrativeCatalog,
    /// The dot size and density cover so much skin that the result is a solid tattoo.
    SolidTattoo,
    /// The stubble look is darker than the ink can reach at follicle-like densities.
    StubbleTooDark,
    /// The preview's scale (pixels per mm) was estimated, so its dot size may be off.
    ScaleEstimated,
    /// The preview's treated area was found from the photo's colours: a proposal to check.
    AreaFound,
    /// The density given is outside what follicles look like.
    DensityOutsideFollicles,
    /// Close up, the healed dots stay lighter than the hair.
    DotsLighterThanHair,
    /// The hair target is not darker than the scalp.
    HairNotDarkerThanScalp,
    /// A measured swatch rectangle is not flat (texture, glare or an edge).
    SwatchNotFlat,
    /// A measured tint is not between its white and the ink's masstone at every wavelength:
    /// the model falls back to the masstone alone.
    TintInconsistent,
    /// The heaviest hair tone was not used for the hair target (not darker than the scalp
    /// by the rule): the target comes from a lighter-weight tone.
    HairToneSkipped,
    /// A dark but saturated colour covering part of the photo was not taken as hair (hair
    /// chroma limit): red or auburn hair, or clothing.
    SaturatedDarkNotHair,
    /// A skin-hued colour heavier than the scalp but darker was read as brown hair (or
    /// shadow), and a lighter skin colour as the scalp.
    SkinHuedDarkNotScalp,
    /// Light samples (not darker than the scalp by the colour rule) where the photo has the
    /// texture of hair strands were taken as grey, white or blond hair.
    HairByTexture,
    /// A role's pixels show a strong lighting gradient across the photo.
    LightingGradient,
    /// The scalp is redder than the person's untreated skin given as a reference (sunburnt,
    /// or freshly treated): it measures the wrong skin.
    ScalpRedderThanReference,
}

/// One warning: its code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Warning {
    /// Stable, machine-readable code.
    pub code: WarningCode,
    /// Plain-language explanation, with the numbers behind it and what to do.
    pub message: String,
}

impl Warning {
    /// A warning with `code` and `message`.
    pub fn new(code: WarningCode, message: impl Into<String>) -> Warning {
        Warning {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
