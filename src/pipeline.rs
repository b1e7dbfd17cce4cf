//! The jobs end to end, as a library: photos → tones → model → ranking → plan → output
//! document. The binary, `batch`, the examples and the benches all call these; the command
//! line only parses flags into them and renders what they return.
//!
//! ```
//! use smpmatch::analysis::{AnalyzeOptions, Selection};
//! use smpmatch::pipeline::{match_patient, Treatment};
//!
//! let catalog_path = std::path::Path::new("pigments/smp_sample.json");
//! let catalog = smpmatch::catalog::load(catalog_path)?;
//! let photo = Selection {
//!     photo: Some("samples/shaved_light.jpg".into()),
//!     ..Selection::default()
//! };
//! let opts = AnalyzeOptions::default();
//! let m = match_patient(&photo, &opts, &Treatment::default(), &catalog, catalog_path)?;
//! let best = &m.ranking.candidates[0];
//! let shown = &m.output.ranking.as_ref().expect("match ranks")[0];
//! assert_eq!(shown.pigment_id, best.id);
//! println!("{}: {} parts diluent per part ink", shown.name, shown.dilution);
//! # Ok::<(), smpmatch::Error>(())
//! ```

use std::path::Path;

use crate::analysis::tones::KChoice;
use crate::analysis::{self, Analysis, AnalyzeOptions, BestIfNotRed, Selection};
use crate::calibration::Profile;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::model::{Dots, Sun};
use crate::output::{
    self, BuildContext, CalibrationOut, CatalogOut, DotsOut, MatchResult, Output, SettingsOut,
};
use crate::plan::{self, PlanOptions, DEFAULT_SESSIONS, DEFAULT_SPACING_WEEKS};
use crate::rank::{self, Candidate, RankOptions, Ranking, Setup, Targets};

/// Area coverage from which the dots read as a solid tattoo rather than stubble.
pub const SOLID_COVERAGE: f64 = 0.9;

/// The treatment being planned: how the ink will be placed and lived with.
#[derive(Debug, Clone, PartialEq)]
pub struct Treatment {
    /// Sun exposure of the treated scalp (changes the fading rate).
    pub sun: Sun,
    /// Timeline months (0 = healed).
    pub months: Vec<f64>,
    /// Healed dot size and density (the density ranks the inks; the plan recommends its own
    /// unless `density_fixed`).
    pub dots: Dots,
    /// The density was chosen by the user: the plan uses it instead of recommending one.
    pub density_fixed: bool,
    /// Depth of the pigment band, mm (`None`: the catalog's, else the model's default).
    pub depth_mm: Option<f64>,
    /// Sessions in the plan (2 or 3).
    pub sessions: usize,
    /// Weeks between sessions.
    pub session_weeks: f64,
    /// Search two-ink blends.
    pub blends: bool,
    /// Candidates kept in the output document (`None`: all).
    pub top: Option<usize>,
    /// Date of the first session: puts the plan on the calendar (`plan.dates`).
    pub first_session: Option<time::Date>,
}

impl Default for Treatment {
    fn default() -> Self {
        Treatment {
            sun: Sun::default(),
            months: rank::DEFAULT_MONTHS.to_vec(),
            dots: Dots::default(),
            density_fixed: false,
            depth_mm: None,
            sessions: usize::from(DEFAULT_SESSIONS),
            session_weeks: DEFAULT_SPACING_WEEKS,
            blends: true,
            top: None,
            first_session: None,
        }
    }
}

/// What `analyze` computes for one patient.
pub struct Analyzed {
    /// The output document (`analyze --json`).
    pub output: Output,
    /// The measurements behind it.
    pub analysis: Analysis,
}

/// What `match` computes for one patient.
pub struct Matched {
    /// The output document (`match --json`).
    pub output: Output,
    /// The measurements behind it.
    pub analysis: Analysis,
    /// Every candidate, best first (`output` may hold only the top ones).
    pub ranking: Ranking,
    /// Hair, scalp and stubble-look targets.
    pub targets: Targets,
    /// The ranking's settings, so a report models exactly what was ranked.
    pub rank_options: RankOptions,
}

