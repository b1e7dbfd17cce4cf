//! Boolean masks on a row-major grid of cells (`gw` × `gh`): connected components, holes,
//! dilation and erosion. The separation judges regions of the photo by where they lie
//! ([`crate::analysis::segment`]); the preview finds the thinning area
//! ([`crate::preview::thinning`]). Grids here are small (≤ 20 000 cells for the separation,
//! a few thousand for the preview), so plain flood fills are fast enough.

/// The 8-neighbours of cell `i` in a `gw` × `gh` grid.
pub fn neighbours(i: usize, gw: usize, gh: usize) -> impl Iterator<Item = usize> {
    let (x, y) = ((i % gw) as isize, (i / gw) as isize);
    (-1..=1)
        .flat_map(move |dy| (-1..=1).map(move |dx| (x + dx, y + dy)))
        .filter(move |&(nx, ny)| {
            (nx, ny) != (x, y) && nx >= 0 && ny >= 0 && (nx as usize) < gw && (ny as usize) < gh
        })
        .map(move |(nx, ny)| ny as usize * gw + nx as usize)
}

/// The 8-connected components of the set cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Components {
    /// Per cell: the index of its component in [`Components::sizes`], `None` when unset.
    pub label: Vec<Option<u32>>,
    /// Cells per component, in the order the components are first met scanning row by row.
    pub sizes: Vec<usize>,
}

/// Label the 8-connected components of `set`.
pub fn components(set: &[bool], gw: usize, gh: usize) -> Components {
    let values: Vec<Option<u8>> = set.iter().map(|&s| s.then_some(0)).collect();
    let r = regions(&values, gw, gh);
    Components {
        label: r.label,
        sizes: r.sizes,
    }
}

/// The 8-connected regions of a map of values: neighbouring cells of equal value join;
/// `None` cells belong to none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions<T> {
    /// Per cell: the index of its region, `None` for a `None` cell.
    pub label: Vec<Option<u32>>,
    /// Cells per region, in the order the regions are first met scanning row by row.
    pub sizes: Vec<usize>,
    /// The value of each region.
    pub value: Vec<T>,
}

/// Label the 8-connected regions of equal values of `values` in one pass (one flood fill
/// per region, every cell visited once, whatever the number of values).
pub fn regions<T: Copy + PartialEq>(values: &[Option<T>], gw: usize, gh: usize) -> Regions<T> {
    let mut label: Vec<Option<u32>> = vec![None; values.len()];
    let (mut sizes, mut value) = (Vec::new(), Vec::new());
    let mut stack = Vec::new();
    for start in 0..values.len() {
        let Some(v) = values[start] else { continue };
        if label[start].is_some() {
            continue;
        }
        let id = sizes.len() as u32;
        let mut size = 0;
        label[start] = Some(id);
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            // The 8 neighbours, written out: the separation labels 20 000 cells per photo.
            let (x, y) = (i % gw, i / gw);
            for ny in y.saturating_sub(1)..(y + 2).min(gh) {
                for nx in x.saturating_sub(1)..(x + 2).min(gw) {
                    let j = ny * gw + nx;
                    if label[j].is_none() && values[j] == Some(v) {
                        label[j] = Some(id);
                        stack.push(j);
                    }
                }
            }
        }
        sizes.push(size);
        value.push(v);
    }
    Regions {
        label,
        sizes,
        value,
    }
}

/// The largest 8-connected group of set cells (the first found among equals), or `None`.
pub fn largest_component(set: &[bool], gw: usize, gh: usize) -> Option<Vec<bool>> {
    let c = components(set, gw, gh);
    let mut best: Option<(usize, u32)> = None; // (size, label)
    for (id, &size) in c.sizes.iter().enumerate() {
        if best.is_none_or(|(s, _)| size > s) {
            best = Some((size, id as u32));
        }
    }
    best.map(|(_, id)| c.label.iter().map(|&l| l == Some(id)).collect())
}

/// Set every unset cell that cannot reach the grid's edge through unset cells (4-connected).
pub fn fill_holes(set: &mut [bool], gw: usize, gh: usize) {
    let mut outside = vec![false; set.len()];
    let mut stack: Vec<usize> = (0..set.len())
        .filter(|&i| {
            let (x, y) = (i % gw, i / gw);
            !set[i] && (x == 0 || y == 0 || x + 1 == gw || y + 1 == gh)
        })
        .collect();
    for &i in &stack {
        outside[i] = true;
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % gw, i / gw);
        let next = [
            (x > 0).then(|| i - 1),
            (x + 1 < gw).then(|| i + 1),
            (y > 0).then(|| i - gw),
            (y + 1 < gh).then(|| i + gw),
        ];
        for j in next.into_iter().flatten() {
            if !set[j] && !outside[j] {
                outside[j] = true;
                stack.push(j);
            }
        }
    }
    for (s, o) in set.iter_mut().zip(&outside) {
        *s = !*o;
    }
}

