//! `catalog measure` (swatches in a calibrated photo) and `catalog fit-fading` (fading,
//! migration and spread from dated follow-ups): measurements written into a catalog, locked and atomically.

use std::path::{Path, PathBuf};

use crate::catalog::fit::{FadingFit, Refusal};
use crate::color::{delta_e00, lab_from_array};
use crate::error::{Error, Result};

/// One swatch measured.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredSwatch {
    /// Pigment id.
    pub pigment_id: String,
    /// The new catalog colour (CIELAB D65).
    pub lab: [f64; 3],
    /// What was measured: the masstone (or healed swatch) colour, or a tint.
    pub tint: bool,
    /// The colour it replaces (none for a first tint).
    pub previous_lab: Option<[f64; 3]>,
    /// ΔE00 between the two.
    pub change_de00: Option<f32>,
    /// Spread of the swatch's pixels (ΔE00): above [`SWATCH_FLAT_DE00`] it is not flat.
    pub spread_de00: f32,
    /// Pixels measured.
    pub pixels: usize,
}

/// What [`measure`] did.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Whether the catalog was written (not a dry run).
    pub written: bool,
    /// Where the previous file was kept.
    pub backup: Option<PathBuf>,
    /// Each swatch, in the order given.
    pub swatches: Vec<MeasuredSwatch>,
    /// Lighting and flatness warnings.
    pub warnings: Vec<crate::warning::Warning>,
}

/// What [`fit_fading`] did.
#[derive(Debug, Clone)]
pub struct FadingFitted {
    /// Whether the catalog was written (not a dry run).
    pub written: bool,
    /// Where the previous file was kept.
    pub backup: Option<PathBuf>,
    /// The pigments fitted.
    pub fits: Vec<FadingFit>,
    /// The pigments left out, with the reason.
    pub refusals: Vec<Refusal>,
    /// Depth, migration and spread, and whether each was written.
    pub ageing: Vec<crate::catalog::fit::AgeingFit>,
}

/// A swatch to measure: which pigment, and where it is in the photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Swatch {
    /// Pigment id in the catalog.
    pub pigment_id: String,
    /// Rectangle of the swatch in the photo.
    pub region: crate::input::Region,
}

/// What `catalog measure` is asked to do.
#[derive(Debug, Clone)]
pub struct MeasureRequest {
    /// The photo holding the swatches.
    pub photo: std::path::PathBuf,
    /// The calibration profile for that photo's light.
    pub profile: std::path::PathBuf,
    /// The swatches (each pigment once).
    pub swatches: Vec<Swatch>,
    /// What the swatches are: `MasstoneDrawdown` or `HealedSwatch`.
    pub method: crate::catalog::Method,
    /// Skin beside healed swatches (required for `HealedSwatch`).
    pub skin_region: Option<crate::input::Region>,
    /// Months since healed swatches were made.
    pub months_healed: Option<f64>,
    /// Measurement date, YYYY-MM-DD (default: the photo's EXIF date).
    pub date: Option<String>,
    /// Report without writing.
    pub dry_run: bool,
    /// The swatches are tints (let-downs of each ink in a white), not masstones: they are
    /// written as each pigment's `tint`, its masstone kept.
    pub tint: Option<TintRequest>,
}

/// How the tint swatches were made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TintRequest {
    /// The ink's pigment mass share in the let-down, in (0, 1).
    pub ink_share: f64,
    /// The white drawn down beside the tints (else the catalog's default white).
    pub white_region: Option<crate::input::Region>,
}

/// A swatch whose spread is above this (ΔE00) is not flat: texture, glare or an edge.
pub const SWATCH_FLAT_DE00: f32 = 3.0;

