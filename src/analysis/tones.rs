//! Dominant tones in CIELAB: trimming, k-means, choice of k, merging, and the target tone.
//!
//! The procedure, per role (documented in `docs/model.md` § Tones):
//!
//! 1. **Trim** (Tukey fences on L*): pixels with L* outside
//!    `[Q1 − 1.5·IQR, Q3 + 1.5·IQR]` are specular highlights or deep shadows; pixels with
//!    L* ≥ 99 or L* ≤ 1 are clipped by the sensor. Both are dropped and counted.
//! 2. **Fit** k-means in Lab (kmeans_colors' Lloyd iterations, k-means++ seeding; k = 1 is the
//!    mean) on a
//!    deterministic, evenly strided subsample of at most [`FIT_SAMPLES`] pixels,
//!    [`RESTARTS`] restarts with seeds `seed + 1000·k + r`, keeping the restart with the
//!    lowest sum of squared errors (SSE, computed here: kmeans_colors' own score is the
//!    centroid movement, not the error).
//! 3. **Refine** with Lloyd iterations on all sampled pixels, which also gives each tone's
//!    weight (its share of the role's pixels).
//! 4. **k = auto**: k grows from 1 while one more cluster both cuts the SSE by at least
//!    [`MIN_SSE_GAIN`] (an elbow rule) and keeps every pair of centroids at least
//!    [`MERGE_DE00`] apart (a perceptibility rule), up to [`K_MAX`].
//! 5. **Merge** any two tones closer than [`MERGE_DE00`] (pixel-weighted mean), so that a
//!    uniform region yields one tone.
//! 6. **Target**: among the role's candidate tones (hair: darker than the scalp by at least
//!    [`crate::analysis::classify::HAIR_MIN_DARKER_L`]; scalp: skin-like), the heaviest one and every
//!    candidate within [`MODE_DE00`] of it form the principal mode; the target is that mode's
//!    pixel-weighted mean Lab.

use palette::Mix;
use serde::Serialize;

use bytemuck::TransparentWrapper;
use rayon::prelude::*;

use crate::analysis::classify;
use crate::color::{delta_e00, Lab};

/// Largest k tried by `--k auto`.
pub const K_MAX: usize = 6;
/// Largest k accepted by `--k N` (k-means indices are bytes).
pub const K_LIMIT: usize = 16;
/// Restarts per k.
pub const RESTARTS: u64 = 2;
/// Points every k-means (tones and the hair/scalp separation) is fitted on; the refinement
/// then uses all sampled pixels.
pub const FIT_SAMPLES: usize = 20_000;
/// Relative SSE reduction one more cluster must bring under `--k auto`. Splitting a single
/// normal population in two along its major axis already cuts the SSE by up to
/// 1 − 2/π ≈ 0.363 (all variance on that axis), so the bar sits above it: a split must show
/// more structure than one noisy tone has. At 0.30 the unimodal hair of the grey sample was
/// split along JPEG chroma noise, at a place that moved with the sampling.
pub const MIN_SSE_GAIN: f64 = 0.40;
/// Tones closer than this (ΔE00) are merged: below the 2–3 ΔE00 acceptability tolerance
/// reported for skin-like materials, so merged tones are not worth telling apart.
pub const MERGE_DE00: f32 = 2.0;
/// Tones within this ΔE00 of the heaviest candidate form the target's principal mode.
pub const MODE_DE00: f32 = 5.0;
/// Lloyd refinement iterations on all sampled pixels.
const REFINE_ITERS: usize = 5;
/// Points per parallel chunk of the Lloyd refinement (fixed, for reproducible sums).
const REFINE_CHUNK: usize = 16_384;
/// Iterations of kmeans_colors' fit. It only seeds the centroids: the
/// [`REFINE_ITERS`] Lloyd iterations on every sampled pixel that follow do the final work, so
/// 10 reach the same error as 100 (the k = 6 separation of the 12 MP benchmark photo: SSE
/// 818 729 after 10 + refinement, 818 785 after 100 + refinement) in 70 % of the time.
const KMEANS_MAX_ITER: usize = 10;
const KMEANS_CONVERGE: f32 = 1e-5;

/// Which part of the head a set of pixels shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Hair (strands, stubble).
    Hair,
    /// Scalp skin.
    Scalp,
}

impl Role {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Hair => "hair",
            Role::Scalp => "scalp",
        }
    }
}

/// How k is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KChoice {
    /// Chosen per role by the documented rule.
    Auto,
    /// Fixed by the user (tones closer than [`MERGE_DE00`] are still merged).
    Fixed(usize),
}

impl std::fmt::Display for KChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KChoice::Auto => f.write_str("auto"),
            KChoice::Fixed(k) => write!(f, "{k}"),
        }
    }
}

