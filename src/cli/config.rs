//! Defaults a clinic sets once: a config file and environment variables.
//!
//! Precedence, highest first: a flag on the command line, an environment variable
//! (`SMPMATCH_CATALOG`, …), the config file, the built-in default. The file is TOML at
//! `$SMPMATCH_CONFIG`, else `smpmatch/config.toml` in the platform's config directory
//! (`~/.config` on Linux); relative paths in it are relative to the file. `smpmatch config
//! show` prints the effective values and where each came from.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use smpmatch::error::{Error, Result};

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "SMPMATCH_CONFIG";

/// The config file's keys (all optional; unknown keys are an error, so a typo is caught).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Pigment catalog for `match` and `batch`.
    pub catalog: Option<PathBuf>,
    /// Calibration profile applied to every photo.
    pub profile: Option<PathBuf>,
    /// Sun exposure: low, moderate or high.
    pub sun: Option<String>,
    /// Healed dot diameter, mm.
    pub dot_diameter_mm: Option<f64>,
    /// Dots per cm².
    pub density_per_cm2: Option<f64>,
    /// Sessions in the plan (2 or 3).
    pub sessions: Option<u8>,
    /// Depth of the pigment band, mm.
    pub depth_mm: Option<f64>,
    /// The records' data directory (`serve`, `record`).
    pub data_dir: Option<PathBuf>,
}

/// One setting: the clap argument it defaults, its environment variable and its value in
/// the file.
pub struct Setting {
    /// Config-file key.
    pub key: &'static str,
    /// The argument's id in clap (its long flag without dashes, underscores for dashes).
    pub arg: &'static str,
    /// Environment variable.
    pub env: &'static str,
}

/// Every setting the file and the environment can give.
pub const SETTINGS: [Setting; 8] = [
    Setting {
        key: "catalog",
        arg: "catalog",
        env: "SMPMATCH_CATALOG",
    },
    Setting {
        key: "profile",
        arg: "profile",
        env: "SMPMATCH_PROFILE",
    },
    Setting {
        key: "sun",
        arg: "sun",
        env: "SMPMATCH_SUN",
    },
    Setting {
        key: "dot_diameter_mm",
        arg: "dot_diameter",
        env: "SMPMATCH_DOT_DIAMETER",
    },
    Setting {
        key: "density_per_cm2",
        arg: "density",
        env: "SMPMATCH_DENSITY",
    },
    Setting {
        key: "sessions",
        arg: "sessions",
        env: "SMPMATCH_SESSIONS",
    },
    Setting {
        key: "depth_mm",
        arg: "depth",
        env: "SMPMATCH_DEPTH",
    },
    Setting {
        key: "data_dir",
        arg: "data",
        env: "SMPMATCH_DATA",
    },
];

/// A loaded config: where it is (if anywhere) and its values as argument strings.
#[derive(Debug, Default)]
pub struct Config {
    /// The file read, if one exists.
    pub path: Option<PathBuf>,
    /// `(config key, value)` for each key the file sets.
    pub values: Vec<(&'static str, String)>,
}

/// Where the config file is looked for.
pub fn config_path() -> Option<PathBuf> {
    match std::env::var_os(CONFIG_ENV) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => dirs::config_dir().map(|d| d.join("smpmatch").join("config.toml")),
    }
}

