//! `serve` (the chair-side web page) and `record` (the consultation records from the command
//! line). Both use the same data directory: `--data DIR`, else `$SMPMATCH_DATA`, else
//! `smpmatch` in the platform's data directory (`~/.local/share` on Linux).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use smpmatch::error::{Error, Result};
use smpmatch::input::{LoadLimits, Region};
use smpmatch::io::files::OutputFile;
use smpmatch::records::{parse_date, Store};

use super::{ok, to_json, Printed};

/// Where the records live.
#[derive(Debug, Clone, Args)]
pub struct DataArg {
    /// Data directory: the record database (smpmatch.sqlite) and the stored photos
    /// [default: smpmatch in the platform's data directory].
    #[arg(long, value_name = "DIR", env = "SMPMATCH_DATA")]
    pub data: Option<PathBuf>,
}

impl DataArg {
    /// The directory chosen.
    pub fn dir(&self) -> Result<PathBuf> {
        match &self.data {
            Some(d) => Ok(d.clone()),
            None => dirs::data_dir()
                .map(|d| d.join("smpmatch"))
                .ok_or_else(|| Error::usage("no platform data directory here: give --data DIR")),
        }
    }
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Photos to open on the page at start (also stored in the data directory).
    pub photos: Vec<PathBuf>,
    /// Pigment catalogs offered on the page (repeat the flag; the first is the default).
    #[arg(
        id = "catalog",
        short = 'c',
        long = "catalog",
        value_name = "FILE",
        env = "SMPMATCH_CATALOG",
        required = true
    )]
    pub catalogs: Vec<PathBuf>,
    /// Calibration profiles offered on the page (repeat the flag).
    #[arg(
        id = "profile",
        long = "profile",
        value_name = "FILE",
        env = "SMPMATCH_PROFILE"
    )]
    pub profiles: Vec<PathBuf>,
    /// Port [default: 8737 if free, else any free port; 0: any free port].
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Address to listen on. Anything but loopback (a tablet on the clinic's network) is
    /// served without TLS: use it only on a network you trust.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    #[command(flatten)]
    pub data: DataArg,
    /// Do not open the browser.
    #[arg(long)]
    pub no_open: bool,
    /// The access token [default: a fresh random one each start].
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SMPMATCH_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Largest photo accepted, in megapixels.
    #[arg(long, value_name = "MP", default_value_t = smpmatch::input::DEFAULT_MAX_PIXELS / 1_000_000)]
    pub max_megapixels: u64,
}

/// `serve`: bind, say where, open the browser, serve until Ctrl-C or SIGTERM.
pub fn run_serve(a: ServeArgs, quiet: bool) -> Result<Printed> {
    let catalogs = a
        .catalogs
        .iter()
        .map(|p| smpmatch::catalog::load(p).map(|c| (p.clone(), c)))
        .collect::<Result<Vec<_>>>()?;
    let profiles = a
        .profiles
        .iter()
        .map(|p| smpmatch::calibration::Profile::load(p).map(|c| (p.clone(), c)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(t) = &a.token {
        if t.len() < 16
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::usage(
                "--token: 16 or more letters, digits, '-' or '_' (a guessable token is no protection)",
            ));
        }
    }
    let server = smpmatch::serve::Server::bind(smpmatch::serve::Config {
        addr: a.bind,
        port: a.port,
        data_dir: a.data.dir()?,
        catalogs,
        profiles,
        limits: LoadLimits {
            max_pixels: a.max_megapixels.saturating_mul(1_000_000),
        },
        token: a.token.clone(),
        photos: a.photos.clone(),
    })?;
    let url = server.url();
    if !a.bind.is_loopback() {
        eprintln!(
            "warning: listening on {} without TLS: photos and the token cross the network \
             unencrypted. Use this only on a network you trust; anyone with the token can \
             see the records. From another device open http://THIS-COMPUTER:{}/?token=… \
             (the token as above).",
            server.local_addr,
            server.local_addr.port()
        );
    }
    // The URL goes to stdout (a program can read it), notes to stderr.
    println!("{url}");
    if !quiet {
        eprintln!("smpmatch serving at {url} (Ctrl-C stops it)");
    }
    if !a.no_open {
        open_browser(&url);
    }
    server.run()?;
    if !quiet {
        eprintln!("smpmatch: stopped");
    }
    Ok(ok(String::new()))
}