impl Matched {
    /// The appearance set-up the ranking used, for a report that draws the candidates.
    pub fn setup<'a>(&self, catalog: &'a Catalog) -> Setup<'a> {
        let o = &self.rank_options;
        Setup::new(
            catalog,
            self.targets,
            o.params,
            o.dots,
            o.sun,
            o.half_life_scale,
        )
    }
}

/// The model parameters for a catalog (its `model` section over the defaults), with the
/// depth given on the command line, if any, over both.
pub fn model_params(catalog: &Catalog, depth_mm: Option<f64>) -> crate::model::ModelParams {
    let mut p = catalog.model_params();
    if let Some(d) = depth_mm {
        p.depth_mm = d;
    }
    p
}

/// What the ranking aims at, from an analysis: hair, scalp, and the stubble look (hair
/// and skin mixed in the proportion seen; the hair itself when no mixture was measured).
pub fn targets(analysis: &Analysis) -> Result<Targets> {
    let (hair, scalp) = analysis.targets()?;
    Ok(Targets {
        hair,
        scalp,
        stubble: analysis.stubble.map_or(hair, |s| s.lab),
    })
}

/// The analysis settings as the output document shows them.
fn settings(opts: &AnalyzeOptions) -> SettingsOut {
    SettingsOut {
        k: match opts.tones.k {
            KChoice::Auto => "auto".into(),
            KChoice::Fixed(k) => k.to_string(),
        },
        seed: opts.tones.seed,
        max_samples: opts.max_samples,
        sun: None,
        months: None,
        dots: None,
        sessions: None,
        session_spacing_weeks: None,
        blends: None,
    }
}

/// The profile applied, as the output document shows it.
fn calibration(opts: &AnalyzeOptions) -> Option<CalibrationOut> {
    let prof = opts.profile.as_ref()?;
    Some(CalibrationOut {
        // A profile fitted in memory (the web page's card photo) has no file.
        profile: prof.loaded_from.as_ref().map_or_else(
            || "(fitted in memory)".to_string(),
            |p| p.display().to_string(),
        ),
        model: prof.correction.model,
        reference_set: prof.reference_set,
        held_out_mean_de00: prof.residuals.held_out_mean_de00,
        after_mean_de00: prof.residuals.after_mean_de00,
        source_photo: prof.source_photo.clone(),
    })
}

/// Measure hair and scalp tones, the scalp's ITA and skin class (`smpmatch analyze`).
///
/// ```
/// use smpmatch::analysis::{AnalyzeOptions, Selection};
/// let photo = Selection {
///     photo: Some("samples/shaved_dark.jpg".into()),
///     ..Selection::default()
/// };
/// let a = smpmatch::pipeline::analyze(&photo, &AnalyzeOptions::default())?;
/// let scalp = a.output.scalp.as_ref().expect("a scalp");
/// // Painted at ITA −43° (samples/README.md).
/// assert_eq!(scalp.skin_category, smpmatch::color::SkinCategory::Dark);
/// # Ok::<(), smpmatch::Error>(())
/// ```
pub fn analyze(sel: &Selection, opts: &AnalyzeOptions) -> Result<Analyzed> {
    let analysis = analysis::analyze(sel, opts)?;
    let output = output::build(
        &analysis,
        None,
        BuildContext {
            command: crate::output::Command::Analyze,
            settings: settings(opts),
            catalog: None,
            calibration: calibration(opts),
        },
    );
    Ok(Analyzed { output, analysis })
}

/// Analyse, then rank every ink of `catalog` (and two-ink blends) by CIEDE2000 under the
/// healed and fading model, and plan the sessions for the best (`smpmatch match`).
/// `catalog_path` is only shown in the output.
pub fn match_patient(
    sel: &Selection,
    opts: &AnalyzeOptions,
    treatment: &Treatment,
    catalog: &Catalog,
    catalog_path: &Path,
) -> Result<Matched> {
    crate::parallel::on_pool(|| match_on_pool(sel, opts, treatment, catalog, catalog_path))
}

