//! Downsampling for graphs: a long series becomes at most two numeric points per time
//! bucket, the bucket's minimum and maximum, so a one-sample spike survives any zoom level
//! (averaging would hide it). Special values are kept: the first of each kind per bucket.

use super::record::{Millis, Special, Value};

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub t: Millis,
    pub value: Value,
}

/// Reduces `points` (sorted by time, within `[from, to)`) to at most `2 * buckets`
/// numeric points plus one point per special value kind and bucket. A series already
/// that short is returned as it is.
pub fn min_max(points: &[Point], from: Millis, to: Millis, buckets: usize) -> Vec<Point> {
    if buckets == 0 || points.len() <= 2 * buckets || to <= from {
        return points.to_vec();
    }
    // In i128: a range may span the whole of i64, whose width does not fit in one.
    let span = i128::from(to.0) - i128::from(from.0);
    let bucket_of = |t: Millis| -> usize {
        let offset = (i128::from(t.0) - i128::from(from.0)).clamp(0, span - 1);
        (offset * buckets as i128 / span) as usize
    };
    let mut out = Vec::with_capacity(2 * buckets);
    let mut start = 0;
    while start < points.len() {
        let bucket = bucket_of(points[start].t);
        let end = start
            + points[start..]
                .iter()
                .position(|p| bucket_of(p.t) != bucket)
                .unwrap_or(points.len() - start);
        reduce_bucket(&points[start..end], &mut out);
        start = end;
    }
    out
}

fn reduce_bucket(bucket: &[Point], out: &mut Vec<Point>) {
    let mut min: Option<Point> = None;
    let mut max: Option<Point> = None;
    let mut specials: Vec<(Special, Point)> = Vec::new();
    for point in bucket {
        match point.value {
            Value::Number(n) => {
                if min.is_none_or(|m| n < number(m)) {
                    min = Some(*point);
                }
                if max.is_none_or(|m| n > number(m)) {
                    max = Some(*point);
                }
            }
            Value::Special(kind) => {
                if !specials.iter().any(|(k, _)| *k == kind) {
                    specials.push((kind, *point));
                }
            }
        }
    }
    let mut kept: Vec<Point> = specials.into_iter().map(|(_, p)| p).collect();
    kept.extend(min);
    if max.map(|p| p.t) != min.map(|p| p.t) {
        kept.extend(max);
    }
    kept.sort_by_key(|p| p.t);
    out.extend(kept);
}

fn number(point: Point) -> f64 {
    match point.value {
        Value::Number(n) => n,
        Value::Special(_) => unreachable!("only numeric points are compared"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn series(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                t: Millis(i as i64 * 1000),
                value: Value::Number(*v),
            })
            .collect()
    }

    #[test]
    fn short_series_is_returned_raw() {
        let points = series(&[1.0, 2.0, 3.0]);
        assert_eq!(min_max(&points, Millis(0), Millis(3000), 2), points);
    }

    #[test]
    fn a_single_spike_survives_downsampling() {
        let mut values = vec![1.0; 10_000];
        values[7_777] = 99.0;
        let points = series(&values);
        let out = min_max(&points, Millis(0), Millis(10_000_000), 10);
        assert!(out.len() <= 20);
        assert!(out.iter().any(|p| p.value == Value::Number(99.0)));
    }

    #[test]
    fn the_widest_possible_range_does_not_overflow() {
        let points = series(&vec![1.0; 100]);
        let out = min_max(&points, Millis(i64::MIN), Millis(i64::MAX), 3);
        assert!(!out.is_empty() && out.len() <= 6);
    }

    #[test]
    fn special_values_are_kept_in_downsampled_output() {
        let mut points = series(&vec![1.0; 1000]);
        points[500].value = Value::Special(Special::Burnout);
        let out = min_max(&points, Millis(0), Millis(1_000_000), 5);
        assert!(out.contains(&points[500]));
    }

    proptest! {
        #[test]
        fn output_is_a_sorted_subset_keeping_global_extremes(
            values in prop::collection::vec(-1e6f64..1e6, 1..2000),
            buckets in 1usize..50,
        ) {
            let points = series(&values);
            let to = Millis(values.len() as i64 * 1000);
            let out = min_max(&points, Millis(0), to, buckets);
            prop_assert!(out.len() <= 2 * buckets);
            prop_assert!(out.windows(2).all(|w| w[0].t < w[1].t));
            prop_assert!(out.iter().all(|p| points.contains(p)));
            let global_max = values.iter().cloned().fold(f64::MIN, f64::max);
            let global_min = values.iter().cloned().fold(f64::MAX, f64::min);
            prop_assert!(out.iter().any(|p| p.value == Value::Number(global_max)));
            prop_assert!(out.iter().any(|p| p.value == Value::Number(global_min)));
        }
    }
}
