//! The small numerical tools the pipeline shares: one golden-section search, one robust
//! median, one three-parameter Levenberg–Marquardt. Each is used by several stages; each is
//! defined here only.

/// The golden ratio's conjugate, (√5 − 1) / 2: the fraction of the bracket kept each step.
const INV_PHI: f64 = 0.618_033_988_749_894_9;

/// Golden-section search for the minimum of `f` on `[lo, hi]`, narrowed until the bracket is
/// at most `tol` wide (Kiefer 1953; Press et al., *Numerical Recipes*, 3rd ed., § 10.2).
/// `f` must be unimodal on the bracket. Each step evaluates `f` once, reusing the other
/// interior point. Returns the better of the two final interior points and its value.
///
/// ```
/// use smpmatch::numeric::golden_section_min;
/// // (x − 7.3)² on [0, 10]: the minimum at 7.3.
/// let (x, fx) = golden_section_min(|x| (x - 7.3) * (x - 7.3), 0.0, 10.0, 1e-6);
/// assert!((x - 7.3).abs() < 1e-6 && fx < 1e-12);
/// ```
pub fn golden_section_min(f: impl Fn(f64) -> f64, lo: f64, hi: f64, tol: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (lo, hi);
    let (mut x1, mut x2) = (hi - INV_PHI * (hi - lo), lo + INV_PHI * (hi - lo));
    let (mut f1, mut f2) = (f(x1), f(x2));
    while hi - lo > tol {
        if f1 <= f2 {
            hi = x2;
            (x2, f2) = (x1, f1);
            x1 = hi - INV_PHI * (hi - lo);
            f1 = f(x1);
        } else {
            lo = x1;
            (x1, f1) = (x2, f2);
            x2 = lo + INV_PHI * (hi - lo);
            f2 = f(x2);
        }
    }
    if f1 <= f2 {
        (x1, f1)
    } else {
        (x2, f2)
    }
}

/// Share of pixels dropped at each end (darkest, brightest) by [`robust_median_rgb`].
pub const TRIM_SHARE: f64 = 0.2;

