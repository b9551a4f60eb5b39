//! Whether an app is connected, as its group is told: the state that turns IoT Core's
//! lifecycle events, the app's messages and its silence into one "connected" and one
//! "disconnected" notification per change.
//!
//! Three sources decide it, each on its own evidence:
//! - a lifecycle event (`$aws/events/presence/{connected|disconnected}/{client}`): IoT
//!   Core numbers an MQTT client's connections (`versionNumber`), so a redelivered or
//!   late event of an older connection changes nothing;
//! - a message received after the app was told disconnected: it is connected whatever
//!   the lifecycle events said (one lost, or an app silent for a while that sends again
//!   without reconnecting);
//! - silence: a connected app not heard from for the silence (default
//!   [`CONNECTED_WITHIN_MILLIS`], the API's "connected") is disconnected at the instant
//!   the silence ran out — the same instant however often the sweep asks, so the
//!   notification's ID is too.

mod presence_event;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use presence_event::{presence_rule_sql, PresenceEvent, PRESENCE_TOPIC_FILTER};

use super::ids::AppId;
use super::presence::CONNECTED_WITHIN_MILLIS;
use super::record::Millis;
use super::registry::App;

/// How long a connected app may stay silent before it is notified disconnected, unless
/// the stack says otherwise: what the API calls connected.
pub const DEFAULT_SILENCE_MILLIS: i64 = CONNECTED_WITHIN_MILLIS;

/// IoT Core numbers a client's connections from 0 again once it has been away for
/// about an hour: an event this long after the last one applied is news whatever its
/// number, and one this long before it is stale whatever its number.
pub const VERSION_RESET_MILLIS: i64 = 30 * Millis::MINUTE;

/// One MQTT connection of an app as IoT Core numbers it, and whether it has ended.
/// Ordered as the events happen: by connection number first, then the end after the
/// start (the fields' order is the derived order's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Session {
    pub version: u64,
    pub ended: bool,
}

/// A lifecycle event of an app's MQTT client, at IoT Core's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    pub session: Session,
    pub at: Millis,
}

impl Lifecycle {
    /// Whether this event happened after `seen`: a later connection or the end of the
    /// same one, by IoT Core's numbers, while the two are close in time; far apart,
    /// time alone decides (see [`VERSION_RESET_MILLIS`]).
    pub fn follows(&self, seen: &Lifecycle) -> bool {
        if self.at.0 >= seen.at.0.saturating_add(VERSION_RESET_MILLIS) {
            self.session != seen.session
        } else if self.at.0.saturating_add(VERSION_RESET_MILLIS) <= seen.at.0 {
            false
        } else {
            self.session > seen.session
        }
    }
}

/// Why an app's status changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Cause {
    /// IoT Core reported the connection opened or closed.
    Lifecycle,
    /// A message arrived from an app told disconnected.
    Message,
    /// Nothing was heard from a connected app since `last_heard`.
    Silence { last_heard: Millis },
}

/// One change of an app's status: what its group is notified of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusChange {
    pub app: AppId,
    pub app_name: String,
    pub connected: bool,
    pub at: Millis,
    pub cause: Cause,
}

impl StatusChange {
    /// Unique per app, direction and instant, and the same however often the change is
    /// decided again; it starts with the instant, as alarm notifications' IDs do, so the
    /// inbox sorts them together (its kind is no alarm event's, so the two never
    /// collide).
    pub fn id(&self) -> String {
        let kind = if self.connected {
            "connected"
        } else {
            "disconnected"
        };
        format!("{:015}.app.{}.{kind}", self.at.0, self.app)
    }
}

/// An app's status as stored on its item, with the changes not yet handed to the inbox
/// and the notify queue (saved by the same write that decides them, so a crash between
/// deciding and delivering loses none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    /// The revision read (0: never written); every write is checked on it.
    #[serde(skip)]
    pub rev: u64,
    pub connected: bool,
    /// When the status last changed: a message received before it is older news, and
    /// an app told connected counts as heard from then.
    pub since: Millis,
    /// The newest lifecycle event applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<StatusChange>,
}

impl AppStatus {
    /// Whether the silence sweep must look at the app: it is connected, or has changes
    /// still to deliver.
    pub fn watched(&self) -> bool {
        self.connected || !self.outbox.is_empty()
    }

    /// The status after `event`, if it changes anything stored (an older or repeated
    /// event does not).
    pub fn on_lifecycle(&self, app: &App, event: Lifecycle) -> Option<AppStatus> {
        if self.lifecycle.is_some_and(|seen| !event.follows(&seen)) {
            return None;
        }
        let mut next = self.clone();
        next.lifecycle = Some(event);
        let connected = !event.session.ended;
        if connected != self.connected {
            next.change(app, connected, event.at, Cause::Lifecycle);
        }
        Some(next)
    }

    /// The status after a message received at `received_at`, if it changes: a message
    /// received after the app was told disconnected shows it connected again (one
    /// received before, retried late, shows nothing new). An app no lifecycle event has
    /// told of yet is not followed from its messages: its connection starts that.
    pub fn on_message(&self, app: &App, received_at: Millis) -> Option<AppStatus> {
        if self.lifecycle.is_none() || self.connected || received_at <= self.since {
            return None;
        }
        let mut next = self.clone();
        next.change(app, true, received_at, Cause::Message);
        Some(next)
    }

    /// The status at `now` of an app last heard from at `last_heard` (its messages and
    /// records; never before it was told connected), if it changes: disconnected at the
    /// instant `silence` ran out.
    pub fn on_silence(
        &self,
        app: &App,
        last_heard: Option<Millis>,
        now: Millis,
        silence: i64,
    ) -> Option<AppStatus> {
        if !self.connected {
            return None;
        }
        let heard = last_heard.map_or(self.since, |heard| heard.max(self.since));
        let silent_from = Millis(heard.0.saturating_add(silence));
        if now <= silent_from {
            return None;
        }
        let mut next = self.clone();
        next.change(
            app,
            false,
            silent_from,
            Cause::Silence { last_heard: heard },
        );
        Some(next)
    }

    fn change(&mut self, app: &App, connected: bool, at: Millis, cause: Cause) {
        self.connected = connected;
        self.since = at;
        self.outbox.push(StatusChange {
            app: app.id.clone(),
            app_name: app.name.clone(),
            connected,
            at,
            cause,
        });
    }
}

#[cfg(test)]
mod tests;
