//! The real-photo evaluation harness: how the automatic separation does on photos whose hair
//! and scalp were labelled by eye, and whether its confidence can be trusted.
//!
//! A folder holds `labels.json` (`{"photos": [{"photo": "photos/x.jpg", "hair_region":
//! [x, y, w, h] or null, "scalp_region": … or null, …}]}`, the format of `tests/real/`) and
//! the photos. Each photo is analysed twice: automatically, and through its labelled
//! rectangles (the truth: the tones of regions a person checked hold only hair, or only
//! scalp). The automatic targets are **right** when every labelled role is within
//! [`RIGHT_DE00`] of the labelled one. The confidence is **reliable** when, among the photos
//! it calls sure (≥ [`SURE`]), at least [`RELIABILITY_TARGET`] are right.
//!
//! `cargo run --release --example eval_real -- FOLDER` prints the table for any such folder;
//! `tests/real_photos.rs` runs it on the committed set.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::{analyze, AnalyzeOptions, Selection};
use crate::color::delta_e00;
use crate::error::{Error, Result};
use crate::input::Region;

/// A target within this ΔE00 of the labelled region's is right.
pub const RIGHT_DE00: f32 = 3.0;
/// Confidence from which the program says it is sure.
pub use crate::analysis::segment::SURE;
/// Share of sure answers that must be right.
pub const RELIABILITY_TARGET: f64 = 0.95;

/// One labelled photo (the fields the harness uses; others are kept for people).
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    /// The photo, relative to the folder.
    pub photo: String,
    /// A rectangle holding only hair, if the photo has one.
    pub hair_region: Option<[u32; 4]>,
    /// A rectangle holding only bare scalp, if the photo has one.
    pub scalp_region: Option<[u32; 4]>,
    /// Hair colour by eye (`black`, `grey`, …), if any hair shows.
    #[serde(default)]
    pub hair_colour: Option<String>,
    /// Skin by eye.
    #[serde(default)]
    pub skin: Option<String>,
}

#[derive(Deserialize)]
struct Labels {
    photos: Vec<Label>,
}

/// How the automatic analysis did on one photo.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The label.
    pub label: Label,
    /// The separation's confidence (None: the analysis refused the photo).
    pub confidence: Option<f32>,
    /// Why the analysis refused, when it did.
    pub refused: Option<String>,
    /// ΔE00 of the automatic hair target to the labelled hair region's.
    pub hair_de00: Option<f32>,
    /// ΔE00 of the automatic scalp target to the labelled scalp region's.
    pub scalp_de00: Option<f32>,
}

impl Outcome {
    /// Right, wrong, or not scorable (refused, or nothing labelled to compare with).
    pub fn right(&self) -> Option<bool> {
        self.confidence?;
        let checks: Vec<f32> = [self.hair_de00, self.scalp_de00]
            .into_iter()
            .flatten()
            .collect();
        if checks.is_empty() {
            return None;
        }
        Some(checks.iter().all(|&d| d <= RIGHT_DE00))
    }

    /// The program said it was sure.
    pub fn sure(&self) -> bool {
        self.confidence.is_some_and(|c| c >= SURE)
    }
}

/// Read `folder/labels.json`.
pub fn labels(folder: &Path) -> Result<Vec<Label>> {
    let path = folder.join("labels.json");
    let bytes = crate::io::files::read_input(&path, "a labels file", 16 << 20)?;
    let l: Labels = serde_json::from_slice(&bytes)
        .map_err(|e| Error::input(&path, format!("not a labels file: {e}")))?;
    Ok(l.photos)
}

/// Evaluate one labelled photo.
pub fn evaluate_one(folder: &Path, label: &Label, opts: &AnalyzeOptions) -> Result<Outcome> {
    let photo: PathBuf = folder.join(&label.photo);
    let auto = analyze(
        &Selection {
            photo: Some(photo.clone()),
            ..Selection::default()
        },
        opts,
    );
    let truth = |r: Option<[u32; 4]>, hair: bool| -> Result<Option<crate::color::Lab>> {
        let Some(r) = r else { return Ok(None) };
        let mut sel = Selection {
            photo: Some(photo.clone()),
            ..Selection::default()
        };
        if hair {
            sel.hair_regions.push(Region::from(r));
        } else {
            sel.scalp_regions.push(Region::from(r));
        }
        let a = analyze(&sel, opts)?;
        let t = if hair { &a.hair } else { &a.scalp };
        Ok(t.as_ref().map(|t| t.target))
    };
    let (hair_truth, scalp_truth) = (
        truth(label.hair_region, true)?,
        truth(label.scalp_region, false)?,
    );
    Ok(match auto {
        Ok(a) => {
            let conf = a.auto.as_ref().map_or(1.0, |s| s.confidence);
            let de = |truth: Option<crate::color::Lab>, got: Option<crate::color::Lab>| {
                truth.map(|t| got.map_or(f32::INFINITY, |g| delta_e00(t, g)))
            };
            Outcome {
                label: label.clone(),
                confidence: Some(conf),
                refused: None,
                hair_de00: de(hair_truth, a.hair.as_ref().map(|t| t.target)),
                scalp_de00: de(scalp_truth, a.scalp.as_ref().map(|t| t.target)),
            }
        }
        Err(e @ Error::Analysis { .. }) => Outcome {
            label: label.clone(),
            confidence: None,
            refused: Some(e.to_string()),
            hair_de00: None,
            scalp_de00: None,
        },
        Err(e) => return Err(e),
    })
}

