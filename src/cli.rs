//! Command line: clap definitions, dispatch, and the single place where errors become exit
//! codes and JSON.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::analysis::{analyze, AnalyzeOptions, Selection, DEFAULT_MAX_SAMPLES};
use crate::catalog;
use crate::color::{delta_e00, lab_to_array, parse_lab, round, Lab};
use crate::error::{Error, Result};
use crate::model::{Dots, Sun};
use crate::photo::{LoadLimits, Region, DEFAULT_MAX_PIXELS};
use crate::plan::{self, PlanOptions, DEFAULT_SESSIONS, DEFAULT_SPACING_WEEKS};
use crate::rank::{self, parse_months, RankOptions, Setup, Targets};
use crate::report::{self, BuildContext, CatalogOut, MatchResult, SettingsOut, SCHEMA_VERSION};
use crate::tones::{KChoice, ToneOptions};

/// Pigment colour matching for scalp micropigmentation.
#[derive(Debug, Parser)]
#[command(name = "smpmatch", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure hair and scalp tones (CIELAB), the scalp's ITA and skin class.
    Analyze(AnalyzeArgs),
    /// Analyze, then rank a pigment catalog by CIEDE2000 under the healed/fading model.
    Match(MatchArgs),
    /// CIEDE2000 colour difference of two CIELAB colours.
    #[command(name = "delta-e")]
    DeltaE(DeltaEArgs),
    /// Catalog tools.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print a JSON Schema: of the output, of catalogs, or of error objects.
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        which: SchemaKind,
    },
}

/// Catalog subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Check a catalog; prints every problem with its JSON path; exit 4 if any.
    Validate {
        /// Catalog file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Which JSON Schema to print.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    /// `analyze --json` / `match --json` output.
    Output,
    /// Pigment catalog files.
    Catalog,
    /// Error objects printed on stderr.
    Error,
}

/// When to colour the terminal output.
#[derive(Debug, Clone, Copy, Default, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Photo and role selection, shared by analyze and match.
#[derive(Debug, Args)]
pub struct PhotoArgs {
    /// A photo: separated automatically, or read by --hair-region/--scalp-region.
    pub photo: Option<PathBuf>,
    /// A close-up photo of hair (repeatable; photos are pooled).
    #[arg(long = "hair", value_name = "PHOTO")]
    pub hair: Vec<PathBuf>,
    /// A close-up photo of scalp (repeatable; photos are pooled).
    #[arg(long = "scalp", value_name = "PHOTO")]
    pub scalp: Vec<PathBuf>,
    /// Hair rectangle X,Y,W,H in pixels of PHOTO (as displayed, after EXIF rotation).
    #[arg(long = "hair-region", value_name = "X,Y,W,H", value_parser = Region::parse)]
    pub hair_region: Vec<Region>,
    /// Scalp rectangle X,Y,W,H in pixels of PHOTO.
    #[arg(long = "scalp-region", value_name = "X,Y,W,H", value_parser = Region::parse)]
    pub scalp_region: Vec<Region>,
    /// Number of tones per role: `auto` or 1–16.
    #[arg(long, default_value = "auto")]
    pub k: KChoice,
    /// k-means seed (results are reproducible for a given seed).
    #[arg(long, default_value_t = ToneOptions::default().seed)]
    pub seed: u64,
    /// Most pixels sampled from each photo or region (evenly spread grid).
    #[arg(long, default_value_t = DEFAULT_MAX_SAMPLES, value_parser = clap::value_parser!(usize))]
    pub max_samples: usize,
    /// Refuse photos larger than this many pixels (decompression-bomb guard).
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,
    /// Print one JSON document on stdout (errors as JSON on stderr).
    #[arg(long)]
    pub json: bool,
    /// Colour swatches in the terminal.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    photos: PhotoArgs,
}

/// `match`.
#[derive(Debug, Args)]
pub struct MatchArgs {
    #[command(flatten)]
    photos: PhotoArgs,
    /// Pigment catalog (JSON; see docs/catalog.md).
    #[arg(long, value_name = "FILE")]
    catalog: PathBuf,
    /// Sun exposure of the treated scalp (changes the fading rate).
    #[arg(long, value_enum, default_value_t = Sun::Moderate)]
    sun: Sun,
    /// Timeline months, comma-separated (0 = healed).
    #[arg(long, default_value = "0,1,3,6,12,24,36", value_parser = parse_months)]
    months: std::vec::Vec<f64>,
    /// Show only the best N recipes.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Healed dot diameter, mm.
    #[arg(long, value_name = "MM", default_value_t = Dots::default().diameter_mm,
          value_parser = parse_positive("dot diameter", 0.05, 3.0))]
    dot_diameter: f64,
    /// Dots per cm² of the finished treatment.
    #[arg(long, value_name = "N", default_value_t = Dots::default().density_per_cm2,
          value_parser = parse_positive("density", 1.0, 1000.0))]
    density: f64,
    /// Sessions in the plan.
    #[arg(long, default_value_t = DEFAULT_SESSIONS, value_parser = clap::value_parser!(u8).range(2..=3))]
    sessions: u8,
    /// Weeks between sessions.
    #[arg(long, value_name = "WEEKS", default_value_t = DEFAULT_SPACING_WEEKS,
          value_parser = parse_positive("session spacing", 1.0, 52.0))]
    session_weeks: f64,
    /// Do not search two-ink blends.
    #[arg(long)]
    no_blends: bool,
}

