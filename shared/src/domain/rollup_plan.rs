//! Which store a graph reads each part of a range from: a rollup level where the part
//! is whole spans of it that are rolled up, records elsewhere (a range's ragged ends,
//! hours not compacted yet). Every bucket of whole spans of the level is then made of
//! parts each exact for it, so the graph is the one its records draw.

use super::record::Millis;
use super::rollup::Level;
use super::usage::KeyPending;

/// Where a part of a range is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Records,
    Rollup(Level),
}

/// A part `[from, to)` of a range and where it is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub source: Source,
    pub from: Millis,
    pub to: Millis,
}

/// The buckets a graph of `[from, to)` in about `buckets` buckets is drawn in when they
/// can be read from rollups: whole ten minutes or hours (a divisor of an hour or a day,
/// so buckets meet at hours and midnight) or whole days, from the epoch on, at least as
/// wide as `buckets` equal ones would be and at most twice as wide (each width here is
/// at most twice the one before); their width and the coarsest level that is exact for
/// them. `None` when buckets under five minutes wide are asked for: those are read from
/// records.
pub fn aligned_buckets(from: Millis, to: Millis, buckets: usize) -> Option<(i64, Level)> {
    let range = u128::try_from(i128::from(to.0) - i128::from(from.0)).ok()?;
    let ideal = range.div_ceil(buckets.max(1) as u128);
    const WIDTHS: [(i64, Level); 11] = [
        (10 * Millis::MINUTE, Level::TenMinutes),
        (20 * Millis::MINUTE, Level::TenMinutes),
        (30 * Millis::MINUTE, Level::TenMinutes),
        (Millis::HOUR, Level::Hours),
        (2 * Millis::HOUR, Level::Hours),
        (3 * Millis::HOUR, Level::Hours),
        (4 * Millis::HOUR, Level::Hours),
        (6 * Millis::HOUR, Level::Hours),
        (8 * Millis::HOUR, Level::Hours),
        (12 * Millis::HOUR, Level::Hours),
        (Millis::DAY, Level::Days),
    ];
    if ideal.saturating_mul(2) < WIDTHS[0].0 as u128 {
        return None;
    }
    if let Some(aligned) = WIDTHS.iter().find(|(width, _)| *width as u128 >= ideal) {
        return Some(*aligned);
    }
    let days = ideal.div_ceil(Millis::DAY as u128);
    let width = i64::try_from(days * Millis::DAY as u128).unwrap_or(i64::MAX);
    Some((width - width % Millis::DAY, Level::Days))
}

/// How many buckets of `width` from the epoch on `[from, to)` meets.
pub fn buckets_met(from: Millis, to: Millis, width: i64) -> usize {
    let first = from.0.div_euclid(width);
    let last = (to.0.saturating_sub(1)).div_euclid(width);
    usize::try_from(last - first + 1).unwrap_or(usize::MAX)
}

/// The hours of a key not known to be rolled up, as sorted disjoint ranges: those before
/// it was rolled up from (all of them for a key never rolled up), its marked hours, and
/// every hour from its backlog's start or the first hour not closed by then
/// (`first_open`), whichever is earlier.
pub fn unrolled(pending: &KeyPending, first_open: Millis) -> Vec<(Millis, Millis)> {
    let cut = pending
        .backlog_from
        .map_or(first_open, |b| b.min(first_open));
    let Some(rolled_from) = pending.rolled_from.filter(|from| *from < cut) else {
        return vec![(Millis(i64::MIN), Millis(i64::MAX))];
    };
    let mut ranges: Vec<(Millis, Millis)> = vec![(Millis(i64::MIN), rolled_from)];
    for hour in pending.hours.iter().filter(|h| **h < cut) {
        let end = hour.plus(Millis::HOUR);
        match ranges.last_mut() {
            Some((_, last_end)) if *last_end >= *hour => *last_end = (*last_end).max(end),
            _ => ranges.push((*hour, end)),
        }
    }
    ranges.push((cut, Millis(i64::MAX)));
    ranges
}

/// The parts of `[from, to)` to read at `level` (records for `None`), around the
/// `unrolled` ranges (sorted, disjoint), which are read finer.
pub fn plan(
    from: Millis,
    to: Millis,
    level: Option<Level>,
    unrolled: &[(Millis, Millis)],
) -> Vec<Part> {
    let mut parts = Vec::new();
    add_parts(&mut parts, from, to, level, unrolled);
    parts
}