/// Open `url` in the desktop's browser; a failure is only a note (the URL is printed).
fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let r = std::process::Command::new(cmd.0)
        .args(&cmd.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if r.is_err() {
        eprintln!(
            "note: could not open a browser ({}); open the address above",
            cmd.0
        );
    }
}

/// `record`.
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// List patients (their clinic references).
    Patients {
        #[command(flatten)]
        data: DataArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List consultations, newest first.
    List {
        /// Only this patient's.
        #[arg(long, value_name = "REF")]
        patient: Option<String>,
        #[command(flatten)]
        data: DataArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One consultation with its sessions and follow-ups.
    Show {
        /// Consultation id.
        id: i64,
        #[command(flatten)]
        data: DataArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record a session performed for a consultation.
    Session {
        /// Consultation id.
        id: i64,
        /// Date of the session, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date_arg)]
        date: time::Date,
        /// Ink used, by catalog id.
        #[arg(long, value_name = "ID")]
        ink: String,
        /// Parts diluent per part ink.
        #[arg(long, value_name = "PARTS")]
        dilution: f64,
        /// Dots per cm².
        #[arg(long, value_name = "N")]
        density: Option<f64>,
        /// Dot (needle) diameter, mm.
        #[arg(long, value_name = "MM")]
        dot_mm: Option<f64>,
        /// Needle, in the clinic's words ("1RL 0.30").
        #[arg(long, value_name = "TEXT")]
        needle: Option<String>,
        #[command(flatten)]
        data: DataArg,
    },
    /// Record a follow-up of healed work: measured colours (--lab and --skin-lab) or a photo
    /// with the treated and untreated regions (--photo, --region, --skin-region).
    Followup {
        /// Consultation id.
        id: i64,
        /// Date of the follow-up photo, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date_arg)]
        date: time::Date,
        /// The healed work's colour, L,a,b (CIELAB, D65).
        #[arg(long, value_parser = smpmatch::color::parse_lab_values, allow_hyphen_values = true,
              required_unless_present = "photo", conflicts_with = "photo")]
        lab: Option<[f64; 3]>,
        /// The untreated skin beside it, L,a,b.
        #[arg(long, value_parser = smpmatch::color::parse_lab_values, allow_hyphen_values = true,
              required_unless_present = "photo", conflicts_with = "photo")]
        skin_lab: Option<[f64; 3]>,
        /// A follow-up photo (stored by content in the data directory).
        #[arg(long, requires_all = ["region", "skin_region"])]
        photo: Option<PathBuf>,
        /// The treated area on --photo: X,Y,W,H (its median colour is measured).
        #[arg(long, value_parser = Region::parse)]
        region: Option<Region>,
        /// Untreated skin on --photo: X,Y,W,H.
        #[arg(long, value_parser = Region::parse)]
        skin_region: Option<Region>,
        /// Measured healed dot diameter, mm.
        #[arg(long, value_name = "MM")]
        dot_mm: Option<f64>,
        /// Use it in fading fits even inside the healing window.
        #[arg(long, conflicts_with = "exclude")]
        include: bool,
        /// Never use it in fading fits.
        #[arg(long)]
        exclude: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// Print the follow-ups usable for fading fits (`catalog fit-fading --records` reads the
    /// same): JSON array, or CSV with --csv.
    Followups {
        #[command(flatten)]
        data: DataArg,
        /// CSV (pigment_id,months,L,a,b,skin_L,skin_a,skin_b,sun,dot_mm).
        #[arg(long)]
        csv: bool,
    },
    /// Write a consistent copy of the database (safe while `serve` runs).
    Backup {
        /// The copy (written atomically; never the database itself).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        #[command(flatten)]
        data: DataArg,
    },
}

fn parse_date_arg(s: &str) -> std::result::Result<time::Date, String> {
    parse_date(s).map_err(|e| e.to_string())
}

