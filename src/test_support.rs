//! Helpers for the unit tests: synthetic Lab pixels whose ground truth is set here,
//! independently of the code under test.

use crate::color::Lab;

/// Deterministic pseudo-noise in [-1, 1] (a hash of `i` and `salt`).
pub fn noise(i: usize, salt: u64) -> f32 {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x % 20001) as f32 / 10000.0 - 1.0
}

/// `n` pixels spread uniformly ±`amp` on each axis around `center`.
pub fn blob(center: Lab, n: usize, amp: f32, salt: u64) -> Vec<Lab> {
    (0..n)
        .map(|i| {
            Lab::new(
                center.l + amp * noise(i, salt),
                center.a + amp * noise(i, salt ^ 0xA),
                center.b + amp * noise(i, salt ^ 0xB),
            )
        })
        .collect()
}

/// Whether `warnings` hold one with `code`.
pub fn warned(warnings: &[crate::warning::Warning], code: crate::warning::WarningCode) -> bool {
    warnings.iter().any(|w| w.code == code)
}
