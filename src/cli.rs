//! Command line: clap definitions, dispatch, and the single place where errors become exit
//! codes and JSON.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use smpmatch::analysis::tones::{KChoice, ToneOptions};
use smpmatch::analysis::{AnalyzeOptions, Selection, DEFAULT_MAX_SAMPLES};
use smpmatch::calibration::{self, CalibrateOptions, Profile, ReferenceSet};
use smpmatch::catalog;
use smpmatch::color::{delta_e00, round};
use smpmatch::error::{Error, Result};
use smpmatch::input::{LoadLimits, Region, DEFAULT_MAX_PIXELS};
use smpmatch::io::files::OutputFile;
use smpmatch::model::{Dots, Sun};
use smpmatch::output::visual;
use smpmatch::output::{self, SCHEMA_VERSION};
use smpmatch::pipeline::{self, Treatment};
use smpmatch::plan::{DEFAULT_SESSIONS, DEFAULT_SPACING_WEEKS};

mod batch;
mod config;
mod serve;

/// Pigment colour matching for scalp micropigmentation.
#[derive(Debug, Parser)]
#[command(name = "smpmatch", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads for the commands that use several (default: one per core). Results
    /// are the same on any number of threads.
    #[arg(short = 'j', long, global = true, value_name = "N",
          value_parser = parse_count("--threads", 1, 1024))]
    pub threads: Option<usize>,
    /// Quiet: no progress bar, notes or summary on stderr (results and errors only).
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
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
    /// Match many photos (files or directories) on every core; one JSON line per photo.
    Batch(BatchArgs),
    /// CIEDE2000 colour difference of two CIELAB colours.
    #[command(name = "delta-e")]
    DeltaE(DeltaEArgs),
    /// Predict how one ink looks healed in a given skin, and over the years (the model alone).
    Predict(PredictArgs),
    /// Draw the recommended ink's healed dots on the patient's own photo (a consultation
    /// preview, PNG).
    Preview(Box<PreviewArgs>),
    /// Fit a colour correction from a photo of a ColorChecker Classic 24; write a profile.
    Calibrate(CalibrateArgs),
    /// Catalog tools.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// Shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): smpmatch(1), or a subcommand's (`man match`, `man catalog
    /// import`); `--dir DIR` writes every page to DIR instead.
    Man {
        /// The subcommand whose page to print (words, as typed: `catalog import`).
        subcommand: Vec<String>,
        /// Write smpmatch.1 and one page per subcommand (smpmatch-match.1, …) into this
        /// existing directory (each file written atomically), and list them.
        #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
        dir: Option<PathBuf>,
    },
    /// Defaults a clinic sets once (config file, environment): `config show`.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The chair-side web page: a local server (loopback, an access token, works offline)
    /// with drawing, ranking, preview, reports and consultation records.
    Serve(serve::ServeArgs),
    /// Consultation records (the database `serve` writes): patients, consultations, sessions,
    /// follow-ups for fading fits, backups.
    #[command(subcommand)]
    Record(serve::RecordCommand),
    /// Print a JSON Schema: of the output, of catalogs, or of error objects.
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        which: SchemaKind,
    },
}

/// `calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Photo of the card (the whole card visible, in the light the patient photos use).
    photo: PathBuf,
    /// Write the profile here (atomically).
    #[arg(short = 'o', long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Centres of patches 1 (dark skin), 6 (bluish green), 24 (black) and 19 (white), in
    /// pixels, when automatic detection fails: x1,y1,x6,y6,x24,y24,x19,y19.
    #[arg(long, value_name = "X,Y,…", value_parser = parse_corners, allow_hyphen_values = true)]
    corners: Option<[calibration::Point; 4]>,
    /// Printing of the card (default: the one that fits better).
    #[arg(long, value_enum)]
    reference: Option<ReferenceArg>,
    /// Correction model (default: the best by leave-one-out ΔE00).
    #[arg(long, value_enum)]
    model: Option<ModelArg>,
    /// Patch weighting: `skin` favours the skin and dark neutral patches.
    #[arg(long, value_enum, default_value_t = WeightArg::Uniform)]
    weight: WeightArg,
    /// Refuse photos larger than this many pixels.
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS)]
    max_pixels: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Maps a command-line value enum onto the library's own (which knows nothing of clap).
macro_rules! value_enum {
    ($(#[$m:meta])* $arg:ident => $lib:path { $($(#[$vm:meta])* $v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum $arg { $($(#[$vm])* $v),+ }
        impl From<$arg> for $lib {
            fn from(a: $arg) -> $lib {
                match a { $($arg::$v => <$lib>::$v),+ }
            }
        }
    };
}

value_enum! {
    /// Sun exposure (`--sun`).
    SunArg => Sun {
        /// Mostly covered or indoors.
        Low,
        /// Ordinary outdoor life.
        Moderate,
        /// Outdoor work or sport, shaved head uncovered.
        High,
    }
}

value_enum! {
    /// Card printing (`--reference`).
    ReferenceArg => ReferenceSet {
        /// Cards made before November 2014.
        BeforeNov2014,
        /// Cards made from November 2014 (new formulation).
        AfterNov2014,
    }
}

value_enum! {
    /// Correction model (`--model`).
    ModelArg => calibration::Model {
        /// 3 × 3 matrix.
        #[value(name = "matrix3x3")]
        Matrix3x3,
        /// Root-polynomial, degree 2.
        #[value(name = "root_polynomial2")]
        RootPolynomial2,
        /// Per-channel tone curve (a power law fitted on the neutral patches, undoing the
        /// camera's non-linearity), then a 3 × 3 matrix.
        #[value(name = "gamma_matrix3x3")]
        GammaMatrix3x3,
    }
}

value_enum! {
    /// Patch weighting (`--weight`).
    WeightArg => calibration::Weighting {
        /// All patches alike.
        Uniform,
        /// Skin patches (1, 2) ×4 and dark neutrals (22–24) ×3: the colours SMP is about.
        Skin,
    }
}

fn parse_report_path(s: &str) -> std::result::Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm" | "png") => Ok(p),
        _ => Err(format!(
            "{s:?}: the report file name must end in .html or .png"
        )),
    }
}

fn parse_corners(s: &str) -> std::result::Result<[calibration::Point; 4], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| format!("{s:?}: expected 8 numbers x1,y1,x6,y6,x24,y24,x19,y19"))?;
    if v.len() != 8 || v.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err(format!(
            "{s:?}: expected 8 non-negative numbers x1,y1,x6,y6,x24,y24,x19,y19"
        ));
    }
    Ok([[v[0], v[1]], [v[2], v[3]], [v[4], v[5]], [v[6], v[7]]])
}

