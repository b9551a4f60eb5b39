//! Data alarms: rules on channel values ([`Rule`], [`Condition`], [`Limit`],
//! [`Window`]), the state machine that ingest and backtest both run ([`evaluate`]), and a
//! group's stored alarm definitions ([`Alarm`]) and what they notify ([`Notification`]).

mod definition;
mod limit;
mod machine;
mod notification;
mod rule;
mod window;

#[cfg(test)]
mod tests;

pub use definition::Alarm;
pub use limit::{Condition, Limit, Truth};
pub use machine::{evaluate, evaluate_each, AlarmState, Event, Sample};
pub use notification::Notification;
pub use rule::{Join, Rule, MAX_HOLD_MILLIS};
pub use window::{Window, WindowText};
