//! Latest values, read from what is stored rather than kept up to date by every message.
//!
//! An instrument's latest values are those of its newest stored records: a copy kept on
//! the instrument's item would be rewritten by every message — and once more in the
//! registry's index — at several times the write units of the record itself. Reading
//! them back costs one Query of [`LATEST_LOOKBACK`] records, whatever a tenant sends, and
//! a replay can never move them backward: the records table keeps the first write of
//! every instant.

use std::collections::BTreeMap;

use super::codec::{decode_values, ChannelIndex, CodecError};
use super::record::{Millis, Value};
use super::registry::Instrument;

/// How many of an instrument's newest records its latest values are looked up in: a
/// channel sent less often than once in this many records has no latest value (its
/// values are in the series).
pub const LATEST_LOOKBACK: usize = 10;

/// One channel's latest value and the record time it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latest {
    pub channel: ChannelIndex,
    pub t: Millis,
    pub value: Value,
}

/// What an instrument's newest records say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstrumentLatest {
    /// The time of its newest stored record.
    pub last_seen: Option<Millis>,
    /// Per acquired channel, sorted by index: the value of the newest record that has it.
    pub values: Vec<Latest>,
}

impl InstrumentLatest {
    /// From `newest_first`, the instrument's newest records (time, encoded values).
    /// Deselected channels have no latest value: they are no longer acquired.
    pub fn of(
        instrument: &Instrument,
        newest_first: &[(Millis, &[u8])],
    ) -> Result<InstrumentLatest, CodecError> {
        let mut values = BTreeMap::new();
        for (t, encoded) in newest_first {
            for (channel, value) in decode_values(encoded)? {
                if instrument.is_acquired(channel) {
                    values.entry(channel).or_insert(Latest {
                        channel,
                        t: *t,
                        value,
                    });
                }
            }
        }
        Ok(InstrumentLatest {
            last_seen: newest_first.iter().map(|(t, _)| *t).max(),
            values: values.into_values().collect(),
        })
    }

    pub fn value_of(&self, channel: ChannelIndex) -> Option<&Latest> {
        self.values.iter().find(|l| l.channel == channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::ids::{AccountId, AppId, ChannelName, GroupId, InstrumentSerial};
    use crate::domain::registry::RegistrationId;
    use proptest::prelude::*;

    fn instrument(channels: usize, deselected: Vec<u32>) -> Instrument {
        Instrument {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("g").unwrap(),
            app: AppId::parse("gw").unwrap(),
            registration: RegistrationId::from_random(0),
            serial: InstrumentSerial::parse("LR-1").unwrap(),
            instance: RegistrationId::from_random(1),
            channels: (0..channels)
                .map(|c| ChannelName::parse(format!("CH{c}")).unwrap())
                .collect(),
            deselected,
            label: None,
            note: None,
            rev: 0,
        }
    }

    fn encoded(values: &[(u32, f64)]) -> Vec<u8> {
        let entries: Vec<_> = values
            .iter()
            .map(|(c, v)| (*c, Value::Number(*v)))
            .collect();
        encode_values(&entries)
    }

    #[test]
    fn each_channel_takes_the_newest_record_that_has_it() {
        let (newest, older) = (encoded(&[(0, 3.0)]), encoded(&[(0, 2.0), (1, 20.0)]));
        let latest = InstrumentLatest::of(
            &instrument(2, vec![]),
            &[(Millis(300), &newest), (Millis(200), &older)],
        )
        .unwrap();
        assert_eq!(latest.last_seen, Some(Millis(300)));
        assert_eq!(latest.value_of(0).unwrap().value, Value::Number(3.0));
        assert_eq!(latest.value_of(1).unwrap().t, Millis(200));
    }

    #[test]
    fn a_deselected_channel_has_no_latest_value() {
        let record = encoded(&[(0, 1.0), (1, 2.0)]);
        let latest =
            InstrumentLatest::of(&instrument(2, vec![0]), &[(Millis(1), &record)]).unwrap();
        assert_eq!(latest.values.len(), 1);
        assert_eq!(latest.values[0].channel, 1);
    }

    #[test]
    fn no_records_no_latest_values() {
        let latest = InstrumentLatest::of(&instrument(1, vec![]), &[]).unwrap();
        assert_eq!(latest, InstrumentLatest::default());
    }

    proptest! {
        /// Against the obvious definition: per acquired channel, the value at the
        /// greatest time among the records that have it.
        #[test]
        fn each_acquired_channel_has_the_value_of_its_newest_record(
            records in prop::collection::btree_map(
                any::<i64>(),
                prop::collection::btree_map(0u32..6, -1e6f64..1e6, 0..6),
                0..12,
            ),
            deselected in prop::collection::btree_set(0u32..6, 0..3),
        ) {
            let instrument = instrument(6, deselected.iter().copied().collect());
            let blobs: Vec<(Millis, Vec<u8>)> = records
                .iter()
                .rev()
                .map(|(t, values)| {
                    let values: Vec<(u32, f64)> = values.iter().map(|(c, v)| (*c, *v)).collect();
                    (Millis(*t), encoded(&values))
                })
                .collect();
            let newest_first: Vec<(Millis, &[u8])> =
                blobs.iter().map(|(t, b)| (*t, b.as_slice())).collect();
            let latest = InstrumentLatest::of(&instrument, &newest_first).unwrap();
            for channel in 0..6u32 {
                let expected = records
                    .iter()
                    .filter(|(_, values)| values.contains_key(&channel))
                    .max_by_key(|(t, _)| **t)
                    .filter(|_| instrument.is_acquired(channel))
                    .map(|(t, values)| (Millis(*t), Value::Number(values[&channel])));
                let found = latest.value_of(channel).map(|l| (l.t, l.value));
                prop_assert_eq!(found, expected);
            }
            prop_assert_eq!(latest.last_seen, records.keys().max().map(|t| Millis(*t)));
        }
    }
}
