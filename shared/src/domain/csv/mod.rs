//! CSV measurement files, without I/O: import reads them into rows of values (SPEC.md 7,
//! issue 12), export writes rows as files a spreadsheet opens (SPEC.md 4), and an export
//! imports back to the very same values.
//!
//! The format, in both directions:
//! - UTF-8, optionally (on export always) starting with a byte order mark; RFC 4180
//!   quoting (`"a,b"`, `"say ""hi"""`); lines end in CRLF or LF (export writes CRLF).
//! - A header line: the time column's heading (any text, `time` on export), then one
//!   column per channel, headed by its name (`CH1`) or full reference
//!   (`gw-1/LR8450-1/CH1`). A channel appears once.
//! - One line per instant: the time, ISO 8601 with an offset
//!   (`2026-12-02T10:00:00+09:00`, `2026-12-02T01:00:00.250Z`) or milliseconds since
//!   1970-01-01T00:00:00Z, not before 2000-01-01, each instant once; then per channel a
//!   number (`21.5`, `-0`, `1e-7`), a special value (`+OVER`, `-OVER`, `BURNOUT`,
//!   `ERROR`), or nothing for no value at that instant.
//! - Blank lines are ignored.

mod error;
mod export;
mod import;
mod reader;
mod stream;
mod time;
mod value;

#[cfg(test)]
mod tests;

pub use error::{Column, ImportError, ImportProblem};
pub use export::CsvExport;
pub use import::{
    import, ChannelColumn, ImportLimits, Imported, ImportedRow, Importer, OnBadLine,
    MAX_REPORTED_SKIPS, MAX_ROW_BYTES,
};
pub use reader::SyntaxProblem;
pub use stream::{Lines, StreamedImport};
pub use time::TimeProblem;
pub use value::ValueProblem;
