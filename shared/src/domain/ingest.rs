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