/// A swatch on the command line: `ID=X,Y,W,H`.
#[derive(Debug, Clone)]
pub struct SwatchArg {
    /// Pigment id.
    pub id: String,
    /// Rectangle.
    pub region: Region,
}

fn parse_swatch(s: &str) -> std::result::Result<SwatchArg, String> {
    let (id, rect) = s
        .split_once('=')
        .ok_or(format!("{s:?}: expected ID=X,Y,W,H"))?;
    Ok(SwatchArg {
        id: id.trim().to_string(),
        region: Region::parse(rect)?,
    })
}

/// How a measured swatch was made.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SwatchKind {
    /// An opaque drawdown of the ink.
    MasstoneDrawdown,
    /// Healed work in skin (give --skin-region).
    HealedSwatch,
    /// A let-down of the ink in a white (give --ink-share; --white-region for the white):
    /// written as the pigment's tint, its masstone kept.
    TintDrawdown,
}

/// Catalog subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Measure pigment swatches in a calibrated photo and write them into the catalog
    /// (atomically; the previous file is kept as FILE.bak, the old values in `history`).
    Measure {
        /// Catalog file to update.
        catalog: PathBuf,
        /// Photo holding the swatches (taken in the light of the profile).
        #[arg(long)]
        photo: PathBuf,
        /// Calibration profile for this photo's light.
        #[arg(long)]
        profile: PathBuf,
        /// A swatch: pigment id and rectangle, ID=X,Y,W,H (repeatable).
        #[arg(long = "swatch", value_name = "ID=X,Y,W,H", value_parser = parse_swatch, required = true)]
        swatches: Vec<SwatchArg>,
        /// What the swatches are.
        #[arg(long, value_enum, default_value_t = SwatchKind::MasstoneDrawdown)]
        method: SwatchKind,
        /// Skin beside healed swatches, X,Y,W,H (with --method healed-swatch).
        #[arg(long, value_name = "X,Y,W,H", value_parser = Region::parse)]
        skin_region: Option<Region>,
        /// Months since the healed swatches were made.
        #[arg(long, value_parser = parse_positive("months healed", 0.0, catalog::MAX_MONTHS_HEALED))]
        months_healed: Option<f64>,
        /// The ink's share of the tint's pigment, by mass, in (0, 1) (with --method
        /// tint-drawdown; e.g. 0.1 for 1 part ink to 9 parts white).
        #[arg(long, value_name = "SHARE", value_parser = parse_positive("ink share", 0.0, 1.0))]
        ink_share: Option<f64>,
        /// The white drawn down beside the tints, X,Y,W,H (with --method tint-drawdown;
        /// default: the catalog's standard white).
        #[arg(long, value_name = "X,Y,W,H", value_parser = Region::parse)]
        white_region: Option<Region>,
        /// Measurement date, YYYY-MM-DD (default: the photo's EXIF date, if any).
        #[arg(long, value_parser = parse_date)]
        date: Option<String>,
        /// Show what would change without writing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a catalog: swatches, base, provenance, fading.
    Show {
        /// Catalog file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Colour swatches in the terminal.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Make a catalog from a spreadsheet (CSV columns: id, name, base, L, a, b, and optional
    /// method, source, date, strength, dilution, half_life_months, sun_sensitivity, notes,
    /// skin_lab).
    Import {
        /// CSV file.
        csv: PathBuf,
        /// Write the catalog here (atomically; an existing file is kept as FILE.bak).
        /// Without it the catalog is printed.
        #[arg(short = 'o', long)]
        out: Option<PathBuf>,
        /// Catalog name.
        #[arg(long)]
        name: Option<String>,
        /// The clinic's dilution steps, comma-separated.
        #[arg(long, value_name = "D,D,…", value_delimiter = ',')]
        dilution_steps: Option<Vec<f64>>,
        /// Errors as JSON on stderr (the catalog itself is always JSON).
        #[arg(long)]
        json: bool,
    },
    /// Compare two catalogs pigment by pigment.
    Diff {
        /// Old catalog.
        a: PathBuf,
        /// New catalog.
        b: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fit pigments' fading half-lives from dated follow-ups of healed work.
    FitFading {
        /// Catalog file to update.
        catalog: PathBuf,
        /// Follow-ups: JSON array or CSV (pigment_id,months,L,a,b,skin_L,skin_a,skin_b, optionally sun).
        #[arg(long, required_unless_present = "records", conflicts_with = "records")]
        followups: Option<PathBuf>,
        /// Take the follow-ups from the consultation records in this data directory
        /// (`smpmatch record followups` shows them; healing-window ones are left out).
        #[arg(long, value_name = "DATA_DIR")]
        records: Option<PathBuf>,
        /// Show the fit without writing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
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
    /// Calibration profiles.
    Profile,
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
    /// A rectangle X,Y,W,H of PHOTO that is neither hair nor scalp (a shirt, a hand, a chair):
    /// the automatic separation leaves it out (repeatable).
    #[arg(long = "exclude-region", value_name = "X,Y,W,H", value_parser = Region::parse)]
    pub exclude_region: Vec<Region>,
    /// A rectangle X,Y,W,H of PHOTO showing the person's untreated skin (forehead or temple),
    /// lit as the scalp is: a scalp much redder than it (sunburnt, freshly treated) is warned
    /// about (repeatable).
    #[arg(
        long = "skin-reference-region",
        value_name = "X,Y,W,H",
        value_parser = Region::parse
    )]
    pub skin_reference_region: Vec<Region>,
    /// Analysis settings.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Also write a visual report: FILE.html (self-contained page) or FILE.png (swatch sheet).
    #[arg(long, value_name = "FILE", value_parser = parse_report_path)]
    pub report: Option<PathBuf>,
    /// The patient's name or reference, printed at the top of the HTML report.
    #[arg(long, value_name = "TEXT", requires = "report")]
    pub patient: Option<String>,
    /// The clinic's name, printed at the top of the HTML report.
    #[arg(long, value_name = "TEXT", requires = "report")]
    pub clinic: Option<String>,
    /// Print one JSON document on stdout (errors as JSON on stderr).
    #[arg(long)]
    pub json: bool,
    /// Colour swatches in the terminal.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Analysis settings shared by analyze, match and batch.
#[derive(Debug, Clone, Args)]
pub struct AnalysisArgs {
    /// Number of tones per role: `auto` or 1–16.
    #[arg(short = 'k', long, default_value = "auto")]
    pub k: KChoice,
    /// k-means seed (results are reproducible for a given seed).
    #[arg(long, default_value_t = ToneOptions::default().seed)]
    pub seed: u64,
    /// Most pixels sampled from each photo or region (one per cell of an even grid, at a
    /// fixed jittered offset; docs/model.md § 2).
    #[arg(long, default_value_t = DEFAULT_MAX_SAMPLES,
          value_parser = parse_count("--max-samples", 1, 100_000_000))]
    pub max_samples: usize,
    /// Refuse photos larger than this many pixels (decompression-bomb guard).
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,
    /// Colour calibration profile (from `smpmatch calibrate`) applied to every photo.
    #[arg(long, value_name = "FILE", env = "SMPMATCH_PROFILE")]
    pub profile: Option<PathBuf>,
}

