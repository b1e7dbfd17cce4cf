//! The one error type of the library, and its mapping to exit codes and JSON kinds.
//!
//! Exit codes (documented in `docs/json.md`):
//!
//! | code | kind        | meaning                                                        |
//! |------|-------------|----------------------------------------------------------------|
//! | 0    | —           | success                                                        |
//! | 2    | `usage`     | bad command line (unknown flag, malformed value, bad region)   |
//! | 3    | `input`     | a photo could not be read or decoded, or is too large          |
//! | 4    | `catalog`   | the catalog could not be read, is invalid, or cannot be updated |
//! | 5    | `analysis`  | the photos were read but hold nothing to analyse               |
//! | 73   | `output`    | an output (file or stdout) could not be written                |
//! | 70   | `internal`  | a bug in smpmatch (please report it)                           |

use std::path::PathBuf;

/// Library result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong, each variant naming the file involved where there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
    },
    /// A photo could not be opened, decoded or used.
    #[error("{path}: {message}")]
    Input {
        /// The photo.
        path: PathBuf,
        /// What is wrong with it.
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
    /// An output could not be written: a file (read-only, not a regular file, a full disk,
    /// an owner that cannot be kept) or standard output.
    #[error("{path}: {message}")]
    Output {
        /// The output file (`-` for standard output).
        path: PathBuf,
        /// What went wrong.
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
            Error::Input { .. } => 3,
            Error::Catalog { .. } => 4,
            Error::Analysis { .. } => 5,
            Error::Output { .. } => 73,
            Error::Internal(_) => 70,
        }
    }

    /// The `error.kind` string of the JSON error object.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Usage { .. } => "usage",
            Error::Input { .. } => "input",
            Error::Catalog { .. } => "catalog",
            Error::Analysis { .. } => "analysis",
            Error::Output { .. } => "output",
            Error::Internal(_) => "internal",
        }
    }

    /// The file the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Input { path, .. }
            | Error::Catalog { path, .. }
            | Error::Output { path, .. } => Some(path),
            Error::Analysis { path, .. } => path.as_deref(),
            _ => None,
        }
    }

    /// Shorthand for a usage error.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
        }
    }

    /// Shorthand for an output error.
    pub fn output(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Output {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Shorthand for an input error.
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
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
    /// JSON Pointer to the offending value (`""` is the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
}
