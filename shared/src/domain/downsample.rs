//! Downsampling for graphs (M4): a long series becomes, per time bucket (a pixel column),
//! its first, last, least and greatest points, so the line drawn through them covers
//! the very pixels the raw series would — a one-sample spike survives any zoom level,
//! where averaging would hide it. Special values are kept: the first of each kind per
//! bucket.
//!
//! What a bucket keeps is a [`Summary`], and the summary of a span is the merge of its
//! parts' summaries: so a bucket can be made of stored summaries of the hours or days
//! it covers and show exactly what the raw points would ([`m4_of_spans`]).

use super::record::{Millis, Special, Value};

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub t: Millis,
    pub value: Value,
}

/// What a span of a series keeps for graphs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub first: Point,
    pub last: Point,
    /// The least number, the earliest of equal ones; `None` when the span has only
    /// special values.
    pub min: Option<Point>,
    /// The greatest number, the earliest of equal ones.
    pub max: Option<Point>,
    /// The first point of each special value, in [`Special::ALL`]'s order.
    pub specials: [Option<Point>; 4],
    /// How many points the span holds.
    pub count: u64,
}

impl Summary {
    /// The summary of a span of one point.
    pub fn of(point: Point) -> Summary {
        let number = matches!(point.value, Value::Number(_)).then_some(point);
        let mut specials = [None; 4];
        if let Value::Special(kind) = point.value {
            specials[slot(kind)] = Some(point);
        }
        Summary {
            first: point,
            last: point,
            min: number,
            max: number,
            specials,
            count: 1,
        }
    }

    /// Takes in the summary of the span right after this one.
    pub fn merge(&mut self, later: &Summary) {
        self.last = later.last;
        // Ties keep the earlier point, as a scan of the raw points would.
        self.min = pick(self.min, later.min, |later, earlier| later < earlier);
        self.max = pick(self.max, later.max, |later, earlier| later > earlier);
        for (own, theirs) in self.specials.iter_mut().zip(later.specials) {
            *own = own.or(theirs);
        }
        self.count += later.count;
    }

    /// Takes in the point right after the span: [`Summary::merge`] of its
    /// [`Summary::of`], without making one (the reduction of a series' points spends
    /// most of its time there).
    pub fn push(&mut self, later: Point) {
        self.last = later;
        match later.value {
            Value::Number(n) => {
                if self.min.is_none_or(|min| n < number(min)) {
                    self.min = Some(later);
                }
                if self.max.is_none_or(|max| n > number(max)) {
                    self.max = Some(later);
                }
            }
            Value::Special(kind) => {
                let first = &mut self.specials[slot(kind)];
                *first = first.or(Some(later));
            }
        }
        self.count += 1;
    }

    /// The distinct points the summary keeps, in time order: at most four, and one a
    /// special kind more.
    pub fn points(&self) -> impl Iterator<Item = Point> {
        let [a, b, c, d] = self.specials;
        let mut points = [
            Some(self.first),
            self.min,
            self.max,
            Some(self.last),
            a,
            b,
            c,
            d,
        ];
        // In place, with no allocation: a graph reduces tens of thousands of buckets. A
        // series holds one point a time, so points of the same time are the same point.
        points.sort_unstable_by_key(|p| p.map_or(i64::MAX, |p| p.t.0));
        let mut previous = None;
        points.into_iter().flatten().filter(move |p| {
            let new = previous != Some(p.t);
            previous = Some(p.t);
            new
        })
    }
}

fn slot(kind: Special) -> usize {
    Special::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("every special value is in ALL")
}

fn pick(
    earlier: Option<Point>,
    later: Option<Point>,
    replaces: impl Fn(f64, f64) -> bool,
) -> Option<Point> {
    match (earlier, later) {
        (Some(e), Some(l)) if replaces(number(l), number(e)) => Some(l),
        (Some(e), _) => Some(e),
        (None, l) => l,
    }
}

fn number(point: Point) -> f64 {
    match point.value {
        Value::Number(n) => n,
        Value::Special(_) => unreachable!("only numeric points are compared"),
    }
}

