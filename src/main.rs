//! The `smpmatch` binary: flags are parsed into the library's calls (`smpmatch::pipeline`,
//! …) and their results rendered; errors become exit codes and JSON here, nowhere else.

mod cli;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = cli::wants_json(&args);
    // A panic is a bug; it must still end as a clean error object and exit code, never as a
    // backtrace on a consumer's stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let code = std::panic::catch_unwind(|| cli::main_with_args(args)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        cli::report_error(&smpmatch::Error::Internal(what), json)
    });
    std::process::exit(code);
}
