//! `smpmatch batch`: the match pipeline over many photos, on every core, as JSON Lines.
//!
//! One line per photo, in input order: `{"photo", "ok": true, "result": <match document>}`
//! or `{"photo", "ok": false, "error": <error body>}`. A bad photo never stops the batch.
//! With `--out FILE` the lines are appended to FILE (flushed per chunk, so a killed batch
//! keeps every finished photo) and `--resume` skips photos already recorded there. FILE is
//! locked for the run, must be a batch output made with the same catalog and settings (each
//! line carries them in `run`), and failed photos are retried unless `--no-retry`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::{analyze_options, error_body, BatchArgs, Printed};
use smpmatch::analysis::{AnalyzeOptions, Selection};
use smpmatch::catalog::{self, Catalog};
use smpmatch::error::{Error, Result};
use smpmatch::io::files::OutputFile;
use smpmatch::output::{ErrorBody, Output};

/// Photo file extensions a directory is searched for.
pub const EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "tif", "tiff", "webp", "heic", "heif"];
/// Decoded pixels a batch holds at once, bytes: photos are decoded in parallel only while
/// their decoded sizes (width × height × 8, the widest layout, 16-bit RGBA) fit in it, so
/// more cores never multiply the peak beyond it. A photo larger than the whole budget runs
/// alone. Two 100-megapixel photos fit; one 100 MP photo peaks at about 0.8 GB
/// (docs/robustness.md).
pub const BATCH_MEMORY_BUDGET: u64 = 2 << 30;

/// A counting semaphore over bytes of decoded pixels.
struct MemoryBudget {
    limit: u64,
    used: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
}

/// Bytes held from a [`MemoryBudget`] until dropped.
struct Held<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    fn new(limit: u64) -> MemoryBudget {
        MemoryBudget {
            limit,
            used: std::sync::Mutex::new(0),
            freed: std::sync::Condvar::new(),
        }
    }

    /// Wait until `bytes` fit (or nothing else is held, for a photo above the limit).
    fn acquire(&self, bytes: u64) -> Held<'_> {
        let bytes = bytes.min(self.limit);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used > 0 && *used + bytes > self.limit {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Held {
            budget: self,
            bytes,
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// The decoded size of a photo from its header (width × height × 8 bytes), or 0 when the
/// header cannot be read (the photo's own error is reported when it is loaded).
fn decoded_bytes(photo: &Path) -> u64 {
    // stat first: opening a FIFO would block.
    if !std::fs::metadata(photo).is_ok_and(|m| m.is_file()) {
        return 0;
    }
    image::ImageReader::open(photo)
        .ok()
        .and_then(|r| r.with_guessed_format().ok())
        .and_then(|r| r.into_dimensions().ok())
        .map_or(0, |(w, h)| u64::from(w) * u64::from(h) * 8)
}

/// Exit code when some photos failed (their error records are in the output).
pub const SOME_FAILED: i32 = 6;

/// One JSON Lines record.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BatchRecord {
    /// The photo, as found.
    pub photo: String,
    /// Whether it was matched.
    pub ok: bool,
    /// The catalog, profile and settings the record was made with.
    pub run: RunKey,
    /// The match document (as `match --json` prints it), when ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Output>,
    /// The error, when not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Files to process, in a reproducible order, each real file once: given files as they are,
/// directories searched recursively for [`EXTENSIONS`] in name order, following symlinks but
/// entering each real directory once (a link back to an ancestor is a loop, reported in
/// `notes` and not followed). A path that names a file already listed (another spelling,
/// a link, a repeat) is skipped and counted in `duplicates`.
fn collect(paths: &[PathBuf], notes: &mut Vec<String>) -> (Vec<PathBuf>, usize) {
    let mut out = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut duplicates = 0usize;
    let mut push = |p: PathBuf, out: &mut Vec<PathBuf>| {
        if seen.insert(key(&p)) {
            out.push(p);
        } else {
            duplicates += 1;
        }
    };
    for p in paths {
        if !p.is_dir() {
            push(p.clone(), &mut out);
            continue;
        }
        let walk = walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    let has_ext = e
                        .path()
                        .extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()));
                    if has_ext {
                        push(e.into_path(), &mut out);
                    }
                }
                Err(e) => match (e.loop_ancestor(), e.path()) {
                    (Some(ancestor), Some(link)) => notes.push(format!(
                        "{}: a symbolic link back to {} (a loop), not followed",
                        link.display(),
                        ancestor.display()
                    )),
                    (_, Some(path)) => push(path.to_path_buf(), &mut out), // its error is recorded
                    _ => notes.push(format!("{}: {e}", p.display())),
                },
            }
        }
    }
    (out, duplicates)
}