/// The bucket of `t` among `buckets` equal buckets of `[from, to)`.
pub fn bucket_of(t: Millis, from: Millis, to: Millis, buckets: usize) -> usize {
    // In i128: a range may span the whole of i64, whose width does not fit in one.
    let span = i128::from(to.0) - i128::from(from.0);
    let offset = (i128::from(t.0) - i128::from(from.0)).clamp(0, span - 1);
    (offset * buckets as i128 / span) as usize
}

/// Where the bucket after `bucket` starts: the first time [`bucket_of`] puts past it
/// (`i64::MAX` after the last).
fn next_bucket_start(bucket: usize, from: Millis, to: Millis, buckets: usize) -> Millis {
    if bucket + 1 >= buckets {
        return Millis(i64::MAX);
    }
    let span = i128::from(to.0) - i128::from(from.0);
    // Both positive: rounded up.
    let offset = ((bucket as i128 + 1) * span + buckets as i128 - 1) / buckets as i128;
    // At most `span` past `from`: within `to`.
    Millis((i128::from(from.0) + offset) as i64)
}

/// Reduces `points` (sorted by time, within `[from, to)`) to each bucket's
/// [`Summary::points`]. A series already no longer than four points a bucket is
/// returned as it is.
pub fn m4(points: &[Point], from: Millis, to: Millis, buckets: usize) -> Vec<Point> {
    if buckets == 0 || points.len() <= 4 * buckets || to <= from {
        return points.to_vec();
    }
    m4_of_spans(points.iter().copied(), from, to, buckets)
}

/// What [`m4_of_spans`] reduces: the summary of a span, or a point (a span of its own).
pub trait Span: Copy {
    /// The times of the span's first and last points.
    fn times(&self) -> (Millis, Millis);
    fn summary(self) -> Summary;
    /// Takes the span, right after `summary`'s, into it.
    fn add_to(self, summary: &mut Summary);
}

impl Span for Summary {
    fn times(&self) -> (Millis, Millis) {
        (self.first.t, self.last.t)
    }

    fn summary(self) -> Summary {
        self
    }

    fn add_to(self, summary: &mut Summary) {
        summary.merge(&self);
    }
}

impl Span for Point {
    fn times(&self) -> (Millis, Millis) {
        (self.t, self.t)
    }

    fn summary(self) -> Summary {
        Summary::of(self)
    }

    fn add_to(self, summary: &mut Summary) {
        summary.push(self);
    }
}

/// Each bucket's [`Summary::points`] for buckets of `width` milliseconds from the epoch
/// on, over `points` in time order: every bucket reduced, however few points it holds,
/// so points read from rollups and from records give the same answer.
pub fn m4_aligned(points: &[Point], width: i64) -> Vec<Point> {
    points
        .chunk_by(|a, b| a.t.0.div_euclid(width) == b.t.0.div_euclid(width))
        .flat_map(|bucket| {
            let mut summary = Summary::of(bucket[0]);
            for point in &bucket[1..] {
                summary.push(*point);
            }
            summary.points()
        })
        .collect()
}

