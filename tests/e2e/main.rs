//! End-to-end tests: records published over MQTT to a real broker, ingested by the real
//! handler into DynamoDB in the AWS emulator, read back over HTTP from the real API.
//! One binary (zero-to-production style); each test starts its own local cloud on free
//! ports, so tests run in parallel and share nothing.

mod access;
mod account;
mod alarm_evaluation;
mod alarms;
mod app_status;
mod backtest;
mod calculated;
mod compaction;
mod contracts;
mod data_jobs;
mod expiry;
mod files;
mod folders;
mod groups_and_apps;
mod helpers;
mod history_bucket;
mod identity;
mod inbox;
mod ingest;
mod isolation;
mod license_reminder;
mod limits;
mod notify;
mod openapi;
mod permissions;
mod plan;
mod presence;
mod quota_sweep;
mod series;
mod storage_used;
mod write_cost;
mod write_cost_pipeline;