fn match_on_pool(
    sel: &Selection,
    opts: &AnalyzeOptions,
    treatment: &Treatment,
    catalog: &Catalog,
    catalog_path: &Path,
) -> Result<Matched> {
    let mut analysis = analysis::analyze(sel, opts)?;
    let targets = targets(&analysis)?;
    let dots = treatment.dots;
    // The hair target's standard error: its spread over the square root of its pixels.
    let target_standard_error = analysis.hair.as_ref().map_or(0.0, |h| {
        f64::from(h.target_spread_de00) / (h.target_pixels.max(1) as f64).sqrt()
    });
    let rank_options = RankOptions {
        measurement_de00: opts
            .profile
            .as_ref()
            .map_or(rank::UNCALIBRATED_DE00, Profile::uncertainty_de00),
        target_standard_error,
        sun: treatment.sun,
        months: treatment.months.clone(),
        dots,
        blends: treatment.blends,
        params: model_params(catalog, treatment.depth_mm),
        ..RankOptions::default()
    };
    let ranking = rank::rank(catalog, targets, &rank_options);
    let setup = Setup::new(
        catalog,
        targets,
        rank_options.params,
        dots,
        treatment.sun,
        rank_options.half_life_scale,
    );
    let popts = PlanOptions {
        sessions: treatment.sessions,
        spacing_weeks: treatment.session_weeks,
        dots,
        density_fixed: treatment.density_fixed,
    };
    let plan = ranking
        .candidates
        .first()
        .map(|best| plan::plan(&setup, best, &ranking.steps, &popts));
    if let (Some(r), Some(best)) = (analysis.skin_reference.as_mut(), ranking.candidates.first()) {
        r.best_if_not_red = r
            .red_excess()
            .and_then(|da| best_if_not_red(&analysis.stubble, targets, da, catalog, &rank_options))
            .map(|alt| BestIfNotRed {
                changes_recommendation: alt.id != best.id
                    || alt.dilution.step != best.dilution.step,
                id: alt.id.clone(),
                name: output::candidate_name(&alt),
                dilution: alt.dilution.step,
            });
        if let Some(alt) = &r.best_if_not_red {
            let effect = if alt.changes_recommendation {
                format!(
                    "measured at the reference's redness, the best would be {} at {} instead",
                    alt.name,
                    output::dilution_words(alt.dilution)
                )
            } else {
                "measured at the reference's redness, the recommendation stays the same".into()
            };
            for w in &mut analysis.warnings {
                if w.code == crate::warning::WarningCode::ScalpRedderThanReference {
                    w.message = format!("{}; {effect}", w.message);
                }
            }
        }
    }
    let mut st = settings(opts);
    st.sun = Some(treatment.sun);
    st.months = Some(treatment.months.clone());
    st.dots = Some(DotsOut {
        diameter_mm: dots.diameter_mm,
        density_per_cm2: dots.density_per_cm2,
        coverage: (dots.coverage() * 1e4).round() / 1e4,
    });
    st.sessions = Some(treatment.sessions);
    st.session_spacing_weeks = Some(treatment.session_weeks);
    st.blends = Some(treatment.blends);
    let mut output = output::build(
        &analysis,
        Some(MatchResult {
            ranking: &ranking,
            plan: plan.as_ref(),
            params: rank_options.params,
            skin: setup.skin().optics(),
            top: treatment.top,
            first_session: treatment.first_session,
        }),
        BuildContext {
            command: crate::output::Command::Match,
            settings: st,
            catalog: Some(CatalogOut {
                path: catalog_path.display().to_string(),
                name: catalog.name.clone(),
                pigments: catalog.pigments.len(),
            }),
            calibration: calibration(opts),
        },
    );
    if dots.coverage() >= SOLID_COVERAGE {
        output.warnings.push(crate::warning::Warning::new(
            crate::warning::WarningCode::SolidTattoo,
            format!(
                "{} dots/cm² of {} mm cover {:.0} % of the skin: that is a solid tattoo, not a \
             stubble look (lower --density or --dot-diameter)",
                dots.density_per_cm2,
                dots.diameter_mm,
                100.0 * dots.coverage()
            ),
        ));
    }
    Ok(Matched {
        output,
        analysis,
        ranking,
        targets,
        rank_options,
    })
}

