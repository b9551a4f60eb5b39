//! In-memory adapters: the ports of [`crate::ports`] kept in process, for fast tests of
//! the rules built on them. Each keeps its port's contract (see [`crate::contract`]), the
//! same one the AWS adapters are held to end to end.
//!
//! - [`MemoryStore`]: every port of [`crate::ports::Store`] (what the registry table
//!   holds), one file per port as in `adapters::dynamodb`, the struct and its state in
//!   `store.rs`. Limits are counted as DynamoDB counts them, on the account, group or
//!   app, and each method is one atomic step under one lock.
//! - [`MemoryRecords`]: the records table ([`crate::ports::RecordStore`], and the
//!   compacted history it holds, [`crate::ports::ChunkStore`]).
//! - [`MemoryJobQueue`], [`MemoryNotifyQueue`], [`MemoryMailer`], [`MemoryWebhooks`],
//!   [`MemoryThings`]: the outside world, recorded
//!   for a test to look at.
//!
//! Where `MemoryStore` cannot be DynamoDB, it is the calm case of it: it never fails
//! (no throttling, no transaction conflicts, no contended throttle counter); audit
//! events of one millisecond keep the order they were written in (DynamoDB's random
//! key part orders them at random); and an audit page has a `next` only when entries
//! remain (DynamoDB may also hand one out when a page ends exactly at the last entry,
//! which then leads to an empty page).

mod chunks;
mod records;
mod store;

// One file per port `MemoryStore` implements, as for `DynamoStore`.
mod accounts;
mod alarm_states;
mod alarms;
mod app_statuses;
mod apps;
mod audit;
mod calculated;
mod data_jobs;
mod data_usage;
mod deliveries;
mod destinations;
mod file_alarms;
mod files;
mod groups;
mod inbox;
mod instruments;
mod license_reminders;
mod mailed_codes;
mod quota_sweep;
mod read_marks;
mod resets;
mod sessions;
mod signups;
mod teams;
mod throttle;
mod tokens;
mod users;

mod mail;
mod notify;
mod queue;
mod things;

pub use mail::MemoryMailer;
pub use notify::{MemoryNotifyQueue, MemoryWebhooks};
pub use queue::MemoryJobQueue;
pub use records::MemoryRecords;
pub use store::MemoryStore;
pub use things::{MemoryThing, MemoryThings};
