//! Rollups: what a run of one record key's records keeps for graphs, per channel — the
//! [`Summary`] of each channel, which [`m4_of_spans`](super::downsample::m4_of_spans)
//! merges into pixel columns.
//!
//! A rollup is kept as a [`skeleton`]: each span's summary points, themselves records.
//! Any bucket made of whole spans has the same first, last, least, greatest and first
//! special points over the skeleton as over the records, so graphs draw from it exactly
//! what they draw from the records; it is stored as a chunk like any run of records; and
//! the skeleton of hours is the skeleton of the skeleton of ten minutes, as that of days
//! is of hours. A year of one-minute records (525,600) becomes at most 4 points a channel
//! in ten minutes (210,240), an hour (35,040) or a day (1,460).

use std::collections::BTreeMap;

use super::chunk::ChunkRecord;
use super::codec::ChannelIndex;
use super::downsample::{Point, Summary};
use super::record::{Millis, Value};
use super::registry::InstrumentKey;

/// The keys with more channels than this are not rolled up: a day of their ten-minute
/// skeletons (144 spans of up to 8 points a channel with special values, each up to 74
/// bits, whatever the record rate) must stay within a rollup item (at 40 channels,
/// 46,080 points: under 430 KB of values; see `MAX_ROLLUP_BYTES`), as must a block of
/// 32 days' skeletons (40 channels, up to 8 points a day: 10,240 points, under 200 KB).
/// Their graphs read their records.
pub const ROLLUP_MAX_CHANNELS: usize = 40;

/// A rollup level: what one stored item per record key and UTC day holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The skeleton of each ten minutes of the day: exact for buckets of whole ten
    /// minutes. The others are made from it.
    TenMinutes,
    /// The skeleton of each hour of the day: exact for buckets of whole hours.
    Hours,
    /// The skeleton of the whole day: exact for buckets of whole days.
    Days,
}

impl Level {
    /// The span each skeleton of the level summarises.
    pub fn span(self) -> i64 {
        match self {
            Level::TenMinutes => 10 * Millis::MINUTE,
            Level::Hours => Millis::HOUR,
            Level::Days => Millis::DAY,
        }
    }

    /// The level a part of a range that is not whole spans of this one is read from
    /// (records for `None`). Not ten minutes under hours: a day's ten-minute item holds
    /// up to 576 points a channel (1,152 with special values), all decoded for a range's ragged hour, where the
    /// hour's chunk holds 60 at a record a minute (360 at one every ten seconds).
    pub fn finer(self) -> Option<Level> {
        match self {
            Level::Days => Some(Level::Hours),
            Level::Hours | Level::TenMinutes => None,
        }
    }

    /// Where the level's items of `key` are stored: a key of their own, which no
    /// record key is (record keys end with an instance ID or a number).
    pub fn key(self, key: &InstrumentKey) -> InstrumentKey {
        let suffix = match self {
            Level::TenMinutes => "#m",
            Level::Hours => "#h",
            Level::Days => "#d",
        };
        InstrumentKey::from_stored(format!("{}{suffix}", key.as_str()))
    }
}

/// Day skeletons are kept a second time in blocks of this many milliseconds (32 days from
/// the epoch on): a year's graph of daily buckets reads a dozen blocks, not 365 days.
pub const DAY_BLOCK: i64 = 32 * Millis::DAY;

/// The start of the block of days holding `t` (see [`DAY_BLOCK`]).
pub fn block_start(t: Millis) -> Millis {
    Millis(t.0.saturating_sub(t.0.rem_euclid(DAY_BLOCK)))
}

/// Where the blocks of `key`'s day skeletons are stored: like a [`Level`]'s items, a key
/// of their own.
pub fn day_blocks_key(key: &InstrumentKey) -> InstrumentKey {
    InstrumentKey::from_stored(format!("{}#b", key.as_str()))
}

/// Whether `key` is where rollups of a record key are stored (a [`Level`]'s or the
/// blocks of days'), not a record key.
pub fn is_rollups_key(key: &InstrumentKey) -> bool {
    ["#m", "#h", "#d", "#b"]
        .iter()
        .any(|suffix| key.as_str().ends_with(suffix))
}

/// Whether records holding these channel indices are rolled up (see
/// [`ROLLUP_MAX_CHANNELS`]).
pub fn rolls_up(records: &[ChunkRecord]) -> bool {
    records
        .iter()
        .flat_map(|r| &r.values)
        .all(|(index, _)| (*index as usize) < ROLLUP_MAX_CHANNELS)
}

/// Each channel's summary over `records` (in time order), by channel index; a channel
/// none of them has is left out.
pub fn summarise(records: &[ChunkRecord]) -> BTreeMap<ChannelIndex, Summary> {
    let mut summaries: BTreeMap<ChannelIndex, Summary> = BTreeMap::new();
    for record in records {
        for (index, value) in &record.values {
            let point = Summary::of(Point {
                t: record.t,
                value: *value,
            });
            summaries
                .entry(*index)
                .and_modify(|summary| summary.merge(&point))
                .or_insert(point);
        }
    }
    summaries
}

