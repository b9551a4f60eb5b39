//! Measurement data in an account's storage used: the bytes of its records-table items,
//! counted from what the table's change stream says was written and deleted.
//!
//! Ingest writes no counter itself (that would be a write more per message, and one a
//! crash between the records and the counter would lose or double). The stream tells
//! each item written or deleted exactly once, in order per item key, but Lambda may hand
//! the same part of it over again after a failure. So each instrument key's bytes are
//! kept with the stream position they were counted through, and a delivery counts only
//! the changes past it: counted once, however often delivered.
//!
//! The same write marks the hours that records were newly stored in as waiting for
//! compaction ([`PendingHour`]): the stream is the one place that sees every record
//! stored, late ones included, and the mark costs no write of its own.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;

/// DynamoDB's stream sequence numbers have at most this many decimal digits.
const POSITION_DIGITS: usize = 40;

/// A position in the records table's stream: a sequence number, kept zero-padded to 40
/// digits so that positions compare as strings the way the numbers do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamPosition(String);

impl StreamPosition {
    /// The position before every delivery: what the mark of an hour a backlog's walk
    /// met still open holds, so that any delivery's mark of it is newer.
    pub fn before_any() -> StreamPosition {
        StreamPosition("0".repeat(POSITION_DIGITS))
    }

    /// A sequence number as the stream gives it (or as stored, padded).
    pub fn parse(sequence: &str) -> Result<Self, String> {
        if sequence.is_empty()
            || sequence.len() > POSITION_DIGITS
            || !sequence.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!(
                "stream sequence number `{sequence}` is not 1 to {POSITION_DIGITS} digits"
            ));
        }
        Ok(StreamPosition(format!("{sequence:0>POSITION_DIGITS$}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an item of the records table is, as the storage used charges it.
///
/// A record that will expire is a passing copy: its hour is charged once, as the chunk
/// compaction stores it in, so an account pays for its data once (and the usage
/// function writes nothing for a batch of live records whose hours are marked already).
/// A record kept raw (its hour cannot be compacted: its only copy) or written before
/// records carried an expiry is charged as itself. Rollups are the cloud's index of the data, not
/// charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataItem {
    ExpiringRecord,
    KeptRecord,
    Chunk,
    Rollup,
}

impl DataItem {
    /// The bytes charged for an item of this kind whose DynamoDB size is `size`.
    pub fn charged(self, size: i64) -> i64 {
        match self {
            DataItem::KeptRecord | DataItem::Chunk => size,
            DataItem::ExpiringRecord | DataItem::Rollup => 0,
        }
    }
}

/// One item of the records table written or deleted, as its stream tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChange {
    pub key: InstrumentKey,
    pub position: StreamPosition,
    /// The bytes charged for the item after the change less those before
    /// ([`DataItem::charged`]; negative for a deletion).
    pub bytes: i64,
    /// The start of the hour of a record newly stored (not of a chunk, nor of a
    /// deletion): an hour to compact.
    pub stored_hour: Option<Millis>,
    /// The object a chunk's bytes were kept in, when the change left no item pointing
    /// at it (the chunk replaced by a newer version, or deleted): to delete.
    pub released: Option<String>,
}

/// The most hours one delivery marks for one key (the oldest of them): the marks ride
/// on the key's small data-bytes item, which must stay small. A backlog's later hours
/// are not marked: the key keeps the earliest of them as its backlog start
/// ([`KeyPending::backlog_from`]), from which on its graphs read records, not rollups.
pub const MARKS_A_DELIVERY: usize = 48;

/// An hour of one record key marked as waiting: the mark is changed or taken off only if
/// it is unchanged since it was read, so a record arriving meanwhile keeps its hour
/// marked for compaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingHour {
    pub hour: Millis,
    pub marked: Mark,
}

