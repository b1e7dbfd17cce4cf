//! Consultation records: an embedded SQLite database (one file in a data directory) of
//! patients, consultations, sessions performed and follow-ups of healed work.
//!
//! Every follow-up is a measurement of how an ink aged in a real patient, so the store
//! feeds `catalog fit-fading` ([`Store::fading_followups`]). Records hold no more personal
//! data than a clinic's own patient reference. Photos are stored beside the database by the
//! SHA-256 of their bytes ([`Store::add_photo`]), written atomically, so a photo is kept once
//! however many consultations use it.
//!
//! The database runs in WAL mode with a busy timeout, so the web page, the command line and
//! a backup can use it at once; every change is one transaction, so a killed process loses
//! at most the change in flight. The schema is versioned (`PRAGMA user_version`) and
//! migrated forward on open ([`MIGRATIONS`]).
//!
//! ```
//! use smpmatch::records::{Store, NewConsultation};
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path())?;
//! let patient = store.patient("P-0042")?;
//! let id = store.add_consultation(&NewConsultation {
//!     patient_id: patient,
//!     pigment_id: Some("carbon-black".into()),
//!     dilution: Some(1.0),
//!     ..NewConsultation::default()
//! })?;
//! assert_eq!(store.consultations(Some("P-0042"))?[0].id, id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::Digest;

use crate::catalog::fit::FollowUp;
use crate::error::{Error, Result};
use crate::model::Sun;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "smpmatch.sqlite";
/// The photo directory's name inside the data directory.
pub const PHOTO_DIR: &str = "photos";

/// A follow-up this soon after the last session is inside the healing window: the skin is
/// still remodelling (a tattoo's epidermis heals in 2–4 weeks, the dermis settles over the
/// following weeks), so its colour says nothing yet about fading. An assumption of this
/// store, documented in docs/records.md.
pub const HEALING_WINDOW_DAYS: i64 = 42;
/// A follow-up whose skin is this much redder (a*) than the consultation's scalp is still
/// inflamed, whatever its date.
pub const RED_SKIN_DELTA_A: f64 = 4.0;

/// The schema, one step per version: `MIGRATIONS[i]` takes `user_version` i to i + 1.
/// Never edit a released step; add one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 200),
        created TEXT NOT NULL
    );
    CREATE TABLE photos (
        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        extension TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        added TEXT NOT NULL
    );
    CREATE TABLE consultations (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        created TEXT NOT NULL,
        photo_sha256 TEXT REFERENCES photos(sha256),
        hair_regions TEXT NOT NULL DEFAULT '[]',
        scalp_regions TEXT NOT NULL DEFAULT '[]',
        hair_l REAL, hair_a REAL, hair_b REAL,
        scalp_l REAL, scalp_a REAL, scalp_b REAL,
        ita REAL,
        catalog_name TEXT,
        pigment_id TEXT,
        dilution REAL,
        density_per_cm2 REAL,
        dot_mm REAL,
        sun TEXT,
        model_version TEXT NOT NULL,
        result TEXT
    );
    CREATE INDEX consultations_patient ON consultations(patient_id);
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        consultation_id INTEGER NOT NULL REFERENCES consultations(id),
        date TEXT NOT NULL,
        pigment_id TEXT NOT NULL,
        dilution REAL NOT NULL CHECK (dilution >= 0),
        density_per_cm2 REAL,
        dot_mm REAL,
        needle TEXT
    );
    CREATE INDEX sessions_consultation ON sessions(consultation_id);
    CREATE TABLE followups (
        id INTEGER PRIMARY KEY,
        consultation_id INTEGER NOT NULL REFERENCES consultations(id),
        date TEXT NOT NULL,
        photo_sha256 TEXT REFERENCES photos(sha256),
        dot_l REAL NOT NULL, dot_a REAL NOT NULL, dot_b REAL NOT NULL,
        skin_l REAL NOT NULL, skin_a REAL NOT NULL, skin_b REAL NOT NULL,
        dot_mm REAL,
        healing_window INTEGER NOT NULL,
        include_in_fits INTEGER
    );
    CREATE INDEX followups_consultation ON followups(consultation_id);",
];