/// The best recipe with a red scalp's a* lowered by `excess` to its reference skin's: the
/// scalp target by all of it, the stubble look by the scalp's share of it (not at all when the
/// stubble was measured on hair pixels alone).
fn best_if_not_red(
    stubble: &Option<analysis::Stubble>,
    targets: Targets,
    excess: f32,
    catalog: &Catalog,
    rank_options: &RankOptions,
) -> Option<Candidate> {
    let mut t = targets;
    t.scalp.a -= excess;
    if let Some(f) = stubble.and_then(|s| s.hair_area_fraction) {
        t.stubble.a -= excess * (1.0 - f);
    }
    rank::rank(catalog, t, rank_options)
        .candidates
        .into_iter()
        .next()
}

/// What `predict` is asked: one ink, in one skin, over time.
#[derive(Debug, Clone)]
pub struct PredictRequest {
    /// The skin, CIELAB.
    pub skin: crate::color::Lab,
    /// The catalog's id of the ink.
    pub ink_id: String,
    /// Parts diluent per part ink (default: the catalog's listed dilution, else 0).
    pub dilution: Option<f64>,
    /// Depth of the pigment band, mm (default: the model's).
    pub depth_mm: Option<f64>,
    /// Months after healing (ascending).
    pub months: Vec<f64>,
    /// Sun exposure.
    pub sun: Sun,
}

/// The model's prediction for one ink in one skin: the healed dot and its timeline, with the
/// skin parameters fitted to the given colour (`smpmatch predict`).
pub fn predict(
    catalog: &Catalog,
    catalog_path: &Path,
    req: &PredictRequest,
) -> Result<crate::output::PredictOut> {
    use crate::color::{chroma, hue_deg, lab_to_array, lab_to_hex};
    use crate::output::{ColorantOut, PredictOut, PredictPointOut, SkinFitOut};
    let Some(index) = catalog.pigments.iter().position(|p| p.id == req.ink_id) else {
        return Err(unknown_ink(catalog, catalog_path, &req.ink_id));
    };
    let pigment = &catalog.pigments[index];
    let params = model_params(catalog, req.depth_mm);
    let dilution = req.dilution.or(pigment.dilution).unwrap_or(0.0);
    let skin = req.skin;
    let setup = Setup::new(
        catalog,
        Targets {
            hair: skin,
            stubble: skin,
            scalp: skin,
        },
        params,
        Dots::default(),
        req.sun,
        1.0,
    );
    let (constituents, _) = pigment.constituents(&params);
    let parts = [rank::Part {
        ink: index,
        share: 1.0,
    }];
    let healed = setup.dot(&parts, dilution, 0.0);
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    let timeline = req
        .months
        .iter()
        .map(|&m| {
            let lab = setup.dot(&parts, dilution, m);
            let (ca, cb) = crate::model::cast(lab, skin);
            let left: f64 = constituents
                .iter()
                .map(|k| k.share * crate::model::retention(&k.fading, req.sun, m))
                .sum();
            PredictPointOut {
                month: m,
                lab: lab_to_array(lab),
                hex: lab_to_hex(lab),
                chroma: r2(f64::from(chroma(lab))),
                hue_deg: r2(f64::from(hue_deg(lab))),
                cast: [r2(ca), r2(cb)],
                depth_mm: (params.depth_at(m) * 1000.0).round() / 1000.0,
                pigment_left: (left * 1e4).round() / 1e4,
                delta_e00_to_healed: r2(f64::from(crate::color::delta_e00(lab, healed))),
                delta_e00_to_skin: r2(f64::from(crate::color::delta_e00(lab, skin))),
            }
        })
        .collect();
    Ok(PredictOut {
        schema_version: crate::output::SCHEMA_VERSION,
        command: crate::output::Command::Predict,
        catalog: catalog_path.display().to_string(),
        pigment_id: pigment.id.clone(),
        name: pigment.name.clone(),
        colorants: constituents
            .iter()
            .map(|k| ColorantOut {
                colorant: k.colorant,
                share: k.share,
                fading: k.fading,
            })
            .collect(),
        skin_lab: lab_to_array(skin),
        skin: SkinFitOut::new(setup.skin().optics()),
        dilution,
        sun: req.sun,
        params,
        timeline,
    })
}