/// What a marked hour waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// Compaction: records were stored in it, by the delivery at this stream position
    /// last.
    Stored(StreamPosition),
    /// Its day's end: compacted while its day went on, its rollups are written once
    /// with the whole day's (the day's item of hour skeletons, rewritten each hour, was
    /// most of what compaction wrote). The number is drawn from the mark it replaced, so
    /// an hour marked again by a late record and compacted again is not taken for the
    /// same mark by a run that read it before (a few bytes, where a stream position
    /// takes 40 digits: a day of them keeps the key's item small).
    Compacted(u32),
}

impl Mark {
    /// The mark of this hour once compacted, its rollups waiting for its day's end.
    pub fn compacted(&self) -> Mark {
        match self {
            Mark::Stored(position) => {
                // FNV-1a: distinct positions give distinct numbers but by chance.
                let hash = position
                    .as_str()
                    .bytes()
                    .fold(0x811c_9dc5_u32, |hash, byte| {
                        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
                    });
                Mark::Compacted(hash)
            }
            Mark::Compacted(drawn) => Mark::Compacted(*drawn),
        }
    }

    pub fn is_compacted(&self) -> bool {
        matches!(self, Mark::Compacted(_))
    }
}

/// What one delivery's changes of one instrument key add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub bytes: i64,
    /// The first and last positions of the changes tallied.
    pub first: StreamPosition,
    pub last: StreamPosition,
    /// The hours records were newly stored in, to mark for compaction.
    pub stored_hours: BTreeSet<Millis>,
}

impl Tally {
    /// The hours to mark (the oldest [`MARKS_A_DELIVERY`]) and the first hour past them,
    /// if any: where a backlog's unmarked hours start.
    pub fn marks(&self) -> (Vec<Millis>, Option<Millis>) {
        let hours: Vec<Millis> = self
            .stored_hours
            .iter()
            .take(MARKS_A_DELIVERY)
            .copied()
            .collect();
        let past = self.stored_hours.iter().nth(MARKS_A_DELIVERY).copied();
        (hours, past)
    }
}

/// What is known of one key's rollups: from when its hours are rolled up, and which
/// of those hours may not be yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPending {
    /// The marked hours, oldest first.
    pub hours: Vec<Millis>,
    /// Where hours a delivery did not mark start (a backlog of more than
    /// [`MARKS_A_DELIVERY`] hours): from it on, no hour is known to be rolled up.
    pub backlog_from: Option<Millis>,
    /// How often a delivery kept a backlog start (moving it earlier or finding an earlier
    /// one kept): a backlog is moved on only if no delivery kept one since it was read,
    /// so the hours a delivery left unmarked behind a walk already past them are walked.
    pub backlog_version: u64,
    /// From when the key's hours are rolled up: the oldest hour its first marking
    /// delivery marked (so hours a key had compacted before rollups existed are read
    /// from their records), moved on past what the retention deleted, and to the end of
    /// time ([`NEVER`]) once an hour could not be rolled up; `None` for a key no delivery
    /// marked: no hour is known rolled up.
    pub rolled_from: Option<Millis>,
}

/// The time from which on no hour is known rolled up: a key that stopped being rolled up.
pub const NEVER: Millis = Millis(i64::MAX);

/// Tallies `changes` by instrument key, leaving out those at or before the position a
/// key was counted through already (`counted`, when it is known).
pub fn tally<'a>(
    changes: impl IntoIterator<Item = &'a DataChange>,
    counted: impl Fn(&InstrumentKey) -> Option<StreamPosition>,
) -> BTreeMap<InstrumentKey, Tally> {
    let mut tallies: BTreeMap<InstrumentKey, Tally> = BTreeMap::new();
    for change in changes {
        if counted(&change.key).is_some_and(|through| change.position <= through) {
            continue;
        }
        match tallies.get_mut(&change.key) {
            Some(tally) => {
                tally.bytes += change.bytes;
                tally.first = tally.first.clone().min(change.position.clone());
                tally.last = tally.last.clone().max(change.position.clone());
                tally.stored_hours.extend(change.stored_hour);
            }
            None => {
                tallies.insert(
                    change.key.clone(),
                    Tally {
                        bytes: change.bytes,
                        first: change.position.clone(),
                        last: change.position.clone(),
                        stored_hours: change.stored_hour.into_iter().collect(),
                    },
                );
            }
        }
    }
    tallies
}

