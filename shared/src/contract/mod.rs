//! The contracts of the ports: what every implementation must do, as functions that
//! panic on the first breach. The in-memory adapters run them in unit tests, the AWS
//! adapters in the end-to-end tests against the emulator, so both keep the same rules.

mod records;

pub use records::record_store;