impl std::str::FromStr for KChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(KChoice::Auto);
        }
        match s.parse::<usize>() {
            Ok(k) if (1..=K_LIMIT).contains(&k) => Ok(KChoice::Fixed(k)),
            _ => Err(format!(
                "expected 'auto' or an integer 1–{K_LIMIT}, got {s:?}"
            )),
        }
    }
}

/// Settings of the tone extraction.
#[derive(Debug, Clone, Copy)]
pub struct ToneOptions {
    /// k choice.
    pub k: KChoice,
    /// Base seed of k-means++ (fixed by default, so results are reproducible).
    pub seed: u64,
}

impl Default for ToneOptions {
    fn default() -> Self {
        ToneOptions {
            k: KChoice::Auto,
            seed: 0x5EED,
        }
    }
}

/// One dominant tone.
#[derive(Debug, Clone, Copy)]
pub struct Tone {
    /// Centroid.
    pub lab: Lab,
    /// Share of the role's (untrimmed) pixels, 0–1.
    pub weight: f32,
    /// Pixels assigned.
    pub count: usize,
    /// Root-mean-square ΔE00 of the tone's pixels to the centroid (on the fit subsample).
    pub spread_de00: f32,
}

/// Pixels dropped by the L* trim.
#[derive(Debug, Clone, Copy, Default, Serialize, schemars::JsonSchema)]
pub struct Trim {
    /// Pixels darker than the lower fence (deep shadow) or clipped black.
    pub shadow: usize,
    /// Pixels lighter than the upper fence (specular highlight) or clipped white.
    pub highlight: usize,
    /// The lower L* fence used.
    pub lower_l: f64,
    /// The upper L* fence used.
    pub upper_l: f64,
}

/// The tones of one role.
#[derive(Debug, Clone)]
pub struct RoleTones {
    /// Hair or scalp.
    pub role: Role,
    /// Pixels sampled for this role (before trimming).
    pub pixels_sampled: usize,
    /// Trimmed pixels.
    pub trim: Trim,
    /// k of the fit before merging.
    pub k_fit: usize,
    /// Tones, heaviest first; weights sum to 1.
    pub tones: Vec<Tone>,
    /// The representative tone.
    pub target: Lab,
    /// RMS ΔE00 of the principal mode's pixels around the target: the measurement spread
    /// (for a blended target, [`blended`], about that of all the role's pixels).
    pub target_spread_de00: f32,
    /// Pixels behind the target (its principal mode; every pixel for a blended target).
    pub target_pixels: usize,
    /// Problems worth telling the user.
    pub warnings: Vec<crate::warning::Warning>,
}

/// Squared Euclidean distance in Lab (ΔE*ab²): what k-means minimises.
#[inline]
fn dist2(a: Lab, b: Lab) -> f32 {
    let (dl, da, db) = (a.l - b.l, a.a - b.a, a.b - b.b);
    dl * dl + da * da + db * db
}

