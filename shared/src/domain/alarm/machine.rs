//! The alarm's state machine: what ingest runs on every new record and backtest runs over
//! stored history, the same code.
//!
//! Time is the records' time, never arrival time, and the alarm's clock (`through`, the
//! latest instant decided) never goes back:
//! - Each condition's channel keeps its latest value until the next. A sample no newer
//!   than the last one taken for its condition is passed: the first record of an instant
//!   stays, as in storage, and a redelivery changes nothing.
//! - Samples of one instant are taken together, and the alarm decided once at it.
//! - A sample older than `through` but newer than its own condition's last (a second
//!   instrument reporting behind the first, or replaying a backlog) updates its value,
//!   and the alarm is decided once at `through`: nothing before it is raised or cleared
//!   again.
//! - Samples of one instant that arrive in separate messages are decided at that
//!   instant once per message.

use chrono_tz::Tz;
use schemars::JsonSchema;

use super::limit::Truth;
use super::rule::Rule;
use crate::domain::record::{Millis, Special, Value};

/// What an alarm knows between evaluations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmState {
    pub raised: bool,
    /// The latest instant evaluated.
    pub through: Option<Millis>,
    /// Since when the values have pointed to the other state without a break (toward
    /// raising while clear, toward clearing while raised).
    pub since: Option<Millis>,
    /// Each condition's latest value.
    pub values: Vec<Option<Value>>,
    /// When each condition's latest value was measured.
    pub seen: Vec<Option<Millis>>,
}

/// A channel's value at an instant, for condition `condition` of the rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at: Millis,
    pub condition: usize,
    pub value: Value,
}

/// What happened at an instant.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Raised {
        at: Millis,
    },
    Cleared {
        at: Millis,
    },
    /// A condition's channel turned to a special value.
    SpecialValue {
        at: Millis,
        condition: usize,
        value: Special,
    },
}

impl Event {
    pub fn at(&self) -> Millis {
        match *self {
            Event::Raised { at } | Event::Cleared { at } | Event::SpecialValue { at, .. } => at,
        }
    }
}

impl Rule {
    /// Whether `event` is notified: raising always, clearing with `recovery`, special
    /// values with `special_values`.
    pub fn notifies(&self, event: &Event) -> bool {
        match event {
            Event::Raised { .. } => true,
            Event::Cleared { .. } => self.recovery,
            Event::SpecialValue { .. } => self.special_values,
        }
    }
}

/// Takes `samples` (any order; sorted here) into `state` and answers what happened,
/// oldest first. `zone` is the account's time zone, for the rule's window.
pub fn evaluate(rule: &Rule, zone: &Tz, state: &mut AlarmState, samples: &[Sample]) -> Vec<Event> {
    let mut events = Vec::new();
    evaluate_each(rule, zone, state, samples, |event, _| events.push(event));
    events
}

/// [`evaluate`], handing each event to `on_event` as it happens, with each condition's
/// value then (what a notification shows).
pub fn evaluate_each(
    rule: &Rule,
    zone: &Tz,
    state: &mut AlarmState,
    samples: &[Sample],
    mut on_event: impl FnMut(Event, &[Option<Value>]),
) {
    let conditions = rule.conditions.len();
    let mut samples: Vec<Sample> = samples
        .iter()
        .filter(|s| s.condition < conditions)
        .copied()
        .collect();
    samples.sort_by_key(|s| (s.at, s.condition));
    state.values.resize(conditions, None);
    state.seen.resize(conditions, None);
    let through = state.through;
    let (late, current): (Vec<Sample>, Vec<Sample>) = samples
        .into_iter()
        .partition(|s| through.is_some_and(|through| s.at < through));
    if let Some(through) = through {
        if take(state, &late, through, &mut on_event) {
            decide(rule, zone, state, through, &mut on_event);
        }
    }
    for instant in current.chunk_by(|a, b| a.at == b.at) {
        let at = instant[0].at;
        if take(state, instant, at, &mut on_event) {
            state.through = Some(at);
            decide(rule, zone, state, at, &mut on_event);
        }
    }
}

/// Takes the samples newer than their condition's last into the state, noting a turn to
/// a special value at `at`; whether any was taken.
fn take(
    state: &mut AlarmState,
    samples: &[Sample],
    at: Millis,
    on_event: &mut impl FnMut(Event, &[Option<Value>]),
) -> bool {
    let mut taken = false;
    for sample in samples {
        let condition = sample.condition;
        if state.seen[condition].is_some_and(|seen| sample.at <= seen) {
            continue;
        }
        let before = state.values[condition].replace(sample.value);
        state.seen[condition] = Some(sample.at);
        taken = true;
        if let Value::Special(value) = sample.value {
            if !matches!(before, Some(Value::Special(_))) {
                let event = Event::SpecialValue {
                    at,
                    condition,
                    value,
                };
                on_event(event, &state.values);
            }
        }
    }
    taken
}

/// Decides the alarm at instant `at` on the values now held.
fn decide(
    rule: &Rule,
    zone: &Tz,
    state: &mut AlarmState,
    at: Millis,
    on_event: &mut impl FnMut(Event, &[Option<Value>]),
) {
    let toward_other_state = if state.raised {
        rule.holds(&state.values) == Truth::False
    } else {
        let in_window = rule.window.is_none_or(|w| w.contains(at, zone));
        in_window && rule.raises(&state.values) == Truth::True
    };
    if !toward_other_state {
        state.since = None;
        return;
    }
    let since = *state.since.get_or_insert(at);
    if at.0.saturating_sub(since.0) < rule.hold_millis {
        return;
    }
    state.raised = !state.raised;
    state.since = None;
    let event = if state.raised {
        Event::Raised { at }
    } else {
        Event::Cleared { at }
    };
    on_event(event, &state.values);
}
