//! Data alarms evaluated on ingest: the records one message stored, measured and
//! calculated, run through the state machine of every enabled alarm of the group that
//! watches one of their channels ([`crate::domain::alarm::evaluate_each`]), by record
//! time.
//!
//! Per message and group: one query of the alarms; if the group has any, one read of
//! its states and a write when they changed, checked on their revision (and one more
//! write when the message notifies: the outbox emptied). Two ingests of one group at once cannot both decide an event: the second
//! write finds the revision moved, reads the states again and decides its records on
//! what the first decided.
//!
//! The alarms see the records as stored. A record this message did not store (one was
//! stored under its key already: a redelivery, or a device sending an instant twice) is
//! read back, but only if an alarm has not passed its time yet, which after a crash
//! between storing and deciding is the case; otherwise it would change nothing.
//!
//! Alarm IDs are random (48 bits), so the state a deleted alarm leaves is never taken
//! up by another; it is dropped at the group's next evaluation.
//!
//! Notifications are saved in the states' outbox by the same write that decides them,
//! then recorded in the inbox (each once, under its ID), queued for the `notify`
//! function, and the box emptied. A crash in between leaves them in the box, where the
//! group's next message that reaches an alarm finds them; queued twice, a notification
//! is still delivered once (the `notify` function marks each delivery).

use std::collections::HashMap;

use chrono_tz::Tz;
use serde::Serialize;

use super::ingest::IngestError;
use super::notice_delivery::record_and_queue;
use crate::domain::alarm::{evaluate_each, Alarm, AlarmState, Notification, Sample};
use crate::domain::calculated::CalculatedChannel;
use crate::domain::channel::SeriesRef;
use crate::domain::codec::{decode_values, ChannelIndex};
use crate::domain::ids::{AppId, CalcId, ChannelName, InstrumentSerial};
use crate::domain::notice::Notice;
use crate::domain::record::{Millis, Value};
use crate::domain::registry::{Instrument, InstrumentKey};
use crate::ports::{
    AlarmStates, Alarms, GroupAlarmStates, GroupKey, Inbox, NewlyStored, NotifyQueue, RecordStore,
    Saved, StoreError, StoredRecord, VersionedState,
};

#[cfg(test)]
mod tests;

/// What the alarms of a group made of one message.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct AlarmReport {
    /// Enabled alarms that watch a channel of the message.
    pub watching: usize,
    /// Notifications newly recorded in the inbox (decided on this message, or left in
    /// the outbox by an earlier one).
    pub notified: usize,
}

/// The records one message stored, by where they come from.
#[derive(Default)]
pub struct Arrivals {
    arrivals: Vec<Arrival>,
}

struct Arrival {
    source: Source,
    records: Vec<StoredRecord>,
    newly: NewlyStored,
}

enum Source {
    Measured {
        app: AppId,
        serial: InstrumentSerial,
        channels: Vec<ChannelName>,
    },
    Calculated(CalcId),
}

impl Source {
    /// Where `channel`'s value is in this source's records, if it is one of its channels.
    fn index_of(&self, channel: &SeriesRef) -> Option<ChannelIndex> {
        match (self, channel) {
            (
                Source::Measured {
                    app,
                    serial,
                    channels,
                },
                SeriesRef::Measured(wanted),
            ) if wanted.app == *app && wanted.instrument == *serial => channels
                .iter()
                .position(|c| *c == wanted.channel)
                .map(|index| index as ChannelIndex),
            // A calculated channel's record holds its one value at index 0.
            (Source::Calculated(id), SeriesRef::Calculated(wanted)) if id == wanted => Some(0),
            _ => None,
        }
    }
}

impl Arrivals {
    /// `records` of `instrument`, as put, and which of them the put stored.
    pub fn measured(
        &mut self,
        instrument: &Instrument,
        records: Vec<StoredRecord>,
        newly: NewlyStored,
    ) {
        self.arrivals.push(Arrival {
            source: Source::Measured {
                app: instrument.app.clone(),
                serial: instrument.serial.clone(),
                channels: instrument.channels.clone(),
            },
            records,
            newly,
        });
    }

    /// Values of `channel` computed and put, and which of them the put stored.
    pub fn calculated(
        &mut self,
        channel: &CalculatedChannel,
        records: Vec<StoredRecord>,
        newly: NewlyStored,
    ) {
        self.arrivals.push(Arrival {
            source: Source::Calculated(channel.id.clone()),
            records,
            newly,
        });
    }

