//! What a graph's read of one record key draws: the points of the channels asked, each
//! channel's in time order, taken from records and from rollups' columns alike — so a
//! skeleton's scattered points go to their channels with no records made of them.

use crate::domain::chunk::Column;
use crate::domain::codec::ChannelIndex;
use crate::domain::downsample::Point;
use crate::domain::record::{Millis, Value};

/// The channels a read draws: for each, the slot of [`Drawn::points`] it goes to.
#[derive(Debug, Clone)]
pub struct Wanted(Vec<(usize, ChannelIndex)>);

impl Wanted {
    /// `(slot, channel index)` pairs; slots run from 0 to one less than their number.
    pub fn new(pairs: impl IntoIterator<Item = (usize, ChannelIndex)>) -> Wanted {
        let mut pairs: Vec<_> = pairs.into_iter().collect();
        // In channel order, as a record's values and a chunk's columns come: one walk
        // along both finds every wanted value.
        pairs.sort_unstable_by_key(|(_, index)| *index);
        Wanted(pairs)
    }

    /// Every channel from 0 to `channels - 1`, each in the slot of its index.
    pub fn all(channels: u32) -> Wanted {
        Wanted::new((0..channels).map(|index| (index as usize, index)))
    }

    fn slots(&self) -> usize {
        self.0.iter().map(|(slot, _)| slot + 1).max().unwrap_or(0)
    }
}

/// What a read drew.
#[derive(Debug)]
pub struct Drawn {
    /// Each wanted channel's points in time order, by slot.
    pub points: Vec<Vec<Point>>,
    /// How many records were read.
    pub from_records: usize,
    /// How many values the rollup skeletons read held within the range (every channel's,
    /// wanted or not: what was decoded).
    pub rollup_values: usize,
    /// The time of the last record read.
    pub last_record: Option<Millis>,
    wanted: Wanted,
}

impl Drawn {
    pub fn new(wanted: Wanted) -> Drawn {
        Drawn {
            points: vec![Vec::new(); wanted.slots()],
            from_records: 0,
            rollup_values: 0,
            last_record: None,
            wanted,
        }
    }

    /// Takes in a record at `t` (later than any taken before) with `values` in channel
    /// order, as both codecs decode them.
    pub fn take_record(&mut self, t: Millis, values: &[(ChannelIndex, Value)]) {
        debug_assert!(values.windows(2).all(|w| w[0].0 < w[1].0));
        self.from_records += 1;
        self.last_record = Some(t);
        let mut values = values.iter().peekable();
        for (slot, index) in &self.wanted.0 {
            while values.next_if(|(i, _)| i < index).is_some() {}
            if let Some((_, value)) = values.peek().filter(|(i, _)| i == index) {
                self.points[*slot].push(Point { t, value: *value });
            }
        }
    }

    /// Whether fewer than `caps.0` records are held, and rollup values not past `caps.1`.
    pub fn within(&self, (records, values): (usize, usize)) -> bool {
        self.from_records < records && self.rollup_values <= values
    }

    /// Takes in the points of a rollup's `columns` (in channel order, each in time order,
    /// later than any taken before) within `[from, to)`, and counts the values of every
    /// channel that lay there.
    pub fn take_columns(&mut self, columns: &[Column], (from, to): (Millis, Millis)) {
        let mut taken = 0;
        let mut wanted = self.wanted.0.iter().peekable();
        for (index, points) in columns {
            let start = points.partition_point(|(t, _)| *t < from);
            let end = points.partition_point(|(t, _)| *t < to);
            let within = &points[start..end.max(start)];
            taken += within.len();
            while wanted.next_if(|(_, i)| i < index).is_some() {}
            let mut slots = wanted.clone();
            while let Some((slot, _)) = slots.next_if(|(_, i)| i == index) {
                let points = within.iter().map(|(t, value)| Point {
                    t: *t,
                    value: *value,
                });
                self.points[*slot].extend(points);
            }
        }
        self.rollup_values += taken;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: i64, value: f64) -> Point {
        Point {
            t: Millis(t),
            value: Value::Number(value),
        }
    }

    #[test]
    fn records_and_columns_go_to_the_slots_of_their_channels() {
        // Channel 7 asked twice, channel 2 once, channel 5 not.
        let mut drawn = Drawn::new(Wanted::new([(0, 7), (1, 2), (2, 7)]));
        let n = Value::Number;
        drawn.take_record(Millis(1), &[(2, n(1.0)), (5, n(9.0)), (7, n(3.0))]);
        drawn.take_record(Millis(2), &[(5, n(9.0))]);
        let columns = vec![
            (2, vec![(Millis(3), n(4.0)), (Millis(8), n(5.0))]),
            (5, vec![(Millis(4), n(9.0))]),
            (7, vec![(Millis(2), n(0.0)), (Millis(6), n(6.0))]),
        ];
        drawn.take_columns(&columns, (Millis(3), Millis(8)));
        assert_eq!(drawn.points[0], [point(1, 3.0), point(6, 6.0)]);
        assert_eq!(drawn.points[1], [point(1, 1.0), point(3, 4.0)]);
        assert_eq!(drawn.points[2], drawn.points[0]);
        assert_eq!(
            (drawn.from_records, drawn.rollup_values, drawn.last_record),
            (2, 3, Some(Millis(2)))
        );
        assert!(drawn.within((3, 3)));
        assert!(!drawn.within((2, 3)) && !drawn.within((3, 2)));
    }
}
