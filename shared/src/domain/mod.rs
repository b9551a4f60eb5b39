//! The domain: pure logic with no I/O and no AWS types. Time is always a parameter.

pub mod access;
pub mod alarm;
pub mod allowlist;
pub mod app_status;
pub mod auth;
pub mod calculated;
pub mod channel;
pub mod codec;
pub mod downsample;
pub mod expr;
pub mod ids;
pub mod inbox;
pub mod ingest;
pub mod iot_thing;
pub mod latest;
pub mod notice;
pub mod notify;
pub mod plan;
pub mod presence;
pub mod protocol;
pub mod record;
pub mod registry;
pub mod schedule;
pub mod sealed;
pub mod settings;
pub mod token;