/// The usage error for an `--ink` the catalog does not hold, listing its ids.
fn unknown_ink(catalog: &Catalog, catalog_path: &Path, id: &str) -> crate::Error {
    let ids: Vec<&str> = catalog.pigments.iter().map(|p| p.id.as_str()).collect();
    crate::Error::usage(format!(
        "--ink {id}: no pigment with this id in {} (ids: {})",
        catalog_path.display(),
        ids.join(", ")
    ))
}

/// What `preview` is asked, beyond a `match`.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    /// The treated area (`None`: found where the scalp shows through the hair, see
    /// [`crate::preview::thinning`], when the separation is sure).
    pub area: Option<crate::preview::Area>,
    /// Photo scale, pixels per mm (`None`: from a card, or estimated with a warning).
    pub px_per_mm: Option<f64>,
    /// The distance between neighbouring patch centres of the colour card in the photo, mm:
    /// the scale is read from the card (`px_per_mm` must be `None`).
    pub card_pitch_mm: Option<f64>,
    /// The ink to draw (`None`: the best of the ranking).
    pub ink_id: Option<String>,
    /// Its dilution, parts diluent per part ink (`None`: the ranking's best for it).
    pub dilution: Option<f64>,
    /// Months after healing to show.
    pub month: f64,
    /// Seed of the dot placement.
    pub seed: u64,
    /// A hairline polyline, pixels (empty: none).
    pub hairline: Vec<(f64, f64)>,
    /// The crown's whorl centre, pixels (`None`: none).
    pub crown: Option<(f64, f64)>,
    /// More months to draw as frames (for a report), besides `month`.
    pub frame_months: Vec<f64>,
    /// Whose words ask for the area when it cannot be found.
    pub asker: Asker,
}

/// Who asks the technician for what the program cannot find: the command line (its options)
/// or the web page (its tools).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// `smpmatch preview`: options, and the photo's path.
    CommandLine,
    /// `smpmatch serve`'s page: its drawing tools (the stored photo's path means nothing there).
    Page,
}

/// A rendered preview and its description.
pub struct Previewed {
    /// The photo with the dots (8-bit sRGB, oriented as displayed).
    pub image: image::RgbImage,
    /// `preview --json` (`written_to` left empty for the caller).
    pub output: crate::output::PreviewOut,
    /// The photo as drawn on, before any dot.
    pub original: image::RgbImage,
    /// The same drawing at each of [`PreviewRequest::frame_months`], in order.
    pub frames: Vec<(f64, image::RgbImage)>,
    /// The match the preview comes from (for a report).
    pub matched: Matched,
    /// The treated area drawn in (given, or found).
    pub area: crate::preview::Area,
}

impl Previewed {
    /// "before" and each frame, captioned as a report shows them ("healed: NAME", "N months
    /// after healing"), each image passed through `view` (a crop, a resize).
    pub fn captioned(
        &self,
        view: impl Fn(&image::RgbImage) -> image::RgbImage,
    ) -> Vec<(String, image::RgbImage)> {
        let mut out = vec![("before".to_string(), view(&self.original))];
        out.extend(self.frames.iter().map(|(m, img)| {
            let caption = if *m == 0.0 {
                format!("healed: {}", self.output.name)
            } else {
                format!("{m} months after healing")
            };
            (caption, view(img))
        }));
        out
    }
}