/// What an account stores, in bytes: its files and its measurement data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StorageUsed {
    pub files: u64,
    pub data: u64,
}

impl StorageUsed {
    /// What the plan's storage is measured against.
    pub fn total(&self) -> u64 {
        self.files.saturating_add(self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(sequence: &str) -> StreamPosition {
        StreamPosition::parse(sequence).unwrap()
    }

    #[test]
    fn a_tally_marks_its_oldest_hours_and_tells_where_the_rest_start() {
        let hour = |h: i64| Millis(h * Millis::HOUR);
        let mut tally = Tally {
            bytes: 0,
            first: position("1"),
            last: position("2"),
            stored_hours: (0..MARKS_A_DELIVERY as i64).rev().map(hour).collect(),
        };
        let (marked, past) = tally.marks();
        assert_eq!(marked.len(), MARKS_A_DELIVERY);
        assert_eq!(past, None);
        tally.stored_hours.extend([hour(500), hour(200)]);
        let (marked, past) = tally.marks();
        assert_eq!(marked.last(), Some(&hour(MARKS_A_DELIVERY as i64 - 1)));
        assert_eq!(past, Some(hour(200)));
    }

    fn change(key: &str, sequence: &str, bytes: i64) -> DataChange {
        DataChange {
            key: InstrumentKey::from_stored(key.into()),
            position: position(sequence),
            bytes,
            stored_hour: None,
            released: None,
        }
    }

    #[test]
    fn positions_compare_as_numbers_whatever_their_length() {
        assert!(position("99") < position("100"));
        assert!(position("1100000000017454423009") > position("999999999999999999999"));
        assert_eq!(position("0042"), position("42"));
        assert_eq!(position("7").as_str().len(), 40);
    }

    #[test]
    fn a_sequence_number_must_be_digits_and_at_most_40() {
        assert!(StreamPosition::parse("").is_err());
        assert!(StreamPosition::parse("12a").is_err());
        assert!(StreamPosition::parse("-1").is_err());
        assert!(StreamPosition::parse(&"9".repeat(41)).is_err());
        assert!(StreamPosition::parse(&"9".repeat(40)).is_ok());
    }

    #[test]
    fn changes_add_up_per_key_with_the_positions_they_span() {
        let mut changes = [
            change("a/x", "101", 80),
            change("b/y", "102", 50),
            change("a/x", "103", 90),
            change("a/x", "104", -80),
        ];
        // Two records stored in hour 2 and one in hour 1; the deletion marks none.
        for (i, hour) in [(0, 2), (1, 2), (2, 1)] {
            changes[i].stored_hour = Some(Millis(hour * Millis::HOUR));
        }
        let tallies = tally(&changes, |_| None);
        assert_eq!(
            tallies[&InstrumentKey::from_stored("a/x".into())],
            Tally {
                bytes: 90,
                first: position("101"),
                last: position("104"),
                stored_hours: [Millis(Millis::HOUR), Millis(2 * Millis::HOUR)].into(),
            }
        );
        assert_eq!(tallies[&InstrumentKey::from_stored("b/y".into())].bytes, 50);
    }

    #[test]
    fn changes_counted_already_are_left_out() {
        let changes = [
            change("a/x", "101", 80),
            change("a/x", "102", 90),
            change("a/x", "103", 70),
            change("b/y", "101", 50),
        ];
        let a = InstrumentKey::from_stored("a/x".into());
        let tallies = tally(&changes, |key| (key == &a).then(|| position("102")));
        assert_eq!(
            tallies[&a],
            Tally {
                bytes: 70,
                first: position("103"),
                last: position("103"),
                stored_hours: BTreeSet::new(),
            }
        );
        assert_eq!(tallies[&InstrumentKey::from_stored("b/y".into())].bytes, 50);
        // Counted through the last: nothing left of that key.
        let none = tally(&changes[..3], |_| Some(position("103")));
        assert!(none.is_empty());
    }
}