/// The records that keep what `records` (in time order) draw in any bucket of whole
/// spans of `span` milliseconds (from the epoch on): each channel's
/// [`Summary::points`] of each span, a time's points of all channels in one record.
pub fn skeleton(records: &[ChunkRecord], span: i64) -> Vec<ChunkRecord> {
    let mut kept = Vec::new();
    for run in records.chunk_by(|a, b| a.t.0.div_euclid(span) == b.t.0.div_euclid(span)) {
        let mut at: BTreeMap<Millis, Vec<(ChannelIndex, Value)>> = BTreeMap::new();
        // By channel, so each record's values come in channel order.
        for (index, summary) in summarise(run) {
            for point in summary.points() {
                at.entry(point.t).or_default().push((index, point.value));
            }
        }
        kept.extend(at.into_iter().map(|(t, values)| ChunkRecord { t, values }));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::downsample::m4;
    use crate::domain::downsample::m4_of_spans;
    use crate::domain::record::{Millis, Special, Value};
    use proptest::prelude::*;

    /// A day of one-minute records of three channels: a wave, a sawtooth with a special
    /// value now and then, and one sent every seventh minute only.
    fn a_day() -> Vec<ChunkRecord> {
        (0..1440i64)
            .map(|minute| {
                let mut values = vec![
                    (0, Value::Number((minute as f64 / 37.0).sin())),
                    (
                        1,
                        if minute % 101 == 0 {
                            Value::Special(Special::Burnout)
                        } else {
                            Value::Number((minute % 53) as f64)
                        },
                    ),
                ];
                if minute % 7 == 0 {
                    values.push((2, Value::Number(-(minute as f64))));
                }
                ChunkRecord {
                    t: Millis(minute * Millis::MINUTE),
                    values,
                }
            })
            .collect()
    }

    #[test]
    fn hours_summarised_draw_what_the_records_draw_in_buckets_of_whole_hours() {
        let day = a_day();
        let hours: Vec<BTreeMap<ChannelIndex, Summary>> = day.chunks(60).map(summarise).collect();
        let (from, to) = (Millis(0), Millis(Millis::DAY));
        for channel in 0..3 {
            let points: Vec<Point> = day
                .iter()
                .filter_map(|r| {
                    r.values
                        .iter()
                        .find(|(i, _)| *i == channel)
                        .map(|(_, value)| Point {
                            t: r.t,
                            value: *value,
                        })
                })
                .collect();
            for buckets in [1, 2, 3, 4, 6, 8, 12, 24] {
                let spans = hours.iter().filter_map(|hour| hour.get(&channel).copied());
                assert_eq!(
                    m4_of_spans(spans, from, to, buckets),
                    m4(&points, from, to, buckets),
                    "channel {channel}, {buckets} buckets"
                );
            }
        }
    }

    #[test]
    fn a_channel_no_record_has_is_left_out() {
        let summaries = summarise(&a_day()[1..7]);
        assert_eq!(summaries.keys().copied().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(summaries[&0].count, 6);
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => (-4i32..4).prop_map(|n| Value::Number(f64::from(n))),
            1 => Just(Value::Number(-0.0)),
            1 => proptest::sample::select(Special::ALL.to_vec()).prop_map(Value::Special),
        ]
    }

    /// Records at distinct times, each with some of four channels.
    fn records() -> impl Strategy<Value = Vec<ChunkRecord>> {
        let values = proptest::collection::btree_map(0..4 as ChannelIndex, value(), 0..4);
        proptest::collection::btree_map(-3_000i64..3_000, values, 1..400).prop_map(|map| {
            map.into_iter()
                .map(|(t, values)| ChunkRecord {
                    t: Millis(t),
                    values: values.into_iter().collect(),
                })
                .collect()
        })
    }

    /// One channel's points of `records` within `[from, to)`, each a span of its own.
    fn spans(
        records: &[ChunkRecord],
        channel: ChannelIndex,
        from: Millis,
        to: Millis,
    ) -> Vec<Summary> {
        records
            .iter()
            .filter(|r| from <= r.t && r.t < to)
            .filter_map(|r| {
                let (_, value) = r.values.iter().find(|(i, _)| *i == channel)?;
                Some(Summary::of(Point {
                    t: r.t,
                    value: *value,
                }))
            })
            .collect()
    }

    proptest! {
        #[test]
        fn a_skeleton_draws_what_its_records_draw_in_buckets_of_whole_spans(
            records in records(),
            span in prop::sample::select(vec![7i64, 60, 250, 1_000]),
            start in -40i64..10,
            buckets in 1usize..30,
            spans_a_bucket in 1i64..6,
        ) {
            let kept = skeleton(&records, span);
            let from = Millis(start * span);
            let to = from.plus(buckets as i64 * spans_a_bucket * span);
            for channel in 0..4 {
                prop_assert_eq!(
                    m4_of_spans(spans(&kept, channel, from, to), from, to, buckets),
                    m4_of_spans(spans(&records, channel, from, to), from, to, buckets),
                    "channel {}", channel
                );
            }
        }

        #[test]
        fn the_skeleton_of_a_skeleton_is_the_skeleton_of_the_coarser_spans(
            records in records(),
            span in prop::sample::select(vec![7i64, 60, 250]),
            times in 2i64..30,
        ) {
            let direct = skeleton(&records, span * times);
            let twice = skeleton(&skeleton(&records, span), span * times);
            prop_assert_eq!(direct.len(), twice.len());
            for (a, b) in direct.iter().zip(&twice) {
                prop_assert!(a.same_bits(b), "{:?} against {:?}", a, b);
            }
        }
    }

    #[test]
    fn a_day_of_minutes_keeps_at_most_four_points_a_channel_an_hour_and_every_special() {
        let day = a_day();
        let kept = skeleton(&day, Millis::HOUR);
        let points: usize = kept.iter().map(|r| r.values.len()).sum();
        let specials = day
            .iter()
            .flat_map(|r| &r.values)
            .filter(|(_, v)| matches!(v, Value::Special(_)))
            .count();
        // Channel 1's Burnouts fall in 15 different hours, one an hour.
        assert_eq!(specials, 15);
        assert!(points <= 24 * 3 * 4 + specials, "{points} points");
        assert!(kept
            .iter()
            .flat_map(|r| &r.values)
            .any(|(_, v)| *v == Value::Special(Special::Burnout)));
    }
}