/// Index of the centroid nearest to `p` (ΔE*ab) and the squared distance.
pub(crate) fn nearest(p: Lab, centroids: &[Lab]) -> (usize, f32) {
    let mut best = (0, f32::MAX);
    for (i, &c) in centroids.iter().enumerate() {
        let d = dist2(p, c);
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

/// [`nearest`] for every point of `points`, in order: `f(point, index, squared distance)`.
/// Eight points at a time, centroid by centroid, so that the comparisons vectorise; each
/// point still meets the centroids in order and keeps the first of the closest, so the
/// result is [`nearest`]'s (and kmeans_colors' own, whose distance is the same sum).
#[inline]
pub(crate) fn for_each_nearest(
    points: &[Lab],
    centroids: &[Lab],
    mut f: impl FnMut(Lab, usize, f32),
) {
    let mut chunks = points.chunks_exact(8);
    for chunk in &mut chunks {
        let mut min = [f32::MAX; 8];
        let mut index = [0usize; 8];
        for (i, &c) in centroids.iter().enumerate() {
            for j in 0..8 {
                let d = dist2(chunk[j], c);
                if d < min[j] {
                    min[j] = d;
                    index[j] = i;
                }
            }
        }
        for j in 0..8 {
            f(chunk[j], index[j], min[j]);
        }
    }
    for &p in chunks.remainder() {
        let (i, d) = nearest(p, centroids);
        f(p, i, d);
    }
}

/// Trim by Tukey fences on L* plus sensor clipping. Returns the kept pixels.
pub fn trim_lightness(mut lab: Vec<Lab>) -> (Vec<Lab>, Trim) {
    if lab.is_empty() {
        return (lab, Trim::default());
    }
    let mut ls: Vec<f32> = lab.iter().map(|c| c.l).collect();
    let n = ls.len();
    let q = |ls: &mut Vec<f32>, p: f64| -> f32 {
        let i = ((n - 1) as f64 * p).round() as usize;
        *ls.select_nth_unstable_by(i, f32::total_cmp).1
    };
    let q1 = q(&mut ls, 0.25);
    let q3 = q(&mut ls, 0.75);
    let iqr = q3 - q1;
    let lower = (q1 - 1.5 * iqr).max(1.0);
    let upper = (q3 + 1.5 * iqr).min(99.0);
    let mut trim = Trim {
        lower_l: crate::color::round(lower, 2),
        upper_l: crate::color::round(upper, 2),
        ..Trim::default()
    };
    lab.retain(|c| {
        if c.l < lower {
            trim.shadow += 1;
            false
        } else if c.l > upper {
            trim.highlight += 1;
            false
        } else {
            true
        }
    });
    (lab, trim)
}

/// Evenly strided subsample of at most `max` points (deterministic).
pub fn subsample(points: &[Lab], max: usize) -> Vec<Lab> {
    if points.len() <= max {
        return points.to_vec();
    }
    let step = points.len().div_ceil(max);
    points.iter().step_by(step).copied().collect()
}

/// A k-means solution on a point set.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Centroids (clusters left empty are removed).
    pub centroids: Vec<Lab>,
    /// Points per centroid.
    pub counts: Vec<usize>,
    /// Sum of squared ΔE*ab of points to their centroid.
    pub sse: f64,
}

/// A Lab point for kmeans_colors whose centroid update takes one pass over the points: the
/// crate's own update for Lab passes over all of them once per centroid (k passes). Each
/// centroid's sum is built from the same points in the same order, in `f32` as the crate
/// does, so the fit is bit for bit the crate's (k = 6 on 20 000 points: 0.9 of its 4.2 ms
/// were the k passes).
#[derive(Debug, Clone, Copy, Default, PartialEq, bytemuck::TransparentWrapper)]
#[repr(transparent)]
struct OnePass(Lab);

impl kmeans_colors::Calculate for OnePass {
    fn get_closest_centroid(buffer: &[Self], centroids: &[Self], indices: &mut Vec<u8>) {
        let centroids = OnePass::peel_slice(centroids);
        // Indices are bytes: k ≤ K_LIMIT.
        for_each_nearest(OnePass::peel_slice(buffer), centroids, |_, i, _| {
            indices.push(i as u8)
        });
    }

    fn recalculate_centroids(
        rng: &mut impl rand::Rng,
        buffer: &[Self],
        centroids: &mut [Self],
        indices: &[u8],
    ) {
        let mut sums = vec![[0f32; 3]; centroids.len()];
        let mut counts = vec![0u64; centroids.len()];
        for (&i, p) in indices.iter().zip(buffer) {
            let (s, i) = (&mut sums[usize::from(i)], usize::from(i));
            s[0] += p.0.l;
            s[1] += p.0.a;
            s[2] += p.0.b;
            counts[i] += 1;
        }
        for ((c, s), &n) in centroids.iter_mut().zip(&sums).zip(&counts) {
            *c = if n == 0 {
                Self::create_random(rng)
            } else {
                let n = n as f64 as f32;
                OnePass(Lab::new(s[0] / n, s[1] / n, s[2] / n))
            };
        }
    }

    fn check_loop(centroids: &[Self], old_centroids: &[Self]) -> f32 {
        <Lab as kmeans_colors::Calculate>::check_loop(
            OnePass::peel_slice(centroids),
            OnePass::peel_slice(old_centroids),
        )
    }

    fn create_random(rng: &mut impl rand::Rng) -> Self {
        OnePass(<Lab as kmeans_colors::Calculate>::create_random(rng))
    }

    fn difference(c1: &Self, c2: &Self) -> f32 {
        <Lab as kmeans_colors::Calculate>::difference(&c1.0, &c2.0)
    }
}

/// Best-of-[`RESTARTS`] k-means on `fit_points`, refined by Lloyd iterations on `all`.
pub fn fit_k(fit_points: &[Lab], all: &[Lab], k: usize, seed: u64) -> Fit {
    let distinct = count_distinct_up_to(fit_points, k);
    let k = k.min(distinct).max(1);
    if k == 1 {
        // One cluster: k-means ends at the mean whatever its start, so start there.
        let n = fit_points.len().max(1) as f64;
        let mut s = [0f64; 3];
        for p in fit_points {
            s[0] += f64::from(p.l);
            s[1] += f64::from(p.a);
            s[2] += f64::from(p.b);
        }
        let mean = Lab::new((s[0] / n) as f32, (s[1] / n) as f32, (s[2] / n) as f32);
        return refine(vec![mean], all);
    }
    // Restarts run in parallel; the best is chosen by SSE, ties by restart number, so the
    // result does not depend on the number of threads.
    let runs: Vec<(Vec<Lab>, f64)> = (0..RESTARTS)
        .into_par_iter()
        .map(|r| {
            let s = seed.wrapping_add(1000 * k as u64).wrapping_add(r);
            // Plain Lloyd iterations, not kmeans_colors' Hamerly variant: the same result on
            // every sample and photo tried (golden outputs and real photos byte-identical), and
            // faster at these sizes (k = 6 on 19 200 points: 4.2 vs 7.2 ms; k = 2: 0.85 vs 1.1).
            let km = kmeans_colors::get_kmeans(
                k,
                KMEANS_MAX_ITER,
                KMEANS_CONVERGE,
                false,
                OnePass::wrap_slice(fit_points),
                s,
            );
            let sse: f64 = fit_points
                .iter()
                .zip(&km.indices)
                .map(|(&p, &i)| f64::from(dist2(p, km.centroids[i as usize].0)))
                .sum();
            (km.centroids.into_iter().map(|c| c.0).collect(), sse)
        })
        .collect();
    let mut best: Option<(Vec<Lab>, f64)> = None;
    for run in runs {
        if best.as_ref().is_none_or(|b| run.1 < b.1) {
            best = Some(run);
        }
    }
    refine(best.map(|b| b.0).unwrap_or_default(), all)
}

/// Lloyd refinement of `centroids` on every sampled pixel; drops clusters that end up empty
/// (including kmeans_colors' random re-seeds of empty clusters, which may be impossible
/// colours).
fn refine(mut centroids: Vec<Lab>, all: &[Lab]) -> Fit {
    let mut counts = vec![0usize; centroids.len()];
    let mut sse = 0.0;
    for _ in 0..REFINE_ITERS {
        // Partial sums over fixed-size chunks, in parallel, added in chunk order: the same
        // floating-point result whatever the number of threads.
        let k = centroids.len();
        let partials: Vec<(Vec<[f64; 3]>, Vec<usize>, f64)> = all
            .par_chunks(REFINE_CHUNK)
            .map(|chunk| {
                let mut sums = vec![[0f64; 3]; k];
                let mut counts = vec![0usize; k];
                let mut sse = 0.0;
                for_each_nearest(chunk, &centroids, |p, i, d| {
                    sums[i][0] += f64::from(p.l);
                    sums[i][1] += f64::from(p.a);
                    sums[i][2] += f64::from(p.b);
                    counts[i] += 1;
                    sse += f64::from(d);
                });
                (sums, counts, sse)
            })
            .collect();
        let mut sums = vec![[0f64; 3]; k];
        counts = vec![0; k];
        sse = 0.0;
        for (ps, pc, pe) in partials {
            for i in 0..k {
                for c in 0..3 {
                    sums[i][c] += ps[i][c];
                }
                counts[i] += pc[i];
            }
            sse += pe;
        }
        let mut moved = 0f32;
        let mut next = Vec::with_capacity(centroids.len());
        let mut next_counts = Vec::with_capacity(centroids.len());
        for ((c, s), &n) in centroids.iter().zip(&sums).zip(&counts) {
            if n == 0 {
                continue;
            }
            let m = Lab::new(
                (s[0] / n as f64) as f32,
                (s[1] / n as f64) as f32,
                (s[2] / n as f64) as f32,
            );
            moved = moved.max(dist2(*c, m));
            next.push(m);
            next_counts.push(n);
        }
        let dropped = next.len() != centroids.len();
        centroids = next;
        counts = next_counts;
        if moved < 1e-6 && !dropped {
            break;
        }
    }
    Fit {
        centroids,
        counts,
        sse,
    }
}

fn count_distinct_up_to(points: &[Lab], limit: usize) -> usize {
    let mut seen: Vec<Lab> = Vec::with_capacity(limit);
    for &p in points {
        if !seen.iter().any(|&s| dist2(s, p) == 0.0) {
            seen.push(p);
            if seen.len() >= limit {
                break;
            }
        }
    }
    seen.len()
}

fn min_pair_de00(centroids: &[Lab]) -> f32 {
    let mut m = f32::MAX;
    for i in 0..centroids.len() {
        for j in i + 1..centroids.len() {
            m = m.min(delta_e00(centroids[i], centroids[j]));
        }
    }
    m
}

/// Choose and fit k per the documented rule; returns the fit.
pub fn fit_auto(fit_points: &[Lab], all: &[Lab], seed: u64) -> Fit {
    let mut chosen = fit_k(fit_points, all, 1, seed);
    for k in 2..=K_MAX {
        if chosen.sse <= f64::EPSILON {
            break;
        }
        let next = fit_k(fit_points, all, k, seed);
        if next.centroids.len() < k {
            break; // fewer distinct colours than k
        }
        let gain = 1.0 - next.sse / chosen.sse;
        if gain < MIN_SSE_GAIN || min_pair_de00(&next.centroids) < MERGE_DE00 {
            break;
        }
        chosen = next;
    }
    chosen
}

/// Merge centroids closer than [`MERGE_DE00`], closest pair first (pixel-weighted means).
pub fn merge_close(mut centroids: Vec<Lab>, mut counts: Vec<usize>) -> (Vec<Lab>, Vec<usize>) {
    loop {
        let mut best: Option<(usize, usize, f32)> = None;
        for i in 0..centroids.len() {
            for j in i + 1..centroids.len() {
                let d = delta_e00(centroids[i], centroids[j]);
                if d < MERGE_DE00 && best.is_none_or(|b| d < b.2) {
                    best = Some((i, j, d));
                }
            }
        }
        let Some((i, j, _)) = best else {
            return (centroids, counts);
        };
        let (ni, nj) = (counts[i], counts[j]);
        let t = nj as f32 / (ni + nj).max(1) as f32;
        centroids[i] = centroids[i].mix(centroids[j], t);
        counts[i] = ni + nj;
        centroids.remove(j);
        counts.remove(j);
    }
}

/// Extract the tones of one role from its sampled pixels: [`fit_role`] then
/// [`choose_target`].
///
/// `scalp_target` (for the hair role) restricts the target to tones darker than the scalp.
/// Returns `None` when no pixel is left to analyse.
pub fn extract(
    role: Role,
    samples: Vec<Lab>,
    opts: ToneOptions,
    scalp_target: Option<Lab>,
) -> Option<RoleTones> {
    fit_role(role, samples, opts).map(|f| choose_target(f, scalp_target))
}

/// The tones of one role before its target is chosen (steps 1–5).
#[derive(Debug, Clone)]
pub struct FittedRole {
    role: Role,
    pixels_sampled: usize,
    trim: Trim,
    k_fit: usize,
    tones: Vec<Tone>,
}

/// Trim, fit, merge and weigh the tones of one role (steps 1–5). Independent of the other
/// role, so hair and scalp can be fitted at the same time.
pub fn fit_role(role: Role, samples: Vec<Lab>, opts: ToneOptions) -> Option<FittedRole> {
    let pixels_sampled = samples.len();
    let (kept, trim) = trim_lightness(samples);
    if kept.is_empty() {
        return None;
    }
    let fit_points = subsample(&kept, FIT_SAMPLES);
    let seed = opts.seed.wrapping_add(match role {
        Role::Hair => 0,
        Role::Scalp => 1 << 32,
    });
    let fit = match opts.k {
        KChoice::Auto => fit_auto(&fit_points, &kept, seed),
        KChoice::Fixed(k) => fit_k(&fit_points, &kept, k, seed),
    };
    let k_fit = fit.centroids.len();
    let (centroids, counts) = merge_close(fit.centroids, fit.counts);
    let total: usize = counts.iter().sum();
    // Spread per tone on the fit subsample: ΔE00 is costly, so fixed-size chunks run in
    // parallel and their sums are added in chunk order (the same result on any thread count).
    let kc = centroids.len();
    let partials: Vec<(Vec<f64>, Vec<usize>)> = fit_points
        .par_chunks(2_048)
        .map(|chunk| {
            let mut sq = vec![0f64; kc];
            let mut n = vec![0usize; kc];
            for &p in chunk {
                let (i, _) = nearest(p, &centroids);
                let d = f64::from(delta_e00(p, centroids[i]));
                sq[i] += d * d;
                n[i] += 1;
            }
            (sq, n)
        })
        .collect();
    let mut sq = vec![0f64; kc];
    let mut n = vec![0usize; kc];
    for (ps, pn) in partials {
        for i in 0..kc {
            sq[i] += ps[i];
            n[i] += pn[i];
        }
    }
    let mut tones: Vec<Tone> = centroids
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (&lab, &count))| Tone {
            lab,
            weight: count as f32 / total.max(1) as f32,
            count,
            spread_de00: if n[i] > 0 {
                (sq[i] / n[i] as f64).sqrt() as f32
            } else {
                0.0
            },
        })
        .collect();
    // Heaviest first; ties broken by lightness then a*, b* so the order is total.
    tones.sort_by(|x, y| {
        y.count
            .cmp(&x.count)
            .then(x.lab.l.total_cmp(&y.lab.l))
            .then(x.lab.a.total_cmp(&y.lab.a))
            .then(x.lab.b.total_cmp(&y.lab.b))
    });
    Some(FittedRole {
        role,
        pixels_sampled,
        trim,
        k_fit,
        tones,
    })
}

