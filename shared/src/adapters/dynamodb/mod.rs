//! DynamoDB adapters.
//!
//! # Tables and access patterns
//!
//! **Registry** (`pk`, `sk`; GSI `byGroup` on `gpk`, `gsk`), one table for all
//! configuration and identity: every item kind and its keys are in `keys.rs`.
//! [`DynamoStore`] implements every port of [`crate::ports::Store`] on it, one file per
//! port (`accounts.rs`, `groups.rs`, `apps.rs`, `instruments.rs`, `calculated.rs`, `alarms.rs`,
//! `alarm_states.rs`, `inbox.rs`, `read_marks.rs`, `destinations.rs`, `deliveries.rs`, `users.rs`, `sessions.rs`, `throttle.rs`, `mailed_codes.rs`, `resets.rs`,
//! `signups.rs`, `tokens.rs`, `teams.rs`, `audit.rs`), with what they share (the struct,
//! transactions, counted creation, items to and from their structs) in `store.rs`.
//!
//! - ingest: app by thing name (GetItem), instrument by app and serial (GetItem),
//!   register an instrument (transaction: count on the app + conditional put), save an
//!   instrument's channels when new ones appear (UpdateItem checked on `rev`), app last
//!   seen only when the records cannot show it (UpdateItem checked on `lastSeen`; see
//!   [`crate::domain::presence`]). Nothing else per message: latest values are the newest
//!   records (see [`crate::domain::latest`]).
//! - api: a group's apps and instruments in one Query on `byGroup`; the account is part
//!   of `gpk`, so the query cannot reach another tenant.
//! - identity (api): users, teams, tokens and the audit log by Query on the account's
//!   partition; sessions, throttles, codes and links by GetItem on their own; short-lived
//!   ones carry a `ttl` for DynamoDB's expiry and are also checked in code.
//! - usage (`data_usage.rs`): an instrument key's data bytes by UpdateItem, conditional
//!   on the stream position counted through (GetItem of it when a batch was seen
//!   before), which also marks the hours records were stored in (`p{hour}`, taken off
//!   by a conditional UpdateItem once compacted); api and files: an account's data
//!   bytes in one Query of its `DATA#` partition, beside its files' bytes on the account
//!   item; the sweep the account's marked hours in the same Query.
//!
//! **Records** (`i`, `t`): one item per (instrument, record time) holding every channel
//! value of the record in one binary attribute `v` (see [`crate::domain::codec`]).
//! `i` is `{account}/{app}.{registration}/{serial}/{instance}` (`{account}/calc:{id}@{formula}` for
//! a calculated channel), `t` milliseconds. The key is the record's identity, and a
//! record is put only where its item does not exist: the first write stays, so a
//! redelivered record changes nothing — exactly-once storage without a read.
//! - ingest, recompute: PutItem with `attribute_not_exists(i)`, many in flight at once.
//! - api: Query on `i` with `t` between the range bounds; latest values: Query on `i`,
//!   newest first, a few items.
//! - its stream (`NEW_AND_OLD_IMAGES`) to the usage function, which sizes each item
//!   before and after (`stream.rs`): the measurement data in the storage used.
//!
//! **Chunks** (`i` = a record key and `#hour`, `t` the hour's start): one item per
//! compacted hour (`chunks.rs`), `n` its records, `c` the chunk — or, where `c` would take
//! the item past 1 KB, `o` the key of its object in the history bucket and `z` its size.
//! PutItem conditional on the `n` read (or `attribute_not_exists(i)`); Query on `i` with
//! `t` between the range's hours, consistently; the newest few, eventually consistently.
//!
//! Attribute names are one letter because every byte of a record item is paid for on
//! every write; see [`item_size`] and the write-unit figures in the README.
//!
//! # Items
//!
//! Every item kind is a private struct in its port's file, one field per attribute
//! (named as the attribute is, `#[serde(rename)]` where the Rust name differs; optional
//! attributes `skip_serializing_if`, so an item never holds a NULL), converted to and
//! from the domain type with `From`/`TryFrom` and to and from the item by serde_dynamo
//! (`store::to_item`, `store::from_item`; an item that does not decode is
//! [`StoreError::Corrupt`], naming its kind). A unit test beside each pins the exact
//! item. Updates (`SET`, `ADD`, conditions) name their attributes by hand, in `values`
//! terms. Here, adding an item kind takes three places:
//!
//! 1. the port (`crate::ports`), if it is a new one (and in `Store`);
//! 2. the adapter file implementing it here, with the item struct, its `ItemKind` and
//!    conversions, and its test;
//! 3. its keys in `keys.rs`: the builders and the row in the table there (and
//!    `template.yaml` if it needs the group index or a TTL).
//!
//! A new port also gets its in-memory adapter (`crate::memory`) and its contract
//! (`crate::contract`), run on both: in a unit test there and in
//! `tests/e2e/contracts.rs`.

mod chunks;
mod item_size;
mod keys;
mod records;
pub mod schema;
mod store;
pub mod stream;
mod values;

// One file per port the store implements; the machinery they share is in `store`.
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

pub use item_size::{item_size, write_units};
pub use records::{record_item, DynamoRecords};
pub use store::DynamoStore;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};

use crate::ports::StoreError;

/// Maps an SDK failure to a retryable store error with the full context.
fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    error: SdkError<E, R>,
) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(error).to_string())
}