/// Each bucket's [`Summary::points`], from the summaries of consecutive spans of a series
/// (in time order, each within one bucket): the points one by one, or the stored
/// summaries of the hours and days a bucket covers — the same points either way. A span
/// across a bucket's edge is the caller's error (asserted in debug builds): it must be
/// read finer, as a stored hour cut by an edge is read from its records.
pub fn m4_of_spans<S: Span>(
    spans: impl IntoIterator<Item = S>,
    from: Millis,
    to: Millis,
    buckets: usize,
) -> Vec<Point> {
    if buckets == 0 || to <= from {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(4 * buckets);
    let mut current: Option<(usize, Summary)> = None;
    // Where the current bucket ends: spans before it need no division (in i128, slow)
    // to be placed.
    let mut end = Millis(i64::MIN);
    for span in spans {
        let (first, last) = span.times();
        let bucket = match &current {
            Some((bucket, _)) if first < end => *bucket,
            _ => {
                let bucket = bucket_of(first, from, to, buckets);
                end = next_bucket_start(bucket, from, to, buckets);
                bucket
            }
        };
        debug_assert_eq!(bucket, bucket_of(first, from, to, buckets));
        debug_assert_eq!(bucket, bucket_of(last, from, to, buckets));
        match &mut current {
            Some((b, summary)) if *b == bucket => span.add_to(summary),
            _ => {
                if let Some((_, summary)) = current.replace((bucket, span.summary())) {
                    out.extend(summary.points());
                }
            }
        }
    }
    if let Some((_, summary)) = current {
        out.extend(summary.points());
    }
    out
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
        let points = series(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(m4(&points, Millis(0), Millis(5000), 2), points);
    }

    #[test]
    fn a_single_spike_survives_downsampling() {
        let mut values = vec![1.0; 10_000];
        values[7_777] = 99.0;
        let points = series(&values);
        let out = m4(&points, Millis(0), Millis(10_000_000), 10);
        assert!(out.len() <= 40);
        assert!(out.iter().any(|p| p.value == Value::Number(99.0)));
    }

    #[test]
    fn the_widest_possible_range_does_not_overflow() {
        let points = series(&vec![1.0; 100]);
        let out = m4(&points, Millis(i64::MIN), Millis(i64::MAX), 3);
        assert!(!out.is_empty() && out.len() <= 12);
    }

    #[test]
    fn special_values_are_kept_in_downsampled_output() {
        let mut points = series(&vec![1.0; 1000]);
        points[500].value = Value::Special(Special::Burnout);
        let out = m4(&points, Millis(0), Millis(1_000_000), 5);
        assert!(out.contains(&points[500]));
    }

    #[test]
    fn each_bucket_keeps_its_first_last_least_and_greatest() {
        let points = series(&[5.0, 9.0, 1.0, 9.0, 1.0, 4.0, 7.0, 7.0, 2.0, 3.0]);
        // Two buckets of five points: [5, 9, 1, 9, 1] and [4, 7, 7, 2, 3].
        let kept: Vec<i64> = m4(&points, Millis(0), Millis(10_000), 2)
            .iter()
            .map(|p| p.t.0 / 1000)
            .collect();
        assert_eq!(kept, [0, 1, 2, 4, 5, 6, 8, 9]);
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => (-5i32..5).prop_map(|n| Value::Number(f64::from(n))),
            1 => Just(Value::Number(-0.0)),
            1 => proptest::sample::select(Special::ALL.to_vec()).prop_map(Value::Special),
        ]
    }

    fn points() -> impl Strategy<Value = Vec<Point>> {
        proptest::collection::btree_map(-10_000i64..10_000, value(), 1..300).prop_map(|map| {
            map.into_iter()
                .map(|(t, value)| Point {
                    t: Millis(t),
                    value,
                })
                .collect()
        })
    }

    fn summary(points: &[Point]) -> Summary {
        let mut summary = Summary::of(points[0]);
        for point in &points[1..] {
            summary.merge(&Summary::of(*point));
        }
        summary
    }

    proptest! {
        #[test]
        fn a_point_pushed_is_the_point_merged(points in points()) {
            let mut pushed = Summary::of(points[0]);
            for point in &points[1..] {
                pushed.push(*point);
            }
            prop_assert_eq!(pushed, summary(&points));
        }

        #[test]
        fn the_next_bucket_starts_where_the_bucket_of_a_time_changes(
            from in any::<i64>(),
            length in 1u64..=u64::MAX,
            buckets in 1usize..5_000,
            at in any::<prop::sample::Index>(),
        ) {
            let to = Millis(from.saturating_add_unsigned(length));
            prop_assume!(to.0 > from);
            let from = Millis(from);
            let bucket = at.index(buckets);
            let next = next_bucket_start(bucket, from, to, buckets);
            if bucket + 1 == buckets {
                prop_assert_eq!(next, Millis(i64::MAX));
            } else {
                prop_assert_eq!(bucket_of(next, from, to, buckets), bucket + 1);
                prop_assert!(bucket_of(Millis(next.0 - 1), from, to, buckets) <= bucket);
            }
        }

        #[test]
        fn a_summary_of_parts_merged_is_the_summary_of_the_whole(
            points in points(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.iter().map(|c| 1 + c.index(points.len())).collect();
            cuts.push(points.len());
            cuts.sort_unstable();
            cuts.dedup();
            let mut start = 0;
            let mut merged: Option<Summary> = None;
            for end in cuts.into_iter().filter(|end| *end <= points.len()) {
                if end > start {
                    let part = summary(&points[start..end]);
                    match &mut merged {
                        Some(m) => m.merge(&part),
                        None => merged = Some(part),
                    }
                    start = end;
                }
            }
            prop_assert_eq!(merged.unwrap(), summary(&points));
        }

        #[test]
        fn spans_summarised_within_their_buckets_give_what_the_points_give(
            points in points(),
            buckets in 1usize..40,
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
        ) {
            let (from, to) = (Millis(-10_000), Millis(10_000));
            // Spans end where a bucket does and at random points within buckets.
            let mut ends: Vec<usize> = cuts.iter().map(|c| 1 + c.index(points.len())).collect();
            ends.extend((1..points.len()).filter(|&i| {
                bucket_of(points[i].t, from, to, buckets)
                    != bucket_of(points[i - 1].t, from, to, buckets)
            }));
            ends.push(points.len());
            ends.sort_unstable();
            ends.dedup();
            let mut start = 0;
            let mut spans = Vec::new();
            for end in ends {
                spans.push(summary(&points[start..end]));
                start = end;
            }
            let by_points = m4_of_spans(points.iter().map(|p| Summary::of(*p)), from, to, buckets);
            prop_assert_eq!(m4_of_spans(spans, from, to, buckets), by_points);
        }

        #[test]
        fn each_bucket_keeps_what_a_plain_scan_finds(
            points in points(),
            buckets in 1usize..40,
        ) {
            let (from, to) = (Millis(-10_000), Millis(10_000));
            let out = m4_of_spans(points.iter().map(|p| Summary::of(*p)), from, to, buckets);
            let mut expected = Vec::new();
            for bucket in 0..buckets {
                let raw: Vec<Point> = points
                    .iter()
                    .filter(|p| bucket_of(p.t, from, to, buckets) == bucket)
                    .copied()
                    .collect();
                let (Some(first), Some(last)) = (raw.first(), raw.last()) else {
                    continue;
                };
                let mut kept = vec![*first, *last];
                let numbers = raw.iter().filter_map(|p| match p.value {
                    Value::Number(n) => Some((n, *p)),
                    Value::Special(_) => None,
                });
                // The earliest of the least and of the greatest: strict comparisons.
                let mut least: Option<(f64, Point)> = None;
                let mut greatest: Option<(f64, Point)> = None;
                for (n, p) in numbers {
                    if least.is_none_or(|(m, _)| n < m) {
                        least = Some((n, p));
                    }
                    if greatest.is_none_or(|(m, _)| n > m) {
                        greatest = Some((n, p));
                    }
                }
                kept.extend(least.map(|(_, p)| p));
                kept.extend(greatest.map(|(_, p)| p));
                for kind in Special::ALL {
                    kept.extend(raw.iter().find(|p| p.value == Value::Special(kind)));
                }
                kept.sort_by_key(|p| p.t);
                kept.dedup_by_key(|p| p.t);
                expected.extend(kept);
            }
            prop_assert_eq!(out, expected);
        }

        #[test]
        fn the_line_through_what_is_kept_has_each_buckets_extremes_and_ends(
            points in points(),
            buckets in 1usize..40,
        ) {
            let (from, to) = (Millis(-10_000), Millis(10_000));
            let out = m4(&points, from, to, buckets);
            prop_assert!(out.windows(2).all(|w| w[0].t < w[1].t));
            prop_assert!(out.iter().all(|p| points.contains(p)));
            for bucket in 0..buckets {
                let raw: Vec<Point> = points
                    .iter()
                    .filter(|p| bucket_of(p.t, from, to, buckets) == bucket)
                    .copied()
                    .collect();
                let kept: Vec<Point> = out
                    .iter()
                    .filter(|p| bucket_of(p.t, from, to, buckets) == bucket)
                    .copied()
                    .collect();
                if raw.is_empty() {
                    prop_assert!(kept.is_empty());
                    continue;
                }
                // What is kept of a bucket summarises to the raw bucket's summary but
                // for the count: the same first, last, extremes and specials.
                let (whole, shown) = (summary(&raw), summary(&kept));
                prop_assert_eq!(Summary { count: 0, ..whole }, Summary { count: 0, ..shown });
            }
        }
    }
}
