//! Backtest: a draft alarm rule run over a stored range of its group's records, answering
//! when it would have raised and cleared. Nothing is stored and no one is notified.
//!
//! It runs the very state machine ingest runs ([`evaluate`]), from a clear alarm
//! ([`AlarmState::default`]) at `from`, in the account's time zone, so its answer is
//! what live evaluation of the same records would have done (`tests/e2e/alarm_evaluation.rs`
//! holds the two to the same answer). The rule is checked as an alarm's is
//! (`alarms::check_rule`), and the records are read as series reads them
//! (`series::read_points`), within the same [`ReadLimits`]. A backtest answers for the whole
//! range or not at all: where series cuts an instrument at
//! [`ReadLimits::per_instrument`] and says where, a backtest refuses, because its final
//! state and its later transitions would be those of a range it did not read.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::alarm::{evaluate, AlarmState, Event, Rule, Sample};
use crate::domain::channel::SeriesRef;
use crate::domain::ids::GroupId;
use crate::domain::record::{Millis, Value};
use crate::domain::registry::Group;
use crate::domain::settings::TimeZone;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, Apps, CalculatedChannels, ChunkStore, Groups, Instruments, RecordStore,
};

use super::alarms::check_rule;
use super::series::{read_points, AllRecords, ReadLimits};
use super::Refused;

/// What a backtest request carries: the draft rule, as an alarm takes it, and the range,
/// from `from` (included) to `to` (excluded), in milliseconds since the epoch.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestRequest {
    pub rule: Rule,
    pub from: Millis,
    pub to: Millis,
}

/// What the rule would have done over the range.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Backtest {
    pub group: GroupId,
    pub from: Millis,
    pub to: Millis,
    /// The zone the rule's window was reckoned in: the account's.
    pub time_zone: TimeZone,
    /// Records read, over every instrument and calculated channel the rule names.
    pub records: usize,
    /// Oldest first.
    pub events: Vec<BacktestEvent>,
    /// Whether the alarm would be raised after the last record of the range.
    pub raised_at_end: bool,
}

/// One thing that would have happened.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BacktestEvent {
    pub at: Millis,
    #[serde(flatten)]
    pub kind: EventKind,
    /// Whether the rule would have notified it ([`Rule::notifies`]).
    pub notifies: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Raised,
    Cleared,
    /// Condition `condition`'s channel turned to special value `value`.
    SpecialValue {
        condition: usize,
        value: Value,
    },
}

impl BacktestEvent {
    fn of(rule: &Rule, event: &Event) -> BacktestEvent {
        let kind = match *event {
            Event::Raised { .. } => EventKind::Raised,
            Event::Cleared { .. } => EventKind::Cleared,
            Event::SpecialValue {
                condition, value, ..
            } => EventKind::SpecialValue {
                condition,
                value: Value::Special(value),
            },
        };
        BacktestEvent {
            at: event.at(),
            kind,
            notifies: rule.notifies(event),
        }
    }
}

/// Runs `request`'s rule over the stored records of `group` in its range.
pub async fn run(
    store: &(impl Accounts + Groups + Apps + Instruments + CalculatedChannels),
    record_store: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    request: &BacktestRequest,
    limits: ReadLimits,
) -> Result<Backtest, Refused> {
    let BacktestRequest { rule, from, to } = request;
    if from >= to {
        return Err(Refused::invalid("`from` must be before `to`"));
    }
    check_rule(store, principal, group, rule).await?;
    let time_zone = store
        .account(&principal.account)
        .await?
        .ok_or_else(|| Refused::not_found("account not found"))?
        .time_zone;

    // Two conditions on one channel read it once.
    let mut channels: Vec<SeriesRef> = Vec::new();
    let slots: Vec<usize> = rule
        .conditions
        .iter()
        .map(|condition| {
            channels
                .iter()
                .position(|c| *c == condition.channel)
                .unwrap_or_else(|| {
                    channels.push(condition.channel.clone());
                    channels.len() - 1
                })
        })
        .collect();
    let read = read_points(
        store,
        &AllRecords(record_store),
        principal,
        &group.id,
        &channels,
        (*from, *to),
        limits,
    )
    .await?;
    if let Some(cut) = read.truncated_at {
        return Err(Refused::TooMuchData(format!(
            "this backtest would read more than {} records of one instrument (the first {} end at {}); ask for a shorter range (`from`, `to`): a backtest answers for its whole range or not at all",
            limits.per_instrument,
            limits.per_instrument,
            cut.iso()
        )));
    }
    let samples: Vec<Sample> = slots
        .iter()
        .enumerate()
        .flat_map(|(condition, slot)| {
            read.points[*slot].iter().map(move |point| Sample {
                at: point.t,
                condition,
                value: point.value,
            })
        })
        .collect();
    let mut state = AlarmState::default();
    let events = evaluate(rule, &time_zone.tz(), &mut state, &samples);
    Ok(Backtest {
        group: group.id.clone(),
        from: *from,
        to: *to,
        time_zone,
        records: read.records,
        events: events
            .iter()
            .map(|event| BacktestEvent::of(rule, event))
            .collect(),
        raised_at_end: state.raised,
    })
}

#[cfg(test)]
mod tests;