/// Match, then draw the chosen ink's healed dots in the treated area of the patient's own
/// photo (`crate::preview`): the ink at its best dilution, the plan's density (or the one
/// given), the dot size spread by `month`, each dot coloured by the model.
pub fn preview(
    sel: &Selection,
    opts: &AnalyzeOptions,
    treatment: &Treatment,
    catalog: &Catalog,
    catalog_path: &Path,
    req: &PreviewRequest,
) -> Result<Previewed> {
    let Some(photo_path) = sel.photo.as_ref() else {
        return Err(crate::Error::usage(
            "preview draws on the patient's photo: give PHOTO (close-ups alone cannot be drawn on)",
        ));
    };
    let m = match_patient(sel, opts, treatment, catalog, catalog_path)?;
    let candidate = match &req.ink_id {
        None => m.ranking.candidates.first(),
        Some(id) => m.ranking.candidates.iter().find(|c| &c.id == id),
    };
    let Some(candidate) = candidate else {
        return Err(match &req.ink_id {
            Some(id) => unknown_ink(catalog, catalog_path, id),
            None => crate::Error::usage("the catalog ranked no ink"),
        });
    };
    let setup = m.setup(catalog);
    let density = if treatment.density_fixed {
        treatment.dots.density_per_cm2
    } else {
        let popts = PlanOptions {
            sessions: treatment.sessions,
            spacing_weeks: treatment.session_weeks,
            dots: treatment.dots,
            density_fixed: false,
        };
        plan::plan(&setup, candidate, &m.ranking.steps, &popts).suggested_density_per_cm2
    };
    let mut warnings = m.output.warnings.clone();
    let photo = crate::input::Photo::load(photo_path, opts.limits)?;
    let rgb = photo.image.to_rgb8();
    let (w, h) = rgb.dimensions();
    let (px_per_mm, scale_source) = match (req.px_per_mm, req.card_pitch_mm) {
        (Some(s), _) => (s, "given"),
        (None, Some(pitch_mm)) => {
            let det = crate::calibration::detect(&photo).map_err(|_| crate::Error::Analysis {
                path: Some(photo_path.to_path_buf()),
                message: format!(
                    "{}: --card-pitch: no ColorChecker found in the photo to read the scale \
                     from (the whole card must show, in focus and out of glare); give --scale \
                     PX_PER_MM instead",
                    photo_path.display()
                ),
            })?;
            (det.pitch_px() / pitch_mm, "card")
        }
        (None, None) => {
            let s = f64::from(w.max(h)) / crate::preview::ASSUMED_LONG_SIDE_MM;
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::ScaleEstimated,
                format!(
                    "no --scale given: the photo's longer side ({} px) was taken as {} mm \
                     ({s:.2} px/mm), so the dots may be drawn too large or too small; give \
                     --scale PX_PER_MM, measured on a ruler or a card in the photo",
                    w.max(h),
                    crate::preview::ASSUMED_LONG_SIDE_MM
                ),
            ));
            (s, "estimated")
        }
    };
    let (area, area_source) = match &req.area {
        Some(a @ crate::preview::Area::Rect(_)) => (a.clone(), "region"),
        Some(a @ crate::preview::Area::Mask(_)) => (a.clone(), "mask"),
        None => {
            let t = find_thinning(&m, opts, photo_path, &rgb, px_per_mm, req)?;
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::AreaFound,
                format!(
                    "the treated area was found from the photo's colours ({:.1} cm² where the \
                     scalp shows through the hair, within x {}–{}, y {}–{}): check it in the \
                     preview; keep it with --save-area AREA.png, correct it, and give it back \
                     with --mask, or give --region",
                    t.area_mm2 / 100.0,
                    t.bounds[0],
                    t.bounds[0] + t.bounds[2],
                    t.bounds[1],
                    t.bounds[1] + t.bounds[3]
                ),
            ));
            (crate::preview::Area::Mask(t.mask), "found")
        }
    };
    let dilution = match req.dilution {
        Some(d) if !(d.is_finite() && d >= 0.0) => {
            return Err(crate::Error::usage(format!(
                "dilution {d}: parts diluent per part ink, 0 or more"
            )))
        }
        Some(d) => d,
        None => candidate.dilution.step,
    };
    // The targets and the prediction are true colours (corrected, with a profile); the photo
    // is drawn on as the camera recorded it, so they are taken back through the profile's
    // inverse first, and the preview shows the dots in the photo's own colours.
    let in_photo_colours = |lab: crate::color::Lab| {
        opts.profile
            .as_ref()
            .and_then(|p| p.correction.invert_lab(lab))
            .unwrap_or(lab)
    };
    let spec_at = |month: f64| crate::preview::Spec {
        area: area.clone(),
        px_per_mm,
        density_per_cm2: density,
        dot_diameter_mm: treatment.dots.diameter_mm * setup.params().spread_at(month),
        dot: in_photo_colours(setup.dot(&candidate.parts, dilution, month)),
        scalp: in_photo_colours(m.targets.scalp),
        hair: in_photo_colours(m.targets.hair),
        seed: req.seed,
        hairline: req.hairline.clone(),
        crown: req.crown,
    };
    let in_photo = |e: crate::Error| match e {
        crate::Error::Usage { message } => {
            crate::Error::usage(format!("{}: {message}", photo_path.display()))
        }
        e => e,
    };
    let spec = spec_at(req.month);
    let (dot, diameter) = (
        setup.dot(&candidate.parts, dilution, req.month),
        spec.dot_diameter_mm,
    );
    let r = crate::preview::render(&rgb, &spec).map_err(in_photo)?;
    let frames = req
        .frame_months
        .iter()
        .map(|&month| {
            crate::preview::render(&rgb, &spec_at(month))
                .map(|f| (month, f.image))
                .map_err(in_photo)
        })
        .collect::<Result<Vec<_>>>()?;
    let round = |x: f64, d: i32| (x * 10f64.powi(d)).round() / 10f64.powi(d);
    let lab = |l: crate::color::Lab| crate::color::lab_to_array(l).map(|v| round(v, 2));
    let output = crate::output::PreviewOut {
        schema_version: crate::output::SCHEMA_VERSION,
        command: crate::output::Command::Preview,
        photo: photo_path.display().to_string(),
        written_to: String::new(),
        pigment_id: candidate.id.clone(),
        name: crate::output::candidate_name(candidate),
        dilution,
        density_per_cm2: density,
        month: req.month,
        dot_diameter_mm: round(diameter, 4),
        px_per_mm: round(px_per_mm, 4),
        scale_source: scale_source.into(),
        region: match &area {
            crate::preview::Area::Rect(r) => Some([r.x, r.y, r.w, r.h]),
            crate::preview::Area::Mask(_) => None,
        },
        area_source: area_source.into(),
        area_mm2: round(r.area_mm2, 2),
        dots: r.dots,
        dots_per_cm2_drawn: round(100.0 * r.dots as f64 / r.area_mm2.max(1e-9), 2),
        dot_lab: lab(dot),
        scalp_lab: lab(m.targets.scalp),
        pixels_changed: r.pixels_changed,
        hair_pixels_kept: r.hair_pixels_kept,
        hairline_zone_mm: (!req.hairline.is_empty()).then_some(crate::preview::HAIRLINE_ZONE_MM),
        dots_in_hairline_zone: r.dots_in_hairline_zone,
        crown_radius_mm: req.crown.map(|_| crate::preview::CROWN_RADIUS_MM),
        dots_in_crown: r.dots_in_crown,
        warnings,
    };
    drop(setup);
    Ok(Previewed {
        image: r.image,
        output,
        original: rgb,
        frames,
        matched: m,
        area,
    })
}

