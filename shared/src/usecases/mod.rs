//! What the functions do, outside any protocol: each use case takes the ports it needs,
//! typed input, and time or randomness as parameters, and answers with a typed result
//! (a view that serializes to what the API shows) or a [`Refused`]. The HTTP API parses
//! a request, calls one of these and maps the outcome; scheduled jobs and queue
//! consumers call the same code.

pub mod access;
pub mod account;
pub mod alarm_evaluation;
pub mod alarms;
pub mod api_tokens;
pub mod app_status;
pub mod apps;
pub mod audit;
pub mod backtest;
pub mod calculated;
pub mod calculation;
pub mod caller;
pub mod compact_pending;
pub mod compaction;
pub mod data_jobs;
pub mod day_blocks;
pub mod destinations;
pub mod drawn;
pub mod expiry_net;
pub mod export;
pub mod file_alarms;
pub mod files;
pub mod folders;
pub mod groups;
pub mod history;
pub mod import;
pub mod inbox;
pub mod ingest;
pub mod input;
pub mod instruments;
pub mod latest;
pub mod license_reminders;
mod log;
pub mod login;
pub mod mailed_code;
pub mod newest;
pub mod notice_delivery;
pub mod notify;
pub mod password;
pub mod plan;
pub mod quota_sweep;
pub mod quote;
pub mod random;
pub mod recompute;
mod refused;
pub mod rolled;
pub mod rollups;
pub mod series;
pub mod temporary_login;
pub mod throttle;
pub mod totp;
pub mod trial;
pub mod usage;
pub mod users;

pub use refused::{Conflict, Refused};

/// What a deletion answers: the ID of what is gone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Deleted{T}")]
pub struct Deleted<T> {
    pub deleted: T,
}