/// Choose the target of a fitted role (step 6); `scalp_target` as in [`extract`].
pub fn choose_target(fitted: FittedRole, scalp_target: Option<Lab>) -> RoleTones {
    let FittedRole {
        role,
        pixels_sampled,
        trim,
        k_fit,
        tones,
    } = fitted;
    let mut warnings = Vec::new();
    let candidates: Vec<usize> = match role {
        Role::Scalp => (0..tones.len())
            .filter(|&i| classify::is_skin_like(tones[i].lab))
            .collect(),
        Role::Hair => match scalp_target {
            Some(s) => (0..tones.len())
                .filter(|&i| classify::is_darker_by_rule(tones[i].lab, s))
                .collect(),
            None => (0..tones.len()).collect(),
        },
    };
    let candidates = if candidates.is_empty() {
        warnings.push(match role {
            Role::Scalp => crate::warning::Warning::new(
                crate::warning::WarningCode::ScalpToneNotSkin,
                "no scalp tone has a skin-like colour (hue 15–90°, chroma 4–50, \
                            L* 20–92); the heaviest tone is used as the scalp target",
            ),
            Role::Hair => crate::warning::Warning::new(
                crate::warning::WarningCode::HairToneNotDarker,
                format!(
                    "no hair tone is at least {} L* darker than the scalp; the heaviest hair tone \
                 is used as the target",
                    classify::HAIR_MIN_DARKER_L
                ),
            ),
        });
        (0..tones.len()).collect()
    } else {
        candidates
    };
    // No silent caps: when the rule passes over the heaviest hair tone, say so.
    if role == Role::Hair && candidates[0] != 0 {
        if let Some(s) = scalp_target {
            let (t0, tc) = (&tones[0], &tones[candidates[0]]);
            warnings.push(crate::warning::Warning::new(
                crate::warning::WarningCode::HairToneSkipped,
                format!(
                    "the heaviest hair tone (L* {:.1} a* {:.1} b* {:.1}, {:.0} % of the hair \
                     pixels) is not at least {} L* darker than the scalp (L* {:.1}), so the \
                     target is the tone L* {:.1} a* {:.1} b* {:.1} ({:.0} %, ΔE00 {:.1} away); \
                     if the heavier tone is the hair, give a --hair-region on it",
                    t0.lab.l,
                    t0.lab.a,
                    t0.lab.b,
                    100.0 * t0.weight,
                    classify::HAIR_MIN_DARKER_L,
                    s.l,
                    tc.lab.l,
                    tc.lab.a,
                    tc.lab.b,
                    100.0 * tc.weight,
                    delta_e00(t0.lab, tc.lab)
                ),
            ));
        }
    }
    let head = tones[candidates[0]].lab;
    let mode: Vec<&Tone> = candidates
        .iter()
        .map(|&i| &tones[i])
        .filter(|t| delta_e00(t.lab, head) <= MODE_DE00)
        .collect();
    let mode_n: usize = mode.iter().map(|t| t.count).sum();
    let mut acc = [0f64; 3];
    for t in &mode {
        let w = t.count as f64 / mode_n.max(1) as f64;
        acc[0] += w * f64::from(t.lab.l);
        acc[1] += w * f64::from(t.lab.a);
        acc[2] += w * f64::from(t.lab.b);
    }
    let target = Lab::new(acc[0] as f32, acc[1] as f32, acc[2] as f32);
    let var: f64 = mode
        .iter()
        .map(|t| {
            let w = t.count as f64 / mode_n.max(1) as f64;
            let d = f64::from(delta_e00(t.lab, target));
            w * (f64::from(t.spread_de00).powi(2) + d * d)
        })
        .sum();
    RoleTones {
        role,
        pixels_sampled,
        trim,
        k_fit,
        tones,
        target,
        target_spread_de00: var.sqrt() as f32,
        target_pixels: mode_n,
        warnings,
    }
}

