#![no_main]
//! Photo loading and the whole analysis on arbitrary bytes: must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("smpmatch-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input");
    if std::fs::write(&path, data).is_ok() {
        let sel = smpmatch::analysis::Selection {
            photo: Some(path),
            ..Default::default()
        };
        let opts = smpmatch::analysis::AnalyzeOptions {
            limits: smpmatch::photo::LoadLimits { max_pixels: 4_000_000 },
            max_samples: 20_000,
            ..Default::default()
        };
        let _ = smpmatch::analysis::analyze(&sel, &opts);
    }
});