/// The schema version this build writes.
pub fn schema_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// A consultation to record.
#[derive(Debug, Clone, Default)]
pub struct NewConsultation {
    /// From [`Store::patient`].
    pub patient_id: i64,
    /// The photo, by its SHA-256 (from [`Store::add_photo`]).
    pub photo_sha256: Option<String>,
    /// Hair rectangles `[x, y, w, h]` (empty: automatic separation).
    pub hair_regions: Vec<[u32; 4]>,
    /// Scalp rectangles.
    pub scalp_regions: Vec<[u32; 4]>,
    /// Measured hair target, CIELAB D65.
    pub hair_lab: Option<[f64; 3]>,
    /// Measured scalp target.
    pub scalp_lab: Option<[f64; 3]>,
    /// The scalp's ITA°.
    pub ita: Option<f64>,
    /// The catalog's name.
    pub catalog_name: Option<String>,
    /// The chosen ink.
    pub pigment_id: Option<String>,
    /// Its dilution, parts diluent per part ink.
    pub dilution: Option<f64>,
    /// Planned density, dots/cm².
    pub density_per_cm2: Option<f64>,
    /// Planned dot diameter, mm.
    pub dot_mm: Option<f64>,
    /// The patient's sun exposure.
    pub sun: Option<Sun>,
    /// The match document (`match --json`) the choice was made on.
    pub result_json: Option<String>,
}

/// A session to record.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The consultation it carries out.
    pub consultation_id: i64,
    /// Its date.
    pub date: time::Date,
    /// Ink used, by catalog id.
    pub pigment_id: String,
    /// Parts diluent per part ink.
    pub dilution: f64,
    /// Dots/cm².
    pub density_per_cm2: Option<f64>,
    /// Dot (needle) diameter, mm.
    pub dot_mm: Option<f64>,
    /// Needle, in the clinic's words.
    pub needle: Option<String>,
}

/// A follow-up to record.
#[derive(Debug, Clone)]
pub struct NewFollowUp {
    /// The consultation whose work it shows.
    pub consultation_id: i64,
    /// Date of the follow-up photo.
    pub date: time::Date,
    /// The photo, if stored ([`Store::add_photo`]).
    pub photo_sha256: Option<String>,
    /// Measured healed work, CIELAB D65.
    pub dot_lab: [f64; 3],
    /// Untreated skin beside it.
    pub skin_lab: [f64; 3],
    /// Measured healed dot diameter, mm.
    pub dot_mm: Option<f64>,
    /// The technician's choice for fading fits (`None`: follow the healing-window flag).
    pub include: Option<bool>,
}

/// A consultation as stored.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Consultation {
    /// Row id.
    pub id: i64,
    /// The clinic's patient reference.
    pub patient: String,
    /// When it was recorded (UTC, RFC 3339).
    pub created: String,
    /// The photo's SHA-256.
    pub photo_sha256: Option<String>,
    /// Hair rectangles.
    pub hair_regions: Vec<[u32; 4]>,
    /// Scalp rectangles.
    pub scalp_regions: Vec<[u32; 4]>,
    /// Hair target Lab.
    pub hair_lab: Option<[f64; 3]>,
    /// Scalp target Lab.
    pub scalp_lab: Option<[f64; 3]>,
    /// ITA°.
    pub ita: Option<f64>,
    /// Catalog name.
    pub catalog_name: Option<String>,
    /// Chosen ink.
    pub pigment_id: Option<String>,
    /// Dilution, parts diluent per part ink.
    pub dilution: Option<f64>,
    /// Density, dots/cm².
    pub density_per_cm2: Option<f64>,
    /// Dot diameter, mm.
    pub dot_mm: Option<f64>,
    /// Sun exposure.
    pub sun: Option<String>,
    /// smpmatch version and output schema that made it.
    pub model_version: String,
}

