//! Telling people: where a group's notifications go ([`Destinations`], with webhook
//! addresses that are secrets, [`WebhookUrl`]), and what they say in each of the seven
//! languages ([`render`], from the catalog in `catalog.rs`; a license reminder,
//! [`license_reminder_message`]; a storage notice, [`storage_notice_message`]).

mod catalog;
mod destinations;
mod license_reminder;
mod message;
mod storage_notice;

pub use destinations::{Destination, Destinations, WebhookKind, WebhookUrl, MAX_MAIL_RECIPIENTS};
pub use license_reminder::license_reminder_message;
pub use message::{render, Message, Occasion};
pub use storage_notice::{storage_notice_message, StorageNotice, StorageNoticeKind};
