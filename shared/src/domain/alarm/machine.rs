//! The alarm's state machine: what ingest runs on every new record and backtest runs over
//! stored history, the same code.
//!
//! Time is the records' time, never arrival time. Samples are taken in time order (ties
//! by condition), one at a time, each channel keeping its latest value until the next;
//! a sample older than the latest instant evaluated is passed (it can neither raise nor
//! clear what happened after it), so a redelivery changes nothing and a backlog replayed
//! later raises and clears as it happened. Samples of one instant from two instruments
//! that arrive in separate messages are taken in the order they arrive.

use chrono_tz::Tz;

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
}

/// A channel's value at an instant, for condition `condition` of the rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at: Millis,
    pub condition: usize,
    pub value: Value,
}

/// What happened at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
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
    let mut samples: Vec<Sample> = samples
        .iter()
        .filter(|s| s.condition < rule.conditions.len())
        .copied()
        .collect();
    samples.sort_by_key(|s| (s.at, s.condition));
    state.values.resize(rule.conditions.len(), None);
    let mut events = Vec::new();
    for sample in samples {
        if state.through.is_some_and(|through| sample.at < through) {
            continue;
        }
        take(rule, zone, state, sample, &mut events);
    }
    events
}

fn take(rule: &Rule, zone: &Tz, state: &mut AlarmState, sample: Sample, events: &mut Vec<Event>) {
    let at = sample.at;
    let before = state.values[sample.condition];
    state.values[sample.condition] = Some(sample.value);
    state.through = Some(at);
    if let Value::Special(value) = sample.value {
        if !matches!(before, Some(Value::Special(_))) {
            events.push(Event::SpecialValue {
                at,
                condition: sample.condition,
                value,
            });
        }
    }
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
    if at.0 - since.0 < rule.hold_millis {
        return;
    }
    state.raised = !state.raised;
    state.since = None;
    events.push(if state.raised {
        Event::Raised { at }
    } else {
        Event::Cleared { at }
    });
}