/// A session performed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Session {
    /// Row id.
    pub id: i64,
    /// The consultation it carries out.
    pub consultation_id: i64,
    /// Date, YYYY-MM-DD.
    pub date: String,
    /// Ink used.
    pub pigment_id: String,
    /// Parts diluent per part ink.
    pub dilution: f64,
    /// Dots/cm².
    pub density_per_cm2: Option<f64>,
    /// Dot or needle diameter, mm.
    pub dot_mm: Option<f64>,
    /// Needle (the clinic's words: "1RL 0.30").
    pub needle: Option<String>,
}

/// A follow-up photo's measurement of healed work.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FollowUpRecord {
    /// Row id.
    pub id: i64,
    /// The consultation.
    pub consultation_id: i64,
    /// Date, YYYY-MM-DD.
    pub date: String,
    /// The follow-up photo, if stored.
    pub photo_sha256: Option<String>,
    /// Measured healed dots (or treated area), CIELAB D65.
    pub dot_lab: [f64; 3],
    /// Untreated skin beside them.
    pub skin_lab: [f64; 3],
    /// Measured healed dot diameter, mm.
    pub dot_mm: Option<f64>,
    /// Inside the healing window (too soon, or a red scalp): kept out of fits unless
    /// included.
    pub healing_window: bool,
    /// The technician's choice (None: follow `healing_window`).
    pub include_in_fits: Option<bool>,
}

/// The record store: the database and the photos beside it.
pub struct Store {
    conn: Connection,
    dir: PathBuf,
}

fn db_err(path: &Path, what: &str, e: rusqlite::Error) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