/// The key a photo is known by: its canonical path (every spelling and link of one file is
/// one photo), or the path as given when it cannot be resolved.
fn key(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// What results depend on besides the photo: recorded in every line, so that a resume never
/// mixes results made with another catalog or other settings.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct RunKey {
    /// SHA-256 of the catalog file's bytes.
    pub catalog_sha256: String,
    /// SHA-256 of the calibration profile's bytes, when one is used.
    pub profile_sha256: Option<String>,
    /// The analysis and treatment settings, as given.
    pub settings: serde_json::Value,
}

fn sha256_of(path: &Path) -> Result<String> {
    use sha2::Digest;
    let bytes =
        smpmatch::io::files::read_input(path, "an input", smpmatch::catalog::MAX_CATALOG_BYTES)?;
    Ok(format!("{:x}", sha2::Sha256::digest(&bytes)))
}

fn run_key(b: &BatchArgs) -> Result<RunKey> {
    let (a, t) = (&b.analysis, &b.treatment);
    Ok(RunKey {
        catalog_sha256: sha256_of(&b.catalog)?,
        profile_sha256: a.profile.as_deref().map(sha256_of).transpose()?,
        settings: serde_json::json!({
            "k": a.k.to_string(),
            "seed": a.seed,
            "max_samples": a.max_samples,
            "max_pixels": a.max_pixels,
            "sun": smpmatch::model::Sun::from(t.sun),
            "months": t.months,
            "top": t.top,
            "dot_diameter_mm": t.dot_diameter,
            "density_per_cm2": t.density,
            "sessions": t.sessions,
            "session_spacing_weeks": t.session_weeks,
            "blends": !t.no_blends,
        }),
    })
}

/// One line of an existing output file.
#[derive(Debug, serde::Deserialize)]
struct Recorded {
    photo: String,
    ok: bool,
    run: Option<RunKey>,
}

/// An existing `--out` file, read and checked before anything is appended to it.
struct Existing {
    /// Complete lines, each a batch record.
    lines: Vec<(String, Recorded)>,
    /// Bytes of the complete lines (a cut-off last line, from a killed run, is beyond this).
    complete_len: u64,
}

/// Read `out` (if it exists) and refuse it unless every complete line is a batch record made
/// with `run`: a file that is not a batch output is never appended to, rewritten or cut.
fn read_existing(out: &OutputFile, run: &RunKey) -> Result<Existing> {
    let bytes = match std::fs::read(&out.real) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::read(&out.given, e)),
    };
    let not_ours = |what: String| {
        Error::usage(format!(
            "{}: {what}; it is not a smpmatch batch output, refusing to append to it or \
             change it (choose another --out)",
            out.given.display()
        ))
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| not_ours("it is not UTF-8 text".into()))?;
    let mut lines = Vec::new();
    let mut complete_len = 0u64;
    let mut rest = text;
    let mut n = 0usize;
    while !rest.is_empty() {
        n += 1;
        let (line, complete) = match rest.find('\n') {
            Some(i) => (&rest[..i], true),
            None => (rest, false),
        };
        rest = &rest[(line.len() + usize::from(complete)).min(rest.len())..];
        match serde_json::from_str::<Recorded>(line) {
            Ok(r) => {
                match &r.run {
                    Some(k) if k == run => {}
                    _ => {
                        return Err(Error::usage(format!(
                            "{}: line {n} ({}) was made with another catalog, profile or \
                             settings than this run; mixing them in one file would mislead \
                             (use the same settings, or another --out)",
                            out.given.display(),
                            r.photo
                        )))
                    }
                }
                complete_len += (line.len() + usize::from(complete)) as u64;
                lines.push((line.to_string(), r));
            }
            // The last line of a run killed mid-write: cut off, redone.
            Err(_) if !complete => {}
            Err(_) => return Err(not_ours(format!("line {n} is not a batch record"))),
        }
    }
    Ok(Existing {
        lines,
        complete_len,
    })
}