    fn carries(&self, channel: &SeriesRef) -> bool {
        self.arrivals
            .iter()
            .any(|a| a.source.index_of(channel).is_some())
    }

    /// The records this message did not store that an alarm in `states` has not passed
    /// yet: they must be read back to be decided as stored.
    fn to_read_back(
        &self,
        watching: &[&Alarm],
        states: &GroupAlarmStates,
        read: &HashMap<(InstrumentKey, Millis), StoredRecord>,
    ) -> Vec<(InstrumentKey, Millis)> {
        let mut keys = Vec::new();
        for arrival in &self.arrivals {
            // The oldest time any condition on this source has seen (none: all needed).
            let mut seen: Option<Option<Millis>> = None;
            for alarm in watching {
                for (i, condition) in alarm.rule.conditions.iter().enumerate() {
                    if arrival.source.index_of(&condition.channel).is_some() {
                        let last =
                            continued(states, alarm).and_then(|s| s.seen.get(i).copied().flatten());
                        seen = Some(seen.map_or(last, |s| s.min(last)));
                    }
                }
            }
            let Some(seen) = seen else { continue };
            for (record, newly) in arrival.records.iter().zip(&arrival.newly.0) {
                let key = (record.instrument.clone(), record.t);
                if !newly && seen.is_none_or(|seen| record.t > seen) && !read.contains_key(&key) {
                    keys.push(key);
                }
            }
        }
        keys
    }

    /// Each arrival's records as stored, decoded: the ones this message stored, and
    /// those of `read` it did not.
    fn decode(
        &self,
        read: &HashMap<(InstrumentKey, Millis), StoredRecord>,
    ) -> Result<Vec<Decoded<'_>>, StoreError> {
        self.arrivals
            .iter()
            .map(|arrival| {
                let mut values = Vec::with_capacity(arrival.records.len());
                for (record, newly) in arrival.records.iter().zip(&arrival.newly.0) {
                    let stored = if *newly {
                        Some(record)
                    } else {
                        read.get(&(record.instrument.clone(), record.t))
                    };
                    if let Some(stored) = stored {
                        let decoded = decode_values(&stored.values)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        values.push((stored.t, decoded));
                    }
                }
                Ok(Decoded {
                    source: &arrival.source,
                    values,
                })
            })
            .collect()
    }
}

/// An arrival's records as stored, decoded.
struct Decoded<'a> {
    source: &'a Source,
    values: Vec<(Millis, Vec<(ChannelIndex, Value)>)>,
}

/// The samples of `alarm`'s conditions among `decoded`.
fn samples(alarm: &Alarm, decoded: &[Decoded<'_>]) -> Vec<Sample> {
    let mut samples = Vec::new();
    for (condition, rule_condition) in alarm.rule.conditions.iter().enumerate() {
        for arrival in decoded {
            let Some(index) = arrival.source.index_of(&rule_condition.channel) else {
                continue;
            };
            for (at, values) in &arrival.values {
                if let Some((_, value)) = values.iter().find(|(i, _)| *i == index) {
                    samples.push(Sample {
                        at: *at,
                        condition,
                        value: *value,
                    });
                }
            }
        }
    }
    samples
}

/// The state `alarm` continues from in `states`: none if it has none, or one decided by
/// another rule.
fn continued<'a>(states: &'a GroupAlarmStates, alarm: &Alarm) -> Option<&'a AlarmState> {
    states
        .alarms
        .get(&alarm.id)
        .filter(|entry| entry.rule == alarm.rule.fingerprint())
        .map(|entry| &entry.state)
}

