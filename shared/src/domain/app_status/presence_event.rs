//! IoT Core's lifecycle events, as the presence rule hands them to the `presence`
//! function: the rule (`template.yaml`, [`presence_rule_sql`]) selects the event whole
//! from `$aws/events/presence/{connected|disconnected}/{client ID}`, for the clients
//! of its own stack (an app's client ID is its thing name).

use serde::{Deserialize, Serialize};

use super::{Lifecycle, Session};
use crate::domain::iot_thing::Stack;
use crate::domain::record::Millis;

/// The topics IoT Core publishes connections and disconnections on.
pub const PRESENCE_TOPIC_FILTER: &str = "$aws/events/presence/+/+";

/// The presence rule's SQL for `stack`; `template.yaml` declares exactly this (a
/// local-cloud test checks), and the local cloud builds the event it describes.
pub fn presence_rule_sql(stack: &Stack) -> String {
    format!(
        "SELECT * FROM '{PRESENCE_TOPIC_FILTER}' WHERE startswith(clientId, '{stack}:')",
        stack = stack.as_str()
    )
}

/// One lifecycle event; the fields fieldcloud reads of those IoT Core sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceEvent {
    pub client_id: String,
    /// When IoT Core saw it, in milliseconds.
    pub timestamp: i64,
    /// `connected` or `disconnected`.
    pub event_type: String,
    /// IoT Core's number of the client's connection: the same for a connection's start
    /// and end, larger for a later connection.
    pub version_number: u64,
    /// IoT Core's reason for a disconnection (`CLIENT_INITIATED_DISCONNECT`,
    /// `MQTT_KEEP_ALIVE_TIMEOUT`, ...), logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_reason: Option<String>,
}

impl PresenceEvent {
    /// The event as the status reads it; an event type IoT Core may add later, none.
    pub fn lifecycle(&self) -> Option<Lifecycle> {
        let ended = match self.event_type.as_str() {
            "connected" => false,
            "disconnected" => true,
            _ => return None,
        };
        Some(Lifecycle {
            session: Session {
                version: self.version_number,
                ended,
            },
            at: Millis(self.timestamp),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iot_cores_events_read_as_the_start_and_end_of_one_connection() {
        // As AWS documents them.
        let connected: PresenceEvent = serde_json::from_str(
            r#"{"clientId":"prod:acme:gw-1","timestamp":1460065214626,"eventType":"connected","sessionIdentifier":"00000000-0000-0000-0000-000000000000","principalIdentifier":"000000000000/ABCDEFGHIJKLMNOPQRSTU:some-user/ABCDEFGHIJKLMNOPQRSTU:some-user","ipAddress":"192.0.2.0","versionNumber":0}"#,
        )
        .unwrap();
        let disconnected: PresenceEvent = serde_json::from_str(
            r#"{"clientId":"prod:acme:gw-1","timestamp":1460065214630,"eventType":"disconnected","sessionIdentifier":"00000000-0000-0000-0000-000000000000","principalIdentifier":"000000000000/ABCDEFGHIJKLMNOPQRSTU:some-user/ABCDEFGHIJKLMNOPQRSTU:some-user","clientInitiatedDisconnect":true,"disconnectReason":"CLIENT_INITIATED_DISCONNECT","versionNumber":0}"#,
        )
        .unwrap();
        let (start, end) = (
            connected.lifecycle().unwrap(),
            disconnected.lifecycle().unwrap(),
        );
        assert!(start.session < end.session);
        assert_eq!(end.at, Millis(1460065214630));
        assert_eq!(
            disconnected.disconnect_reason.as_deref(),
            Some("CLIENT_INITIATED_DISCONNECT")
        );
        let other = PresenceEvent {
            event_type: "subscribed".into(),
            ..connected
        };
        assert_eq!(other.lifecycle(), None);
    }

    #[test]
    fn the_rule_takes_its_own_stacks_clients_only() {
        let stack = Stack::parse("prod").unwrap();
        assert_eq!(
            presence_rule_sql(&stack),
            "SELECT * FROM '$aws/events/presence/+/+' WHERE startswith(clientId, 'prod:')"
        );
    }
}
