//! The analysis pipeline: photos → role pixels → tones → targets and ITA.
//!
//! Roles are selected three ways: whole photos (`--hair` / `--scalp`, pooled), rectangles on
//! one photo (`--hair-region` / `--scalp-region`), or automatically on a single photo given
//! with neither ([`crate::analysis::segment::auto_separate`]).

pub mod classify;
pub mod segment;
pub mod shading;
pub mod tones;

use std::path::PathBuf;

use crate::calibration::Profile;
use crate::color::{ita_deg, mean_linear, Lab, SkinCategory};
use crate::error::{Error, Result};
use crate::input::{LoadLimits, Photo, PhotoInfo, Region};
use segment::AutoSeparation;
use tones::{Role, RoleTones, ToneOptions};

/// Fewest pixels a role (hair or scalp) may be measured from: below it a "tone" is a few
/// pixels' noise (a 10 × 10 patch is the smallest region that still averages grain).
pub const MIN_ROLE_PIXELS: usize = 100;

/// Default cap on pixels sampled from each photo or region.
pub const DEFAULT_MAX_SAMPLES: usize = 100_000;

/// Which pixels play which role.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// A photo for regions or automatic separation (at most one).
    pub photo: Option<PathBuf>,
    /// Whole photos of hair.
    pub hair_photos: Vec<PathBuf>,
    /// Whole photos of scalp.
    pub scalp_photos: Vec<PathBuf>,
    /// Hair rectangles on `photo`.
    pub hair_regions: Vec<Region>,
    /// Scalp rectangles on `photo`.
    pub scalp_regions: Vec<Region>,
    /// Rectangles on `photo` that are neither hair nor scalp (a shirt, a hand, a chair): the
    /// automatic separation leaves their pixels out, as if they were not in the photo.
    /// Drawn hair and scalp regions are read as drawn.
    pub exclude_regions: Vec<Region>,
    /// Rectangles on `photo` of the person's untreated skin (forehead, temple, neck), lit as
    /// the scalp is: a scalp much redder than this skin is sunburnt or freshly treated.
    pub reference_regions: Vec<Region>,
}

/// Settings of the analysis.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Tone extraction settings.
    pub tones: ToneOptions,
    /// Decoding limits.
    pub limits: LoadLimits,
    /// Cap on sampled pixels per photo or region.
    pub max_samples: usize,
    /// Colour calibration applied to every pixel read (`--profile`).
    pub profile: Option<Profile>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            tones: ToneOptions::default(),
            limits: LoadLimits::default(),
            max_samples: DEFAULT_MAX_SAMPLES,
            profile: None,
        }
    }
}

impl AnalyzeOptions {
    /// Apply the profile's correction (if any) to sampled colours.
    fn correct(&self, v: Vec<Lab>) -> Vec<Lab> {
        match &self.profile {
            Some(p) => v.into_iter().map(|l| p.correction.apply_lab(l)).collect(),
            None => v,
        }
    }

    /// Load a photo, noting when its light may not match the profile's.
    fn load(
        &self,
        path: &std::path::Path,
        warnings: &mut Vec<crate::warning::Warning>,
    ) -> Result<Photo> {
        let photo = Photo::load(path, self.limits)?;
        note_icc(&photo, warnings);
        if let Some(p) = &self.profile {
            warnings.extend(crate::calibration::lighting_warnings(p, &photo));
        }
        Ok(photo)
    }
}

/// Which cells of a sampling grid laid over a `w` × `h` photo have their centre inside one
/// of `regions` (row-major, as [`crate::input::Samples::lab`]).
pub fn excluded_cells(
    layout: crate::input::GridLayout,
    w: u32,
    h: u32,
    regions: &[Region],
) -> Vec<bool> {
    let (cols, rows) = (layout.cols.max(1), layout.rows.max(1));
    (0..rows)
        .flat_map(|y| (0..cols).map(move |x| (x, y)))
        .map(|(x, y)| {
            let px = (f64::from(x) + 0.5) * f64::from(w) / f64::from(cols);
            let py = (f64::from(y) + 0.5) * f64::from(h) / f64::from(rows);
            regions.iter().any(|r| {
                px >= f64::from(r.x)
                    && px < f64::from(r.x) + f64::from(r.w)
                    && py >= f64::from(r.y)
                    && py < f64::from(r.y) + f64::from(r.h)
            })
        })
        .collect()
}