/// The target of a role as its pixels blend when seen from a distance: the linear-light mean
/// of all of them, untrimmed ([`crate::color::mean_linear`]: an optical mix, as in
/// [`crate::color::mix_linear`]). For hair of two colours of strands (salt-and-pepper grey:
/// pigmented and white strands), which no single tone represents; the trim would cut a few
/// white strands among dark ones, and averaging tone centroids (Lab means) would bias it dark.
/// The spread becomes about the RMS ΔE00 of the tones' pixels around it (from each tone's
/// spread and distance); every pixel stands behind it. `t` unchanged when `pixels` is empty.
pub fn blended(mut t: RoleTones, pixels: &[Lab]) -> RoleTones {
    let Some(target) = crate::color::mean_linear(pixels) else {
        return t;
    };
    let var: f64 = t
        .tones
        .iter()
        .map(|x| {
            let d = f64::from(delta_e00(x.lab, target));
            f64::from(x.weight) * (f64::from(x.spread_de00).powi(2) + d * d)
        })
        .sum();
    t.target = target;
    t.target_spread_de00 = var.sqrt() as f32;
    t.target_pixels = pixels.len();
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{blob, warned};

    /// The one-pass centroid update and the eight-at-a-time nearest search give kmeans_colors'
    /// own fit bit for bit: on blobs, on quantised points full of exact ties, and with more
    /// centroids than the points fill (empty clusters re-seeded at random).
    #[test]
    fn one_pass_kmeans_is_the_crates_kmeans_bit_for_bit() {
        let mut cases: Vec<(Vec<Lab>, usize)> = Vec::new();
        let mut px = blob(Lab::new(60.0, 10.0, 15.0), 5_003, 4.0, 1);
        px.extend(blob(Lab::new(25.0, 2.0, 3.0), 3_001, 3.0, 2));
        px.extend(blob(Lab::new(40.0, 20.0, -5.0), 1_999, 6.0, 3));
        cases.push((px.clone(), 6));
        cases.push((px.clone(), 2));
        let ties: Vec<Lab> = px
            .iter()
            .map(|p| {
                Lab::new(
                    p.l.round(),
                    (p.a / 4.0).round() * 4.0,
                    (p.b / 4.0).round() * 4.0,
                )
            })
            .collect();
        cases.push((ties, 5));
        // Three distinct colours, sixteen centroids: most clusters are empty at some point.
        let few: Vec<Lab> = (0..203)
            .map(|i| {
                [
                    Lab::new(10.0, 0.0, 0.0),
                    Lab::new(50.0, 5.0, 5.0),
                    Lab::new(90.0, 0.0, 9.0),
                ][i % 3]
            })
            .collect();
        cases.push((few, K_LIMIT));
        for (points, k) in &cases {
            for seed in [0u64, 7, 1_000_003] {
                let crate_fit = kmeans_colors::get_kmeans(*k, 30, 0.0, false, points, seed);
                let ours = kmeans_colors::get_kmeans(
                    *k,
                    30,
                    0.0,
                    false,
                    OnePass::wrap_slice(points),
                    seed,
                );
                assert_eq!(crate_fit.indices, ours.indices, "k = {k}, seed {seed}");
                assert_eq!(crate_fit.score.to_bits(), ours.score.to_bits());
                for (a, b) in crate_fit.centroids.iter().zip(&ours.centroids) {
                    for (x, y) in [(a.l, b.0.l), (a.a, b.0.a), (a.b, b.0.b)] {
                        assert_eq!(x.to_bits(), y.to_bits(), "k = {k}, seed {seed}");
                    }
                }
            }
        }
        // And the search that refine uses is nearest()'s, point by point.
        let centroids = [
            Lab::new(50.0, 5.0, 5.0),
            Lab::new(50.0, 5.0, 5.0),
            Lab::new(20.0, 0.0, 0.0),
        ];
        let mut seen = Vec::new();
        for_each_nearest(&cases[2].0, &centroids, |p, i, d| seen.push((p, i, d)));
        assert_eq!(seen.len(), cases[2].0.len());
        for (&p, (q, i, d)) in cases[2].0.iter().zip(seen) {
            let (ni, nd) = nearest(p, &centroids);
            assert_eq!((p, ni, nd.to_bits()), (q, i, d.to_bits()));
        }
    }

    #[test]
    fn a_skipped_heavy_hair_tone_is_named_and_red_hair_is_not_capped() {
        let scalp = Lab::new(66.0, 11.0, 16.0);
        // A hair region that is mostly skin: the heavy skin tone is passed over, loudly.
        let mut px = blob(Lab::new(65.0, 11.0, 16.0), 14_000, 1.5, 1);
        px.extend(blob(Lab::new(20.0, 1.0, 1.5), 6_000, 1.5, 2));
        let t = extract(Role::Hair, px, ToneOptions::default(), Some(scalp)).expect("tones");
        assert!(
            delta_e00(t.target, Lab::new(20.0, 1.0, 1.5)) < 1.0,
            "{:?}",
            t.target
        );
        assert!(
            warned(&t.warnings, crate::warning::WarningCode::HairToneSkipped),
            "{:?}",
            t.warnings
        );
        // Auburn hair, C*ab 32 (above the separation's hair chroma limit of 30): a hair
        // region is hair, so its tone is the target, with no warning.
        let auburn = Lab::new(32.0, 16.0, 27.7);
        assert!(crate::color::chroma(auburn) > classify::HAIR_MAX_CHROMA);
        let t = extract(
            Role::Hair,
            blob(auburn, 20_000, 1.5, 3),
            ToneOptions::default(),
            Some(scalp),
        )
        .expect("tones");
        assert!(delta_e00(t.target, auburn) < 1.0, "{:?}", t.target);
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn uniform_region_gives_one_tone() {
        let truth = Lab::new(62.0, 11.0, 17.0);
        let px = blob(truth, 30_000, 1.5, 1);
        let t = extract(Role::Scalp, px, ToneOptions::default(), None).expect("tones");
        assert_eq!(t.tones.len(), 1, "{:?}", t.tones);
        assert!((t.tones[0].weight - 1.0).abs() < 1e-6);
        assert!(delta_e00(t.target, truth) < 0.3);
    }

    #[test]
    fn two_tones_recovered_with_their_shares() {
        let skin = Lab::new(65.0, 12.0, 18.0);
        let hair = Lab::new(20.0, 1.0, 2.0);
        let mut px = blob(skin, 21_000, 2.0, 2);
        px.extend(blob(hair, 9_000, 2.0, 3));
        let t = extract(Role::Hair, px, ToneOptions::default(), Some(skin)).expect("tones");
        assert_eq!(t.tones.len(), 2, "{:?}", t.tones);
        assert!((t.tones[0].weight - 0.7).abs() < 0.01);
        assert!((t.tones[1].weight - 0.3).abs() < 0.01);
        // The hair target is the hair tone even though skin is heavier.
        assert!(delta_e00(t.target, hair) < 0.5, "{:?}", t.target);
        let sum: f32 = t.tones.iter().map(|x| x.weight).sum();
        assert!((sum - 1.0).abs() < 1e-5);
    }

    #[test]
    fn highlights_are_trimmed_and_counted() {
        let hair = Lab::new(20.0, 0.5, 1.0);
        let mut px = blob(hair, 10_000, 2.0, 4);
        px.extend(blob(Lab::new(80.0, 0.0, 0.0), 150, 1.0, 5));
        let t = extract(Role::Hair, px, ToneOptions::default(), None).expect("tones");
        assert_eq!(t.trim.highlight, 150);
        assert_eq!(t.tones.len(), 1);
    }

    #[test]
    fn fixed_k_on_identical_pixels_does_not_panic() {
        let px = vec![Lab::new(50.0, 0.0, 0.0); 500];
        let t = extract(
            Role::Hair,
            px,
            ToneOptions {
                k: KChoice::Fixed(5),
                seed: 1,
            },
            None,
        )
        .expect("tones");
        assert_eq!(t.tones.len(), 1);
    }

    #[test]
    fn same_input_same_tones() {
        let mut px = blob(Lab::new(60.0, 10.0, 15.0), 5000, 6.0, 7);
        px.extend(blob(Lab::new(25.0, 3.0, 5.0), 3000, 6.0, 8));
        let a = extract(Role::Scalp, px.clone(), ToneOptions::default(), None).expect("a");
        let b = extract(Role::Scalp, px, ToneOptions::default(), None).expect("b");
        assert_eq!(format!("{:?}", a.tones), format!("{:?}", b.tones));
    }

    #[test]
    fn salt_and_pepper_hair_blends_to_its_optical_mix() {
        // Half black, half white strands: seen from afar, Y = 0.5, whose CIE lightness is
        // 116 · 0.5^(1/3) − 16 = 76.07 (CIE 15:2018 eq. 8.1), not the Lab average of 50.
        let tone = |l: f32, count: usize| Tone {
            lab: Lab::new(l, 0.0, 0.0),
            weight: 0.5,
            count,
            spread_de00: 0.0,
        };
        let t = RoleTones {
            role: Role::Hair,
            pixels_sampled: 200,
            trim: Trim {
                shadow: 0,
                highlight: 0,
                lower_l: 0.0,
                upper_l: 100.0,
            },
            k_fit: 2,
            tones: vec![tone(0.0, 100), tone(100.0, 100)],
            target: Lab::new(0.0, 0.0, 0.0),
            target_spread_de00: 0.0,
            target_pixels: 100,
            warnings: Vec::new(),
        };
        let px: Vec<Lab> = (0..200)
            .map(|i| Lab::new(if i % 2 == 0 { 0.0 } else { 100.0 }, 0.0, 0.0))
            .collect();
        let b = blended(t, &px);
        assert!((b.target.l - 76.07).abs() < 0.02, "{:?}", b.target);
        assert!(b.target.a.abs() < 1e-2 && b.target.b.abs() < 1e-2);
        assert_eq!(b.target_pixels, 200);
        // Both tones lie far from the mix: the spread says so.
        assert!(b.target_spread_de00 > 20.0, "{}", b.target_spread_de00);
    }
}
