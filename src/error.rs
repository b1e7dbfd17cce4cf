//! The one error type of the library, and its mapping to exit codes and JSON kinds.
//!
//! Exit codes (documented in `docs/json.md`):
//!
//! | code | kind        | meaning                                                        |
//! |------|-------------|----------------------------------------------------------------|
//! | 0    | —           | success                                                        |
//! | 2    | `usage`     | bad command line (unknown flag, malformed value, bad region)   |
//! | 3    | `input`     | a photo, profile or follow-ups file cannot be read or used     |
//! | 4    | `catalog`   | the catalog could not be read, is invalid, or cannot be updated |
//! | 5    | `analysis`  | the photos were read but hold nothing to analyse               |
//! | 73   | `output`    | an output (file or stdout) is refused or could not be written  |
//! | 70   | `internal`  | a bug in smpmatch (please report it)                           |

use std::path::PathBuf;

/// Library result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong, by cause, each variant naming the file involved where there
/// is one. Several causes share an exit code and JSON `kind` ([`Error::exit_code`],
/// [`Error::kind`]); operating-system failures keep their [`std::io::Error`] as the source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
    },
    /// An input path is not a file that can be read as one: a directory, a FIFO, a device,
    /// or above its size limit.
    #[error("{path}: {message}")]
    Input {
        /// The input.
        path: PathBuf,
        /// What it is instead.
        message: String,
    },
    /// Reading a file failed in the operating system (missing, permission, I/O error).
    #[error("{path}: {}", io_message(source))]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A photo could not be decoded or used as it stands.
    #[error("{path}: {message}")]
    Photo {
        /// The photo.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A calibration profile is not valid, or is worse than no correction.
    #[error("{path}: {message}")]
    Profile {
        /// The profile.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A file of fading follow-ups could not be parsed.
    #[error("{path}: {message}")]
    FollowUps {
        /// The follow-ups file.
        path: PathBuf,
        /// What is wrong with it (with the line).
        message: String,
    },
    /// A catalog could not be read, parsed or validated.
    #[error("{path}: {message}")]
    Catalog {
        /// The catalog file.
        path: PathBuf,
        /// Summary.
        message: String,
        /// Every problem found, each with its JSON path (empty for I/O and syntax errors).
        problems: Vec<Problem>,
    },
    /// The input was read but the analysis cannot proceed (e.g. no skin pixels).
    #[error("{message}")]
    Analysis {
        /// The photo concerned, when there is one.
        path: Option<PathBuf>,
        /// What is missing.
        message: String,
    },
    /// Writing a file or standard output (`-`) failed in the operating system (a full disk,
    /// permission, a closed descriptor).
    #[error("{}: cannot write: {}", written_name(path), io_message(source))]
    Write {
        /// The file being written (`-` for standard output).
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An output is refused before anything is written: read-only, not a regular file, an
    /// owner that cannot be kept, a directory that cannot be used, a lock that cannot be taken.
    #[error("{path}: {message}")]
    Output {
        /// The output file.
        path: PathBuf,
        /// Why it is refused.
        message: String,
    },
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } => 2,
            Error::Input { .. }
            | Error::Read { .. }
            | Error::Photo { .. }
            | Error::Profile { .. }
            | Error::FollowUps { .. } => 3,
            Error::Catalog { .. } => 4,
            Error::Analysis { .. } => 5,
            Error::Write { .. } | Error::Output { .. } => 73,
            Error::Internal(_) => 70,
        }
    }

    /// The `error.kind` of the JSON error object: one per exit code.
    pub fn kind(&self) -> ErrorKind {
        match self.exit_code() {
            2 => ErrorKind::Usage,
            3 => ErrorKind::Input,
            4 => ErrorKind::Catalog,
            5 => ErrorKind::Analysis,
            73 => ErrorKind::Output,
            _ => ErrorKind::Internal,
        }
    }

    /// The file the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Input { path, .. }
            | Error::Read { path, .. }
            | Error::Photo { path, .. }
            | Error::Profile { path, .. }
            | Error::FollowUps { path, .. }
            | Error::Catalog { path, .. }
            | Error::Write { path, .. }
            | Error::Output { path, .. } => Some(path),
            Error::Analysis { path, .. } => path.as_deref(),
            Error::Usage { .. } | Error::Internal(_) => None,
        }
    }

    /// Shorthand for a usage error.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
        }
    }

    /// Shorthand for a refused output.
    pub fn output(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Output {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Shorthand for an input that is not a readable file.
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a photo that cannot be decoded or used.
    pub fn photo(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Photo {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Shorthand for an invalid profile.
    pub fn profile(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Profile {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Shorthand for a follow-ups file that cannot be parsed.
    pub fn follow_ups(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::FollowUps {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A failed read of `path`.
    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Read {
            path: path.into(),
            source,
        }
    }

    /// A failed write of `path`.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Write {
            path: path.into(),
            source,
        }
    }
}

/// The kind of an error as programs see it (`error.kind`), one per exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Exit 2: a bad command line.
    Usage,
    /// Exit 3: a photo, profile or follow-ups file cannot be read or used.
    Input,
    /// Exit 4: the catalog cannot be read, is invalid, or cannot be updated.
    Catalog,
    /// Exit 5: the photos hold nothing to analyse.
    Analysis,
    /// Exit 73: an output is refused or could not be written.
    Output,
    /// Exit 70: a bug.
    Internal,
}

/// A written file's name in a message; `-` is standard output.
fn written_name(path: &std::path::Path) -> String {
    if path == std::path::Path::new("-") {
        "standard output".into()
    } else {
        path.display().to_string()
    }
}

/// A short, user-facing description of an I/O failure on a file.
pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::StorageFull => "no space left on the device".to_string(),
        _ => e.to_string(),
    }
}

/// One validation problem.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// Where the problem is: in a JSON document (a catalog, a profile), a JSON Pointer to the
    /// offending value (RFC 6901; `""` is the whole document); in a CSV (`catalog import`),
    /// `row N` or `row N, COLUMN` (rows counted from 1 at the header).
    pub path: String,
    /// What is wrong.
    pub message: String,
}