/// A clap parser for a number within `[lo, hi]`.
fn parse_positive(
    what: &'static str,
    lo: f64,
    hi: f64,
) -> impl Fn(&str) -> std::result::Result<f64, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{what}: {s:?} is not a number"))?;
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(format!("{what} must lie in {lo}–{hi}, got {s}"))
        }
    }
}

/// `delta-e`.
#[derive(Debug, Args)]
pub struct DeltaEArgs {
    /// First colour: L,a,b
    #[arg(value_parser = parse_lab, allow_hyphen_values = true)]
    lab1: Lab,
    /// Second colour: L,a,b
    #[arg(value_parser = parse_lab, allow_hyphen_values = true)]
    lab2: Lab,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What a successful run prints.
pub struct Printed {
    /// Text for stdout.
    pub stdout: String,
    /// Exit code (0, or 4 for an invalid catalog under `catalog validate`).
    pub code: i32,
    /// Error to report on stderr as well (validate with problems).
    pub error: Option<Error>,
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Error::Internal(format!("JSON serialisation failed: {e}")))
}

fn analysis_inputs(p: &PhotoArgs) -> (Selection, AnalyzeOptions) {
    (
        Selection {
            photo: p.photo.clone(),
            hair_photos: p.hair.clone(),
            scalp_photos: p.scalp.clone(),
            hair_regions: p.hair_region.clone(),
            scalp_regions: p.scalp_region.clone(),
        },
        AnalyzeOptions {
            tones: ToneOptions {
                k: p.k,
                seed: p.seed,
            },
            limits: LoadLimits {
                max_pixels: p.max_pixels,
            },
            max_samples: p.max_samples.max(1),
        },
    )
}

fn settings(p: &PhotoArgs) -> SettingsOut {
    SettingsOut {
        k: match p.k {
            KChoice::Auto => "auto".into(),
            KChoice::Fixed(k) => k.to_string(),
        },
        seed: p.seed,
        max_samples: p.max_samples,
        sun: None,
        months: None,
        dots: None,
        sessions: None,
        session_spacing_weeks: None,
        blends: None,
    }
}

