//! `smpmatch batch`: the match pipeline over many photos, on every core, as JSON Lines.
//!
//! One line per photo, in input order: `{"photo", "ok": true, "result": <match document>}`
//! or `{"photo", "ok": false, "error": <error body>}`. A bad photo never stops the batch.
//! With `--out FILE` the lines are appended to FILE (flushed per chunk, so a killed batch
//! keeps every finished photo) and `--resume` skips photos already recorded there.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::{analyze_options, error_body, match_photo, BatchArgs, Printed};
use crate::analysis::{AnalyzeOptions, Selection};
use crate::catalog::{self, Catalog};
use crate::error::{io_message, Error, Result};
use crate::report::{ErrorBody, Output};

/// Photo file extensions a directory is searched for.
pub const EXTENSIONS: [&str; 6] = ["jpg", "jpeg", "png", "tif", "tiff", "webp"];
/// Exit code when some photos failed (their error records are in the output).
pub const SOME_FAILED: i32 = 6;

/// One JSON Lines record.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BatchRecord {
    /// The photo, as found.
    pub photo: String,
    /// Whether it was matched.
    pub ok: bool,
    /// The match document (as `match --json` prints it), when ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Output>,
    /// The error, when not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Files to process: given files as they are, directories searched recursively for
/// [`EXTENSIONS`], each directory's entries in name order (so runs are reproducible).
fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            out.push(dir.to_path_buf()); // reported as an error record
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Photos already recorded in an output file. Lines that do not parse (one cut off by a
/// kill) are dropped from the file, rewritten atomically, so that photo is simply redone.
fn recorded(path: &Path) -> Result<HashSet<String>> {
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => return Err(Error::input(path, io_message(&e))),
    };
    let mut done = HashSet::new();
    let mut kept = String::with_capacity(text.len());
    let mut dropped = false;
    for line in text.lines() {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) if v["photo"].is_string() => {
                done.insert(v["photo"].as_str().unwrap_or_default().to_string());
                kept.push_str(line);
                kept.push('\n');
            }
            _ => dropped = true,
        }
    }
    if dropped {
        crate::files::write_atomic(path, &kept)?;
    }
    Ok(done)
}

fn record(photo: &Path, opts: &AnalyzeOptions, b: &BatchArgs, cat: &Catalog) -> BatchRecord {
    let sel = Selection {
        photo: Some(photo.to_path_buf()),
        ..Selection::default()
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match_photo(&sel, opts, &b.analysis, &b.treatment, cat, &b.catalog)
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
            result: Some(m.output),
            error: None,
        },
        Err(e) => BatchRecord {
            photo: name,
            ok: false,
            result: None,
            error: Some(error_body(&e)),
        },
    }
}

/// Run the batch.
pub(super) fn run(b: BatchArgs) -> Result<Printed> {
    let cat = catalog::load(&b.catalog)?;
    let opts = analyze_options(&b.analysis)?;
    let files = collect(&b.paths);
    let done = match (&b.out, b.resume) {
        (Some(out), true) => recorded(out)?,
        _ => HashSet::new(),
    };
    let todo: Vec<PathBuf> = files
        .iter()
        .filter(|f| !done.contains(&f.display().to_string()))
        .cloned()
        .collect();
    let skipped = files.len() - todo.len();

    let mut sink: Box<dyn Write> = match &b.out {
        Some(path) => {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| Error::input(path, io_message(&e)))?;
            // A line cut off by a kill must not swallow the next record.
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len > 0 {
                let bytes = std::fs::read(path).map_err(|e| Error::input(path, io_message(&e)))?;
                if bytes.last() != Some(&b'\n') {
                    f.write_all(b"\n")
                        .map_err(|e| Error::input(path, io_message(&e)))?;
                }
            }
            Box::new(std::io::BufWriter::new(f))
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
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
    let out_name = b
        .out
        .as_ref()
        .map_or("stdout".to_string(), |p| p.display().to_string());
    let io_err = |e: std::io::Error| match &b.out {
        Some(p) => Error::input(p, io_message(&e)),
        None => Error::Internal(format!("writing stdout: {e}")),
    };
    let chunk = 2 * rayon::current_num_threads().max(1);
    let (mut ok, mut failed) = (0usize, 0usize);
    for group in todo.chunks(chunk) {
        let records: Vec<BatchRecord> = group
            .par_iter()
            .map(|p| record(p, &opts, &b, &cat))
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
        }
        sink.flush().map_err(io_err)?;
    }
    bar.finish_and_clear();
    let summary = format!(
        "{} photos: {ok} matched, {failed} failed, {skipped} already in {out_name}\n",
        files.len()
    );
    Ok(Printed {
        // With --out the summary goes to stdout; without, stdout is the JSON Lines stream
        // and the summary goes to stderr.
        stdout: if b.out.is_some() {
            summary.clone()
        } else {
            String::new()
        },
        code: if failed > 0 { SOME_FAILED } else { 0 },
        error: None,
    })
    .inspect(|_| {
        if b.out.is_none() {
            eprint!("{summary}");
        }
    })
}
