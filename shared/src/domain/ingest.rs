//! The pure part of ingest: which channels an instrument acquires and how a batch
//! becomes stored records — deterministic, so a redelivered batch produces the very same
//! items and leaves the same state.

use std::collections::{BTreeMap, HashMap};

use super::codec::{encode_values, ChannelIndex};
use super::ids::ChannelName;
use super::record::{Millis, Record};
use super::registry::Instrument;

/// The channel dictionary after a batch: the names it adds (in first-seen order, up to
/// the plan limit) and those it could not add because the limit was reached.
#[derive(Debug, Default, PartialEq)]
pub struct ChannelSelection {
    pub added: Vec<ChannelName>,
    pub over_limit: Vec<ChannelName>,
}

/// New channels in `records` are selected for acquisition while the instrument has
/// fewer than `limit` channels; the rest are not stored.
pub fn select_new_channels(
    instrument: &Instrument,
    records: &[Record],
    limit: u32,
) -> ChannelSelection {
    let mut known: HashMap<&ChannelName, ()> =
        instrument.channels.iter().map(|c| (c, ())).collect();
    let mut selection = ChannelSelection::default();
    let mut free = (limit as usize).saturating_sub(instrument.acquired_count());
    for (name, _) in records.iter().flat_map(|r| &r.values) {
        if known.contains_key(name) {
            continue;
        }
        known.insert(name, ());
        if free > 0 {
            free -= 1;
            selection.added.push(name.clone());
        } else {
            selection.over_limit.push(name.clone());
        }
    }
    selection
}

/// Why channels `names` (of a file to import, in column order) cannot all be stored on
/// `instrument` (none yet: a new one) with at most `limit` acquired channels: the
/// position of the first that cannot, and why. Ingest stores what fits and reports the
/// rest; an import stores all of a file or none of it, so it asks first.
pub fn channels_without_room(
    instrument: Option<&Instrument>,
    names: &[&ChannelName],
    limit: u32,
) -> Option<(usize, String)> {
    let acquired = instrument.map_or(0, Instrument::acquired_count);
    let mut new = 0;
    for (position, name) in names.iter().enumerate() {
        match instrument.and_then(|i| i.channel_index(name).map(|index| (i, index))) {
            Some((instrument, index)) if !instrument.is_acquired(index) => {
                return Some((
                    position,
                    format!("channel {name} is not acquired by instrument {}; acquire it first, or leave the column out", instrument.serial),
                ));
            }
            Some(_) => {}
            None => {
                new += 1;
                if acquired + new > limit as usize {
                    return Some((
                        position,
                        format!("the instrument would have more than {limit} channels, the limit of its plan"),
                    ));
                }
            }
        }
    }
    None
}

/// A record ready to store: its time and its encoded values.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedRecord {
    pub t: Millis,
    pub values: Vec<u8>,
}

/// Encodes the records of one instrument against its channel dictionary, one per
/// timestamp (the record key): when a batch holds the same instant twice, the first one
/// stays, exactly as when the two arrive in separate messages (the records table keeps
/// the first write). Records with no acquired channel are left out.
pub fn encode_records(instrument: &Instrument, records: &[Record]) -> Vec<EncodedRecord> {
    let index = dictionary(instrument);
    let mut by_time: BTreeMap<Millis, Vec<u8>> = BTreeMap::new();
    for record in records {
        let entries = indexed_values(&index, record);
        if !entries.is_empty() {
            by_time
                .entry(record.t)
                .or_insert_with(|| encode_values(&entries));
        }
    }
    by_time
        .into_iter()
        .map(|(t, values)| EncodedRecord { t, values })
        .collect()
}

/// The acquired channels by name: a deselected channel's values are not stored.
fn dictionary(instrument: &Instrument) -> HashMap<&ChannelName, ChannelIndex> {
    instrument
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| (c, i as ChannelIndex))
        .filter(|(_, i)| instrument.is_acquired(*i))
        .collect()
}