/// Median of each CIELAB channel of a region's samples.
fn median_lab(photo: &smpmatch::input::Photo, r: Region) -> Result<[f64; 3]> {
    photo.check_region(r)?;
    let s = photo.sample_lab(Some(r), 20_000)?;
    if s.lab.is_empty() {
        return Err(Error::usage(format!(
            "region {},{},{},{} has no opaque pixel",
            r.x, r.y, r.w, r.h
        )));
    }
    let mut out = [0.0; 3];
    for (i, o) in out.iter_mut().enumerate() {
        let mut v: Vec<f64> = s
            .lab
            .iter()
            .map(|l| smpmatch::color::lab_to_array(*l)[i])
            .collect();
        v.sort_by(f64::total_cmp);
        *o = (v[v.len() / 2] * 100.0).round() / 100.0;
    }
    Ok(out)
}

/// `record …`.
pub fn run_record(c: RecordCommand) -> Result<Printed> {
    match c {
        RecordCommand::Patients { data, json } => {
            let list = Store::open(&data.dir()?)?.patients()?;
            Ok(ok(if json {
                to_json(&list)?
            } else {
                list.iter().map(|p| format!("{p}\n")).collect()
            }))
        }
        RecordCommand::List {
            patient,
            data,
            json,
        } => {
            let list = Store::open(&data.dir()?)?.consultations(patient.as_deref())?;
            if json {
                return Ok(ok(to_json(&list)?));
            }
            let mut s = String::new();
            for c in &list {
                s.push_str(&format!(
                    "{:>5}  {}  {}  {}, {} parts diluent, {} dots/cm²\n",
                    c.id,
                    &c.created[..c.created.len().min(10)],
                    smpmatch::output::escape_text(&c.patient),
                    c.pigment_id.as_deref().unwrap_or("?"),
                    c.dilution.map_or("?".into(), |d| d.to_string()),
                    c.density_per_cm2.map_or("?".into(), |d| d.to_string()),
                ));
            }
            if list.is_empty() {
                s.push_str("no consultations\n");
            }
            Ok(ok(s))
        }
        RecordCommand::Show { id, data, json } => {
            let store = Store::open(&data.dir()?)?;
            let out = serde_json::json!({
                "consultation": store.consultation(id)?,
                "sessions": store.sessions(id)?,
                "followups": store.followups(id)?,
            });
            if json {
                return Ok(ok(to_json(&out)?));
            }
            let c = store.consultation(id)?;
            let mut s = format!(
                "consultation {} · patient {} · {}\n  ink {} · dilution {} · {} dots/cm² · {} mm · sun {}\n",
                c.id,
                smpmatch::output::escape_text(&c.patient),
                c.created,
                c.pigment_id.as_deref().unwrap_or("?"),
                c.dilution.map_or("?".into(), |d| d.to_string()),
                c.density_per_cm2.map_or("?".into(), |d| d.to_string()),
                c.dot_mm.map_or("?".into(), |d| d.to_string()),
                c.sun.as_deref().unwrap_or("?"),
            );
            if let (Some(h), Some(sc)) = (c.hair_lab, c.scalp_lab) {
                s.push_str(&format!(
                    "  hair L*a*b* {:.1} {:.1} {:.1} · scalp {:.1} {:.1} {:.1}\n",
                    h[0], h[1], h[2], sc[0], sc[1], sc[2]
                ));
            }
            for x in store.sessions(id)? {
                s.push_str(&format!(
                    "  session {} · {} · dilution {}\n",
                    x.date,
                    smpmatch::output::escape_text(&x.pigment_id),
                    x.dilution
                ));
            }
            for f in store.followups(id)? {
                let used = f.include_in_fits.unwrap_or(!f.healing_window);
                s.push_str(&format!(
                    "  follow-up {} · work {:.1} {:.1} {:.1} · skin {:.1} {:.1} {:.1}{}{}\n",
                    f.date,
                    f.dot_lab[0],
                    f.dot_lab[1],
                    f.dot_lab[2],
                    f.skin_lab[0],
                    f.skin_lab[1],
                    f.skin_lab[2],
                    if f.healing_window {
                        " · inside the healing window"
                    } else {
                        ""
                    },
                    if used { "" } else { " · not used in fits" },
                ));
            }
            Ok(ok(s))
        }
        RecordCommand::Session {
            id,
            date,
            ink,
            dilution,
            density,
            dot_mm,
            needle,
            data,
        } => {
            let store = Store::open(&data.dir()?)?;
            let sid = store.add_session(&smpmatch::records::NewSession {
                consultation_id: id,
                date,
                pigment_id: ink,
                dilution,
                density_per_cm2: density,
                dot_mm,
                needle,
            })?;
            Ok(ok(format!(
                "session {sid} recorded for consultation {id}\n"
            )))
        }
        RecordCommand::Followup {
            id,
            date,
            lab,
            skin_lab,
            photo,
            region,
            skin_region,
            dot_mm,
            include,
            exclude,
            data,
        } => {
            let store = Store::open(&data.dir()?)?;
            let (sha, work, skin) = match (photo, region, skin_region, lab, skin_lab) {
                (Some(p), Some(r), Some(sr), _, _) => {
                    let limits = LoadLimits::default();
                    let photo = smpmatch::input::Photo::load(&p, limits)?;
                    let work = median_lab(&photo, r)?;
                    let skin = median_lab(&photo, sr)?;
                    let bytes = smpmatch::io::files::read_input(
                        &p,
                        "a photo",
                        smpmatch::input::MAX_PHOTO_BYTES,
                    )?;
                    let (sha, _, _) = store.add_photo(&bytes, limits)?;
                    (Some(sha), work, skin)
                }
                (None, _, _, Some(l), Some(s)) => (None, l, s),
                _ => {
                    return Err(Error::usage(
                        "give --lab and --skin-lab, or --photo with --region and --skin-region",
                    ))
                }
            };
            let choice = if include {
                Some(true)
            } else if exclude {
                Some(false)
            } else {
                None
            };
            let (fid, flagged) = store.add_followup(&smpmatch::records::NewFollowUp {
                consultation_id: id,
                date,
                photo_sha256: sha,
                dot_lab: work,
                skin_lab: skin,
                dot_mm,
                include: choice,
            })?;
            let mut s = format!(
                "follow-up {fid} recorded for consultation {id}: work L*a*b* {:.1} {:.1} {:.1}, skin {:.1} {:.1} {:.1}\n",
                work[0], work[1], work[2], skin[0], skin[1], skin[2]
            );
            if flagged {
                s.push_str(if include {
                    "  inside the healing window (too soon after the last session, or the skin still red); included in fading fits as asked\n"
                } else {
                    "  inside the healing window (too soon after the last session, or the skin still red): kept out of fading fits (--include to use it)\n"
                });
            }
            Ok(ok(s))
        }
        RecordCommand::Followups { data, csv } => {
            let rows = Store::open(&data.dir()?)?.fading_followups()?;
            if !csv {
                return Ok(ok(to_json(&rows)?));
            }
            let mut w = csv::Writer::from_writer(Vec::new());
            let csv_err = |e: csv::Error| Error::Internal(format!("CSV: {e}"));
            w.write_record(smpmatch::catalog::fit::CSV_COLUMNS)
                .map_err(csv_err)?;
            for r in &rows {
                w.write_record([
                    r.pigment_id.clone(),
                    r.months.to_string(),
                    r.lab[0].to_string(),
                    r.lab[1].to_string(),
                    r.lab[2].to_string(),
                    r.skin_lab[0].to_string(),
                    r.skin_lab[1].to_string(),
                    r.skin_lab[2].to_string(),
                    r.sun
                        .map(|x| smpmatch::output::wire_name(&x))
                        .unwrap_or_default(),
                    r.dot_mm.map(|d| d.to_string()).unwrap_or_default(),
                ])
                .map_err(csv_err)?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| Error::Internal(format!("CSV: {e}")))?;
            let s = String::from_utf8_lossy(&bytes).into_owned();
            Ok(ok(s))
        }
        RecordCommand::Backup { to, data } => {
            let dir = data.dir()?;
            let db = dir.join(smpmatch::records::DB_FILE);
            let out = OutputFile::check(&to, &[("the record database", db.as_path())])?;
            refuse_inside_wal(&out, &db)?;
            Store::open(&dir)?.backup(&out)?;
            Ok(ok(format!("backup written to {}\n", to.display())))
        }
    }
}

/// The database's own WAL and shared-memory files are inputs too.
fn refuse_inside_wal(out: &OutputFile, db: &Path) -> Result<()> {
    for ext in ["sqlite-wal", "sqlite-shm"] {
        let side = db.with_extension(ext);
        if smpmatch::io::files::same_file(&out.real, &side) {
            return Err(Error::usage(format!(
                "{}: that is the record database's own file; back up to another file",
                out.given.display()
            )));
        }
    }
    Ok(())
}