/// Treatment and model settings shared by match and batch.
#[derive(Debug, Clone, Args)]
pub struct TreatmentArgs {
    /// Sun exposure of the treated scalp (changes the fading rate).
    #[arg(long, value_enum, default_value_t = SunArg::Moderate, env = "SMPMATCH_SUN")]
    sun: SunArg,
    /// Timeline months, comma-separated (0 = healed).
    #[arg(long, default_value = "0,1,3,6,12,24,36", value_parser = parse_months)]
    months: std::vec::Vec<f64>,
    /// Show only the best N recipes (N ≥ 1).
    #[arg(long, value_name = "N", value_parser = parse_count("--top", 1, usize::MAX))]
    top: Option<usize>,
    /// Healed dot diameter, mm.
    #[arg(long, value_name = "MM", default_value_t = Dots::default().diameter_mm,
          env = "SMPMATCH_DOT_DIAMETER",
          value_parser = parse_positive("dot diameter", 0.05, 3.0))]
    dot_diameter: f64,
    /// Dots per cm² of the finished treatment [default: the plan recommends a follicle-like
    /// density, 50–100, and the ranking uses 75].
    #[arg(long, value_name = "N", env = "SMPMATCH_DENSITY",
          value_parser = parse_positive("density", 1.0, 1000.0))]
    density: Option<f64>,
    /// Depth of the pigment band below the surface, mm [default: the catalog's `model`
    /// depth, else the model's 0.15].
    #[arg(long, value_name = "MM", env = "SMPMATCH_DEPTH",
          value_parser = parse_positive("depth", 0.02, 3.0))]
    depth: Option<f64>,
    /// Sessions in the plan.
    #[arg(long, default_value_t = DEFAULT_SESSIONS, env = "SMPMATCH_SESSIONS",
          value_parser = clap::value_parser!(u8).range(2..=3))]
    sessions: u8,
    /// Weeks between sessions.
    #[arg(long, value_name = "WEEKS", default_value_t = DEFAULT_SPACING_WEEKS,
          value_parser = parse_positive("session spacing", 1.0, 52.0))]
    session_weeks: f64,
    /// Do not search two-ink blends.
    #[arg(long)]
    no_blends: bool,
    /// Date of the first session, YYYY-MM-DD: puts the plan and the touch-up on the calendar
    /// [default: today (UTC) in the text output; none in --json, whose output depends on its
    /// inputs only].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    date: Option<time::Date>,
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
    /// Text output: after the answer, every detail (photos, each role's tones and trimming,
    /// the stubble look, the ranking over time, blends) instead of a brief summary.
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Pigment catalog (JSON; see docs/catalog.md).
    #[arg(short = 'c', long, value_name = "FILE", env = "SMPMATCH_CATALOG")]
    catalog: PathBuf,
    #[command(flatten)]
    treatment: TreatmentArgs,
}

/// `preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    photos: PhotoArgs,
    /// Pigment catalog (JSON; see docs/catalog.md).
    #[arg(short = 'c', long, value_name = "FILE", env = "SMPMATCH_CATALOG")]
    catalog: PathBuf,
    #[command(flatten)]
    treatment: TreatmentArgs,
    /// The ink to draw, by catalog id [default: the best of the ranking].
    #[arg(long, value_name = "ID")]
    ink: Option<String>,
    /// Its dilution, parts diluent per part ink [default: the ranking's best for that ink].
    #[arg(long, value_name = "PARTS", value_parser = parse_positive("--dilution", 0.0, 20.0))]
    dilution: Option<f64>,
    /// The treated area: X,Y,W,H in pixels of the photo as displayed [default: found where
    /// the scalp shows through the hair, when hair and scalp are told apart with confidence
    /// or given by --hair-region and --scalp-region; a warning says so].
    #[arg(long, value_name = "X,Y,W,H", value_parser = Region::parse, conflicts_with = "mask")]
    region: Option<Region>,
    /// The treated area as a mask image the photo's size: pixels of value 128 or more
    /// (white) are treated.
    #[arg(long, value_name = "MASK.png")]
    mask: Option<PathBuf>,
    /// Photo scale, pixels per millimetre [default: from --card-pitch, else the photo's
    /// longer side taken as 200 mm, with a warning].
    #[arg(long, value_name = "PX_PER_MM", value_parser = parse_positive("--scale", 0.5, 1000.0))]
    scale: Option<f64>,
    /// Read the scale from the ColorChecker in the photo (held at the scalp's distance): the
    /// distance between neighbouring patch centres on your card, mm, measured once with a
    /// ruler.
    #[arg(long, value_name = "MM", conflicts_with = "scale",
          value_parser = parse_positive("--card-pitch", 1.0, 100.0))]
    card_pitch: Option<f64>,
    /// A hairline to design: X1,Y1,X2,Y2,… in pixels (a polyline of two points or more),
    /// drawn from the patient's right temple to the left (on a face-on photo: left to right,
    /// the scalp above). Behind it the density rises from 30 % to full and the dots grow from
    /// 70 % to full size over 10 mm; a found area stops at it (docs/model.md § 14).
    #[arg(long, value_name = "X1,Y1,X2,Y2,…", value_parser = parse_polyline)]
    hairline: Option<Polyline>,
    /// The crown's whorl centre: X,Y in pixels. Around it, over 20 mm, the dots follow a
    /// spiral and leave more scalp at the centre (assumptions, docs/model.md § 14).
    #[arg(long, value_name = "X,Y", value_parser = parse_point)]
    crown: Option<(f64, f64)>,
    /// Months after healing to show (0 = healed; dots fade and spread as the model says).
    #[arg(long, value_name = "MONTHS", default_value_t = 0.0,
          value_parser = parse_positive("--month", 0.0, 240.0))]
    month: f64,
    /// Where to write the preview (PNG; written atomically, never over an input).
    #[arg(short = 'o', long, value_name = "FILE.png")]
    out: PathBuf,
    /// Also write the treated area as a mask PNG (white inside), to check, correct in any
    /// image editor and give back with --mask.
    #[arg(long, value_name = "AREA.png")]
    save_area: Option<PathBuf>,
}

