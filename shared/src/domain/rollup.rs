//! Rollups: what a run of one record key's records keeps for graphs, per channel — the
//! [`Summary`] of each channel, which [`m4_of_spans`](super::downsample::m4_of_spans)
//! merges into pixel columns. Summaries of an hour's records, kept beside its chunk,
//! draw a year's graph from 8,760 summaries instead of 525,600 records.

use std::collections::BTreeMap;

use super::chunk::ChunkRecord;
use super::codec::ChannelIndex;
use super::downsample::{Point, Summary};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::downsample::m4;
    use crate::domain::downsample::m4_of_spans;
    use crate::domain::record::{Millis, Special, Value};

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
}
