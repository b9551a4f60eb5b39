//! Why an expression was refused, with the position a portal underlines.

use super::{MAX_CHARS, MAX_DEPTH, MAX_SOURCES};

/// A refused expression. Every message names the 0-based character position and says
/// what is allowed, so it can be shown as it is under the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    #[error("expression too long at {at}: at most {MAX_CHARS} characters")]
    TooLong { at: usize },
    #[error("nesting too deep at {at}: at most {MAX_DEPTH} levels of parentheses and functions")]
    TooDeep { at: usize },
    /// `found` is the offending token in backticks, or "end of expression".
    #[error("unexpected {found} at {at}: expected {expected}")]
    Unexpected {
        at: usize,
        found: String,
        expected: &'static str,
    },
    /// A `)` without its `(`, or a `(` never closed (then `at` is the `(`).
    #[error("unbalanced parenthesis at {at}: {detail}")]
    UnbalancedParenthesis { at: usize, detail: &'static str },
    #[error("unknown function `{name}` at {at}; functions are SQ and SQR")]
    UnknownFunction { at: usize, name: String },
    /// A bare name where a value belongs: most likely a channel without its brackets.
    #[error("unexpected name `{name}` at {at}: a channel is written in brackets, like `[{name}]`")]
    BareName { at: usize, name: String },
    #[error("unclosed channel reference at {at}: `[` needs a matching `]`")]
    UnclosedReference { at: usize },
    #[error("empty channel reference at {at}")]
    EmptyReference { at: usize },
    #[error("malformed number `{text}` at {at}: an exponent needs digits")]
    MalformedNumber { at: usize, text: String },
    #[error("number too large at {at}: `{text}` is not finite")]
    NumberTooLarge { at: usize, text: String },
    /// The resolver refused a reference; `reason` is its text, e.g. "unknown channel `CH9`".
    #[error("{reason} at {at}")]
    UnresolvedReference { at: usize, reason: String },
    /// `at` is the first reference beyond the limit.
    #[error(
        "{count} source channels, at most {MAX_SOURCES}: `[{reference}]` at {at} is one too many"
    )]
    TooManySources {
        at: usize,
        count: usize,
        reference: String,
    },
    #[error("an expression needs at least one source channel")]
    NoSource,
    /// Only a tree built in code can get here: anything within [`MAX_DEPTH`] fits.
    #[error("expression needs more than {capacity} intermediate results")]
    TooComplex { capacity: usize },
}

impl ExprError {
    /// Where the portal puts its caret: a character index, 0 for errors about the
    /// expression as a whole.
    pub fn position(&self) -> usize {
        match self {
            ExprError::TooLong { at }
            | ExprError::TooDeep { at }
            | ExprError::Unexpected { at, .. }
            | ExprError::UnbalancedParenthesis { at, .. }
            | ExprError::UnknownFunction { at, .. }
            | ExprError::BareName { at, .. }
            | ExprError::UnclosedReference { at }
            | ExprError::EmptyReference { at }
            | ExprError::MalformedNumber { at, .. }
            | ExprError::NumberTooLarge { at, .. }
            | ExprError::UnresolvedReference { at, .. }
            | ExprError::TooManySources { at, .. } => *at,
            ExprError::NoSource | ExprError::TooComplex { .. } => 0,
        }
    }
}
