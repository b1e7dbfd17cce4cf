//! Output on a real terminal: a pseudo-terminal made by util-linux's `script`, 80 columns
//! wide (set with `stty`, not COLUMNS, which is unset). Bold and colour where the terminal
//! supports them; no escape sequence at all under TERM=dumb or NO_COLOR; no line wider than
//! the terminal.

use std::process::Command;

const CATALOG: &str = "pigments/smp_sample.json";

/// Single-quote `s` for `sh`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Run smpmatch with `args` on an 80 × 50 pseudo-terminal with `TERM=term` (and `NO_COLOR`
/// when `no_color`); returns what the terminal received, lines without their `\r`.
fn on_terminal(term: &str, no_color: bool, args: &[&str]) -> String {
    let mut cmd = format!(
        "stty cols 80 rows 50; exec {}",
        quote(env!("CARGO_BIN_EXE_smpmatch"))
    );
    for a in args {
        cmd.push(' ');
        cmd.push_str(&quote(a));
    }
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TERM", term)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR");
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let o = c.output().unwrap_or_else(|e| {
        panic!("util-linux's `script` is needed for this test (apt-get install bsdutils): {e}")
    });
    assert!(
        o.status.success(),
        "{args:?} under TERM={term}: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).replace('\r', "")
}

fn match_args() -> Vec<&'static str> {
    vec![
        "match",
        "samples/shaved_dark.jpg",
        "--catalog",
        CATALOG,
        "--date",
        "2026-12-05",
    ]
}

#[test]
fn a_colour_terminal_gets_a_bold_recommendation() {
    let out = on_terminal("xterm-256color", false, &match_args());
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("\x1b[1mRecommended:"),
        "first line {first:?}"
    );
}

#[test]
fn term_dumb_and_no_color_mean_no_escape_sequences() {
    for (term, no_color) in [("dumb", false), ("xterm-256color", true)] {
        for args in [
            match_args(),
            vec!["catalog", "show", CATALOG],
            vec!["calibrate", "samples/card_clinic.jpg"],
        ] {
            let out = on_terminal(term, no_color, &args);
            assert!(
                !out.contains('\x1b'),
                "TERM={term} NO_COLOR={no_color} {args:?}:\n{out}"
            );
            assert!(!out.trim().is_empty(), "{args:?} printed nothing");
        }
    }
}

#[test]
fn no_line_is_wider_than_the_terminal() {
    for args in [
        match_args(),
        vec!["catalog", "show", CATALOG],
        vec!["calibrate", "samples/card_clinic.jpg"],
        vec!["match", "-h"],
        vec!["-h"],
    ] {
        let out = on_terminal("dumb", false, &args);
        for line in out.lines() {
            assert!(
                smpmatch::output::display_width(line) <= 80,
                "{args:?}: {} columns: {line:?}",
                smpmatch::output::display_width(line)
            );
        }
    }
}