fn indexed_values(
    index: &HashMap<&ChannelName, ChannelIndex>,
    record: &Record,
) -> Vec<(ChannelIndex, super::record::Value)> {
    let mut entries: Vec<_> = record
        .values
        .iter()
        .filter_map(|(name, value)| index.get(name).map(|i| (*i, *value)))
        .collect();
    entries.sort_by_key(|(i, _)| *i);
    // A channel given twice (a record built otherwise than from a JSON object, whose
    // keys are unique) is stored once, its first value: the encoding holds each channel
    // once, and a record that broke that could never be read back.
    entries.dedup_by_key(|(i, _)| *i);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codec::decode_values;
    use crate::domain::ids::{AccountId, AppId, GroupId, InstrumentSerial};
    use crate::domain::record::Value;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn instrument(channels: &[&str]) -> Instrument {
        Instrument {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("g").unwrap(),
            app: AppId::parse("gw").unwrap(),
            registration: crate::domain::registry::RegistrationId::from_random(0),
            serial: InstrumentSerial::parse("LR-1").unwrap(),
            instance: crate::domain::registry::RegistrationId::from_random(1),
            channels: channels
                .iter()
                .map(|c| ChannelName::parse(*c).unwrap())
                .collect(),
            deselected: vec![],
            label: None,
            note: None,
            rev: 0,
        }
    }

    fn record(t: i64, values: &[(&str, f64)]) -> Record {
        Record {
            instrument: InstrumentSerial::parse("LR-1").unwrap(),
            t: Millis(t),
            values: values
                .iter()
                .map(|(c, v)| (ChannelName::parse(*c).unwrap(), Value::Number(*v)))
                .collect(),
        }
    }

    #[test]
    fn new_channels_are_selected_up_to_the_plan_limit() {
        let inst = instrument(&["a"]);
        let selection = select_new_channels(
            &inst,
            &[
                record(1, &[("a", 1.0), ("b", 1.0)]),
                record(2, &[("c", 1.0), ("b", 2.0)]),
            ],
            2,
        );
        assert_eq!(selection.added, vec![ChannelName::parse("b").unwrap()]);
        assert_eq!(selection.over_limit, vec![ChannelName::parse("c").unwrap()]);
    }

    #[test]
    fn an_import_is_told_which_column_finds_no_room() {
        let names: Vec<ChannelName> = ["a", "b", "c"]
            .iter()
            .map(|c| ChannelName::parse(*c).unwrap())
            .collect();
        let names: Vec<&ChannelName> = names.iter().collect();
        assert_eq!(channels_without_room(None, &names, 3), None);
        assert_eq!(channels_without_room(None, &names, 2).unwrap().0, 2);
        let mut inst = instrument(&["b", "x"]);
        assert_eq!(channels_without_room(Some(&inst), &names, 4), None);
        assert_eq!(channels_without_room(Some(&inst), &names, 3).unwrap().0, 2);
        inst.deselected = vec![0];
        let (position, why) = channels_without_room(Some(&inst), &names, 10).unwrap();
        assert_eq!(position, 1);
        assert!(why.contains("not acquired"), "{why}");
    }

    #[test]
    fn a_channel_given_twice_is_stored_once_and_reads_back() {
        let inst = instrument(&["a", "b"]);
        let encoded = encode_records(&inst, &[record(1, &[("b", 2.0), ("a", 1.0), ("b", 3.0)])]);
        let decoded = decode_values(&encoded[0].values).unwrap();
        assert_eq!(
            decoded,
            vec![(0, Value::Number(1.0)), (1, Value::Number(2.0))]
        );
    }

    #[test]
    fn deselected_channels_are_not_stored_and_free_their_slot() {
        let mut inst = instrument(&["a", "b"]);
        inst.deselected = vec![0];
        let encoded = encode_records(&inst, &[record(1, &[("a", 1.0), ("b", 2.0)])]);
        assert_eq!(
            decode_values(&encoded[0].values).unwrap(),
            vec![(1, Value::Number(2.0))]
        );
        let selection = select_new_channels(&inst, &[record(2, &[("c", 1.0), ("d", 1.0)])], 2);
        assert_eq!(
            selection.added,
            vec![ChannelName::parse("c").unwrap()],
            "one slot freed by `a`"
        );
    }

    #[test]
    fn only_acquired_channels_are_encoded() {
        let inst = instrument(&["a", "b"]);
        let encoded = encode_records(
            &inst,
            &[
                record(1, &[("b", 2.0), ("z", 9.0)]),
                record(2, &[("z", 1.0)]),
            ],
        );
        assert_eq!(encoded.len(), 1);
        assert_eq!(
            decode_values(&encoded[0].values).unwrap(),
            vec![(1, Value::Number(2.0))]
        );
    }

    fn batches() -> impl Strategy<Value = Vec<Vec<(i64, f64)>>> {
        prop::collection::vec(
            prop::collection::vec((0i64..40, -100.0f64..100.0), 1..10),
            1..8,
        )
    }

    proptest! {
        /// Any replay and reordering of batches leaves the table holding exactly one item
        /// per unique instant, the same as delivering each batch once: a redelivery
        /// encodes the very same items (the store's first-write rule itself is the
        /// adapter's, tested end to end).
        #[test]
        fn any_replay_or_reordering_stores_each_record_once(
            batches in batches(),
            order in prop::collection::vec(any::<prop::sample::Index>(), 1..30),
        ) {
            // One value per instant, as a real instrument sends; the property is about
            // delivery, not about conflicting duplicates.
            let value_at = |t: i64| batches.iter().flatten().find(|(bt, _)| *bt == t).unwrap().1;
            let as_records = |batch: &Vec<(i64, f64)>| -> Vec<Record> {
                batch.iter().map(|(t, _)| record(*t, &[("a", value_at(*t))])).collect()
            };
            let deliver = |deliveries: &[&Vec<(i64, f64)>]| {
                let inst = instrument(&["a"]);
                let mut table: BTreeMap<Millis, Vec<u8>> = BTreeMap::new();
                for batch in deliveries {
                    let records = as_records(batch);
                    // The records table keeps the first write of an instant.
                    for stored in encode_records(&inst, &records) {
                        table.entry(stored.t).or_insert(stored.values);
                    }
                }
                table
            };
            let once: Vec<&Vec<(i64, f64)>> = batches.iter().collect();
            // Every batch at least once, then any number of replays in any order.
            let mut replayed: Vec<&Vec<(i64, f64)>> = once.iter().rev().copied().collect();
            replayed.extend(order.iter().map(|i| i.get(&batches)));
            let expected_table = deliver(&once);
            let table = deliver(&replayed);
            let unique: std::collections::BTreeSet<i64> = batches.iter().flatten().map(|(t, _)| *t).collect();
            prop_assert_eq!(table.len(), unique.len());
            prop_assert_eq!(table, expected_table);
        }
    }
}