/// What a photo supplied (`inputs[].used_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhotoUse {
    /// Hair pixels.
    Hair,
    /// Scalp pixels.
    Scalp,
    /// Both, separated automatically.
    Auto,
}

impl From<Role> for PhotoUse {
    fn from(r: Role) -> PhotoUse {
        match r {
            Role::Hair => PhotoUse::Hair,
            Role::Scalp => PhotoUse::Scalp,
        }
    }
}

/// How a role's pixels were selected (`hair.source`, `scalp.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PixelSource {
    /// Whole close-up photos.
    Photos,
    /// Rectangles of a photo.
    Regions,
    /// Photos and rectangles.
    Mixed,
    /// The automatic separation of one photo.
    Auto,
}

/// How the stubble look was measured (`stubble.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StubbleSource {
    /// Hair and scalp pixels of the automatically separated photo.
    Auto,
    /// The mean of every hair pixel given: a hair region drawn over stubble includes the skin
    /// between hairs.
    HairPixels,
}

/// How one photo was used.
#[derive(Debug, Clone)]
pub struct InputUse {
    /// Decoded photo facts.
    pub info: PhotoInfo,
    /// Role(s) it supplied.
    pub used_for: Vec<PhotoUse>,
    /// Regions read (empty: whole photo).
    pub regions: Vec<(Role, Region)>,
    /// Regions left out of the automatic separation.
    pub excluded: Vec<Region>,
    /// Pixels sampled from it (all roles).
    pub pixels_sampled: usize,
    /// Sampled pixels skipped as fully transparent.
    pub pixels_transparent: usize,
}

/// The look of hair at conversational distance: the optical (linear-light) average of the
/// hair-bearing area, hair and the skin between hairs together. This is what a treated
/// area's average of dots and skin must reproduce (docs/model.md § Dot scale).
#[derive(Debug, Clone, Copy)]
pub struct Stubble {
    /// Area average.
    pub lab: Lab,
    /// Share of hair among hair and scalp pixels (automatic separation only).
    pub hair_area_fraction: Option<f32>,
    /// How it was measured.
    pub source: StubbleSource,
}

/// Everything measured from the photos.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Photos read, in command-line order.
    pub inputs: Vec<InputUse>,
    /// How the hair pixels were selected.
    pub hair_source: Option<PixelSource>,
    /// See `hair_source`.
    pub scalp_source: Option<PixelSource>,
    /// Hair tones (None when no hair pixels were selected).
    pub hair: Option<RoleTones>,
    /// Scalp tones.
    pub scalp: Option<RoleTones>,
    /// Scalp ITA° and class.
    pub ita: Option<(f32, SkinCategory)>,
    /// The area look of the hair-bearing area (None without hair pixels).
    pub stubble: Option<Stubble>,
    /// The automatic separation, when used.
    pub auto: Option<AutoSeparation>,
    /// The untreated skin given as a reference, when given.
    pub skin_reference: Option<SkinReference>,
    /// Everything the user should know.
    pub warnings: Vec<crate::warning::Warning>,
}

/// The person's untreated skin measured in the same photo (`--skin-reference-region`), to
/// tell a red (sunburnt or freshly treated) scalp from the skin it will heal to.
#[derive(Debug, Clone)]
pub struct SkinReference {
    /// Mean colour (in linear light) of its pixels inside the Tukey fences on L*.
    pub lab: Lab,
    /// Pixels sampled.
    pub pixels: usize,
    /// Scalp target a* minus the reference's a* (None without a scalp target).
    pub scalp_delta_a: Option<f32>,
    /// `match` only, when the scalp is red ([`SCALP_RED_DELTA_A`]): the best recipe with the
    /// scalp measured at the reference's redness.
    pub best_if_not_red: Option<BestIfNotRed>,
}

/// The ranking's answer with a red scalp's a* brought down to its reference skin's.
#[derive(Debug, Clone)]
pub struct BestIfNotRed {
    /// Recipe id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Clinic dilution step (parts diluent per part ink).
    pub dilution: f64,
    /// Whether it differs (recipe or dilution) from the recommendation on the red scalp.
    pub changes_recommendation: bool,
}