/// Measure pigment swatches in a calibrated photo and write them into the catalog at
/// `catalog_path` (locked, atomically, the previous file kept as `.bak`, the old values in
/// each pigment's `history`). With `dry_run`, nothing is written.
pub fn measure(catalog_path: &Path, req: &MeasureRequest) -> Result<Measured> {
    use crate::calibration::{self, Profile};
    use crate::catalog::{HistoryEntry, Measurement, Method};
    use crate::color::lab_to_array;
    use crate::input::{LoadLimits, Photo};

    let mut ids = std::collections::HashSet::new();
    if let Some(dup) = req
        .swatches
        .iter()
        .find(|s| !ids.insert(s.pigment_id.as_str()))
    {
        return Err(Error::usage(format!(
            "--swatch {}: this pigment is given twice; measure it once per run",
            dup.pigment_id
        )));
    }
    let healed = req.method == Method::HealedSwatch;
    if let Some(t) = req.tint {
        if healed {
            return Err(Error::usage(
                "a swatch is a tint or a healed swatch, not both",
            ));
        }
        if !(t.ink_share > 0.0 && t.ink_share < 1.0) {
            return Err(Error::usage(format!(
                "--ink-share must lie strictly between 0 and 1 (the ink's share of the \
                 let-down's pigment), got {}",
                t.ink_share
            )));
        }
    }
    if !matches!(req.method, Method::MasstoneDrawdown | Method::HealedSwatch) {
        return Err(Error::usage(
            "a swatch is measured as a masstone drawdown or a healed swatch",
        ));
    }
    let update = crate::catalog::Update::begin(
        catalog_path,
        req.dry_run,
        &[("the photo", &req.photo), ("the profile", &req.profile)],
    )?;
    let cat = &update.catalog;
    let profile = Profile::load(&req.profile)?;
    let photo = Photo::load(&req.photo, LoadLimits::default())?;
    let mut warnings = calibration::lighting_warnings(&profile, &photo);
    let skin = match (healed, req.skin_region) {
        (true, None) => {
            return Err(Error::usage(
                "--method healed-swatch needs --skin-region X,Y,W,H (the skin beside the \
                 swatches)",
            ))
        }
        (_, Some(r)) => Some(calibration::measure_region(
            &photo,
            r,
            Some(&profile.correction),
        )?),
        _ => None,
    };
    let date = req.date.clone().or_else(|| {
        calibration::ExifFacts::read(&photo.path)
            .and_then(|e| e.date_time)
            .map(|d| d.chars().take(10).collect::<String>().replace(':', "-"))
    });
    let white = match req.tint.and_then(|t| t.white_region) {
        Some(r) => Some(calibration::measure_region(
            &photo,
            r,
            Some(&profile.correction),
        )?),
        None => None,
    };
    let updated_params = cat.model_params();
    let mut updated = cat.clone();
    let mut measured = Vec::new();
    for sw in &req.swatches {
        let Some(p) = updated.pigments.iter_mut().find(|p| p.id == sw.pigment_id) else {
            let known: Vec<&str> = cat.pigments.iter().map(|p| p.id.as_str()).collect();
            return Err(Error::usage(format!(
                "--swatch {}: no pigment with this id in {} (ids: {})",
                sw.pigment_id,
                catalog_path.display(),
                known.join(", ")
            )));
        };
        let m = calibration::measure_region(&photo, sw.region, Some(&profile.correction))?;
        if m.spread_de00 > SWATCH_FLAT_DE00 {
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::SwatchNotFlat,
                format!(
                    "{}: the swatch rectangle is not flat (spread {:.1} ΔE00): texture, glare \
                 or an edge inside it",
                    sw.pigment_id, m.spread_de00
                ),
            ));
        }
        if let Some(t) = req.tint {
            let previous = p.tint.map(|x| x.lab);
            p.tint = Some(crate::catalog::Tint {
                lab: lab_to_array(m.lab),
                ink_share: t.ink_share,
                white_lab: white.map(|w| lab_to_array(w.lab)),
            });
            let (_, inconsistent) = p.constituents(&updated_params);
            if inconsistent {
                warnings.push(crate::warning::Warning::new(
                    crate::warning::WarningCode::TintInconsistent,
                    format!(
                        "{}: the tint is not between the white and the ink's masstone at every \
                         wavelength, so the model uses the masstone alone; re-measure the \
                         masstone or check --ink-share",
                        sw.pigment_id
                    ),
                ));
            }
            measured.push(MeasuredSwatch {
                pigment_id: sw.pigment_id.clone(),
                tint: true,
                lab: lab_to_array(m.lab),
                previous_lab: previous,
                change_de00: previous.map(|v| delta_e00(m.lab, lab_from_array(v))),
                spread_de00: m.spread_de00,
                pixels: m.pixels,
            });
            continue;
        }
        let previous = p.lab;
        p.history.push(HistoryEntry {
            lab: p.lab,
            measurement: p.measurement.clone(),
        });
        p.lab = lab_to_array(m.lab);
        p.measurement = Measurement {
            method: req.method,
            source: format!(
                "smpmatch catalog measure: photo {}, region {}, profile {} ({}, held-out \
                 ΔE00 {:.2}, card photo {})",
                photo.path.display(),
                sw.region,
                req.profile.display(),
                profile.correction.model.name(),
                profile.residuals.held_out_mean_de00,
                profile.source_photo
            ),
            date: date.clone(),
            skin_lab: skin.map(|s| lab_to_array(s.lab)),
            months_healed: if healed { req.months_healed } else { None },
        };
        measured.push(MeasuredSwatch {
            pigment_id: sw.pigment_id.clone(),
            tint: false,
            lab: p.lab,
            previous_lab: Some(previous),
            change_de00: Some(delta_e00(m.lab, lab_from_array(previous))),
            spread_de00: m.spread_de00,
            pixels: m.pixels,
        });
    }
    let backup = update.commit(&updated)?;
    Ok(Measured {
        written: !req.dry_run,
        backup,
        swatches: measured,
        warnings,
    })
}

