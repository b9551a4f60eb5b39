//! Why an import refused a line or the whole file, said the way a person fixes it: the
//! line and column as a spreadsheet numbers them, the channel, and what was wrong —
//! `line 7, column 3 (CH2): "12,5" is not a number or one of +OVER, -OVER, BURNOUT, ERROR`.

use std::fmt;

use super::reader::SyntaxProblem;
use super::time::TimeProblem;
use super::value::ValueProblem;

/// A refused line (or file), where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based physical line; the header is line 1.
    pub line: usize,
    pub column: Option<Column>,
    pub problem: ImportProblem,
}

/// A column as a spreadsheet shows it: 1-based, the time column first, with its heading
/// when the header gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub number: usize,
    pub heading: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportProblem {
    #[error("the file is empty; its first line must be the header: time,<channel>,...")]
    Empty,
    #[error("the file has a header but no data lines")]
    NoData,
    #[error("the header names no channels; after the time column comes one column per channel")]
    NoChannels,
    #[error("the first line must be the header (time,<channel>,...), but it starts with the time \"{0}\"")]
    HeaderMissing(String),
    #[error("{0}")]
    ChannelName(String),
    #[error("channel `{channel}` is already column {first_column}; each channel has one column")]
    DuplicateChannel {
        channel: String,
        first_column: usize,
    },
    #[error("the header names {count} channels; at most {max} are imported at once")]
    TooManyChannels { count: usize, max: usize },
    #[error("{found} columns, but the header has {expected} (the time and one per channel)")]
    ColumnCount { expected: usize, found: usize },
    #[error(transparent)]
    Syntax(SyntaxProblem),
    /// A syntax error in the header: the columns are unknown, so nothing can be read.
    #[error(transparent)]
    HeaderSyntax(SyntaxProblem),
    #[error(transparent)]
    Time(#[from] TimeProblem),
    #[error(transparent)]
    Value(#[from] ValueProblem),
    #[error("\"{time}\" is the instant of line {first_line} again; each instant has one line")]
    DuplicateTime { time: String, first_line: usize },
    #[error(
        "the file has more than {max} data lines; at most {max} are imported at once, so split it"
    )]
    TooManyRows { max: usize },
    #[error("the line is not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)")]
    NotUtf8,
    #[error("the time is more than {max_seconds} s ahead of the import; is the clock it was recorded with set?")]
    AheadOfNow { max_seconds: i64 },
}

impl ImportProblem {
    /// Whether nothing after it can be read: a broken header leaves the columns
    /// unknown, an unending row leaves the next line unknown, and the row limit is a
    /// limit. Anything else concerns one line, which a skipping import can leave out.
    pub fn is_fatal(&self) -> bool {
        match self {
            ImportProblem::ColumnCount { .. }
            | ImportProblem::Time(_)
            | ImportProblem::Value(_)
            | ImportProblem::DuplicateTime { .. }
            | ImportProblem::AheadOfNow { .. } => false,
            ImportProblem::Syntax(syntax) => syntax.is_fatal(),
            ImportProblem::Empty
            | ImportProblem::NoData
            | ImportProblem::NoChannels
            | ImportProblem::HeaderMissing(_)
            | ImportProblem::HeaderSyntax(_)
            | ImportProblem::ChannelName(_)
            | ImportProblem::DuplicateChannel { .. }
            | ImportProblem::TooManyChannels { .. }
            | ImportProblem::TooManyRows { .. }
            | ImportProblem::NotUtf8 => true,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", column {}", column.number)?;
            if let Some(heading) = &column.heading {
                write!(f, " ({heading})")?;
            }
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for ImportError {}
