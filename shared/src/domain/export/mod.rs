//! Exports: channels over a range as a ZIP of CSV files (issue 12), written front to back
//! into a sink that cannot seek (S3 multipart parts), in memory that does not grow with
//! the range. Pure: the caller reads the records and hands over the sink.
//!
//! - [`ExportZip`] lays the files out: one CSV per [`ExportZip::start_csv`], in the CSV
//!   layer's format ([`crate::domain::csv`]: BOM, CRLF, ISO 8601 in the requester's zone,
//!   special values as text), split into parts Excel opens whole, with safe names.
//! - [`ZipStream`] is the ZIP beneath: DEFLATE, data descriptors, ZIP64 where needed.

mod csv_zip;
mod error;
mod name;
mod zip;

#[cfg(test)]
mod tests;

pub use csv_zip::{ExportSummary, ExportZip, Progress, MAX_CHANNELS, MAX_ROWS_PER_PART};
pub use error::ExportError;
pub use name::{safe_base_name, MAX_BASE_BYTES};
pub use zip::{DosTime, EntrySize, ZipStream, ZipSummary};
