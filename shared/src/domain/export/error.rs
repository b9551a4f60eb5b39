//! Why an export was refused or could not be written, said so the caller (or the person
//! who asked for the export) knows what to change.

use super::MAX_CHANNELS;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("an export holds at most {MAX_CHANNELS} channels; this one asks for {count}")]
    TooManyChannels { count: usize },
    #[error("a file of an export needs at least one channel")]
    NoChannels,
    #[error("channel `{heading}` cannot head a column: {reason}")]
    Channel { heading: String, reason: String },
    #[error("channel `{0}` is a column of this file already; each channel has one column")]
    DuplicateChannel(String),
    #[error("file name {0:?} is only dots, spaces or characters not allowed in file names")]
    BadName(String),
    #[error("the export has a file named {0} already (names are compared ignoring case)")]
    DuplicateFile(String),
    #[error("a row has {found} values, but its file has {expected} channels")]
    RowWidth { expected: usize, found: usize },
    #[error("a row came before any file was started")]
    NoFile,
    #[error("{name} passed 4 GiB, but was started without ZIP64 headers")]
    EntryTooLarge { name: String },
    #[error("an earlier write failed; the archive cannot be completed")]
    Broken,
    #[error("writing the archive: {0}")]
    Io(#[from] std::io::Error),
}
