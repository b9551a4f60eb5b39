//! The contracts of the ports: what every implementation must do, as functions that
//! panic on the first breach. The in-memory adapters run them in unit tests, the AWS
//! adapters in the end-to-end tests against the emulator, so both keep the same rules.
//!
//! One function per port, or per few ports whose rules meet: [`record_store`];
//! [`chunk_store`] (a chunk replaced only over the version it replaces);
//! [`accounts`]; [`groups`] (a group with apps stays); [`apps`] (with a group's
//! members); [`instruments`]; [`license_reminders`] (claims and a day's progress); [`quota_sweep`] (the list of every account, standings, lapses, notices, a day's progress); [`calculated_channels`]; [`alarms`] (a group with alarms stays); [`file_alarms`] (likewise); [`alarm_states`]; [`data_jobs`]; [`data_usage`] (each stream position counted once); [`inbox`] (with
//! each user's read marks); [`notify`] (destinations and delivery marks); [`users`] (the last admin,
//! session generations, second steps); [`sessions`]; [`throttle`]; [`mailed_codes`];
//! [`resets_and_signups`]; [`api_tokens`]; [`teams`]; [`audit_log`]; [`things`] (IoT
//! Core's things). Each checks the rules its port's docs promise, above all the ones correctness rests on: a limit's
//! last slot, then `LimitReached`, then a delete that frees a slot; `Exists`; a write
//! refused on a stale read or a missing item; single-use secrets taken once.
//!
//! Each takes a `prefix` that the keys and account IDs it uses start with (a-z, 0-9 and
//! `-`), so that runs can share one table; each creates the accounts it needs through
//! [`crate::ports::Accounts::create_trial`]. The contracts are sequential: races are the
//! end-to-end tests' business.

mod accounts;
mod alarm_states;
mod alarms;
mod app_statuses;
mod apps;
mod audit;
mod calculated;
mod chunks;
mod data_jobs;
mod data_usage;
mod file_alarms;
mod files;
pub(crate) mod fixtures;
mod groups;
mod inbox;
mod instruments;
mod license_reminders;
mod notify;
mod quota_sweep;
mod records;
mod sessions;
mod single_use;
mod teams;
mod things;
mod throttle;
mod tokens;
mod users;

pub use accounts::accounts;
pub use alarm_states::alarm_states;
pub use alarms::alarms;
pub use app_statuses::app_statuses;
pub use apps::apps;
pub use audit::audit_log;
pub use calculated::calculated_channels;
pub use chunks::chunk_store;
pub use data_jobs::data_jobs;
pub use data_usage::data_usage;
pub use file_alarms::file_alarms;
pub use files::files;
pub use groups::groups;
pub use inbox::inbox;
pub use instruments::instruments;
pub use license_reminders::license_reminders;
pub use notify::notify;
pub use quota_sweep::quota_sweep;
pub use records::record_store;
pub use sessions::sessions;
pub use single_use::{mailed_codes, resets_and_signups};
pub use teams::teams;
pub use things::things;
pub use throttle::throttle;
pub use tokens::api_tokens;
pub use users::users;