/// `batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Photos, or directories searched recursively for .jpg/.jpeg/.png/.tif/.tiff/.webp/.heic/.heif.
    #[arg(required_unless_present = "files_from")]
    paths: Vec<PathBuf>,
    /// Read more paths from FILE (`-`: standard input), one per line (`find … | smpmatch
    /// batch --files-from - …`).
    #[arg(long, value_name = "FILE")]
    files_from: Option<PathBuf>,
    /// With --files-from, paths are separated by NUL bytes (`find -print0`), not lines.
    #[arg(short = '0', long = "null", requires = "files_from")]
    null: bool,
    /// Pigment catalog.
    #[arg(short = 'c', long, value_name = "FILE", env = "SMPMATCH_CATALOG")]
    catalog: PathBuf,
    /// Append JSON Lines here instead of printing them.
    #[arg(short = 'o', long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Skip photos already recorded in --out (failed ones are retried unless --no-retry).
    #[arg(long, requires = "out")]
    resume: bool,
    /// With --resume, do not retry photos recorded as failed.
    #[arg(long, requires = "resume")]
    no_retry: bool,
    /// Progress on stderr: `bar` (on a terminal only), `json` (one line per photo and a
    /// summary, for programs), or `none`.
    #[arg(long, value_enum, default_value_t = ProgressArg::Bar)]
    progress: ProgressArg,
    /// Report a fatal error (bad catalog, unwritable --out) as the JSON error object on
    /// stderr, as every other command's --json does; the result lines are JSON either way.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    analysis: AnalysisArgs,
    #[command(flatten)]
    treatment: TreatmentArgs,
}