/// Set cells and their 8-neighbours.
pub fn dilate(set: &[bool], gw: usize, gh: usize) -> Vec<bool> {
    (0..set.len())
        .map(|i| set[i] || neighbours(i, gw, gh).any(|j| set[j]))
        .collect()
}

/// Set cells all of whose 8-neighbours are set. Cells on the grid's edge keep their value
/// there (the photo's edge is not the area's).
pub fn erode(set: &[bool], gw: usize, gh: usize) -> Vec<bool> {
    (0..set.len())
        .map(|i| set[i] && neighbours(i, gw, gh).all(|j| set[j]))
        .collect()
}

/// The mean of `values` over the (2r + 1)² cells around each cell of a `gw` × `gh` grid,
/// clipped at the grid's edge (the mean of the cells inside). One summed-area table: the
/// cost does not grow with `r`.
pub fn box_mean(values: &[f32], gw: usize, gh: usize, r: usize) -> Vec<f32> {
    // Summed-area table in f64 with a zero row and column in front.
    let w1 = gw + 1;
    let mut sat = vec![0f64; w1 * (gh + 1)];
    for y in 0..gh {
        let mut row = 0f64;
        for x in 0..gw {
            row += f64::from(values[y * gw + x]);
            sat[(y + 1) * w1 + x + 1] = sat[y * w1 + x + 1] + row;
        }
    }
    (0..gw * gh)
        .map(|k| {
            let (x, y) = (k % gw, k / gw);
            let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
            let (x1, y1) = ((x + r + 1).min(gw), (y + r + 1).min(gh));
            let sum = sat[y1 * w1 + x1] - sat[y0 * w1 + x1] - sat[y1 * w1 + x0] + sat[y0 * w1 + x0];
            (sum / ((x1 - x0) * (y1 - y0)) as f64) as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_mean_averages_the_cells_inside_the_window() {
        // 4 × 3 grid of 0..12; r = 1.
        let v: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let m = box_mean(&v, 4, 3, 1);
        // Centre cell (1, 1) = 5: mean of 0, 1, 2, 4, 5, 6, 8, 9, 10 = 5.
        assert!((m[5] - 5.0).abs() < 1e-6);
        // Corner (0, 0): mean of 0, 1, 4, 5 = 2.5.
        assert!((m[0] - 2.5).abs() < 1e-6);
        // Corner (3, 2) = 11: mean of 6, 7, 10, 11 = 8.5.
        assert!((m[11] - 8.5).abs() < 1e-6);
        // r = 0 is the identity; a large r is the mean of all.
        assert_eq!(box_mean(&v, 4, 3, 0), v);
        assert!(box_mean(&v, 4, 3, 10)
            .iter()
            .all(|&x| (x - 5.5).abs() < 1e-6));
    }

    fn grid(rows: &[&str]) -> (Vec<bool>, usize, usize) {
        let gw = rows[0].len();
        let set = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| c == '#'))
            .collect();
        (set, gw, rows.len())
    }

    #[test]
    fn diagonal_cells_join_and_separate_groups_are_counted_apart() {
        let (set, gw, gh) = grid(&["#..##", ".#..#", ".....", "##..."]);
        let c = components(&set, gw, gh);
        // {(0,0),(1,1)} diagonal, {(3,0),(4,0),(4,1)}, {(0,3),(1,3)}.
        assert_eq!(c.sizes, vec![2, 3, 2]);
        assert_eq!(c.label[0], Some(0));
        assert_eq!(c.label[gw + 1], Some(0));
        assert_eq!(c.label[3], Some(1));
        assert_eq!(c.label[3 * gw], Some(2));
        assert_eq!(c.label[2], None);
        let big = largest_component(&set, gw, gh).unwrap();
        assert_eq!(big.iter().filter(|&&b| b).count(), 3);
        assert!(big[4] && !big[0]);
    }

    #[test]
    fn regions_of_different_values_touch_without_joining() {
        // a a b
        // a b b
        // . . a
        let v = [
            Some('a'),
            Some('a'),
            Some('b'),
            Some('a'),
            Some('b'),
            Some('b'),
        ]
        .into_iter()
        .chain([None, None, Some('a')])
        .collect::<Vec<_>>();
        let r = regions(&v, 3, 3);
        assert_eq!(r.sizes, vec![3, 3, 1]);
        assert_eq!(r.value, vec!['a', 'b', 'a']);
        assert_eq!(
            r.label[8],
            Some(2),
            "a diagonal 'b' does not join the two 'a's"
        );
        assert_eq!(r.label[6], None);
    }

    #[test]
    fn a_hole_is_filled_and_a_bay_open_to_the_edge_is_not() {
        let (mut set, gw, gh) = grid(&["#####", "#.#..", "#####"]);
        fill_holes(&mut set, gw, gh);
        assert!(set[gw + 1], "the enclosed cell is a hole");
        assert!(!set[gw + 3] && !set[gw + 4], "the bay reaches the edge");
    }
}