/// Where the scalp shows through the hair on the patient's photo
/// ([`crate::preview::thinning`]); an analysis error that asks for the area when the photo's
/// reading cannot be trusted or nothing shows.
fn find_thinning(
    m: &Matched,
    opts: &AnalyzeOptions,
    photo_path: &Path,
    rgb: &image::RgbImage,
    px_per_mm: f64,
    req: &PreviewRequest,
) -> Result<crate::preview::thinning::Thinning> {
    use crate::preview::thinning::{find, reader_for, MIN_AREA_MM2};
    let ask = |why: String, more: &str| crate::Error::Analysis {
        path: Some(photo_path.to_path_buf()),
        message: match req.asker {
            Asker::CommandLine => format!(
                "{}: the treated area cannot be found automatically: {why}; give it with \
                 --region X,Y,W,H or --mask MASK.png{more}",
                photo_path.display()
            ),
            Asker::Page => "the treated area cannot be found automatically on this photo: \
                            draw it with the “Treated area” tool, or draw hair and scalp \
                            regions first"
                .into(),
        },
    };
    let reader = reader_for(&m.analysis, opts.profile.as_ref(), rgb).map_err(|why| {
        ask(
            why,
            ", or show the hair and the scalp with --hair-region and --scalp-region",
        )
    })?;
    find(rgb, px_per_mm, &reader, &req.hairline).ok_or_else(|| {
        ask(
            format!(
                "the scalp does not show through the hair over {} cm² or more",
                MIN_AREA_MM2 / 100.0
            ),
            "",
        )
    })
}