impl SkinReference {
    /// The scalp's excess redness over the reference when above [`SCALP_RED_DELTA_A`].
    pub fn red_excess(&self) -> Option<f32> {
        self.scalp_delta_a.filter(|&d| d > SCALP_RED_DELTA_A)
    }
}

/// How much redder (Δa*) than the reference skin a scalp may be before it is called red:
/// 2.5, the colorimetric threshold for a minimal erythema (COLIPA's Δa* = 2.5; measured at the
/// visually judged minimal erythema dose: Δa* = 1.88 ± 0.8, Lee et al., Biomedicines 12(11)
/// 2544, 2024). Body sites differ too (forearm a* ≈ 6, forehead and cheek ≈ 11.5: Xiao et al.,
/// Skin Res Technol 23(1), 2017), so the reference should be the forehead or temple.
pub const SCALP_RED_DELTA_A: f32 = 2.5;

impl Analysis {
    /// Hair target and scalp target, or an error naming what is missing.
    pub fn targets(&self) -> Result<(Lab, Lab)> {
        let names: Vec<&str> = self.inputs.iter().map(|u| u.info.path.as_str()).collect();
        let path = self.inputs.first().map(|u| PathBuf::from(&u.info.path));
        let hair = self.hair.as_ref().ok_or_else(|| Error::Analysis {
            path: path.clone(),
            message: match (&self.auto, &self.scalp) {
                // Say why: the automatic separation only takes hair darker than the scalp.
                (Some(_), Some(scalp)) => format!(
                    "{}: no hair pixels: the automatic separation takes as hair colours at \
                     least {} L* darker than the scalp (L* {:.0} here), and lighter ones only \
                     where the photo has the texture of strands, so blond, grey or white hair \
                     lying flat or blown out by light, hair as light as the skin, or stubble too \
                     fine to see, is not found; give --hair-region X,Y,W,H on the hair (or \
                     --hair CLOSE-UP)",
                    names.join(", "),
                    crate::analysis::classify::HAIR_MIN_DARKER_L,
                    scalp.target.l
                ),
                _ => format!(
                    "{}: no hair pixels: give --hair PHOTO or --hair-region, or one photo for \
                     automatic separation that shows hair",
                    names.join(", ")
                ),
            },
        })?;
        let scalp = self.scalp.as_ref().ok_or_else(|| Error::Analysis {
            path: path.clone(),
            message: format!(
                "{}: no scalp pixels: give --scalp PHOTO or --scalp-region, or one photo for \
                 automatic separation that shows scalp",
                names.join(", ")
            ),
        })?;
        Ok((hair.target, scalp.target))
    }
}

fn source_name(photos: bool, regions: bool) -> Option<PixelSource> {
    match (photos, regions) {
        (true, true) => Some(PixelSource::Mixed),
        (true, false) => Some(PixelSource::Photos),
        (false, true) => Some(PixelSource::Regions),
        (false, false) => None,
    }
}

/// Run the analysis (on rayon's pool, see [`crate::parallel::on_pool`]).
pub fn analyze(sel: &Selection, opts: &AnalyzeOptions) -> Result<Analysis> {
    crate::parallel::on_pool(|| analyze_on_pool(sel, opts))
}