/// Evaluate every labelled photo of `folder`, in the order of `labels.json`.
pub fn evaluate(folder: &Path, opts: &AnalyzeOptions) -> Result<Vec<Outcome>> {
    labels(folder)?
        .iter()
        .map(|l| evaluate_one(folder, l, opts))
        .collect()
}

/// The summary: photos right or wrong, and how reliable "sure" is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Photos evaluated.
    pub photos: usize,
    /// Photos the analysis refused (asking for regions).
    pub refused: usize,
    /// Scorable photos answered right / wrong.
    pub right: usize,
    /// See `right`.
    pub wrong: usize,
    /// Scorable photos answered with confidence ≥ [`SURE`], and how many of them right.
    pub sure: usize,
    /// See `sure`.
    pub sure_right: usize,
    /// How far the hair targets are from the labels.
    pub hair: RoleSummary,
    /// How far the scalp targets are from the labels.
    pub scalp: RoleSummary,
}

/// ΔE00 of one role's automatic targets to the labelled regions', over the photos analysed
/// (not refused) that label that role; a role labelled but not found counts as gross.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoleSummary {
    /// Photos analysed with this role labelled.
    pub labelled: usize,
    /// Within [`RIGHT_DE00`].
    pub within_3: usize,
    /// Within twice that (near misses included).
    pub within_6: usize,
    /// Over [`GROSS_DE00`], or not found: another thing taken for this role.
    pub gross: usize,
    /// Median ΔE00 (not found counted as infinite); `None` when nothing is labelled.
    pub median: Option<f32>,
}

/// A target this far (ΔE00) from the label is another thing taken for the role (a wall, a
/// face, the hair), not the role measured in other light.
pub const GROSS_DE00: f32 = 20.0;

impl RoleSummary {
    fn of(d: impl Iterator<Item = f32>) -> RoleSummary {
        let mut d: Vec<f32> = d.collect();
        d.sort_by(f32::total_cmp);
        let count = |f: &dyn Fn(f32) -> bool| d.iter().filter(|&&x| f(x)).count();
        RoleSummary {
            labelled: d.len(),
            within_3: count(&|x| x <= RIGHT_DE00),
            within_6: count(&|x| x <= 2.0 * RIGHT_DE00),
            gross: count(&|x| x > GROSS_DE00),
            median: (!d.is_empty()).then(|| {
                let n = d.len();
                if n % 2 == 1 {
                    d[n / 2]
                } else {
                    0.5 * (d[n / 2 - 1] + d[n / 2])
                }
            }),
        }
    }
}

impl Summary {
    /// Of `outcomes`.
    pub fn of(outcomes: &[Outcome]) -> Summary {
        let scored = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
        Summary {
            photos: outcomes.len(),
            refused: scored(&|o| o.confidence.is_none()),
            right: scored(&|o| o.right() == Some(true)),
            wrong: scored(&|o| o.right() == Some(false)),
            sure: scored(&|o| o.sure() && o.right().is_some()),
            sure_right: scored(&|o| o.sure() && o.right() == Some(true)),
            hair: RoleSummary::of(
                outcomes
                    .iter()
                    .filter(|o| o.confidence.is_some())
                    .filter_map(|o| o.hair_de00),
            ),
            scalp: RoleSummary::of(
                outcomes
                    .iter()
                    .filter(|o| o.confidence.is_some())
                    .filter_map(|o| o.scalp_de00),
            ),
        }
    }

    /// Share of sure answers that are right (1 when none is sure: nothing claimed).
    pub fn reliability(&self) -> f64 {
        if self.sure == 0 {
            1.0
        } else {
            self.sure_right as f64 / self.sure as f64
        }
    }
}

/// Scorable photos whose confidence lies in one band, and how many of them are right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// The band's lower end (included).
    pub from: f32,
    /// Its upper end (excluded, but for the last band, which includes 1).
    pub to: f32,
    /// Scorable photos in the band.
    pub scored: usize,
    /// Right among them.
    pub right: usize,
}

/// Bands of confidence, each [`BAND_WIDTH`] wide.
pub const BAND_WIDTH: f32 = 0.2;

/// The share right per band of confidence (a reliability diagram in numbers): a confidence
/// that means something has more right answers in its higher bands, not only above
/// [`SURE`].
pub fn confidence_bands(outcomes: &[Outcome]) -> Vec<Band> {
    let n = (1.0 / BAND_WIDTH).round() as usize;
    let mut bands: Vec<Band> = (0..n)
        .map(|i| Band {
            from: i as f32 * BAND_WIDTH,
            to: (i + 1) as f32 * BAND_WIDTH,
            scored: 0,
            right: 0,
        })
        .collect();
    for o in outcomes {
        let (Some(c), Some(right)) = (o.confidence, o.right()) else {
            continue;
        };
        // c · n rather than c / width: no division by a width that is not exact in binary.
        let i = ((c * n as f32) as usize).min(n - 1);
        bands[i].scored += 1;
        bands[i].right += usize::from(right);
    }
    bands
}