/// Fit pigments' fading half-lives from dated follow-ups (`followups`, a CSV) and write them
/// into the catalog at `catalog_path` (as [`measure`] writes). Fails when no pigment could be
/// fitted; each pigment left out is listed with its reason.
pub fn fit_fading(catalog_path: &Path, followups: &Path, dry_run: bool) -> Result<FadingFitted> {
    fit_fading_from(
        catalog_path,
        ("the follow-ups file", followups),
        || crate::catalog::fit::load_followups(followups),
        dry_run,
    )
}

/// [`fit_fading`] with the follow-ups from elsewhere (the consultation records):
/// `source` names them and is never written over; `rows` reads them once the catalog is
/// known to be writable.
pub fn fit_fading_from(
    catalog_path: &Path,
    source: (&str, &Path),
    rows: impl FnOnce() -> Result<Vec<crate::catalog::fit::FollowUp>>,
    dry_run: bool,
) -> Result<FadingFitted> {
    let followups = source.1;
    let update = crate::catalog::Update::begin(catalog_path, dry_run, &[source])?;
    let cat = &update.catalog;
    let rows = rows()?;
    let params = cat.model_params();
    let crate::catalog::fit::Fitted {
        fits,
        refusals,
        ageing,
        params: fitted,
    } = crate::catalog::fit::fit(cat, &rows, &params);
    if fits.is_empty() {
        let why: Vec<String> = refusals
            .iter()
            .map(|r| format!("{}: {}", r.pigment_id, r.reason))
            .collect();
        return Err(Error::Analysis {
            path: Some(followups.to_path_buf()),
            message: format!("no pigment could be fitted — {}", why.join("; ")),
        });
    }
    let mut updated = cat.clone();
    for f in &fits {
        if let Some(p) = updated.pigments.iter_mut().find(|p| p.id == f.pigment_id) {
            p.fading = Some(crate::model::Fading {
                half_life_months: f.half_life_months,
                sun_sensitivity: f.sun_sensitivity,
                plateau: f.plateau,
            });
            let plateau = match f.plateau_ci95 {
                Some((lo, hi)) => format!("plateau {} fitted (95 % {lo}–{hi})", f.plateau),
                None if f.plateau_fitted => format!("plateau {} fitted", f.plateau),
                None => format!(
                    "plateau {} held (fitting it needs {} follow-ups at {} different months)",
                    f.plateau,
                    crate::catalog::fit::MIN_POINTS_PLATEAU,
                    crate::catalog::fit::MIN_MONTHS_PLATEAU
                ),
            };
            p.fading_source = Some(format!(
                "smpmatch catalog fit-fading: {} follow-ups from {}; half-life 95 % \
                 interval {}–{} months; {plateau}",
                f.points,
                followups.display(),
                f.ci95_months.0,
                f.ci95_months
                    .1
                    .map_or("unbounded".to_string(), |v| v.to_string())
            ));
        }
    }
    let written: Vec<&crate::catalog::fit::AgeingFit> =
        ageing.iter().filter(|a| a.written).collect();
    if !written.is_empty() {
        let m = updated.model.get_or_insert_with(Default::default);
        for a in &written {
            match a.parameter.as_str() {
                "migration_mm_per_year" => {
                    m.migration_mm_per_year = Some(fitted.migration_mm_per_year);
                }
                "spread_per_year" => m.spread_per_year = Some(fitted.spread_per_year),
                _ => {}
            }
        }
        let names: Vec<&str> = written.iter().map(|a| a.parameter.as_str()).collect();
        m.source = Some(format!(
            "smpmatch catalog fit-fading: {} fitted from {} follow-ups in {}",
            names.join(" and "),
            rows.len(),
            followups.display()
        ));
    }
    let backup = update.commit(&updated)?;
    Ok(FadingFitted {
        written: !dry_run,
        backup,
        fits,
        refusals,
        ageing,
    })
}