/// Run a parsed command.
pub fn run(cli: Cli) -> Result<Printed> {
    let ok = |stdout| Printed {
        stdout,
        code: 0,
        error: None,
    };
    match cli.command {
        Command::Analyze(a) => {
            let (sel, opts) = analysis_inputs(&a.photos);
            let analysis = analyze(&sel, &opts)?;
            let out = report::build(
                &analysis,
                None,
                BuildContext {
                    command: "analyze",
                    settings: settings(&a.photos),
                    catalog: None,
                },
            );
            Ok(ok(if a.photos.json {
                to_json(&out)?
            } else {
                report::render_text(&out, use_color(a.photos.color))
            }))
        }
        Command::Match(m) => {
            // Read the catalog first: a bad catalog should fail before photos are decoded.
            let cat = catalog::load(&m.catalog)?;
            let (sel, opts) = analysis_inputs(&m.photos);
            let analysis = analyze(&sel, &opts)?;
            let (hair, scalp) = analysis.targets()?;
            let targets = Targets {
                hair,
                scalp,
                stubble: analysis.stubble.map_or(hair, |s| s.lab),
            };
            let dots = Dots {
                diameter_mm: m.dot_diameter,
                density_per_cm2: m.density,
            };
            let target_standard_error = analysis.hair.as_ref().map_or(0.0, |h| {
                f64::from(h.target_spread_de00) / (h.target_pixels.max(1) as f64).sqrt()
            });
            let ropts = RankOptions {
                target_standard_error,
                sun: m.sun,
                months: m.months.clone(),
                dots,
                blends: !m.no_blends,
                ..RankOptions::default()
            };
            let ranking = rank::rank(&cat, targets, &ropts);
            let setup = Setup::new(
                &cat,
                targets,
                ropts.params,
                dots,
                m.sun,
                ropts.half_life_scale,
            );
            let popts = PlanOptions {
                sessions: usize::from(m.sessions),
                spacing_weeks: m.session_weeks,
                dots,
            };
            let plan = ranking
                .candidates
                .first()
                .map(|best| plan::plan(&setup, best, &ranking.steps, &popts));
            let mut st = settings(&m.photos);
            st.sun = Some(m.sun);
            st.months = Some(m.months.clone());
            st.dots = Some(report::DotsOut {
                diameter_mm: dots.diameter_mm,
                density_per_cm2: dots.density_per_cm2,
                coverage: (dots.coverage() * 1e4).round() / 1e4,
            });
            st.sessions = Some(usize::from(m.sessions));
            st.session_spacing_weeks = Some(m.session_weeks);
            st.blends = Some(!m.no_blends);
            let out = report::build(
                &analysis,
                Some(MatchResult {
                    ranking: &ranking,
                    plan: plan.as_ref(),
                    params: ropts.params,
                    top: m.top,
                }),
                BuildContext {
                    command: "match",
                    settings: st,
                    catalog: Some(CatalogOut {
                        path: m.catalog.display().to_string(),
                        name: cat.name.clone(),
                        pigments: cat.pigments.len(),
                    }),
                },
            );
            Ok(ok(if m.photos.json {
                to_json(&out)?
            } else {
                report::render_text(&out, use_color(m.photos.color))
            }))
        }
        Command::DeltaE(d) => {
            let de = delta_e00(d.lab1, d.lab2);
            Ok(ok(if d.json {
                to_json(&report::DeltaEOut {
                    schema_version: SCHEMA_VERSION,
                    command: "delta-e".into(),
                    lab1: lab_to_array(d.lab1),
                    lab2: lab_to_array(d.lab2),
                    delta_e00: round(de, 4),
                })?
            } else {
                format!("{:.4}\n", round(de, 4))
            }))
        }
        Command::Catalog(CatalogCommand::Validate { file, json }) => {
            let (count, err) = match catalog::load(&file) {
                Ok(c) => (Some(c.pigments.len()), None),
                Err(e) => (None, Some(e)),
            };
            let problems = match &err {
                Some(Error::Catalog {
                    problems, message, ..
                }) if problems.is_empty() => {
                    vec![catalog::Problem {
                        path: String::new(),
                        message: message.clone(),
                    }]
                }
                Some(Error::Catalog { problems, .. }) => problems.clone(),
                _ => Vec::new(),
            };
            let stdout = if json {
                to_json(&report::ValidateOut {
                    schema_version: SCHEMA_VERSION,
                    command: "catalog validate".into(),
                    path: file.display().to_string(),
                    valid: err.is_none(),
                    pigments: count,
                    problems,
                })?
            } else if err.is_none() {
                format!(
                    "{}: valid, {} pigments\n",
                    file.display(),
                    count.unwrap_or(0)
                )
            } else {
                let mut s = format!("{}: invalid\n", file.display());
                for p in &problems {
                    let path = if p.path.is_empty() {
                        "(document)"
                    } else {
                        &p.path
                    };
                    s.push_str(&format!("  {path}: {}\n", p.message));
                }
                s
            };
            Ok(Printed {
                stdout,
                code: err.as_ref().map_or(0, Error::exit_code),
                error: err,
            })
        }
        Command::Schema { which } => {
            let schema = match which {
                SchemaKind::Output => schemars::schema_for!(report::Output),
                SchemaKind::Catalog => schemars::schema_for!(catalog::Catalog),
                SchemaKind::Error => schemars::schema_for!(report::ErrorOut),
            };
            Ok(ok(to_json(&schema)?))
        }
    }
}

/// The JSON error object for `e`.
pub fn error_json(e: &Error) -> String {
    let problems = match e {
        Error::Catalog { problems, .. } => problems.clone(),
        _ => Vec::new(),
    };
    let body = report::ErrorOut {
        error: report::ErrorBody {
            kind: e.kind().into(),
            message: e.to_string(),
            path: e.path().map(|p| p.display().to_string()),
            exit_code: e.exit_code(),
            problems,
        },
    };
    serde_json::to_string(&body).unwrap_or_else(|_| {
        "{\"error\":{\"kind\":\"internal\",\"message\":\"cannot serialise error\"}}".into()
    })
}

/// Whether the raw arguments ask for JSON (used before/without a successful parse).
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    args.iter().any(|a| a == "--json")
}

/// Report an error on stderr (JSON or text) and return its exit code.
pub fn report_error(e: &Error, json: bool) -> i32 {
    let mut err = std::io::stderr().lock();
    if json {
        let _ = writeln!(err, "{}", error_json(e));
    } else {
        let _ = writeln!(err, "smpmatch: error: {e}");
        if let Error::Catalog { problems, .. } = e {
            for p in problems {
                let path = if p.path.is_empty() {
                    "(document)"
                } else {
                    &p.path
                };
                let _ = writeln!(err, "  {path}: {}", p.message);
            }
        }
    }
    e.exit_code()
}

/// The whole program: parse, run, print, map errors. Returns the exit code.
pub fn main_with_args(args: Vec<std::ffi::OsString>) -> i32 {
    let json = wants_json(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return 0;
            }
            if json {
                let msg = e.render().to_string();
                let first = msg
                    .lines()
                    .next()
                    .unwrap_or("usage error")
                    .trim_start_matches("error: ");
                return report_error(&Error::usage(first.to_string()), true);
            }
            let _ = e.print();
            return 2;
        }
    };
    match run(cli) {
        Ok(p) => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(p.stdout.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                // stdout closed (e.g. piped into `head`): nothing more to say.
                return 0;
            }
            if let Some(e) = &p.error {
                report_error(e, json);
            }
            p.code
        }
        Err(e) => report_error(&e, json),
    }
}