/// A Markdown table, one row a photo, then the summary.
pub fn table(outcomes: &[Outcome]) -> String {
    // "—": nothing labelled for that role; "not found": labelled, but the analysis found none.
    let f = |v: Option<f32>| match v {
        None => "—".to_string(),
        Some(d) if d.is_infinite() => "not found".to_string(),
        Some(d) => format!("{d:.1}"),
    };
    let mut s = String::from(
        "| photo | hair (eye) | skin (eye) | confidence | hair ΔE00 | scalp ΔE00 | result |\n|---|---|---|---|---|---|---|\n",
    );
    for o in outcomes {
        let name: String = o
            .label
            .photo
            .rsplit('/')
            .next()
            .unwrap_or("")
            .chars()
            .take(28)
            .collect();
        let result = match (o.right(), o.sure(), &o.refused) {
            (_, _, Some(_)) => "refused (asks for regions)",
            (None, _, _) => "not scorable",
            (Some(true), true, _) => "right, sure",
            (Some(true), false, _) => "right, unsure",
            (Some(false), true, _) => "**WRONG, sure**",
            (Some(false), false, _) => "wrong, unsure",
        };
        s.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {result} |\n",
            o.label.hair_colour.as_deref().unwrap_or("none"),
            o.label.skin.as_deref().unwrap_or("—"),
            o.confidence.map_or("—".into(), |c| format!("{c:.2}")),
            f(o.hair_de00),
            f(o.scalp_de00),
        ));
    }
    let m = Summary::of(outcomes);
    s.push_str(&format!(
        "\n{} photos: {} right, {} wrong, {} refused, {} not scorable; sure (≥ {SURE}) on {}, \
         of which {} right (reliability {:.0} %, target {:.0} %).\n",
        m.photos,
        m.right,
        m.wrong,
        m.refused,
        m.photos - m.right - m.wrong - m.refused,
        m.sure,
        m.sure_right,
        100.0 * m.reliability(),
        100.0 * RELIABILITY_TARGET
    ));
    let bands: Vec<String> = confidence_bands(outcomes)
        .iter()
        .map(|b| format!("{:.1}–{:.1}: {} of {}", b.from, b.to, b.right, b.scored))
        .collect();
    s.push_str(&format!("right by confidence: {}.\n", bands.join("; ")));
    for (role, r) in [("hair", m.hair), ("scalp", m.scalp)] {
        s.push_str(&format!(
            "{role} targets (of {} labelled): {} within {RIGHT_DE00} ΔE00, {} within {}, {} over \
             {GROSS_DE00} or not found; median {}.\n",
            r.labelled,
            r.within_3,
            r.within_6,
            2.0 * RIGHT_DE00,
            r.gross,
            r.median.map_or("—".into(), |d| if d.is_infinite() {
                "not found".into()
            } else {
                format!("{d:.1}")
            }),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_summary_counts_near_misses_and_gross_errors() {
        let r = RoleSummary::of([25.0, 1.0, f32::INFINITY, 4.0].into_iter());
        assert_eq!((r.labelled, r.within_3, r.within_6, r.gross), (4, 1, 2, 2));
        assert_eq!(r.median, Some(14.5));
        assert_eq!(RoleSummary::of([7.0].into_iter()).median, Some(7.0));
        assert_eq!(RoleSummary::of(std::iter::empty()).median, None);
    }

    #[test]
    fn confidence_bands_count_scored_photos_and_right_ones() {
        let o = |confidence: Option<f32>, hair: Option<f32>| Outcome {
            label: Label {
                photo: "x.jpg".into(),
                hair_region: None,
                scalp_region: None,
                hair_colour: None,
                skin: None,
            },
            confidence,
            refused: None,
            hair_de00: hair,
            scalp_de00: None,
        };
        let outcomes = [
            o(Some(0.1), Some(1.0)),  // right, lowest band
            o(Some(0.15), Some(9.0)), // wrong, lowest band
            o(Some(0.5), Some(2.0)),  // right, middle band
            o(Some(0.6), Some(9.0)),  // wrong, on a band's lower end
            o(Some(1.0), Some(2.5)),  // right, 1 falls in the last band
            o(Some(0.9), None),       // nothing labelled: not scored
            o(None, Some(1.0)),       // refused: not scored
        ];
        let b = confidence_bands(&outcomes);
        assert_eq!(b.len(), 5);
        let counts: Vec<(usize, usize)> = b.iter().map(|b| (b.scored, b.right)).collect();
        assert_eq!(counts, [(2, 1), (0, 0), (1, 1), (1, 0), (1, 1)]);
        assert!((b[4].from - 0.8).abs() < 1e-6 && (b[4].to - 1.0).abs() < 1e-6);
    }
}