fn add_parts(
    parts: &mut Vec<Part>,
    from: Millis,
    to: Millis,
    level: Option<Level>,
    unrolled: &[(Millis, Millis)],
) {
    if from >= to {
        return;
    }
    let Some(level) = level else {
        push(parts, Source::Records, from, to);
        return;
    };
    let finer = level.finer();
    let span = level.span();
    let (start, end) = (ceil(from, span), floor(to, span));
    if start >= end {
        return add_parts(parts, from, to, finer, unrolled);
    }
    add_parts(parts, from, start, finer, unrolled);
    let mut at = start;
    for (hole_from, hole_to) in unrolled {
        // Whole spans of the level around the hole are read finer.
        let (hole_from, hole_to) = (
            floor(*hole_from, span).max(at),
            ceil(*hole_to, span).min(end),
        );
        if hole_from >= hole_to {
            continue;
        }
        push(parts, Source::Rollup(level), at, hole_from);
        add_parts(parts, hole_from, hole_to, finer, unrolled);
        at = hole_to;
    }
    push(parts, Source::Rollup(level), at, end);
    add_parts(parts, end, to, finer, unrolled);
}

/// Adds a part, joined to the last one if it is of the same source and meets it.
fn push(parts: &mut Vec<Part>, source: Source, from: Millis, to: Millis) {
    if from >= to {
        return;
    }
    match parts.last_mut() {
        Some(last) if last.source == source && last.to == from => last.to = to,
        _ => parts.push(Part { source, from, to }),
    }
}

/// The last multiple of `span` at or before `t` (the earliest instant there is, below
/// the first).
fn floor(t: Millis, span: i64) -> Millis {
    Millis(t.0.saturating_sub(t.0.rem_euclid(span)))
}

