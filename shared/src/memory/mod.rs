//! In-memory adapters: the ports of [`crate::ports`] kept in process, for fast tests of
//! the rules built on them. Each keeps its port's contract (see [`crate::contract`]), the
//! same one the AWS adapters are held to end to end.

mod records;

pub use records::MemoryRecords;
