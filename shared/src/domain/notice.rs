//! What a group's inbox holds and the `notify` function delivers: an alarm's event or a
//! change of an app's status.

use serde::{Deserialize, Serialize};

use super::alarm::Notification;
use super::app_status::StatusChange;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    Alarm(Notification),
    App(StatusChange),
}

impl Notice {
    /// The key it is put in the inbox and delivered under, once (see each kind's `id`).
    pub fn id(&self) -> String {
        match self {
            Notice::Alarm(notification) => notification.id(),
            Notice::App(change) => change.id(),
        }
    }
}
