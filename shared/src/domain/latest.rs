//! Latest values and last-seen times, read from what is stored rather than kept up to
//! date by every message.
//!
//! An instrument's latest values are those of its newest stored records: a copy kept on
//! the instrument's item would be rewritten by every message — and once more in the
//! registry's index — at several times the write units of the record itself. Reading
//! them back costs a Query of [`LATEST_LOOKBACK`] records (one read unit up to 8 KB);
//! only where an acquired channel is in none of them (a channel sent less often than the
//! others) a second Query looks [`LATEST_SEARCH`] records further back. A replay can
//! never move them backward: the records table keeps the first write of every instant.
//!
//! An app's last-seen time (when a message last arrived) is written only when the stored
//! one is [`LAST_SEEN_RESOLUTION_MILLIS`] old; between writes, the newest record of its
//! instruments tells when it was last heard from.

use std::collections::BTreeMap;

use super::codec::{decode_values, ChannelIndex, CodecError};
use super::record::{Millis, Value};
use super::registry::{App, Instrument, CONNECTED_WITHIN_MILLIS};

/// How many of an instrument's newest records its latest values are looked up in first.
pub const LATEST_LOOKBACK: usize = 5;

/// How many records further back the latest value of a channel missing from the first
/// [`LATEST_LOOKBACK`] is looked for (two hours at the normal one-minute interval): a
/// channel in none of them shows no latest value.
pub const LATEST_SEARCH: usize = 120;

/// How old an app's stored last-seen time must be before a message writes it again. At
/// one message a minute this is one write (two units, with the index) in 30 messages.
pub const LAST_SEEN_RESOLUTION_MILLIS: i64 = 30 * Millis::MINUTE;

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

    /// Whether some acquired channel has no value here: worth looking further back.
    pub fn is_missing_channels(&self, instrument: &Instrument) -> bool {
        self.values.len() < instrument.acquired_count()
    }

    pub fn value_of(&self, channel: ChannelIndex) -> Option<&Latest> {
        self.values.iter().find(|l| l.channel == channel)
    }
}

/// Whether a message received at `at` writes the app's last-seen time.
pub fn writes_last_seen(app: &App, at: Millis) -> bool {
    app.last_seen
        .is_none_or(|seen| at.0 - seen.0 >= LAST_SEEN_RESOLUTION_MILLIS)
}

/// When an app was last heard from: the later of its stored last-seen time and the
/// newest record of its instruments (`records_seen`), a record time never counting past
/// `now` (a device clock may run ahead).
pub fn app_last_seen(
    app: &App,
    records_seen: impl IntoIterator<Item = Millis>,
    now: Millis,
) -> Option<Millis> {
    let newest_record = records_seen.into_iter().max().map(|t| t.min(now));
    app.last_seen.max(newest_record)
}

/// Connected: heard from within [`CONNECTED_WITHIN_MILLIS`] of `now`.
pub fn connected(last_seen: Option<Millis>, now: Millis) -> bool {
    last_seen.is_some_and(|seen| now.0 - seen.0 <= CONNECTED_WITHIN_MILLIS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codec::encode_values;
    use crate::domain::ids::{AccountId, ChannelName, GroupId, InstrumentSerial, ThingName};
    use crate::domain::registry::{AppKind, RegistrationId};

    fn instrument(channels: &[&str], deselected: Vec<u32>) -> Instrument {
        Instrument {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("g").unwrap(),
            app: ThingName::parse("gw").unwrap(),
            registration: RegistrationId::from_random(0),
            serial: InstrumentSerial::parse("LR-1").unwrap(),
            channels: channels
                .iter()
                .map(|c| ChannelName::parse(*c).unwrap())
                .collect(),
            deselected,
            label: None,
            note: None,
            rev: 0,
        }
    }

    fn app(last_seen: Option<i64>) -> App {
        App {
            thing: ThingName::parse("gw").unwrap(),
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("g").unwrap(),
            registration: RegistrationId::from_random(0),
            registered: Millis(0),
            name: "gw".into(),
            kind: AppKind::Gateway,
            enabled: true,
            certificate: None,
            last_seen: last_seen.map(Millis),
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
            &instrument(&["a", "b"], vec![]),
            &[(Millis(300), &newest), (Millis(200), &older)],
        )
        .unwrap();
        assert_eq!(latest.last_seen, Some(Millis(300)));
        assert_eq!(latest.value_of(0).unwrap().value, Value::Number(3.0));
        assert_eq!(latest.value_of(1).unwrap().t, Millis(200));
        assert!(!latest.is_missing_channels(&instrument(&["a", "b"], vec![])));
        assert!(latest.is_missing_channels(&instrument(&["a", "b", "c"], vec![])));
    }

    #[test]
    fn a_deselected_channel_has_no_latest_value() {
        let record = encoded(&[(0, 1.0), (1, 2.0)]);
        let latest =
            InstrumentLatest::of(&instrument(&["a", "b"], vec![0]), &[(Millis(1), &record)])
                .unwrap();
        assert_eq!(latest.values.len(), 1);
        assert_eq!(latest.values[0].channel, 1);
    }

    #[test]
    fn no_records_no_latest_values() {
        let latest = InstrumentLatest::of(&instrument(&["a"], vec![]), &[]).unwrap();
        assert_eq!(latest, InstrumentLatest::default());
    }

    #[test]
    fn last_seen_is_written_once_per_resolution() {
        assert!(writes_last_seen(&app(None), Millis(0)));
        let seen = app(Some(1_000));
        assert!(!writes_last_seen(
            &seen,
            Millis(1_000 + LAST_SEEN_RESOLUTION_MILLIS - 1)
        ));
        assert!(writes_last_seen(
            &seen,
            Millis(1_000 + LAST_SEEN_RESOLUTION_MILLIS)
        ));
    }

    #[test]
    fn an_app_was_last_seen_at_its_newest_record_or_message() {
        let now = Millis(10 * Millis::MINUTE);
        let seen = app(Some(Millis::MINUTE));
        assert_eq!(
            app_last_seen(&seen, [Millis(5 * Millis::MINUTE)], now),
            Some(Millis(5 * Millis::MINUTE))
        );
        assert_eq!(app_last_seen(&seen, [], now), Some(Millis(Millis::MINUTE)));
        // A record time ahead of now (a device clock running ahead) shows as now.
        assert_eq!(
            app_last_seen(&seen, [Millis(15 * Millis::MINUTE)], now),
            Some(now)
        );
        assert!(connected(Some(Millis(8 * Millis::MINUTE)), now));
        assert!(!connected(Some(Millis(6 * Millis::MINUTE)), now));
        assert!(!connected(None, now));
    }
}