fn ceil(t: Millis, span: i64) -> Millis {
    let rest = t.0.rem_euclid(span);
    if rest == 0 {
        t
    } else {
        Millis(t.0.saturating_add(span - rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = Millis::HOUR;
    const D: i64 = Millis::DAY;

    #[test]
    fn buckets_are_whole_ten_minutes_or_hours_dividing_a_day_or_whole_days() {
        for buckets in [1, 7, 100, 288, 500, 5_000] {
            for range in [H, D / 3, D, 2 * D, 7 * D, 365 * D] {
                let Some((width, _)) = aligned_buckets(Millis(0), Millis(range), buckets) else {
                    continue;
                };
                let ideal = range as f64 / buckets as f64;
                assert!(
                    ideal <= width as f64 && width as f64 <= 2.0 * ideal,
                    "{range} ms in {buckets}"
                );
            }
        }
        let day = (Millis(0), Millis(D));
        assert_eq!(
            aligned_buckets(day.0, day.1, 500),
            None,
            "under five minutes"
        );
        let ten_minutes = Some((10 * Millis::MINUTE, Level::TenMinutes));
        assert_eq!(
            aligned_buckets(day.0, day.1, 288),
            ten_minutes,
            "five minutes"
        );
        assert_eq!(aligned_buckets(day.0, day.1, 289), None);
        assert_eq!(aligned_buckets(Millis(0), Millis(3 * D), 500), ten_minutes);
        let week = Millis(7 * D);
        assert_eq!(
            aligned_buckets(Millis(0), week, 500),
            Some((30 * Millis::MINUTE, Level::TenMinutes))
        );
        assert_eq!(
            aligned_buckets(day.0, day.1, 144),
            Some((10 * Millis::MINUTE, Level::TenMinutes))
        );
        assert_eq!(
            aligned_buckets(day.0, day.1, 100),
            Some((20 * Millis::MINUTE, Level::TenMinutes))
        );
        assert_eq!(aligned_buckets(day.0, day.1, 24), Some((H, Level::Hours)));
        assert_eq!(
            aligned_buckets(day.0, day.1, 5),
            Some((6 * H, Level::Hours))
        );
        assert_eq!(aligned_buckets(day.0, day.1, 1), Some((D, Level::Days)));
        let month = Millis(30 * D);
        assert_eq!(
            aligned_buckets(Millis(0), month, 500),
            Some((2 * H, Level::Hours))
        );
        let year = Millis(365 * D);
        assert_eq!(
            aligned_buckets(Millis(0), year, 500),
            Some((D, Level::Days))
        );
        assert_eq!(
            aligned_buckets(Millis(0), year, 100),
            Some((4 * D, Level::Days))
        );
        assert_eq!(buckets_met(Millis(H / 2), Millis(2 * H + 1), H), 3);
        assert_eq!(buckets_met(Millis(-H), Millis(0), H), 1);
    }

    #[test]
    fn a_range_reads_days_between_its_ends_and_finer_around_holes() {
        let t = |d: i64, h: i64, m: i64| Millis(d * D + h * H + m * Millis::MINUTE);
        let pending = KeyPending {
            hours: vec![t(3, 5, 0)],
            backlog_from: None,
            backlog_version: 0,
            rolled_from: Some(t(0, 0, 0)),
        };
        let holes = unrolled(&pending, t(6, 2, 0));
        let parts = plan(t(0, 22, 25), t(7, 0, 0), Some(Level::Days), &holes);
        let part = |source, from, to| Part { source, from, to };
        let (records, hours, days) = (
            Source::Records,
            Source::Rollup(Level::Hours),
            Source::Rollup(Level::Days),
        );
        assert_eq!(
            parts,
            vec![
                part(records, t(0, 22, 25), t(0, 23, 0)),
                part(hours, t(0, 23, 0), t(1, 0, 0)),
                part(days, t(1, 0, 0), t(3, 0, 0)),
                part(hours, t(3, 0, 0), t(3, 5, 0)),
                part(records, t(3, 5, 0), t(3, 6, 0)),
                part(hours, t(3, 6, 0), t(4, 0, 0)),
                part(days, t(4, 0, 0), t(6, 0, 0)),
                part(hours, t(6, 0, 0), t(6, 2, 0)),
                part(records, t(6, 2, 0), t(7, 0, 0)),
            ]
        );
    }

    #[test]
    fn a_range_of_ten_minutes_reads_records_at_its_ends_and_around_holes() {
        let t = |h: i64, m: i64| Millis(h * H + m * Millis::MINUTE);
        let pending = KeyPending {
            hours: vec![t(2, 0)],
            backlog_from: None,
            backlog_version: 0,
            rolled_from: Some(t(0, 0)),
        };
        let holes = unrolled(&pending, t(5, 0));
        let parts = plan(t(0, 55), t(6, 5), Some(Level::TenMinutes), &holes);
        let part = |source, from, to| Part { source, from, to };
        let (records, tens) = (Source::Records, Source::Rollup(Level::TenMinutes));
        assert_eq!(
            parts,
            vec![
                part(records, t(0, 55), t(1, 0)),
                part(tens, t(1, 0), t(2, 0)),
                part(records, t(2, 0), t(3, 0)),
                part(tens, t(3, 0), t(5, 0)),
                part(records, t(5, 0), t(6, 5)),
            ]
        );
    }

    proptest! {
        #[test]
        fn parts_cover_the_range_once_and_never_read_an_unrolled_hour_from_a_rollup(
            from in -100i64 * H..100 * H,
            length in 1i64..300 * H,
            marked in proptest::collection::btree_set(-100i64..200, 0..6),
            backlog in proptest::option::of(-100i64..200),
            rolled_from in proptest::option::of(-120i64..200),
            open in -100i64..300,
            level in proptest::option::of(prop_oneof![
                Just(Level::TenMinutes),
                Just(Level::Hours),
                Just(Level::Days),
            ]),
        ) {
            let pending = KeyPending {
                hours: marked.iter().map(|h| Millis(h * H)).collect(),
                backlog_from: backlog.map(|h| Millis(h * H)),
                backlog_version: 0,
                rolled_from: rolled_from.map(|h| Millis(h * H)),
            };
            let holes = unrolled(&pending, Millis(open * H));
            let (from, to) = (Millis(from), Millis(from + length));
            let parts = plan(from, to, level, &holes);
            prop_assert_eq!(parts.first().map(|p| p.from), Some(from));
            prop_assert_eq!(parts.last().map(|p| p.to), Some(to));
            for pair in parts.windows(2) {
                prop_assert_eq!(pair[0].to, pair[1].from);
            }
            for part in &parts {
                if let Source::Rollup(level) = part.source {
                    prop_assert_eq!(part.from.0.rem_euclid(level.span()), 0);
                    prop_assert_eq!(part.to.0.rem_euclid(level.span()), 0);
                    for (hole_from, hole_to) in &holes {
                        prop_assert!(part.to <= *hole_from || *hole_to <= part.from, "{:?} reads {:?}", part, (hole_from, hole_to));
                    }
                }
            }
        }
    }
}