/// `config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective defaults and where each came from (flag > environment > config
    /// file > built-in).
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `batch --progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressArg {
    /// A progress bar, when stderr is a terminal.
    Bar,
    /// JSON Lines on stderr: `{"event": "photo", …}` per photo, `{"event": "summary", …}`.
    Json,
    /// Nothing.
    None,
}

/// Parse `--months` (comma-separated, non-negative, at most 1200).
/// Points in pixels, in order (one argument, so clap keeps it whole).
#[derive(Debug, Clone)]
pub struct Polyline(Vec<(f64, f64)>);

/// Comma-separated pixel coordinates (finite, not negative).
fn pixel_coordinates(s: &str) -> std::result::Result<Vec<f64>, String> {
    s.split(',')
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("{s:?}: {p:?} is not a pixel coordinate"))
        })
        .collect()
}

/// A polyline, `X1,Y1,X2,Y2,…` (pixels, two points or more).
fn parse_polyline(s: &str) -> std::result::Result<Polyline, String> {
    let v = pixel_coordinates(s)?;
    if v.len() < 4 || !v.len().is_multiple_of(2) {
        return Err(format!(
            "{s:?}: a hairline is X1,Y1,X2,Y2,… (pairs of pixel coordinates, two points or more)"
        ));
    }
    Ok(Polyline(v.chunks(2).map(|c| (c[0], c[1])).collect()))
}

/// A point, `X,Y` (pixels).
fn parse_point(s: &str) -> std::result::Result<(f64, f64), String> {
    match pixel_coordinates(s)?[..] {
        [x, y] => Ok((x, y)),
        _ => Err(format!("{s:?} is not a point X,Y in pixels")),
    }
}

/// A calendar day, `YYYY-MM-DD`.
fn parse_day(s: &str) -> std::result::Result<time::Date, String> {
    let bad = || format!("{s:?} is not a date YYYY-MM-DD");
    let parts: Vec<&str> = s.trim().split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let num = |p: &str, len: usize| {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u16>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return Err(bad());
    };
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(|| format!("{s:?}: there is no month {m}"))?;
    u8::try_from(d)
        .ok()
        .and_then(|d| time::Date::from_calendar_date(i32::from(y), month, d).ok())
        .ok_or_else(|| format!("{s:?}: {month} {y} has no day {d}"))
}

fn parse_months(s: &str) -> std::result::Result<Vec<f64>, String> {
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let m: f64 = part
            .parse()
            .map_err(|_| format!("{part:?} is not a number of months"))?;
        if !(m.is_finite() && (0.0..=1200.0).contains(&m)) {
            return Err(format!("months must lie in 0–1200, got {part}"));
        }
        v.push(m);
    }
    if v.is_empty() {
        return Err("give at least one month, e.g. 0,6,12".into());
    }
    v.sort_by(f64::total_cmp);
    v.dedup();
    Ok(v)
}

/// A clap parser for a calendar date (see [`catalog::check_date`]).
fn parse_date(s: &str) -> std::result::Result<String, String> {
    catalog::check_date(s.trim()).map(|()| s.trim().to_string())
}

/// A clap parser for a whole number within `[lo, hi]`.
fn parse_count(
    what: &'static str,
    lo: usize,
    hi: usize,
) -> impl Fn(&str) -> std::result::Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| match s.trim().parse::<usize>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        Ok(_) if hi == usize::MAX => Err(format!("{what} must be at least {lo}, got {s}")),
        Ok(_) => Err(format!("{what} must lie in {lo}–{hi}, got {s}")),
        Err(_) => Err(format!("{what}: {s:?} is not a whole number")),
    }
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
    #[arg(value_parser = smpmatch::color::parse_lab_values, allow_hyphen_values = true)]
    lab1: [f64; 3],
    /// Second colour: L,a,b
    #[arg(value_parser = smpmatch::color::parse_lab_values, allow_hyphen_values = true)]
    lab2: [f64; 3],
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The skin's colour: L,a,b (CIELAB, D65).
    #[arg(long, value_parser = smpmatch::color::parse_lab_values, allow_hyphen_values = true)]
    skin: [f64; 3],
    /// Pigment catalog (JSON).
    #[arg(short = 'c', long, value_name = "FILE")]
    catalog: PathBuf,
    /// The ink's catalog id.
    #[arg(long, value_name = "ID")]
    ink: String,
    /// Parts diluent per part ink [default: the catalog's listed dilution, else 0].
    #[arg(long, value_name = "N", value_parser = parse_positive("dilution", 0.0, catalog::MAX_DILUTION))]
    dilution: Option<f64>,
    /// Depth of the pigment band below the surface, mm [default: the catalog's `model`
    /// depth, else the model's 0.15].
    #[arg(long, value_name = "MM", value_parser = parse_positive("depth", 0.02, 3.0))]
    depth: Option<f64>,
    /// Months after healing, comma-separated.
    #[arg(long, default_value = "0,12,60,120", value_parser = parse_months)]
    months: std::vec::Vec<f64>,
    /// Sun exposure of the treated scalp.
    #[arg(long, value_enum, default_value_t = SunArg::Moderate)]
    sun: SunArg,
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
        // NO_COLOR (no-color.org) and TERM=dumb (a terminal without escape sequences).
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                && std::io::stdout().is_terminal()
        }
    }
}

/// Columns to format for: the terminal's width, else `COLUMNS`, else wide (pipes and files
/// get full lines).
fn terminal_width() -> usize {
    if std::io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return usize::from(w);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c >= 20)
        .unwrap_or(200)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Error::Internal(format!("JSON serialisation failed: {e}")))
}

fn analyze_options(a: &AnalysisArgs) -> Result<AnalyzeOptions> {
    Ok(AnalyzeOptions {
        tones: ToneOptions {
            k: a.k,
            seed: a.seed,
        },
        limits: LoadLimits {
            max_pixels: a.max_pixels,
        },
        max_samples: a.max_samples.max(1),
        profile: a.profile.as_deref().map(Profile::load).transpose()?,
    })
}

fn analysis_inputs(p: &PhotoArgs) -> Result<(Selection, AnalyzeOptions)> {
    Ok((
        Selection {
            photo: p.photo.clone(),
            hair_photos: p.hair.clone(),
            scalp_photos: p.scalp.clone(),
            hair_regions: p.hair_region.clone(),
            scalp_regions: p.scalp_region.clone(),
            exclude_regions: p.exclude_region.clone(),
            reference_regions: p.skin_reference_region.clone(),
        },
        analyze_options(&p.analysis)?,
    ))
}

/// The checked `--report` output: refused when it is one of the command's inputs (every
/// photo, the profile, and `extra`).
fn report_target(p: &PhotoArgs, extra: &[(&str, &std::path::Path)]) -> Result<Option<OutputFile>> {
    let Some(report) = &p.report else {
        return Ok(None);
    };
    let mut inputs: Vec<(&str, &std::path::Path)> = extra.to_vec();
    inputs.extend(p.photo.iter().map(|x| ("the photo", x.as_path())));
    inputs.extend(p.hair.iter().map(|x| ("the hair photo", x.as_path())));
    inputs.extend(p.scalp.iter().map(|x| ("the scalp photo", x.as_path())));
    inputs.extend(
        p.analysis
            .profile
            .iter()
            .map(|x| ("the profile", x.as_path())),
    );
    OutputFile::check(report, &inputs).map(Some)
}

impl TreatmentArgs {
    /// The library's treatment from the flags.
    fn treatment(&self) -> Treatment {
        Treatment {
            sun: self.sun.into(),
            months: self.months.clone(),
            dots: Dots {
                diameter_mm: self.dot_diameter,
                density_per_cm2: self.density.unwrap_or(Dots::default().density_per_cm2),
            },
            density_fixed: self.density.is_some(),
            depth_mm: self.depth,
            sessions: usize::from(self.sessions),
            session_weeks: self.session_weeks,
            blends: !self.no_blends,
            top: self.top,
            first_session: self.date,
        }
    }
}

/// Run a parsed command.
pub fn run(cli: Cli) -> Result<Printed> {
    match cli.command {
        Command::Analyze(a) => run_analyze(a, cli.quiet),
        Command::Match(m) => run_match(m, cli.quiet),
        Command::Batch(b) => batch::run(b, cli.quiet),
        Command::DeltaE(d) => run_delta_e(d),
        Command::Predict(p) => run_predict(p),
        Command::Preview(p) => run_preview(*p),
        Command::Calibrate(c) => run_calibrate(c),
        Command::Serve(s) => serve::run_serve(s, cli.quiet),
        Command::Record(r) => serve::run_record(r),
        Command::Catalog(c) => run_catalog(c),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "smpmatch",
                &mut buf,
            );
            Ok(ok(String::from_utf8_lossy(&buf).into_owned()))
        }
        Command::Man { subcommand, dir } => run_man(&subcommand, dir.as_deref()),
        Command::Config(ConfigCommand::Show { json }) => {
            Ok(ok(config::show(&config::load()?, json)?))
        }
        Command::Schema { which } => {
            let schema = match which {
                SchemaKind::Output => schemars::schema_for!(output::Output),
                SchemaKind::Catalog => schemars::schema_for!(catalog::Catalog),
                SchemaKind::Error => schemars::schema_for!(output::ErrorOut),
                SchemaKind::Profile => schemars::schema_for!(calibration::Profile),
            };
            Ok(ok(to_json(&schema)?))
        }
    }
}

/// A successful run's output, exit code 0.
fn ok(stdout: String) -> Printed {
    Printed {
        stdout,
        code: 0,
        error: None,
    }
}

/// `analyze`.
fn run_analyze(a: AnalyzeArgs, quiet: bool) -> Result<Printed> {
    let report_out = report_target(&a.photos, &[])?;
    let (sel, opts) = analysis_inputs(&a.photos)?;
    let pipeline::Analyzed {
        output: out,
        analysis,
    } = pipeline::analyze(&sel, &opts)?;
    if let Some(path) = &report_out {
        visual::write(
            path,
            &visual::ReportInput {
                output: &out,
                analysis: &analysis,
                matched: None,
                profile: opts.profile.as_ref(),
                previews: &[],
                patient: a.photos.patient.as_deref(),
                clinic: a.photos.clinic.as_deref(),
                photo_name: None,
            },
        )?;
        report_written(path, quiet);
    }
    Ok(ok(if a.photos.json {
        to_json(&out)?
    } else {
        output::render_text(&out, use_color(a.photos.color), terminal_width(), true)
    }))
}

/// `match`.
/// Say on stderr where the report went (unless `--quiet`).
fn report_written(path: &OutputFile, quiet: bool) {
    if !quiet {
        eprintln!("report written to {}", path.given.display());
    }
}

fn run_match(m: MatchArgs, quiet: bool) -> Result<Printed> {
    // Read the catalog first: a bad catalog should fail before photos are decoded.
    let cat = catalog::load(&m.catalog)?;
    let report_out = report_target(&m.photos, &[("the catalog", &m.catalog)])?;
    let (sel, opts) = analysis_inputs(&m.photos)?;
    let mut treatment = m.treatment.treatment();
    // Text is for people, who read dates; JSON depends on its inputs only.
    if treatment.first_session.is_none() && !m.photos.json {
        treatment.first_session = Some(time::OffsetDateTime::now_utc().date());
    }
    let r = pipeline::match_patient(&sel, &opts, &treatment, &cat, &m.catalog)?;
    if let Some(path) = &report_out {
        let setup = r.setup(&cat);
        visual::write(
            path,
            &visual::ReportInput {
                output: &r.output,
                analysis: &r.analysis,
                matched: Some((&setup, &r.ranking.candidates, r.rank_options.dots)),
                profile: opts.profile.as_ref(),
                previews: &[],
                patient: m.photos.patient.as_deref(),
                clinic: m.photos.clinic.as_deref(),
                photo_name: None,
            },
        )?;
        report_written(path, quiet);
    }
    Ok(ok(if m.photos.json {
        to_json(&r.output)?
    } else {
        output::render_text(
            &r.output,
            use_color(m.photos.color),
            terminal_width(),
            m.verbose,
        )
    }))
}

/// Largest mask file read, bytes.
const MAX_MASK_BYTES: u64 = 256 << 20;

/// Refuse an output named as anything but a PNG (what is written is one).
fn png_name(option: &str, path: &std::path::Path) -> Result<()> {
    if path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{option} {}: a PNG is written there; the file name must end in .png",
            path.display()
        )))
    }
}

/// `preview`.
fn run_preview(p: PreviewArgs) -> Result<Printed> {
    let cat = catalog::load(&p.catalog)?;
    png_name("--out", &p.out)?;
    let mut inputs: Vec<(&str, &std::path::Path)> = vec![("the catalog", &p.catalog)];
    inputs.extend(p.photos.photo.iter().map(|x| ("the photo", x.as_path())));
    inputs.extend(p.mask.iter().map(|x| ("the mask", x.as_path())));
    inputs.extend(
        p.photos
            .analysis
            .profile
            .iter()
            .map(|x| ("the profile", x.as_path())),
    );
    let out = OutputFile::check(&p.out, &inputs)?;
    let mut report_inputs = inputs.clone();
    report_inputs.push(("the preview", &p.out));
    let report_out = report_target(&p.photos, &report_inputs)?;
    if let Some(r) = report_out.as_ref().filter(|r| r.real == out.real) {
        return Err(Error::usage(format!(
            "--report {} is the preview's --out: give them different files",
            r.given.display()
        )));
    }
    let save_area = match &p.save_area {
        None => None,
        Some(a) => {
            png_name("--save-area", a)?;
            let mut taken = report_inputs.clone();
            taken.extend(p.photos.report.iter().map(|r| ("the report", r.as_path())));
            let a = OutputFile::check(a, &taken)?;
            if a.real == out.real || report_out.as_ref().is_some_and(|r| r.real == a.real) {
                return Err(Error::usage(format!(
                    "--save-area {} is another output's file: give it its own",
                    a.given.display()
                )));
            }
            Some(a)
        }
    };
    let area = match (&p.region, &p.mask) {
        (Some(r), _) => Some(smpmatch::preview::Area::Rect(*r)),
        (None, Some(m)) => {
            let bytes = smpmatch::io::files::read_input(m, "the mask", MAX_MASK_BYTES)?;
            let img = image::load_from_memory(&bytes).map_err(|e| {
                Error::usage(format!("{}: not a readable mask image: {e}", m.display()))
            })?;
            Some(smpmatch::preview::Area::Mask(img.to_luma8()))
        }
        (None, None) => None,
    };
    let (sel, opts) = analysis_inputs(&p.photos)?;
    let treatment = p.treatment.treatment();
    let mut r = pipeline::preview(
        &sel,
        &opts,
        &treatment,
        &cat,
        &p.catalog,
        &pipeline::PreviewRequest {
            area,
            px_per_mm: p.scale,
            card_pitch_mm: p.card_pitch,
            ink_id: p.ink.clone(),
            dilution: p.dilution,
            month: p.month,
            seed: p.photos.analysis.seed,
            hairline: p.hairline.clone().map(|h| h.0).unwrap_or_default(),
            crown: p.crown,
            frame_months: if report_out.is_some() {
                smpmatch::preview::REPORT_MONTHS.to_vec()
            } else {
                Vec::new()
            },
            asker: pipeline::Asker::CommandLine,
        },
    )?;
    let mut buf = std::io::Cursor::new(Vec::new());
    r.image
        .write_to(&mut buf, image::ImageFormat::Png)
        .map_err(|e| Error::Internal(format!("PNG encoding: {e}")))?;
    smpmatch::io::files::write_atomic_bytes(&out, buf.get_ref())?;
    r.output.written_to = out.given.display().to_string();
    if let Some(a) = &save_area {
        let (w, h) = r.original.dimensions();
        let mask = r.area.to_mask(w, h);
        let mut buf = std::io::Cursor::new(Vec::new());
        mask.write_to(&mut buf, image::ImageFormat::Png)
            .map_err(|e| Error::Internal(format!("PNG encoding: {e}")))?;
        smpmatch::io::files::write_atomic_bytes(a, buf.get_ref())?;
        eprintln!("treated area written to {}", a.given.display());
    }
    if let Some(path) = &report_out {
        // The treated part with a quarter of its size around it, before and at each month.
        let (w, h) = r.original.dimensions();
        let [cx, cy, cw, ch] = smpmatch::preview::margin_box(r.area.bounding_box(), w, h);
        let previews = r.captioned(|img| image::imageops::crop_imm(img, cx, cy, cw, ch).to_image());
        let setup = r.matched.setup(&cat);
        visual::write(
            path,
            &visual::ReportInput {
                output: &r.matched.output,
                analysis: &r.matched.analysis,
                matched: Some((
                    &setup,
                    &r.matched.ranking.candidates,
                    r.matched.rank_options.dots,
                )),
                profile: opts.profile.as_ref(),
                previews: &previews,
                patient: p.photos.patient.as_deref(),
                clinic: p.photos.clinic.as_deref(),
                photo_name: None,
            },
        )?;
        report_written(path, false);
    }
    Ok(ok(if p.photos.json {
        to_json(&r.output)?
    } else {
        output::render_preview(&r.output)
    }))
}

/// `predict`.
fn run_predict(p: PredictArgs) -> Result<Printed> {
    let cat = catalog::load(&p.catalog)?;
    let out = smpmatch::pipeline::predict(
        &cat,
        &p.catalog,
        &smpmatch::pipeline::PredictRequest {
            skin: smpmatch::color::lab_from_array(p.skin),
            ink_id: p.ink.clone(),
            dilution: p.dilution,
            depth_mm: p.depth,
            months: p.months.clone(),
            sun: p.sun.into(),
        },
    )?;
    Ok(ok(if p.json {
        to_json(&out)?
    } else {
        output::wrap_lines(&output::render_prediction(&out), terminal_width())
    }))
}

/// `delta-e`.
fn run_delta_e(d: DeltaEArgs) -> Result<Printed> {
    let de = delta_e00(
        smpmatch::color::lab_from_array(d.lab1),
        smpmatch::color::lab_from_array(d.lab2),
    );
    Ok(ok(if d.json {
        to_json(&output::DeltaEOut {
            schema_version: SCHEMA_VERSION,
            command: output::Command::DeltaE,
            // Echoed as given, not rounded.
            lab1: d.lab1,
            lab2: d.lab2,
            delta_e00: round(de, 4),
        })?
    } else {
        format!("{:.4}\n", round(de, 4))
    }))
}

/// Every man page: smpmatch(1) and one per subcommand, each named as clap_mangen names it
/// (`smpmatch-catalog-import.1`), so the SEE ALSO references of each page resolve.
fn man_pages() -> Vec<(Vec<String>, clap_mangen::Man)> {
    fn walk(
        cmd: &clap::Command,
        words: Vec<String>,
        out: &mut Vec<(Vec<String>, clap_mangen::Man)>,
    ) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut w = words.clone();
            w.push(sub.get_name().to_string());
            walk(sub, w, out);
        }
        out.push((words, clap_mangen::Man::new(cmd.clone())));
    }
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, Vec::new(), &mut out);
    out
}

/// `man [SUBCOMMAND…] [--dir DIR]`.
fn run_man(subcommand: &[String], dir: Option<&std::path::Path>) -> Result<Printed> {
    let render = |m: &clap_mangen::Man| -> Result<String> {
        let mut buf = Vec::new();
        m.render(&mut buf)
            .map_err(|e| Error::Internal(format!("man page: {e}")))?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    };
    let pages = man_pages();
    if let Some(dir) = dir {
        if !dir.is_dir() {
            return Err(Error::usage(format!(
                "--dir {}: not an existing directory",
                dir.display()
            )));
        }
        let mut listed = String::new();
        for (_, m) in &pages {
            let path = dir.join(m.get_filename());
            let out = OutputFile::check(&path, &[])?;
            smpmatch::io::files::write_atomic(&out, &render(m)?)?;
            listed.push_str(&format!("{}\n", path.display()));
        }
        return Ok(ok(listed));
    }
    let (_, page) = pages
        .iter()
        .find(|(words, _)| words.as_slice() == subcommand)
        .ok_or_else(|| {
            Error::usage(format!(
                "no man page for `{}`: give a subcommand as typed, e.g. `smpmatch man catalog \
                 import`",
                subcommand.join(" ")
            ))
        })?;
    Ok(ok(render(page)?))
}

/// `catalog …`.
fn run_catalog(c: CatalogCommand) -> Result<Printed> {
    match c {
        CatalogCommand::Validate { file, json } => {
            let (count, err) = match catalog::load(&file) {
                Ok(c) => (Some(c.pigments.len()), None),
                Err(e) => (None, Some(e)),
            };
            let problems = match &err {
                Some(Error::Catalog {
                    problems, message, ..
                }) if problems.is_empty() => {
                    vec![smpmatch::error::Problem {
                        path: String::new(),
                        message: message.clone(),
                    }]
                }
                Some(Error::Catalog { problems, .. }) => problems.clone(),
                _ => Vec::new(),
            };
            let stdout = if json {
                to_json(&output::ValidateOut {
                    schema_version: SCHEMA_VERSION,
                    command: output::Command::CatalogValidate,
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
        CatalogCommand::Show { file, json, color } => {
            let cat = catalog::load(&file)?;
            Ok(ok(if json {
                to_json(&output::CatalogShowOut {
                    schema_version: SCHEMA_VERSION,
                    command: output::Command::CatalogShow,
                    path: file.display().to_string(),
                    catalog: cat,
                })?
            } else {
                output::render_catalog(
                    &file.display().to_string(),
                    &cat,
                    use_color(color),
                    terminal_width(),
                )
            }))
        }
        CatalogCommand::Import {
            csv,
            out,
            name,
            dilution_steps,
            json: _,
        } => {
            let cat = smpmatch::catalog::import::import_csv(&csv, name, dilution_steps)?;
            match out {
                Some(path) => {
                    let (target, _lock) =
                        catalog::lock_for_update(&path, &[("the CSV file", &csv)])?;
                    // A catalog replaces only a catalog (kept as FILE.bak).
                    if target.real.exists() {
                        if let Err(e) = catalog::load(&target.real) {
                            return Err(Error::Catalog {
                                path: path.clone(),
                                message: format!(
                                    "exists and is not a smpmatch catalog ({e}); refusing to \
                                     replace it (choose another --out)"
                                ),
                                problems: Vec::new(),
                            });
                        }
                    }
                    let backup = catalog::save(&target, &cat)?;
                    Ok(ok(format!(
                        "{}: {} pigments written{}\n",
                        path.display(),
                        cat.pigments.len(),
                        backup.map_or(String::new(), |b| format!(
                            " (previous file kept as {})",
                            b.display()
                        ))
                    )))
                }
                None => Ok(ok(to_json(&cat)?)),
            }
        }
        CatalogCommand::Diff { a, b, json } => {
            let (ca, cb) = (catalog::load(&a)?, catalog::load(&b)?);
            let changes = smpmatch::catalog::diff::diff(&ca, &cb);
            Ok(ok(if json {
                to_json(&output::CatalogDiffOut {
                    schema_version: SCHEMA_VERSION,
                    command: output::Command::CatalogDiff,
                    a: a.display().to_string(),
                    b: b.display().to_string(),
                    changes,
                })?
            } else {
                output::render_diff(&changes)
            }))
        }
        CatalogCommand::Measure {
            catalog: path,
            photo,
            profile: profile_path,
            swatches,
            method,
            skin_region,
            months_healed,
            ink_share,
            white_region,
            date,
            dry_run,
            json,
        } => {
            let tint = match method {
                SwatchKind::TintDrawdown => {
                    let Some(share) = ink_share else {
                        return Err(Error::usage(
                            "--method tint-drawdown needs --ink-share SHARE (the ink's share of \
                             the let-down's pigment, e.g. 0.1 for 1 part ink to 9 parts white)",
                        ));
                    };
                    Some(smpmatch::catalog::measure::TintRequest {
                        ink_share: share,
                        white_region,
                    })
                }
                _ if ink_share.is_some() || white_region.is_some() => {
                    return Err(Error::usage(
                        "--ink-share and --white-region describe tints: use them with \
                         --method tint-drawdown",
                    ))
                }
                _ => None,
            };
            let measured = smpmatch::catalog::measure::measure(
                &path,
                &smpmatch::catalog::measure::MeasureRequest {
                    photo,
                    profile: profile_path,
                    swatches: swatches
                        .into_iter()
                        .map(|s| smpmatch::catalog::measure::Swatch {
                            pigment_id: s.id,
                            region: s.region,
                        })
                        .collect(),
                    method: match method {
                        SwatchKind::MasstoneDrawdown | SwatchKind::TintDrawdown => {
                            catalog::Method::MasstoneDrawdown
                        }
                        SwatchKind::HealedSwatch => catalog::Method::HealedSwatch,
                    },
                    skin_region,
                    months_healed,
                    date,
                    dry_run,
                    tint,
                },
            )?;
            let out = output::MeasureOut::new(&path, measured);
            Ok(ok(if json {
                to_json(&out)?
            } else {
                output::render_measure(&out)
            }))
        }
        CatalogCommand::FitFading {
            catalog: path,
            followups,
            records,
            dry_run,
            json,
        } => {
            let fitted = match (followups, records) {
                (Some(f), _) => smpmatch::catalog::measure::fit_fading(&path, &f, dry_run)?,
                (None, Some(dir)) => {
                    let db = dir.join(smpmatch::records::DB_FILE);
                    if !db.is_file() {
                        return Err(Error::usage(format!(
                            "--records {}: no record database there ({} is missing)",
                            dir.display(),
                            smpmatch::records::DB_FILE
                        )));
                    }
                    smpmatch::catalog::measure::fit_fading_from(
                        &path,
                        ("the record database", &db),
                        || smpmatch::records::Store::open(&dir)?.fading_followups(),
                        dry_run,
                    )?
                }
                (None, None) => return Err(Error::usage("give --followups FILE or --records DIR")),
            };
            let out = output::FitFadingOut::new(&path, fitted);
            Ok(ok(if json {
                to_json(&out)?
            } else {
                output::render_fit_fading(&out)
            }))
        }
    }
}

fn run_calibrate(c: CalibrateArgs) -> Result<Printed> {
    let target = c
        .out
        .as_deref()
        .map(|o| OutputFile::check(o, &[("the card photo", &c.photo)]))
        .transpose()?;
    if let Some(t) = &target {
        // A profile replaces only a profile: a catalog or notes given by mistake are kept.
        if t.real.exists() && Profile::load(&t.real).is_err() {
            return Err(Error::usage(format!(
                "{}: exists and is not a smpmatch calibration profile; refusing to replace it \
                 (choose another --out)",
                t.given.display()
            )));
        }
    }
    let calibration::Calibrated {
        profile,
        regions_found,
        ..
    } = calibration::calibrate_photo(
        &c.photo,
        c.corners,
        LoadLimits {
            max_pixels: c.max_pixels,
        },
        &CalibrateOptions {
            model: c.model.map(Into::into),
            reference_set: c.reference.map(Into::into),
            weighting: c.weight.into(),
        },
    )?;
    if let Some(target) = &target {
        smpmatch::io::files::write_atomic(target, &to_json(&profile)?)?;
    }
    let out = output::CalibrateOut {
        schema_version: SCHEMA_VERSION,
        command: output::Command::Calibrate,
        written_to: c.out.as_ref().map(|p| p.display().to_string()),
        regions_found,
        profile,
    };
    Ok(Printed {
        stdout: if c.json {
            to_json(&out)?
        } else {
            output::wrap_lines(&output::render_calibrate(&out), terminal_width())
        },
        code: 0,
        error: None,
    })
}

/// The JSON error object for `e`.
pub fn error_json(e: &Error) -> String {
    let body = output::ErrorOut {
        error: error_body(e),
    };
    serde_json::to_string(&body).unwrap_or_else(|_| {
        "{\"error\":{\"kind\":\"internal\",\"message\":\"cannot serialise error\"}}".into()
    })
}

/// The JSON error body for `e`.
pub fn error_body(e: &Error) -> output::ErrorBody {
    output::ErrorBody::of(e)
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
        let mut text = format!("smpmatch: error: {e}\n");
        if let Error::Catalog { problems, .. } = e {
            for p in problems {
                let path = if p.path.is_empty() {
                    "(document)"
                } else {
                    &p.path
                };
                text.push_str(&format!("  {path}: {}\n", p.message));
            }
        }
        let _ = err.write_all(output::escape_text(&text).as_bytes());
    }
    e.exit_code()
}

/// The whole program: parse, run, print, map errors. Returns the exit code.
pub fn main_with_args(args: Vec<std::ffi::OsString>) -> i32 {
    let json = wants_json(&args);
    let cfg = match config::load() {
        Ok(c) => c,
        Err(e) => return report_error(&e, json),
    };
    let parsed = config::apply(<Cli as clap::CommandFactory>::command(), &cfg)
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return 0;
            }
            if json {
                // clap's message up to its usage block, on one line: "the following required
                // arguments were not provided: --catalog <FILE>" keeps the argument's name.
                let msg = e.render().to_string();
                let head = msg.split("\n\nUsage:").next().unwrap_or("usage error");
                let blocks: Vec<String> = head
                    .split("\n\n")
                    .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|b| !b.is_empty())
                    .collect();
                let one_line = blocks.join("; ");
                let text = one_line.trim_start_matches("error: ");
                return report_error(&Error::usage(text.to_string()), true);
            }
            let _ = e.print();
            return 2;
        }
    };
    if let Some(n) = cli.threads {
        // Set once, before any parallel work; it cannot fail here, and if it did the
        // default pool would give the same results.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let terminal = text_output(&cli.command);
    match run(cli) {
        Ok(p) => {
            let text = match terminal {
                Some(sgr) => std::borrow::Cow::Owned(output::escape_terminal(&p.stdout, sgr)),
                None => std::borrow::Cow::Borrowed(&p.stdout),
            };
            if let Err(e) = write_stdout(text.as_bytes()) {
                return report_error(&e, json);
            }
            if let Some(e) = &p.error {
                report_error(e, json);
            }
            p.code
        }
        Err(e) => report_error(&e, json),
    }
}

/// Write all of `bytes` to stdout and flush, every failure an output error (a full disk, a
/// closed descriptor). A reader that went away (`| head`) is not an error of ours: the
/// rest is dropped and the exit code stays that of the command.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::write("-", e)),
    }
}

/// Whether `command` prints text for a terminal (`Some(colour on)`) rather than JSON, roff
/// or a shell script (`None`): text is escaped so that names and paths cannot carry
/// terminal control sequences.
fn text_output(command: &Command) -> Option<bool> {
    match command {
        Command::Analyze(a) if !a.photos.json => Some(use_color(a.photos.color)),
        Command::Match(m) if !m.photos.json => Some(use_color(m.photos.color)),
        Command::Batch(b) if b.out.is_some() => Some(false),
        Command::Man { dir: Some(_), .. } => Some(false),
        Command::Config(ConfigCommand::Show { json: false }) => Some(false),
        Command::DeltaE(d) if !d.json => Some(false),
        Command::Calibrate(c) if !c.json => Some(false),
        Command::Catalog(CatalogCommand::Show { json, color, .. }) if !json => {
            Some(use_color(*color))
        }
        Command::Catalog(CatalogCommand::Import { out, .. }) if out.is_some() => Some(false),
        Command::Catalog(CatalogCommand::Diff { json, .. })
        | Command::Catalog(CatalogCommand::Validate { json, .. })
        | Command::Catalog(CatalogCommand::Measure { json, .. })
        | Command::Catalog(CatalogCommand::FitFading { json, .. })
            if !json =>
        {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_months;

    #[test]
    fn months_parse() {
        assert_eq!(parse_months("12,0,6,6").ok(), Some(vec![0.0, 6.0, 12.0]));
        assert!(parse_months("-1").is_err());
        assert!(parse_months("").is_err());
        assert!(parse_months("x").is_err());
    }
}