/// Today's date and time in UTC, RFC 3339 (to the second).
fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parse `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<time::Date> {
    let bad = || Error::usage(format!("{s:?}: not a date (YYYY-MM-DD)"));
    let mut it = s.split('-');
    let (Some(y), Some(m), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let d: u8 = d.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    time::Date::from_calendar_date(y, month, d).map_err(|_| bad())
}

fn lab3(l: Option<f64>, a: Option<f64>, b: Option<f64>) -> Option<[f64; 3]> {
    Some([l?, a?, b?])
}

fn regions_json(r: &[[u32; 4]]) -> String {
    serde_json::to_string(r).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Open (creating if needed) the store in `dir`, migrating its schema forward. Refuses a
    /// database written by a newer smpmatch.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir.join(PHOTO_DIR)).map_err(|e| Error::Output {
            path: dir.to_path_buf(),
            message: format!(
                "cannot create the data directory: {}",
                crate::error::io_message(&e)
            ),
        })?;
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path).map_err(|e| db_err(&path, "cannot open", e))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| db_err(&path, "cannot set a busy timeout", e))?;
        // WAL: readers never block the writer, and a crash rolls back the last transaction.
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"))
            .map_err(|e| db_err(&path, "not an smpmatch record database", e))?;
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| db_err(&path, "not an smpmatch record database", e))?;
        if version > schema_version() {
            return Err(Error::Input {
                path,
                message: format!(
                    "the record database is at schema version {version}, newer than this \
                     smpmatch ({}): use a newer smpmatch",
                    schema_version()
                ),
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| db_err(&path, "cannot migrate", e))?;
            // Another process may have migrated while this one waited for the lock.
            let now_at: u32 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(|e| db_err(&path, "cannot migrate", e))?;
            if now_at as usize > i {
                continue;
            }
            tx.execute_batch(step)
                .and_then(|()| tx.pragma_update(None, "user_version", i as u32 + 1))
                .and_then(|()| tx.commit())
                .map_err(|e| db_err(&path, &format!("migration to version {}", i + 1), e))?;
        }
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self) -> PathBuf {
        self.dir.join(DB_FILE)
    }

    fn err(&self, what: &str, e: rusqlite::Error) -> Error {
        db_err(&self.path(), what, e)
    }

    /// The patient with this clinic reference, created if new; returns its row id.
    pub fn patient(&self, reference: &str) -> Result<i64> {
        let reference = reference.trim();
        if reference.is_empty() || reference.chars().count() > 200 {
            return Err(Error::usage(
                "a patient reference is 1 to 200 characters (the clinic's own reference, not a name)",
            ));
        }
        self.conn
            .execute(
                "INSERT INTO patients (reference, created) VALUES (?1, ?2)
                 ON CONFLICT(reference) DO NOTHING",
                params![reference, now()],
            )
            .map_err(|e| self.err("cannot add the patient", e))?;
        self.conn
            .query_row(
                "SELECT id FROM patients WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
            .map_err(|e| self.err("cannot read the patient", e))
    }

    /// Every patient reference, sorted.
    pub fn patients(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT reference FROM patients ORDER BY reference")
            .map_err(|e| self.err("cannot list patients", e))?;
        let rows = st
            .query_map([], |r| r.get(0))
            .and_then(|r| r.collect::<std::result::Result<Vec<String>, _>>())
            .map_err(|e| self.err("cannot list patients", e));
        rows
    }

    /// Where a stored photo's bytes live.
    pub fn photo_path(&self, sha256: &str, extension: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        let ext_ok = matches!(extension, "jpg" | "png" | "tif" | "webp" | "heic");
        (ok && ext_ok).then(|| {
            self.dir
                .join(PHOTO_DIR)
                .join(&sha256[..2])
                .join(format!("{sha256}.{extension}"))
        })
    }

    /// The stored photo with this hash, as (path, width, height).
    pub fn find_photo(&self, sha256: &str) -> Result<Option<(PathBuf, u32, u32)>> {
        let row: Option<(String, u32, u32)> = self
            .conn
            .query_row(
                "SELECT extension, width, height FROM photos WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err("cannot read a photo", e))?;
        Ok(row.and_then(|(ext, w, h)| self.photo_path(sha256, &ext).map(|p| (p, w, h))))
    }

    /// Store a photo's bytes by content (checked first by decoding them with `limits`);
    /// returns its SHA-256, width and height. The same bytes are stored once.
    pub fn add_photo(
        &self,
        bytes: &[u8],
        limits: crate::input::LoadLimits,
    ) -> Result<(String, u32, u32)> {
        let sha = hex(&sha2::Sha256::digest(bytes));
        if let Some((p, w, h)) = self.find_photo(&sha)? {
            if p.is_file() {
                return Ok((sha, w, h));
            }
        }
        let heif = bytes.len() >= 12 && &bytes[4..8] == b"ftyp";
        let ext = match image::guess_format(bytes) {
            _ if heif => "heic",
            Ok(image::ImageFormat::Jpeg) => "jpg",
            Ok(image::ImageFormat::Png) => "png",
            Ok(image::ImageFormat::Tiff) => "tif",
            Ok(image::ImageFormat::WebP) => "webp",
            _ => {
                return Err(Error::Photo {
                    path: PathBuf::from("the uploaded photo"),
                    message: "not a JPEG, PNG, TIFF, WebP or HEIC image".into(),
                })
            }
        };
        let path = self
            .photo_path(&sha, ext)
            .ok_or_else(|| Error::Internal("photo path".into()))?;
        let parent = path
            .parent()
            .ok_or_else(|| Error::Internal("photo dir".into()))?;
        std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        // Written to a temporary file beside it, synced, then renamed: never half a photo.
        let mut tmp =
            tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::write(parent, e))?;
        std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::write(&path, e))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::write(&path, e))?;
        // Decode it from the temporary file, so the limits and checks are the command line's.
        let photo = match crate::input::Photo::load(tmp.path(), limits) {
            Ok(p) => p,
            Err(e) => {
                let msg = e.to_string();
                let tail = msg
                    .split_once(": ")
                    .map_or(msg.as_str(), |(_, t)| t)
                    .to_string();
                return Err(Error::Photo {
                    path: PathBuf::from("the uploaded photo"),
                    message: tail,
                });
            }
        };
        let (w, h) = (photo.info.width, photo.info.height);
        tmp.persist(&path)
            .map_err(|e| Error::write(&path, e.error))?;
        self.conn
            .execute(
                "INSERT INTO photos (sha256, extension, width, height, bytes, added)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO NOTHING",
                params![sha, ext, w, h, bytes.len() as i64, now()],
            )
            .map_err(|e| self.err("cannot record the photo", e))?;
        Ok((sha, w, h))
    }

    /// Record a consultation; returns its id.
    pub fn add_consultation(&self, c: &NewConsultation) -> Result<i64> {
        let [hl, ha, hb] = c.hair_lab.map_or([None; 3], |v| v.map(Some));
        let [sl, sa, sb] = c.scalp_lab.map_or([None; 3], |v| v.map(Some));
        let sun = c.sun.map(|s| crate::output::wire_name(&s));
        self.conn
            .execute(
                "INSERT INTO consultations (patient_id, created, photo_sha256, hair_regions,
                 scalp_regions, hair_l, hair_a, hair_b, scalp_l, scalp_a, scalp_b, ita,
                 catalog_name, pigment_id, dilution, density_per_cm2, dot_mm, sun,
                 model_version, result)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                 ?16, ?17, ?18, ?19, ?20)",
                params![
                    c.patient_id,
                    now(),
                    c.photo_sha256,
                    regions_json(&c.hair_regions),
                    regions_json(&c.scalp_regions),
                    hl,
                    ha,
                    hb,
                    sl,
                    sa,
                    sb,
                    c.ita,
                    c.catalog_name,
                    c.pigment_id,
                    c.dilution,
                    c.density_per_cm2,
                    c.dot_mm,
                    sun,
                    model_version(),
                    c.result_json,
                ],
            )
            .map_err(|e| self.err("cannot record the consultation", e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Consultations, newest first (of one patient, or all).
    pub fn consultations(&self, patient: Option<&str>) -> Result<Vec<Consultation>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT c.id, p.reference, c.created, c.photo_sha256, c.hair_regions,
                 c.scalp_regions, c.hair_l, c.hair_a, c.hair_b, c.scalp_l, c.scalp_a, c.scalp_b,
                 c.ita, c.catalog_name, c.pigment_id, c.dilution, c.density_per_cm2, c.dot_mm,
                 c.sun, c.model_version
                 FROM consultations c JOIN patients p ON p.id = c.patient_id
                 WHERE ?1 IS NULL OR p.reference = ?1 ORDER BY c.id DESC",
            )
            .map_err(|e| self.err("cannot list consultations", e))?;
        let rows = st
            .query_map([patient], |r| {
                let regions = |s: String| serde_json::from_str(&s).unwrap_or_default();
                Ok(Consultation {
                    id: r.get(0)?,
                    patient: r.get(1)?,
                    created: r.get(2)?,
                    photo_sha256: r.get(3)?,
                    hair_regions: regions(r.get(4)?),
                    scalp_regions: regions(r.get(5)?),
                    hair_lab: lab3(r.get(6)?, r.get(7)?, r.get(8)?),
                    scalp_lab: lab3(r.get(9)?, r.get(10)?, r.get(11)?),
                    ita: r.get(12)?,
                    catalog_name: r.get(13)?,
                    pigment_id: r.get(14)?,
                    dilution: r.get(15)?,
                    density_per_cm2: r.get(16)?,
                    dot_mm: r.get(17)?,
                    sun: r.get(18)?,
                    model_version: r.get(19)?,
                })
            })
            .and_then(|r| r.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| self.err("cannot list consultations", e));
        rows
    }

    /// One consultation.
    pub fn consultation(&self, id: i64) -> Result<Consultation> {
        self.consultations(None)?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                Error::usage(format!("no consultation {id} in {}", self.path().display()))
            })
    }

    /// The match document a consultation was decided on.
    pub fn consultation_result(&self, id: i64) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT result FROM consultations WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.err("cannot read the consultation", e))
    }

    /// Record a session performed; returns its id.
    pub fn add_session(&self, s: &NewSession) -> Result<i64> {
        let NewSession {
            consultation_id,
            date,
            ref pigment_id,
            dilution,
            density_per_cm2,
            dot_mm,
            ref needle,
        } = *s;
        self.consultation(consultation_id)?;
        if !(dilution.is_finite() && dilution >= 0.0) {
            return Err(Error::usage(format!(
                "dilution {dilution}: parts diluent per part ink, 0 or more"
            )));
        }
        self.conn
            .execute(
                "INSERT INTO sessions (consultation_id, date, pigment_id, dilution,
                 density_per_cm2, dot_mm, needle) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    consultation_id,
                    crate::output::iso_date(date),
                    pigment_id,
                    dilution,
                    density_per_cm2,
                    dot_mm,
                    needle
                ],
            )
            .map_err(|e| self.err("cannot record the session", e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Sessions of a consultation, by date.
    pub fn sessions(&self, consultation_id: i64) -> Result<Vec<Session>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, consultation_id, date, pigment_id, dilution, density_per_cm2,
                 dot_mm, needle FROM sessions WHERE consultation_id = ?1 ORDER BY date, id",
            )
            .map_err(|e| self.err("cannot list sessions", e))?;
        let rows = st
            .query_map([consultation_id], |r| {
                Ok(Session {
                    id: r.get(0)?,
                    consultation_id: r.get(1)?,
                    date: r.get(2)?,
                    pigment_id: r.get(3)?,
                    dilution: r.get(4)?,
                    density_per_cm2: r.get(5)?,
                    dot_mm: r.get(6)?,
                    needle: r.get(7)?,
                })
            })
            .and_then(|r| r.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| self.err("cannot list sessions", e));
        rows
    }

    /// Record a follow-up of healed work; flags it as inside the healing window when it is
    /// under [`HEALING_WINDOW_DAYS`] after the last session before it, or its skin is over
    /// [`RED_SKIN_DELTA_A`] redder than the consultation's scalp. Returns (id, flagged).
    pub fn add_followup(&self, f: &NewFollowUp) -> Result<(i64, bool)> {
        let NewFollowUp {
            consultation_id,
            date,
            ref photo_sha256,
            dot_lab,
            skin_lab,
            dot_mm,
            include,
        } = *f;
        let c = self.consultation(consultation_id)?;
        if dot_lab.iter().chain(&skin_lab).any(|v| !v.is_finite()) {
            return Err(Error::usage(
                "a follow-up's colours must be finite CIELAB values",
            ));
        }
        let last = self
            .sessions(consultation_id)?
            .into_iter()
            .filter_map(|s| parse_date(&s.date).ok())
            .filter(|d| *d <= date)
            .max()
            .ok_or_else(|| {
                Error::usage(format!(
                    "consultation {consultation_id} has no session on or before {}: record \
                     the session first (`smpmatch record session`)",
                    crate::output::iso_date(date)
                ))
            })?;
        let too_soon = (date - last).whole_days() < HEALING_WINDOW_DAYS;
        let red = c
            .scalp_lab
            .is_some_and(|s| skin_lab[1] - s[1] > RED_SKIN_DELTA_A);
        let flagged = too_soon || red;
        self.conn
            .execute(
                "INSERT INTO followups (consultation_id, date, photo_sha256, dot_l, dot_a,
                 dot_b, skin_l, skin_a, skin_b, dot_mm, healing_window, include_in_fits)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    consultation_id,
                    crate::output::iso_date(date),
                    photo_sha256,
                    dot_lab[0],
                    dot_lab[1],
                    dot_lab[2],
                    skin_lab[0],
                    skin_lab[1],
                    skin_lab[2],
                    dot_mm,
                    flagged,
                    include
                ],
            )
            .map_err(|e| self.err("cannot record the follow-up", e))?;
        Ok((self.conn.last_insert_rowid(), flagged))
    }

    /// Follow-ups of a consultation, by date.
    pub fn followups(&self, consultation_id: i64) -> Result<Vec<FollowUpRecord>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, consultation_id, date, photo_sha256, dot_l, dot_a, dot_b, skin_l,
                 skin_a, skin_b, dot_mm, healing_window, include_in_fits FROM followups
                 WHERE consultation_id = ?1 ORDER BY date, id",
            )
            .map_err(|e| self.err("cannot list follow-ups", e))?;
        let rows = st
            .query_map([consultation_id], |r| {
                Ok(FollowUpRecord {
                    id: r.get(0)?,
                    consultation_id: r.get(1)?,
                    date: r.get(2)?,
                    photo_sha256: r.get(3)?,
                    dot_lab: [r.get(4)?, r.get(5)?, r.get(6)?],
                    skin_lab: [r.get(7)?, r.get(8)?, r.get(9)?],
                    dot_mm: r.get(10)?,
                    healing_window: r.get(11)?,
                    include_in_fits: r.get(12)?,
                })
            })
            .and_then(|r| r.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| self.err("cannot list follow-ups", e));
        rows
    }

    /// Every follow-up usable for fading fits, as `catalog fit-fading` rows: the ink and
    /// months since the last session before it (of the sessions recorded), the measured
    /// colours and dot size, and the consultation's sun. Follow-ups inside the healing window
    /// are left out unless the technician included them; excluded ones are left out always.
    pub fn fading_followups(&self) -> Result<Vec<FollowUp>> {
        let mut out = Vec::new();
        for c in self.consultations(None)?.into_iter().rev() {
            let sessions = self.sessions(c.id)?;
            for f in self.followups(c.id)? {
                if !f.include_in_fits.unwrap_or(!f.healing_window) {
                    continue;
                }
                let Ok(date) = parse_date(&f.date) else {
                    continue;
                };
                let Some((last, s)) = sessions
                    .iter()
                    .filter_map(|s| parse_date(&s.date).ok().map(|d| (d, s)))
                    .filter(|(d, _)| *d <= date)
                    .max_by_key(|(d, _)| *d)
                else {
                    continue;
                };
                let months = (date - last).whole_days() as f64 / (365.25 / 12.0);
                out.push(FollowUp {
                    pigment_id: s.pigment_id.clone(),
                    months: (months * 100.0).round() / 100.0,
                    lab: f.dot_lab,
                    skin_lab: f.skin_lab,
                    sun: c
                        .sun
                        .as_deref()
                        .and_then(|s| serde_json::from_value(serde_json::json!(s)).ok()),
                    dot_mm: f.dot_mm,
                });
            }
        }
        Ok(out)
    }

    /// Write a consistent copy of the database to `out` while others may be writing to it
    /// (SQLite's online backup), atomically: a temporary file beside `out`, then renamed.
    pub fn backup(&self, out: &crate::io::files::OutputFile) -> Result<()> {
        let parent = out
            .real
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let tmp = tempfile::NamedTempFile::new_in(&parent).map_err(|e| Error::write(&parent, e))?;
        {
            let mut dst = Connection::open(tmp.path())
                .map_err(|e| db_err(&out.given, "cannot create the backup", e))?;
            let b = rusqlite::backup::Backup::new(&self.conn, &mut dst)
                .map_err(|e| db_err(&out.given, "cannot start the backup", e))?;
            b.run_to_completion(256, std::time::Duration::from_millis(5), None)
                .map_err(|e| db_err(&out.given, "backup failed", e))?;
        }
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::write(&out.given, e))?;
        tmp.persist(&out.real)
            .map_err(|e| Error::write(&out.given, e.error))?;
        Ok(())
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err("integrity check", e))
    }
}

/// The version a record is stamped with: smpmatch's and its output schema's.
pub fn model_version() -> String {
    format!(
        "smpmatch {} (output schema {})",
        env!("CARGO_PKG_VERSION"),
        crate::output::SCHEMA_VERSION
    )
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> time::Date {
        parse_date(s).expect("a date")
    }

    #[test]
    fn follow_ups_inside_the_healing_window_stay_out_of_fits_unless_included() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let p = store.patient("A-1").expect("patient");
        let c = store
            .add_consultation(&NewConsultation {
                patient_id: p,
                scalp_lab: Some([60.0, 10.0, 15.0]),
                sun: Some(Sun::High),
                ..NewConsultation::default()
            })
            .expect("consultation");
        for (day, dilution) in [("2026-01-05", 1.0), ("2026-01-26", 0.0)] {
            store
                .add_session(&NewSession {
                    consultation_id: c,
                    date: date(day),
                    pigment_id: "carbon-black".into(),
                    dilution,
                    density_per_cm2: None,
                    dot_mm: None,
                    needle: None,
                })
                .expect("session");
        }
        let follow = |day: &str, l: f64, skin_a: f64, dot_mm: Option<f64>, include| {
            store.add_followup(&NewFollowUp {
                consultation_id: c,
                date: date(day),
                photo_sha256: None,
                dot_lab: [l, 2.0, 3.0],
                skin_lab: [60.0, skin_a, 15.0],
                dot_mm,
                include,
            })
        };
        // 3 weeks after the last session: too soon.
        let (_, soon) = follow("2026-02-16", 40.0, 10.0, None, None).expect("f1");
        // A year on, but red: inflamed.
        let (_, red) = follow("2027-01-26", 42.0, 16.0, None, None).expect("f2");
        // A year on, settled.
        let (_, settled) = follow("2027-01-27", 43.0, 11.0, Some(0.6), None).expect("f3");
        // Too soon, but the technician includes it.
        let (_, included) = follow("2026-02-20", 39.0, 10.0, None, Some(true)).expect("f4");
        assert_eq!((soon, red, settled, included), (true, true, false, true));
        let rows = store.fading_followups().expect("rows");
        assert_eq!(rows.len(), 2, "{rows:?}");
        // Months from the last session before each follow-up (2026-01-26).
        assert_eq!(rows[0].months, 0.82); // 25 days
        assert_eq!(rows[1].months, 12.02); // 366 days of 30.44
        assert_eq!(rows[1].dot_mm, Some(0.6));
        assert_eq!(rows[1].sun, Some(Sun::High));
        assert_eq!(rows[1].pigment_id, "carbon-black");
        // A follow-up before any session is refused.
        let e = follow("2025-12-01", 40.0, 10.0, None, None).expect_err("no session yet");
        assert!(e.to_string().contains("no session"), "{e}");
    }

    #[test]
    fn reopening_keeps_records_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        {
            let s = Store::open(dir.path()).expect("open");
            s.patient("B-7").expect("patient");
        }
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(s.patients().expect("list"), vec!["B-7".to_string()]);
        assert_eq!(s.integrity_check().expect("check"), "ok");
        s.conn
            .pragma_update(None, "user_version", schema_version() + 1)
            .expect("bump");
        drop(s);
        let e = Store::open(dir.path()).err().expect("refused");
        assert!(e.to_string().contains("newer"), "{e}");
    }

    #[test]
    fn photos_are_stored_once_by_content_and_bad_bytes_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = Store::open(dir.path()).expect("open");
        let bytes = std::fs::read("samples/shaved_light.jpg").expect("sample");
        let (sha, w, h) = s
            .add_photo(&bytes, crate::input::LoadLimits::default())
            .expect("stored");
        assert_eq!((w, h), (1200, 900));
        let again = s
            .add_photo(&bytes, crate::input::LoadLimits::default())
            .expect("again");
        assert_eq!(again.0, sha);
        let (p, _, _) = s.find_photo(&sha).expect("find").expect("there");
        assert_eq!(std::fs::read(&p).expect("read"), bytes);
        let e = s
            .add_photo(b"not an image", crate::input::LoadLimits::default())
            .expect_err("refused");
        assert!(e.to_string().contains("not a JPEG"), "{e}");
        // A HEIC is kept as one.
        let heic = std::fs::read("samples/shaved_light.heic").expect("sample");
        let (h, _, _) = s
            .add_photo(&heic, crate::input::LoadLimits::default())
            .expect("stored");
        let (p, w, _) = s.find_photo(&h).expect("find").expect("there");
        assert!(p.to_string_lossy().ends_with(".heic") && w == 1200);
        let cut = &bytes[..bytes.len() / 2];
        assert!(s
            .add_photo(cut, crate::input::LoadLimits::default())
            .is_err());
        // Nothing but the one photo was left behind.
        let files: Vec<_> = walkdir::WalkDir::new(dir.path().join(PHOTO_DIR))
            .into_iter()
            .filter_map(std::result::Result::ok)
            .filter(|e| e.file_type().is_file())
            .collect();
        assert_eq!(files.len(), 2);
        // Paths are built only from a hash and a known extension.
        assert!(s.photo_path("../../etc/passwd", "jpg").is_none());
        assert!(s.photo_path(&sha, "sh").is_none());
    }
}