fn analyze_on_pool(sel: &Selection, opts: &AnalyzeOptions) -> Result<Analysis> {
    let has_regions = !sel.hair_regions.is_empty() || !sel.scalp_regions.is_empty();
    let has_role_photos = !sel.hair_photos.is_empty() || !sel.scalp_photos.is_empty();
    if !sel.exclude_regions.is_empty() && sel.photo.is_none() {
        return Err(Error::usage(
            "--exclude-region needs the photo it refers to, given as PHOTO",
        ));
    }
    if has_regions && sel.photo.is_none() {
        return Err(Error::usage(
            "--hair-region/--scalp-region need the photo they refer to, given as PHOTO",
        ));
    }
    let from_stdin = sel
        .photo
        .iter()
        .chain(&sel.hair_photos)
        .chain(&sel.scalp_photos)
        .filter(|p| p.as_path() == std::path::Path::new("-"))
        .count();
    if from_stdin > 1 {
        return Err(Error::usage(
            "standard input ('-') holds one photo: give '-' at most once, the others as files",
        ));
    }
    if sel.photo.is_none() && !has_role_photos {
        return Err(Error::usage(
            "no photo given: pass PHOTO (automatic separation or regions), or --hair/--scalp \
             photos",
        ));
    }
    if sel.photo.is_some() && !has_regions && has_role_photos {
        return Err(Error::usage(
            "PHOTO given with --hair/--scalp photos but without regions: say which part of it \
             is hair or scalp (--hair-region/--scalp-region), or pass it as --hair/--scalp",
        ));
    }

    let mut inputs = Vec::new();
    let mut warnings = Vec::new();
    let mut hair_px: Vec<Lab> = Vec::new();
    let mut scalp_px: Vec<Lab> = Vec::new();
    let mut auto = None;
    let mut reference: Option<SkinReference> = None;
    if !sel.reference_regions.is_empty() && sel.photo.is_none() {
        return Err(Error::usage(
            "--skin-reference-region needs the photo it refers to, given as PHOTO",
        ));
    }

    if let Some(path) = &sel.photo {
        let photo = opts.load(path, &mut warnings)?;
        let mut usage = InputUse {
            info: photo.info.clone(),
            used_for: Vec::new(),
            regions: Vec::new(),
            excluded: Vec::new(),
            pixels_sampled: 0,
            pixels_transparent: 0,
        };
        if has_regions {
            for (role, regions, pool) in [
                (Role::Hair, &sel.hair_regions, &mut hair_px),
                (Role::Scalp, &sel.scalp_regions, &mut scalp_px),
            ] {
                for &r in regions {
                    let mut s = photo.sample_lab(Some(r), opts.max_samples)?;
                    s.lab = opts.correct(s.lab);
                    if s.lab.is_empty() {
                        return Err(Error::photo(
                            path,
                            format!("{} region {r} holds no opaque pixel", role.name()),
                        ));
                    }
                    usage.pixels_sampled += s.lab.len();
                    usage.pixels_transparent += s.transparent;
                    let g = s.layout.and_then(|l| shading::across(&s.lab, l, |_| true));
                    warnings.extend(gradient_warning(role, g, Some(r)));
                    pool.extend(s.lab);
                    usage.regions.push((role, r));
                    if !usage.used_for.contains(&role.into()) {
                        usage.used_for.push(role.into());
                    }
                }
            }
        } else {
            for &r in &sel.exclude_regions {
                photo.check_region(r)?;
            }
            let (pw, ph) = (photo.info.width, photo.info.height);
            // A colour card in the photo would be read as hair and scalp: its patches include
            // black and two skin colours that the colour rules accept. The automatic
            // separation is not attempted; regions (or a crop) make the photo usable, and a
            // photo of the card alone belongs to `calibrate`. The check and the sampling and
            // separation are independent, so they run side by side (the separation's result
            // is dropped when a card is found; errors are reported in the order of a serial
            // run: sampling, card, separation).
            // The separation is fitted on a fixed grid of the photo, the same whatever
            // --max-samples is, so the sampling density cannot move the hair/scalp split.
            type Separated = Option<(segment::AutoSeparation, crate::input::Samples)>;
            let (card, sampled) = rayon::join(
                || crate::calibration::card_share(&photo),
                || -> Result<((usize, usize), Result<Separated>)> {
                    let mut s = photo.sample_lab(None, opts.max_samples)?;
                    s.lab = opts.correct(s.lab);
                    // Cells of the sample grid inside excluded regions (none when no region
                    // is excluded, or when the samples' places are unknown: a photo with
                    // transparency, whose samples are all kept).
                    let excluded = match s.layout {
                        Some(l) if !sel.exclude_regions.is_empty() => {
                            excluded_cells(l, pw, ph, &sel.exclude_regions)
                        }
                        _ => Vec::new(),
                    };
                    if !excluded.is_empty() {
                        let mut k = excluded.iter();
                        s.lab.retain(|_| !k.next().copied().unwrap_or(false));
                    }
                    let counts = (s.lab.len(), s.transparent);
                    if s.lab.is_empty() {
                        return Ok((counts, Ok(None)));
                    }
                    let separate = || -> Result<Separated> {
                        let mut grid = photo.sample_lab(None, tones::FIT_SAMPLES)?;
                        grid.lab = opts.correct(grid.lab);
                        let left_out = match grid.layout {
                            Some(l) if !sel.exclude_regions.is_empty() => {
                                excluded_cells(l, pw, ph, &sel.exclude_regions)
                            }
                            _ => Vec::new(),
                        };
                        // Where each sample lies on the fit grid, so regions can be judged
                        // by place.
                        let cells: Option<Vec<u32>> = match (s.layout, grid.layout) {
                            (Some(sl), Some(gl)) => Some(
                                (0..sl.cols as usize * sl.rows as usize)
                                    .filter(|&k| !excluded.get(k).copied().unwrap_or(false))
                                    .map(|k| segment::cell_in(k, sl, gl))
                                    .collect(),
                            ),
                            _ => None,
                        };
                        // Texture is read only when the samples' places are known (no
                        // transparency), the only case the texture rule can use it.
                        let texture = cells
                            .as_ref()
                            .map(|_| photo.grid_texture(tones::FIT_SAMPLES));
                        let place = segment::Placement {
                            layout: grid.layout,
                            left_out: &left_out,
                            sample_cells: cells.as_deref(),
                            texture: texture.as_deref(),
                        };
                        let sep = segment::auto_separate_excluding(
                            s.lab,
                            &grid.lab,
                            &place,
                            opts.tones.seed,
                        );
                        Ok(Some((sep, grid)))
                    };
                    Ok((counts, separate()))
                },
            );
            let ((pixels_sampled, pixels_transparent), separated) = sampled?;
            if !sel.exclude_regions.is_empty() {
                usage.excluded = sel.exclude_regions.clone();
            }
            usage.pixels_sampled = pixels_sampled;
            usage.pixels_transparent = pixels_transparent;
            usage.used_for.push(PhotoUse::Auto);
            if let Some(share) = card {
                return Err(Error::Analysis {
                    path: Some(path.clone()),
                    message: format!(
                        "{}: a colour card covers {:.0} % of this photo, and its patches would be \
                         taken for hair and scalp; use a photo of the card with `smpmatch \
                         calibrate`, and for the patient give --hair-region/--scalp-region (or \
                         crop the card out)",
                        path.display(),
                        100.0 * share
                    ),
                });
            }
            let Some((mut sep, grid)) = separated? else {
                return Err(Error::Analysis {
                    path: Some(path.clone()),
                    message: format!(
                        "{}: no opaque pixel was sampled ({} fully transparent)",
                        path.display(),
                        pixels_transparent
                    ),
                });
            };

            if sep.scalp.is_empty() {
                return Err(Error::Analysis {
                    path: Some(path.clone()),
                    message: format!(
                        "{}: automatic separation found no skin-like colour; give \
                         --hair-region/--scalp-region or --hair/--scalp close-ups",
                        path.display()
                    ),
                });
            }
            let centroids: Vec<Lab> = sep.clusters.iter().map(|c| c.lab).collect();
            let mut gradients = Vec::new();
            for (role, class) in [
                (Role::Hair, segment::ClusterClass::Hair),
                (Role::Scalp, segment::ClusterClass::Scalp),
            ] {
                let keep = |p: Lab| sep.clusters[tones::nearest(p, &centroids).0].class == class;
                let g = grid
                    .layout
                    .and_then(|l| shading::across(&grid.lab, l, keep));
                // Halves of one role that differ this much mean no single target is within
                // the 3 ΔE00 the confidence promises for every part of it.
                if g.is_some_and(|g| g.de00 > shading::GRADIENT_DE00) {
                    sep.lower_confidence(0.7);
                }
                gradients.extend(gradient_warning(role, g, None));
            }
            warnings.extend(sep.warnings.iter().cloned());
            warnings.extend(gradients);
            hair_px = sep.hair.clone();
            scalp_px = sep.scalp.clone();
            auto = Some(sep);
        }
        if !sel.reference_regions.is_empty() {
            let mut px = Vec::new();
            for &r in &sel.reference_regions {
                let mut s = photo.sample_lab(Some(r), opts.max_samples)?;
                if s.lab.is_empty() {
                    return Err(Error::photo(
                        path,
                        format!("skin reference region {r} holds no opaque pixel"),
                    ));
                }
                s.lab = opts.correct(s.lab);
                px.extend(s.lab);
            }
            let pixels = px.len();
            let (kept, _) = tones::trim_lightness(px);
            reference = mean_linear(&kept).map(|lab| SkinReference {
                lab,
                pixels,
                scalp_delta_a: None,
                best_if_not_red: None,
            });
        }
        photo.release();
        inputs.push(usage);
    }
    for (role, photos, pool) in [
        (Role::Hair, &sel.hair_photos, &mut hair_px),
        (Role::Scalp, &sel.scalp_photos, &mut scalp_px),
    ] {
        for path in photos {
            let photo = opts.load(path, &mut warnings)?;
            let mut s = photo.sample_lab(None, opts.max_samples)?;
            s.lab = opts.correct(s.lab);
            if s.lab.is_empty() {
                return Err(Error::Analysis {
                    path: Some(path.clone()),
                    message: format!(
                        "{}: no opaque pixel was sampled ({} fully transparent)",
                        path.display(),
                        s.transparent
                    ),
                });
            }
            inputs.push(InputUse {
                info: photo.info.clone(),
                used_for: vec![role.into()],
                regions: Vec::new(),
                excluded: Vec::new(),
                pixels_sampled: s.lab.len(),
                pixels_transparent: s.transparent,
            });
            pool.extend(s.lab);
        }
    }

    let (hair_source, scalp_source) = if auto.is_some() {
        (Some(PixelSource::Auto), Some(PixelSource::Auto))
    } else {
        (
            source_name(!sel.hair_photos.is_empty(), !sel.hair_regions.is_empty()),
            source_name(!sel.scalp_photos.is_empty(), !sel.scalp_regions.is_empty()),
        )
    };

    // The stubble look of the automatic separation is computed beside the tone fits below;
    // with regions or close-ups it is the hair pixels' mean.
    let auto_stubble = |sep: &segment::AutoSeparation| {
        // The treated area: hair, scalp, and the edges where strands blend into skin (which
        // count towards the hair area by their hair share).
        let n = sep.hair.len() + sep.scalp.len() + sep.edge.len();
        let mut all = Vec::with_capacity(n);
        all.extend_from_slice(&sep.hair);
        all.extend_from_slice(&sep.scalp);
        all.extend_from_slice(&sep.edge);
        let hair_area = sep.hair.len() as f32 + sep.edge_hair_share * sep.edge.len() as f32;
        mean_linear(&all)
            .filter(|_| !sep.hair.is_empty())
            .map(|lab| Stubble {
                lab,
                hair_area_fraction: Some(hair_area / n.max(1) as f32),
                source: StubbleSource::Auto,
            })
    };
    let hair_stubble = if auto.is_none() {
        mean_linear(&hair_px).map(|lab| Stubble {
            lab,
            hair_area_fraction: None,
            source: StubbleSource::HairPixels,
        })
    } else {
        None
    };

    if hair_px.is_empty() && auto.is_some() {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::NoHairPixels,
            format!(
                "no hair pixels were found in the photo (the automatic separation takes as hair \
                 colours at least {} L* darker than the scalp, and lighter ones only where the \
                 photo has the texture of strands: smooth or blown-out blond, grey or white \
                 hair needs a --hair-region)",
                crate::analysis::classify::HAIR_MIN_DARKER_L
            ),
        ));
    }
    for (role, px, photos) in [
        (Role::Hair, &hair_px, &sel.hair_photos),
        (Role::Scalp, &scalp_px, &sel.scalp_photos),
    ] {
        if !px.is_empty() && px.len() < MIN_ROLE_PIXELS {
            let from: Vec<String> = sel
                .photo
                .iter()
                .chain(photos)
                .map(|p| p.display().to_string())
                .collect();
            return Err(Error::Analysis {
                path: sel.photo.clone().or_else(|| photos.first().cloned()),
                message: format!(
                    "{}: only {} {} pixel{} sampled, below the {MIN_ROLE_PIXELS} a tone needs: give a \
                     larger region or close-up, or raise --max-samples (now {})",
                    from.join(", "),
                    px.len(),
                    role.name(),
                    if px.len() == 1 { " was" } else { "s were" },
                    opts.max_samples
                ),
            });
        }
    }
    // The two roles are fitted at the same time (their serial parts overlap); only the hair
    // target needs the scalp's, and it is chosen afterwards.
    let fit = |role, px: Vec<Lab>| {
        if px.is_empty() {
            None
        } else {
            tones::fit_role(role, px, opts.tones)
        }
    };
    // Hair found by texture is blended from all its pixels (see below): kept for that.
    let by_texture = auto.as_ref().is_some_and(|s| s.light_hair.is_some());
    let blend_px = if by_texture {
        hair_px.clone()
    } else {
        Vec::new()
    };
    let (stubble, (scalp, hair)) = rayon::join(
        || auto.as_ref().map_or(hair_stubble, auto_stubble),
        || rayon::join(|| fit(Role::Scalp, scalp_px), || fit(Role::Hair, hair_px)),
    );
    let scalp = scalp.map(|f| tones::choose_target(f, None));
    // Hair found by its texture is taken whole, as a region is: its light strands are the
    // hair, not scalp showing through it, so no tone is passed over for being light.
    let hair = hair.map(|f| {
        let t = tones::choose_target(f, scalp.as_ref().map(|s| s.target).filter(|_| !by_texture));
        if by_texture {
            tones::blended(t, &blend_px)
        } else {
            t
        }
    });
    for t in [&scalp, &hair].into_iter().flatten() {
        warnings.extend(t.warnings.iter().map(|w| {
            crate::warning::Warning::new(w.code, format!("{}: {}", t.role.name(), w.message))
        }));
    }
    let ita = scalp.as_ref().map(|s| {
        let ita = ita_deg(s.target);
        if s.target.b <= 0.0 {
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::ItaNotMeaningful,
                format!(
                "scalp target has b* = {:.1} ≤ 0, outside the range of skin; ITA is not meaningful",
                s.target.b
            ),
            ));
        }
        (ita, SkinCategory::from_ita(ita))
    });
    if let (Some(r), Some(s)) = (reference.as_mut(), scalp.as_ref()) {
        let da = s.target.a - r.lab.a;
        r.scalp_delta_a = Some(da);
        if r.red_excess().is_some() {
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::ScalpRedderThanReference,
                format!(
                    "the scalp is redder than the reference skin by Δa* {da:.1} (scalp a* {:.1}, \
                     reference a* {:.1}; {SCALP_RED_DELTA_A} marks a just-visible erythema): a \
                     sunburnt or freshly treated scalp measures the wrong skin; measure again \
                     when the redness has gone (a few days after a session, longer after sun)",
                    s.target.a, r.lab.a
                ),
            ));
        }
    }
    Ok(Analysis {
        inputs,
        hair_source,
        scalp_source,
        hair,
        scalp,
        ita,
        stubble,
        auto,
        skin_reference: reference,
        warnings,
    })
}

