//! File kinds of file alarms: a media type as uploads declare theirs (`text/csv`), or
//! a whole class of them (`image/*`). Media types are case-insensitive, so kinds are
//! kept in lower case and compared so; a file's parameters (`; charset=utf-8`) are not
//! its kind.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A checked file kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct FileKind(String);

impl FileKind {
    pub fn parse(kind: impl Into<String>) -> Result<FileKind, String> {
        let kind = kind.into();
        let shown: String = kind.chars().take(80).collect();
        let token = |part: &str| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
        };
        let shaped = kind
            .split_once('/')
            .is_some_and(|(class, sub)| token(class) && (sub == "*" || token(sub)));
        if !shaped || kind.len() > 127 {
            return Err(format!(
                "`kind` {shown:?}: a media type such as text/csv, or a class of them such as image/*"
            ));
        }
        Ok(FileKind(kind.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a file of `content_type` is of this kind.
    pub fn matches(&self, content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match self.0.strip_suffix("/*") {
            Some(class) => essence
                .split_once('/')
                .is_some_and(|(file_class, _)| file_class == class),
            None => essence == self.0,
        }
    }
}

impl TryFrom<String> for FileKind {
    type Error = String;
    fn try_from(kind: String) -> Result<Self, String> {
        FileKind::parse(kind)
    }
}

impl From<FileKind> for String {
    fn from(kind: FileKind) -> String {
        kind.0
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
