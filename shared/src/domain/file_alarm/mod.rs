//! File alarms: rules a measurement group sets on its uploaded files, and the notice a
//! matching upload produces.
//!
//! A rule names what it watches — the app and instrument a file came from, a pattern
//! of its name ([`Glob`]), its kind ([`FileKind`]) — each optional and all of them
//! required to hold; a rule that names none matches every upload. When the `files`
//! function indexes an upload, every rule of its group that matches it and existed
//! when it arrived makes one [`FileNotice`], whose ID is the same however often the
//! upload is reported, so the inbox and each destination get it once.

mod glob;
mod kind;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use glob::{Glob, MAX_GLOB_BYTES};
pub use kind::FileKind;

use super::files::FileEntry;
use super::ids::{AccountId, AppId, FileAlarmId, FileId, GroupId, InstrumentSerial};
use super::record::Millis;

/// File alarms a group may have, whatever its plan: each upload is matched against
/// all of them, so their number bounds what one upload costs.
pub const MAX_FILE_ALARMS_PER_GROUP: u32 = 50;
/// The longest rule name, in characters (as other display names).
pub const MAX_RULE_NAME_CHARS: usize = 100;

/// What a rule watches; each part left out matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppId>,
    /// An instrument of `app` (serials are unique within an app only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<InstrumentSerial>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<Glob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FileKind>,
}

impl FileFilter {
    /// Whether `file` is one the filter watches.
    pub fn matches(&self, file: &FileEntry) -> bool {
        let app = self.app.as_ref();
        let instrument = self.instrument.as_ref();
        app.is_none_or(|app| file.app.as_ref() == Some(app))
            && instrument.is_none_or(|serial| file.instrument.as_ref() == Some(serial))
            && (self.glob.as_ref()).is_none_or(|glob| glob.matches(&file.name))
            && (self.kind.as_ref()).is_none_or(|kind| kind.matches(&file.content_type))
    }
}

/// A file alarm as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAlarm {
    pub account: AccountId,
    pub group: GroupId,
    pub id: FileAlarmId,
    pub name: String,
    pub filter: FileFilter,
    /// When it was made: files that arrived before never fire it, however late their
    /// arrival is reported again.
    pub created: Millis,
}

impl FileAlarm {
    /// Whether `file` fires this rule.
    pub fn fires_on(&self, file: &FileEntry) -> bool {
        file.account == self.account
            && file.group == self.group
            && file.uploaded >= self.created
            && self.filter.matches(file)
    }
}

/// A rule as a request sends it (create, or replace whole). IDs come as text, so that
/// a bad one is refused naming its field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileAlarmDraft {
    pub name: String,
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub instrument: Option<String>,
    #[serde(default)]
    pub glob: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

impl FileAlarmDraft {
    /// The rule's name and filter, each part checked on its own; the error names the
    /// field and says what is allowed. Whether the app and instrument are the group's
    /// is the use case's to check.
    pub fn parse(self) -> Result<(String, FileFilter), String> {
        let name = self.name;
        let chars = name.chars().count();
        if name.trim().is_empty()
            || chars > MAX_RULE_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(format!(
                "`name` must be 1 to {MAX_RULE_NAME_CHARS} printable characters"
            ));
        }
        let app = self
            .app
            .map(AppId::parse)
            .transpose()
            .map_err(|e| format!("`app`: {e}"))?;
        let instrument = self
            .instrument
            .map(InstrumentSerial::parse)
            .transpose()
            .map_err(|e| format!("`instrument`: {e}"))?;
        if instrument.is_some() && app.is_none() {
            return Err(
                "`instrument` needs `app`: an instrument's serial is unique within its app only"
                    .into(),
            );
        }
        let glob = self.glob.map(Glob::parse).transpose()?;
        let kind = self.kind.map(FileKind::parse).transpose()?;
        Ok((
            name,
            FileFilter {
                app,
                instrument,
                glob,
                kind,
            },
        ))
    }
}

/// An upload a file alarm matched: what its group is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileNotice {
    pub rule: FileAlarmId,
    pub rule_name: String,
    pub file: FileId,
    pub name: String,
    pub folder: String,
    pub size: u64,
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<InstrumentSerial>,
    pub uploaded: Millis,
}

impl FileNotice {
    /// The notice of `rule` firing on `file`.
    pub fn of(rule: &FileAlarm, file: &FileEntry) -> FileNotice {
        FileNotice {
            rule: rule.id.clone(),
            rule_name: rule.name.clone(),
            file: file.id.clone(),
            name: file.name.clone(),
            folder: file.folder.clone(),
            size: file.size,
            content_type: file.content_type.clone(),
            app: file.app.clone(),
            instrument: file.instrument.clone(),
            uploaded: file.uploaded,
        }
    }

    /// Unique per file and rule, and the same however often the upload is reported
    /// (the time is the index's, written once); it starts with the instant, as the
    /// other notices' IDs do, so the inbox sorts them together, and its second part
    /// (`file`) is no alarm's or app's.
    pub fn id(&self) -> String {
        format!("{:015}.file.{}.{}", self.uploaded.0, self.file, self.rule)
    }
}

#[cfg(test)]
mod tests;
