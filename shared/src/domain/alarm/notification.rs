//! A notification: one event of one alarm that its rule says to tell people about, with
//! what the message needs (the alarm's name, its channels and their values then).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::definition::Alarm;
use super::machine::Event;
use crate::domain::channel::SeriesRef;
use crate::domain::ids::AlarmId;
use crate::domain::record::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Notification {
    pub alarm: AlarmId,
    /// The alarm's version whose rule decided the event.
    pub version: u64,
    pub alarm_name: String,
    pub event: Event,
    /// The rule's channels, condition by condition.
    pub channels: Vec<SeriesRef>,
    /// Each channel's value when the event was decided (none if it never reported).
    pub values: Vec<Option<Value>>,
}

impl Notification {
    /// `event` of `alarm`, decided on `values` (condition by condition).
    pub fn new(alarm: &Alarm, event: Event, values: &[Option<Value>]) -> Notification {
        Notification {
            alarm: alarm.id.clone(),
            version: alarm.version,
            alarm_name: alarm.name.clone(),
            event,
            channels: alarm
                .rule
                .conditions
                .iter()
                .map(|c| c.channel.clone())
                .collect(),
            values: values.to_vec(),
        }
    }

    /// Unique per alarm version, event kind and instant, and the same however often the
    /// event is decided again: the key a notification is put under once. It starts with
    /// the instant, zero-padded, so IDs sort as their events happened (record times are
    /// after 2000, never negative).
    pub fn id(&self) -> String {
        let kind = match self.event {
            Event::Raised { .. } => "raised".to_owned(),
            Event::Cleared { .. } => "cleared".to_owned(),
            Event::SpecialValue { condition, .. } => format!("special{condition}"),
        };
        format!(
            "{:015}.{}.{}.{kind}",
            self.event.at().0,
            self.alarm,
            self.version
        )
    }
}