fn record(
    photo: &Path,
    opts: &AnalyzeOptions,
    b: &BatchArgs,
    cat: &Catalog,
    run: &RunKey,
    budget: &MemoryBudget,
) -> BatchRecord {
    let sel = Selection {
        photo: Some(photo.to_path_buf()),
        ..Selection::default()
    };
    let _memory = budget.acquire(decoded_bytes(photo));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        smpmatch::pipeline::match_patient(&sel, opts, &b.treatment.treatment(), cat, &b.catalog)
    }))
    .unwrap_or_else(|_| {
        Err(Error::Internal(format!(
            "{}: internal error",
            photo.display()
        )))
    });
    let name = photo.display().to_string();
    match outcome {
        Ok(m) => BatchRecord {
            photo: name,
            ok: true,
            run: run.clone(),
            result: Some(m.output),
            error: None,
        },
        Err(e) => BatchRecord {
            photo: name,
            ok: false,
            run: run.clone(),
            result: None,
            error: Some(error_body(&e)),
        },
    }
}

/// Largest file list read by `--files-from`.
const MAX_FILE_LIST_BYTES: u64 = 64 << 20;

/// The paths listed in `list` (`-`: standard input), one per line or, with `null`, separated
/// by NUL bytes; empty entries are skipped, and a line's trailing `\r` is dropped.
fn files_from(list: &Path, null: bool) -> Result<Vec<PathBuf>> {
    let bytes = if list == Path::new("-") {
        smpmatch::io::files::read_stdin("a file list", MAX_FILE_LIST_BYTES)?
    } else {
        smpmatch::io::files::read_input(list, "a file list", MAX_FILE_LIST_BYTES)?
    };
    let sep = if null { b'\0' } else { b'\n' };
    Ok(bytes
        .split(|&c| c == sep)
        .map(|e| {
            if null {
                e
            } else {
                e.strip_suffix(b"\r").unwrap_or(e)
            }
        })
        .filter(|e| !e.is_empty())
        .map(path_from_bytes)
        .collect())
}

/// A path from raw bytes: exact on Unix (any bytes but NUL), UTF-8 (lossy) elsewhere.
fn path_from_bytes(b: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(b))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(b).into_owned())
    }
}