/// The colour of a patch or swatch that should be flat, robust to specks, glare and edges:
/// drop the [`TRIM_SHARE`] darkest and the [`TRIM_SHARE`] brightest pixels by relative
/// luminance (Y = 0.2126 R + 0.7152 G + 0.0722 B, ITU-R BT.709 on linear RGB), then take the
/// median of each channel of the rest. `None` for no pixels.
///
/// ```
/// use smpmatch::numeric::robust_median_rgb;
/// // A grey patch with one black speck and one specular highlight: both are trimmed.
/// let mut px = vec![[0.2, 0.2, 0.2]; 8];
/// px.push([0.0, 0.0, 0.0]);
/// px.push([1.0, 1.0, 1.0]);
/// assert_eq!(robust_median_rgb(&mut px), Some([0.2, 0.2, 0.2]));
/// ```
pub fn robust_median_rgb(px: &mut [[f64; 3]]) -> Option<[f64; 3]> {
    if px.is_empty() {
        return None;
    }
    let lum = |p: &[f64; 3]| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
    px.sort_by(|a, b| lum(a).total_cmp(&lum(b)));
    let k = (px.len() as f64 * TRIM_SHARE) as usize;
    let kept = &px[k..px.len() - k];
    let median = |ch: usize| {
        let mut v: Vec<f64> = kept.iter().map(|p| p[ch]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Some([median(0), median(1), median(2)])
}

/// Levenberg–Marquardt for three parameters and three residuals (Press et al., *Numerical
/// Recipes*, 3rd ed., § 15.5.2), with a forward-difference Jacobian, steps of at most 1 per
/// parameter, and box bounds `(lo, hi)`. Returns the parameters and the sum of squared
/// residuals. Used for the model's small inverse problems (a skin's chromophores from its
/// colour, a healed swatch's pigment spectrum), where a general optimisation crate would
/// bring far more than the 3 × 3 solve it needs.
///
/// ```
/// use smpmatch::numeric::levenberg_marquardt3;
/// // Solve x² = 4, y + x = 5, z·y = 6.
/// let (u, cost) = levenberg_marquardt3(
///     |u| [u[0] * u[0] - 4.0, u[1] + u[0] - 5.0, u[2] * u[1] - 6.0],
///     [1.0, 1.0, 1.0],
///     ([0.0; 3], [10.0; 3]),
/// );
/// assert!(cost < 1e-10 && (u[0] - 2.0).abs() < 1e-5 && (u[2] - 2.0).abs() < 1e-5);
/// ```
pub fn levenberg_marquardt3(
    f: impl Fn(&[f64; 3]) -> [f64; 3],
    start: [f64; 3],
    (lo, hi): ([f64; 3], [f64; 3]),
) -> ([f64; 3], f64) {
    use nalgebra::{Matrix3, Vector3};
    const H: f64 = 1e-4;
    let sq = |r: &[f64; 3]| r.iter().map(|x| x * x).sum::<f64>();
    let mut u: [f64; 3] = std::array::from_fn(|j| start[j].clamp(lo[j], hi[j]));
    let mut r = f(&u);
    let mut cost = sq(&r);
    let mut mu = 1e-2;
    for _ in 0..60 {
        if cost < 1e-12 {
            break;
        }
        let mut jac = Matrix3::<f64>::zeros();
        for j in 0..3 {
            let mut v = u;
            v[j] += H;
            let rj = f(&v);
            for k in 0..3 {
                jac[(k, j)] = (rj[k] - r[k]) / H;
            }
        }
        let jtj = jac.transpose() * jac;
        let g = jac.transpose() * Vector3::from(r);
        let mut improved = false;
        for _ in 0..8 {
            let a = jtj + Matrix3::from_diagonal(&jtj.diagonal().map(|d| mu * (d + 1e-9)));
            let Some(step) = a.lu().solve(&(-g)) else {
                mu *= 10.0;
                continue;
            };
            let v: [f64; 3] =
                std::array::from_fn(|j| (u[j] + step[j].clamp(-1.0, 1.0)).clamp(lo[j], hi[j]));
            let rv = f(&v);
            let cv = sq(&rv);
            if cv < cost {
                (u, r, cost) = (v, rv, cv);
                mu = (mu * 0.3).max(1e-7);
                improved = true;
                break;
            }
            mu *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (u, cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_section_finds_a_minimum_at_either_end() {
        let (x, _) = golden_section_min(|x| x, 2.0, 5.0, 1e-9);
        assert!((x - 2.0).abs() < 1e-8, "{x}");
        let (x, _) = golden_section_min(|x| -x, 2.0, 5.0, 1e-9);
        assert!((x - 5.0).abs() < 1e-8, "{x}");
    }

    #[test]
    fn golden_section_evaluates_once_per_step() {
        let calls = std::cell::Cell::new(0);
        golden_section_min(
            |x| {
                calls.set(calls.get() + 1);
                (x - 1.0).abs()
            },
            0.0,
            10.0,
            1e-3,
        );
        // Bracket 10 → 1e-3 shrinks by 0.618 a step: ⌈ln(1e-4)/ln(0.618)⌉ = 20 steps, + 2.
        assert_eq!(calls.get(), 22);
    }

    #[test]
    fn the_median_ignores_a_fifth_of_outliers_at_each_end() {
        let mut px: Vec<[f64; 3]> = (0..10)
            .map(|i| [0.5, 0.4, 0.3 + 0.001 * f64::from(i)])
            .collect();
        px.extend([[0.0; 3], [0.0; 3], [1.0; 3], [1.0; 3]]);
        let m = robust_median_rgb(&mut px).expect("pixels");
        assert!(
            (m[0] - 0.5).abs() < 1e-12 && (m[1] - 0.4).abs() < 1e-12,
            "{m:?}"
        );
        assert_eq!(robust_median_rgb(&mut []), None);
    }
}