fn note_icc(photo: &Photo, warnings: &mut Vec<crate::warning::Warning>) {
    warnings.extend(photo.info.notes.iter().cloned());
    if let Some(why) = &photo.info.icc_problem {
        warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::IccProfileUnusable,
            format!(
                "{}: {why}; the pixels were read as sRGB and may measure off",
                photo.info.path
            ),
        ));
    }
}

/// The warning for a lighting gradient above [`shading::GRADIENT_DE00`] across a role's
/// pixels (in `region`, or across the photo).
fn gradient_warning(
    role: Role,
    g: Option<shading::Gradient>,
    region: Option<Region>,
) -> Option<crate::warning::Warning> {
    let g = g.filter(|g| g.de00 > shading::GRADIENT_DE00)?;
    let (place, cause) = match region {
        Some(r) => (format!("in region {r}"), "side light or flash fall-off"),
        None => (
            "across the photo".to_string(),
            "side light, flash fall-off, or different things taken for the same role",
        ),
    };
    Some(crate::warning::Warning::new(
        crate::warning::WarningCode::LightingGradient,
        format!(
            "the {} pixels {place} are lit unevenly: the {} half is {:.1} ΔE00 lighter than the \
             {} half ({cause}), so the target depends on where it is \
             measured; photograph in even light, or give a region lit as the treated area is",
            role.name(),
            g.lighter,
            g.de00,
            g.darker
        ),
    ))
}