/// Run the batch.
pub(super) fn run(b: BatchArgs, quiet: bool) -> Result<Printed> {
    let cat = catalog::load(&b.catalog)?;
    let opts = analyze_options(&b.analysis)?;
    let mut notes = Vec::new();
    let mut paths = b.paths.clone();
    if let Some(list) = &b.files_from {
        paths.extend(files_from(list, b.null)?);
    }
    let (files, duplicates) = collect(&paths, &mut notes);
    for n in notes.iter().filter(|_| !quiet) {
        eprintln!("smpmatch: warning: {}", smpmatch::output::escape_text(n));
    }
    let run = run_key(&b)?;

    // The output: checked against every input, locked for the whole run, its records read.
    let target = match &b.out {
        Some(out) => {
            let mut inputs: Vec<(&str, &Path)> = vec![("the catalog", b.catalog.as_path())];
            inputs.extend(
                b.analysis
                    .profile
                    .iter()
                    .map(|p| ("the profile", p.as_path())),
            );
            inputs.extend(files.iter().map(|f| ("the photo", f.as_path())));
            inputs.extend(
                b.files_from
                    .iter()
                    .filter(|l| l.as_path() != Path::new("-"))
                    .map(|l| ("the --files-from list", l.as_path())),
            );
            let target = OutputFile::check(out, &inputs)?;
            let Some(lock) = smpmatch::io::files::try_lock(&target)? else {
                return Err(Error::usage(format!(
                    "{}: another smpmatch batch is writing to this file; wait for it to finish \
                     or choose another --out",
                    out.display()
                )));
            };
            let existing = read_existing(&target, &run)?;
            Some((target, lock, existing))
        }
        None => None,
    };
    // Photos already done: with --resume, those with a record (failed ones too only with
    // --no-retry), keyed by the real file.
    let mut done: HashSet<PathBuf> = HashSet::new();
    let mut failed_before = 0usize;
    // Length of the file's complete records, where appending starts.
    let mut complete_len = target.as_ref().map_or(0, |(_, _, e)| e.complete_len);
    if let (Some((target, _, existing)), true) = (&target, b.resume) {
        let mut retried = HashSet::new();
        for (_, r) in &existing.lines {
            let k = key(Path::new(&r.photo));
            if r.ok || b.no_retry {
                done.insert(k);
            } else {
                retried.insert(k);
            }
        }
        retried.retain(|k| !done.contains(k));
        failed_before = existing
            .lines
            .iter()
            .filter(|(_, r)| !r.ok && done.contains(&key(Path::new(&r.photo))))
            .count();
        // Failed records about to be retried leave the file, so each photo keeps one record.
        let keep: Vec<&str> = existing
            .lines
            .iter()
            .filter(|(_, r)| r.ok || !retried.contains(&key(Path::new(&r.photo))))
            .map(|(l, _)| l.as_str())
            .collect();
        if keep.len() != existing.lines.len() {
            let mut text = keep.join("\n");
            text.push('\n');
            if keep.is_empty() {
                text.clear();
            }
            smpmatch::io::files::write_atomic(target, &text)?;
            complete_len = text.len() as u64;
        }
    }
    let todo: Vec<PathBuf> = files
        .iter()
        .filter(|f| !done.contains(&key(f)))
        .cloned()
        .collect();
    let skipped = files.len() - todo.len();

    let out_name = b
        .out
        .as_ref()
        .map_or("stdout".to_string(), |p| p.display().to_string());
    let out_path = b.out.clone().unwrap_or_else(|| PathBuf::from("-"));
    let io_err = |e: std::io::Error| Error::write(&out_path, e);
    let mut sink: Box<dyn Write> = match &target {
        Some((target, _, _)) => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&target.real)
                .or_else(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        std::fs::OpenOptions::new()
                            .write(true)
                            .create_new(true)
                            .open(&target.real)
                    } else {
                        Err(e)
                    }
                })
                .map_err(io_err)?;
            // Drop a line cut off by a killed run (the file is locked: nothing else writes
            // it), then append after the last complete record.
            let len = f.metadata().map_err(io_err)?.len();
            if complete_len < len {
                f.set_len(complete_len).map_err(io_err)?;
            }
            let mut f = f;
            std::io::Seek::seek(&mut f, std::io::SeekFrom::End(0)).map_err(io_err)?;
            Box::new(std::io::BufWriter::new(f))
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let started = std::time::Instant::now();
    let json_progress = b.progress == super::ProgressArg::Json;
    let progress_line = |v: serde_json::Value| {
        // Progress is advisory: a stderr that cannot be written must not stop the batch.
        let _ = writeln!(std::io::stderr().lock(), "{v}");
    };
    let bar = if !quiet
        && b.progress == super::ProgressArg::Bar
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
    {
        indicatif::ProgressBar::new(todo.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} photos, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let budget = MemoryBudget::new(BATCH_MEMORY_BUDGET);
    let chunk = 2 * rayon::current_num_threads().max(1);
    let (mut ok, mut failed) = (0usize, 0usize);
    for group in todo.chunks(chunk) {
        let records: Vec<BatchRecord> = group
            .par_iter()
            .map(|p| record(p, &opts, &b, &cat, &run, &budget))
            .collect();
        for r in records {
            if r.ok {
                ok += 1;
            } else {
                failed += 1;
            }
            let line = serde_json::to_string(&r)
                .map_err(|e| Error::Internal(format!("JSON serialisation failed: {e}")))?;
            sink.write_all(line.as_bytes()).map_err(io_err)?;
            sink.write_all(b"\n").map_err(io_err)?;
            bar.inc(1);
            if json_progress {
                progress_line(serde_json::json!({
                    "event": "photo",
                    "photo": r.photo,
                    "ok": r.ok,
                    "done": ok + failed,
                    "total": todo.len(),
                    "elapsed_s": started.elapsed().as_secs_f64(),
                }));
            }
        }
        sink.flush().map_err(io_err)?;
    }
    bar.finish_and_clear();
    let mut summary = format!(
        "{} photos: {ok} matched, {failed} failed, {skipped} already in {out_name}",
        files.len()
    );
    if failed_before > 0 {
        summary.push_str(&format!(
            " ({failed_before} of them failed before and were not retried: --no-retry)"
        ));
    }
    if duplicates > 0 {
        summary.push_str(&format!(
            "; {duplicates} repeated paths of the same photos skipped"
        ));
    }
    summary.push('\n');
    if json_progress {
        progress_line(serde_json::json!({
            "event": "summary",
            "photos": files.len(),
            "matched": ok,
            "failed": failed,
            "skipped": skipped,
            "failed_before_not_retried": failed_before,
            "repeated_paths": duplicates,
            "elapsed_s": started.elapsed().as_secs_f64(),
        }));
    }
    drop(sink);
    drop(target);
    Ok(Printed {
        // With --out the summary goes to stdout; without, stdout is the JSON Lines stream
        // and the summary goes to stderr.
        stdout: if b.out.is_some() {
            summary.clone()
        } else {
            String::new()
        },
        code: if failed + failed_before > 0 {
            SOME_FAILED
        } else {
            0
        },
        error: None,
    })
    .inspect(|_| {
        if b.out.is_none() && !json_progress && !quiet {
            eprint!("{summary}");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::MemoryBudget;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Whatever the interleaving, the bytes held at once never exceed the limit, a photo
    /// above the limit is held alone, and everything is given back.
    #[test]
    fn the_budget_bounds_the_bytes_held_at_once() {
        const LIMIT: u64 = 100;
        let budget = MemoryBudget::new(LIMIT);
        let peak = AtomicU64::new(0);
        let now = AtomicU64::new(0);
        // Sizes: small ones that fit three at a time, large ones that fit alone, and one
        // above the whole budget.
        let sizes: Vec<u64> = (0..64).map(|i| [30, 30, 70, 250, 10, 45][i % 6]).collect();
        std::thread::scope(|s| {
            for chunk in sizes.chunks(8) {
                let (budget, peak, now) = (&budget, &peak, &now);
                s.spawn(move || {
                    for &bytes in chunk {
                        let held = budget.acquire(bytes);
                        let charged = bytes.min(LIMIT);
                        let total = now.fetch_add(charged, Ordering::SeqCst) + charged;
                        peak.fetch_max(total, Ordering::SeqCst);
                        if bytes > LIMIT {
                            assert_eq!(total, LIMIT, "a photo above the budget runs alone");
                        }
                        std::thread::yield_now();
                        now.fetch_sub(charged, Ordering::SeqCst);
                        drop(held);
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= LIMIT);
        assert_eq!(*budget.used.lock().unwrap(), 0);
    }
}