/// Decides the alarms of `group` that watch a channel of `arrivals`, in `zone` (the
/// account's), and records what they notify.
pub async fn evaluate_on_ingest(
    store: &(impl Alarms + AlarmStates + Inbox),
    record_store: &impl RecordStore,
    notify_queue: &impl NotifyQueue,
    group: GroupKey<'_>,
    zone: &Tz,
    arrivals: &Arrivals,
) -> Result<AlarmReport, IngestError> {
    let mut report = AlarmReport::default();
    if arrivals.arrivals.is_empty() {
        return Ok(report);
    }
    let alarms = store.alarms(group.account, group.group).await?;
    let watching: Vec<&Alarm> = alarms
        .iter()
        .filter(|alarm| alarm.enabled)
        .filter(|alarm| {
            alarm
                .rule
                .conditions
                .iter()
                .any(|c| arrivals.carries(&c.channel))
        })
        .collect();
    report.watching = watching.len();
    // A group with alarms, none watching this message: its states are still read, to
    // deliver a box an earlier invocation left and to drop deleted alarms' states.
    if alarms.is_empty() {
        return Ok(report);
    }
    let mut read_back = HashMap::new();
    let mut attempt = 0;
    let saved = loop {
        attempt += 1;
        let stored = store.alarm_states(group).await?;
        let keys = arrivals.to_read_back(&watching, &stored, &read_back);
        if !keys.is_empty() {
            for record in record_store.get_many(&keys).await? {
                read_back.insert((record.instrument.clone(), record.t), record);
            }
        }
        let decoded = arrivals.decode(&read_back)?;
        let next = decide(&alarms, &watching, zone, &stored, &decoded);
        if next == stored {
            // Nothing new; only a box an earlier message left may need delivering.
            break stored;
        }
        match store.save_alarm_states(group, &next).await? {
            Saved::Written => {
                break GroupAlarmStates {
                    rev: next.rev + 1,
                    ..next
                }
            }
            Saved::Conflict if attempt < MAX_STATE_ATTEMPTS => {
                tokio::time::sleep(states_backoff(attempt, arrivals)).await;
            }
            Saved::Conflict => {
                return Err(IngestError::Contention(format!(
                    "alarm states of group {}",
                    group.group
                )))
            }
        }
    };
    report.notified = deliver_outbox(store, notify_queue, group, saved).await?;
    Ok(report)
}

/// Writers of one group's states that lost a race this many times in a row give up (the
/// invocation fails, and Lambda retries it): about 8 s of backing off, a backlog replayed
/// as many concurrent messages of one group.
const MAX_STATE_ATTEMPTS: u32 = 14;

/// How long a writer waits after losing its `attempt`-th race: doubling from 10 ms up to
/// 640 ms, and spread by the message (its first record's time), so writers that collided
/// do not come back together.
fn states_backoff(attempt: u32, arrivals: &Arrivals) -> std::time::Duration {
    let base = 10u64 << attempt.min(6).saturating_sub(1);
    let seed = arrivals
        .arrivals
        .first()
        .and_then(|a| a.records.first())
        .map_or(0, |r| r.t.0 as u64);
    let spread = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(attempt)
        % base;
    std::time::Duration::from_millis(base + spread)
}

/// The states after deciding every watching alarm on `decoded`: states of alarms no
/// longer defined dropped, states of another rule started over, what they notify
/// added to the outbox.
fn decide(
    alarms: &[Alarm],
    watching: &[&Alarm],
    zone: &Tz,
    stored: &GroupAlarmStates,
    decoded: &[Decoded<'_>],
) -> GroupAlarmStates {
    let mut next = stored.clone();
    next.alarms
        .retain(|id, _| alarms.iter().any(|alarm| alarm.id == *id));
    for alarm in watching {
        let entry = next.alarms.entry(alarm.id.clone()).or_default();
        let rule = alarm.rule.fingerprint();
        if entry.rule != rule {
            *entry = VersionedState {
                rule,
                state: AlarmState::default(),
            };
        }
        let rule = &alarm.rule;
        let outbox = &mut next.outbox;
        evaluate_each(
            rule,
            zone,
            &mut entry.state,
            &samples(alarm, decoded),
            |event, values| {
                if rule.notifies(&event) {
                    outbox.push(Notification::new(alarm, event, values));
                }
            },
        );
    }
    next
}

/// Records the outbox of `saved` (the states just written) in the inbox, queues it for
/// delivery and empties it; how many were new in the inbox. If another writer came
/// meanwhile, the box is left to it: it read the box and records and queues it (again,
/// harmlessly) itself.
async fn deliver_outbox(
    store: &(impl AlarmStates + Inbox),
    notify_queue: &impl NotifyQueue,
    group: GroupKey<'_>,
    saved: GroupAlarmStates,
) -> Result<usize, StoreError> {
    if saved.outbox.is_empty() {
        return Ok(0);
    }
    let mut recorded = 0;
    for notification in &saved.outbox {
        let notice = Notice::Alarm(notification.clone());
        if record_and_queue(store, notify_queue, group, notice).await? {
            recorded += 1;
        }
    }
    let emptied = GroupAlarmStates {
        outbox: Vec::new(),
        ..saved
    };
    store.save_alarm_states(group, &emptied).await?;
    Ok(recorded)
}