/// Read the config file. A file named by `SMPMATCH_CONFIG` must exist; the default one may
/// be absent.
pub fn load() -> Result<Config> {
    let Some(path) = config_path() else {
        return Ok(Config::default());
    };
    let named = std::env::var_os(CONFIG_ENV).is_some_and(|p| !p.is_empty());
    if !named && !path.exists() {
        return Ok(Config::default());
    }
    let bytes = smpmatch::io::files::read_input(&path, "a config file", 1 << 20)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::input(&path, "config file is not UTF-8 text"))?;
    let file: ConfigFile = toml::from_str(&text)
        .map_err(|e| Error::input(&path, format!("not a valid config file: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let rel = |p: PathBuf| -> String {
        if p.is_absolute() {
            p.display().to_string()
        } else {
            base.join(p).display().to_string()
        }
    };
    let mut values = Vec::new();
    if let Some(v) = file.catalog {
        values.push(("catalog", rel(v)));
    }
    if let Some(v) = file.profile {
        values.push(("profile", rel(v)));
    }
    if let Some(v) = file.sun {
        values.push(("sun", v));
    }
    if let Some(v) = file.dot_diameter_mm {
        values.push(("dot_diameter_mm", v.to_string()));
    }
    if let Some(v) = file.density_per_cm2 {
        values.push(("density_per_cm2", v.to_string()));
    }
    if let Some(v) = file.sessions {
        values.push(("sessions", v.to_string()));
    }
    if let Some(v) = file.depth_mm {
        values.push(("depth_mm", v.to_string()));
    }
    if let Some(v) = file.data_dir {
        values.push(("data_dir", rel(v)));
    }
    Ok(Config {
        path: Some(path),
        values,
    })
}

/// The subcommands the defaults apply to. Not `catalog measure` or `fit-fading`: their
/// catalog is the file they rewrite, and it must be named on the command line.
pub const APPLIES_TO: [&str; 5] = ["analyze", "match", "batch", "preview", "serve"];
/// The `record` subcommands (the data directory applies to each).
pub const RECORD_COMMANDS: [&str; 7] = [
    "patients",
    "list",
    "show",
    "session",
    "followup",
    "followups",
    "backup",
];

/// `cmd` with the config file's values as the defaults of the arguments they set in the
/// [`APPLIES_TO`] subcommands. An argument the file sets is no longer required.
pub fn apply(mut cmd: clap::Command, config: &Config) -> clap::Command {
    fn set(mut cmd: clap::Command, defaults: &[(&'static str, String)]) -> clap::Command {
        for (arg, value) in defaults {
            if cmd.get_arguments().any(|a| a.get_id() == *arg) {
                let value = value.clone();
                cmd = cmd.mut_arg(*arg, |a| a.required(false).default_value(value));
            }
        }
        cmd
    }
    let defaults: Vec<(&'static str, String)> = config
        .values
        .iter()
        .filter_map(|(key, v)| {
            SETTINGS
                .iter()
                .find(|s| s.key == *key)
                .map(|s| (s.arg, v.clone()))
        })
        .collect();
    for name in APPLIES_TO {
        cmd = cmd.mut_subcommand(name, |s| set(s, &defaults));
    }
    cmd.mut_subcommand("record", |mut r| {
        for name in RECORD_COMMANDS {
            r = r.mut_subcommand(name, |s| set(s, &defaults));
        }
        r
    })
}

/// `config show`: each setting's effective value (for `match`; the data directory for `serve`
/// and `record`) and where it came from.
pub fn show(config: &Config, json: bool) -> Result<String> {
    let cmd = <super::Cli as clap::CommandFactory>::command();
    let matcher = cmd.find_subcommand("match").cloned();
    let built_in = |arg: &str| -> Option<String> {
        matcher
            .as_ref()
            .and_then(|m| m.get_arguments().find(|a| a.get_id() == arg))
            .and_then(|a| a.get_default_values().first())
            .map(|v| v.to_string_lossy().into_owned())
            .or_else(|| match arg {
                // No fixed default: the plan recommends a density per patient.
                "density" => Some("recommended by the plan (50–100)".to_string()),
                "depth" => Some("the catalog's, else 0.15".to_string()),
                "data" => dirs::data_dir().map(|d| d.join("smpmatch").display().to_string()),
                _ => None,
            })
    };
    let mut rows = Vec::new();
    for s in &SETTINGS {
        let env = std::env::var(s.env).ok().filter(|v| !v.is_empty());
        let file = config
            .values
            .iter()
            .find(|(k, _)| *k == s.key)
            .map(|(_, v)| v.clone());
        let (value, source) = match (env, file, built_in(s.arg)) {
            (Some(v), _, _) => (Some(v), format!("environment ({})", s.env)),
            (None, Some(v), _) => (
                Some(v),
                format!(
                    "config file ({})",
                    config
                        .path
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string())
                ),
            ),
            (None, None, Some(v)) => (Some(v), "built-in".to_string()),
            (None, None, None) => (None, "not set".to_string()),
        };
        rows.push((s.key, value, source));
    }
    if json {
        let v = serde_json::json!({
            "config_file": config_path().map(|p| p.display().to_string()),
            "config_file_read": config.path.is_some(),
            "settings": rows.iter().map(|(k, v, src)| serde_json::json!({
                "key": k, "value": v, "source": src,
            })).collect::<Vec<_>>(),
        });
        return serde_json::to_string_pretty(&v)
            .map(|s| s + "\n")
            .map_err(|e| Error::Internal(format!("JSON serialisation failed: {e}")));
    }
    let mut out = format!(
        "config file: {}{}\n(a flag overrides the environment, which overrides the file, which \
         overrides the built-in default)\n",
        config_path().map_or("(none: no config directory)".to_string(), |p| p
            .display()
            .to_string()),
        if config.path.is_some() {
            ""
        } else {
            " (absent)"
        }
    );
    for (k, v, src) in rows {
        out.push_str(&format!(
            "  {k:<16} {:<28} {src}\n",
            v.unwrap_or_else(|| "—".to_string())
        ));
    }
    Ok(out)
}
