//! The small numerical tools the pipeline shares: one golden-section search, one robust
//! median, one Levenberg–Marquardt. Each is used by several stages; each is
//! defined here only.

/// The SplitMix64 finaliser (Steele, Lea & Flood 2014): a fixed, well-mixed 64-bit hash,
/// for jitter and placements that must be the same on every run and machine.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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

/// A least-squares fit by [`levenberg_marquardt`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeastSquares<const N: usize> {
    /// The parameters at the minimum.
    pub params: [f64; N],
    /// Sum of squared residuals there.
    pub cost: f64,
    /// Covariance of the parameters, s²·(JᵀJ)⁻¹ with s² = cost / (m − N) (Gauss–Newton, for
    /// residuals in the data's units); `None` with no spare residual or a singular JᵀJ.
    pub covariance: Option<[[f64; N]; N]>,
}

impl<const N: usize> LeastSquares<N> {
    /// Standard error of parameter `j` (from [`LeastSquares::covariance`]).
    pub fn standard_error(&self, j: usize) -> Option<f64> {
        self.covariance
            .map(|c| c[j][j].max(0.0).sqrt())
            .filter(|v| v.is_finite())
    }
}

/// Levenberg–Marquardt for `N` parameters and any number of residuals (Press et al.,
/// *Numerical Recipes*, 3rd ed., § 15.5.2), with a forward-difference Jacobian, steps of at
/// most 1 per parameter, and box bounds `(lo, hi)`. Used for the model's small inverse
/// problems (a skin's chromophores from its colour, a healed swatch's pigment spectrum, a
/// fading curve from follow-ups), where a general optimisation crate would bring far more
/// than the N × N solve it needs.
///
/// ```
/// use smpmatch::numeric::levenberg_marquardt;
/// // y = a·exp(−k·t) through four exact points (a = 2, k = 0.5).
/// let t = [0.0, 1.0, 2.0, 4.0];
/// let fit = levenberg_marquardt(
///     |u: &[f64; 2]| t.iter().map(|&t| u[0] * (-u[1] * t).exp() - 2.0 * (-0.5 * t).exp()).collect(),
///     [1.0, 1.0],
///     ([0.0; 2], [10.0; 2]),
/// );
/// assert!(fit.cost < 1e-12 && (fit.params[1] - 0.5).abs() < 1e-5);
/// ```
pub fn levenberg_marquardt<const N: usize>(
    f: impl Fn(&[f64; N]) -> Vec<f64>,
    start: [f64; N],
    (lo, hi): ([f64; N], [f64; N]),
) -> LeastSquares<N> {
    let fit = levenberg_marquardt_dyn(
        |u| {
            let mut a = [0.0; N];
            a.copy_from_slice(u);
            f(&a)
        },
        &start,
        (&lo, &hi),
    );
    let mut params = [0.0; N];
    params.copy_from_slice(&fit.params);
    LeastSquares {
        params,
        cost: fit.cost,
        covariance: fit
            .covariance
            .map(|c| std::array::from_fn(|a| std::array::from_fn(|b| c[a][b]))),
    }
}

/// A least-squares fit by [`levenberg_marquardt_dyn`]: as [`LeastSquares`], any number of
/// parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LeastSquaresDyn {
    /// The parameters at the minimum.
    pub params: Vec<f64>,
    /// Sum of squared residuals there.
    pub cost: f64,
    /// Covariance of the parameters (see [`LeastSquares::covariance`]).
    pub covariance: Option<Vec<Vec<f64>>>,
}

/// [`levenberg_marquardt`] for a number of parameters known only at run time (a composite
/// ink's colorant shares).
pub fn levenberg_marquardt_dyn(
    f: impl Fn(&[f64]) -> Vec<f64>,
    start: &[f64],
    (lo, hi): (&[f64], &[f64]),
) -> LeastSquaresDyn {
    // The Jacobian's forward step may leave the box by H at an upper bound; callers' models
    // are defined there (they clamp), and the step is kept as is so results do not move.
    use nalgebra::{DMatrix, DVector};
    const H: f64 = 1e-4;
    let n = start.len();
    let sq = |r: &[f64]| r.iter().map(|x| x * x).sum::<f64>();
    let jacobian = |u: &[f64], r: &[f64]| {
        let mut jac = DMatrix::<f64>::zeros(r.len(), n);
        for j in 0..n {
            let mut v = u.to_vec();
            v[j] += H;
            let rj = f(&v);
            for k in 0..r.len() {
                jac[(k, j)] = (rj.get(k).copied().unwrap_or(f64::NAN) - r[k]) / H;
            }
        }
        jac
    };
    let normal = |jac: &DMatrix<f64>, r: &[f64]| {
        let jtj = jac.transpose() * jac;
        let g = jac.transpose() * DVector::from_column_slice(r);
        (jtj, g)
    };
    let mut u: Vec<f64> = (0..n).map(|j| start[j].clamp(lo[j], hi[j])).collect();
    let mut r = f(&u);
    let mut cost = sq(&r);
    let mut mu = 1e-2;
    for _ in 0..60 {
        if cost < 1e-12 {
            break;
        }
        let (jtj, g) = normal(&jacobian(&u, &r), &r);
        let mut improved = false;
        for _ in 0..8 {
            let a = &jtj + DMatrix::from_diagonal(&jtj.diagonal().map(|d| mu * (d + 1e-9)));
            let Some(step) = a.lu().solve(&(-&g)) else {
                mu *= 10.0;
                continue;
            };
            let v: Vec<f64> = (0..n)
                .map(|j| (u[j] + step[j].clamp(-1.0, 1.0)).clamp(lo[j], hi[j]))
                .collect();
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
    let covariance = (r.len() > n)
        .then(|| normal(&jacobian(&u, &r), &r).0.try_inverse())
        .flatten()
        .map(|inv| {
            let s2 = cost / (r.len() - n) as f64;
            (0..n)
                .map(|a| (0..n).map(|b| s2 * inv[(a, b)]).collect())
                .collect()
        });
    LeastSquaresDyn {
        params: u,
        cost,
        covariance,
    }
}

/// [`levenberg_marquardt`] for three parameters and three residuals (a colour's L*, a*, b*).
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
    bounds: ([f64; 3], [f64; 3]),
) -> ([f64; 3], f64) {
    let fit = levenberg_marquardt(|u| f(u).to_vec(), start, bounds);
    (fit.params, fit.cost)
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
