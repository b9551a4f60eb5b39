//! What a group's inbox holds and the `notify` function delivers: an alarm's event, a
//! change of an app's status, or an upload a file alarm matched.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize};

use super::alarm::Notification;
use super::app_status::StatusChange;
use super::file_alarm::FileNotice;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[serde(remote = "Self")]
pub enum Notice {
    Alarm(Notification),
    App(StatusChange),
    File(FileNotice),
}

impl Notice {
    /// The key it is put in the inbox and delivered under, once (see each kind's `id`).
    pub fn id(&self) -> String {
        match self {
            Notice::Alarm(notification) => notification.id(),
            Notice::App(change) => change.id(),
            Notice::File(notice) => notice.id(),
        }
    }
}

impl Serialize for Notice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Notice::serialize(self, serializer)
    }
}

/// A notice is written tagged with its `kind` (what [`NoticeSchema`] derives).
impl JsonSchema for Notice {
    fn schema_name() -> Cow<'static, str> {
        "Notice".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        NoticeSchema::json_schema(generator)
    }
}

// `Notice` as its `Serialize` writes it, for its schema: its own derive cannot say so
// (it is `remote = "Self"`, to read notices stored untagged too).
/// What a notification tells, by its `kind`: an alarm's event, an app's connection
/// changing, or an upload a file alarm matched.
#[derive(JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[expect(dead_code, reason = "never made: its type is what it is for")]
enum NoticeSchema {
    Alarm(Notification),
    App(StatusChange),
    File(FileNotice),
}

/// A notice as stored: tagged with its `kind`, or an alarm's notification stored before
/// there were other kinds (no `kind`), which reads as one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    #[serde(with = "Notice")]
    Tagged(Notice),
    Untagged(Notification),
}

impl<'de> Deserialize<'de> for Notice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Stored::deserialize(deserializer)? {
            Stored::Tagged(notice) => notice,
            Stored::Untagged(notification) => Notice::Alarm(notification),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_alarm_notification_stored_before_app_notices_reads_as_an_alarms() {
        let stored = json!({
            "alarm": "0123456789ab",
            "version": 3,
            "alarm_name": "Hot",
            "event": {"kind": "raised", "at": 1_700_000_000_000_i64},
            "channels": ["gw-a/LR-1/CH1"],
            "values": [31.5]
        });
        let Notice::Alarm(read) = serde_json::from_value(stored.clone()).unwrap() else {
            panic!("an alarm's");
        };
        assert_eq!(read.alarm_name, "Hot");
        let written = serde_json::to_value(Notice::Alarm(read)).unwrap();
        assert_eq!(written["kind"], "alarm", "written tagged");
        let mut untagged = written.clone();
        untagged.as_object_mut().unwrap().remove("kind");
        assert_eq!(untagged, stored);
        assert!(serde_json::from_value::<Notice>(json!({"kind": "app"})).is_err());
    }
}
