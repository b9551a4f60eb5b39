//! The drive: files in the bucket, where each lives, what it may be called, and what an
//! upload may be.
//!
//! A file's object key is made by the cloud — `files/{account}/{group}/{file ID}` — so
//! a client holding a pre-signed URL can write that one key and no other, and the key
//! alone says whose a file is when S3 reports it. Names and folders are the user's, kept
//! in the index, never in the key.

mod download;
mod folders;
mod listing;
mod multipart;
mod s3_event;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{AccountId, AppId, FileId, GroupId, InstrumentSerial};
use super::record::Millis;
use super::text::invisible;

pub use download::{content_disposition, DOWNLOAD_VALID_MILLIS};
pub use folders::{
    is_within, moved, FolderMove, FolderPath, MAX_EMPTY_FOLDERS, MAX_FILES_DELETED, MAX_FILES_MOVED,
};
pub use listing::{
    page, parse_cursor, FileSort, FilesCursor, FilesPage, FilesQuery, DEFAULT_FILES_PAGE,
    MAX_FILES_PAGE,
};
pub use multipart::{
    part_bytes, part_count, CompletedPart, Completion, PartsAsked, MAX_COMPLETION_BYTES,
    MAX_PARTS_PER_REQUEST, MAX_UPLOAD_BYTES, MULTIPART_VALID_MILLIS, PART_BYTES,
};
pub use s3_event::{parse_s3_event, ObjectCreated};

/// The prefix every file's key starts with.
pub const FILES_PREFIX: &str = "files/";
/// The largest file one pre-signed PUT takes: larger ones are to go in parts.
pub const MAX_SINGLE_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// How long a handed-out upload may start (S3 checks the URL's expiry at the request).
pub const UPLOAD_VALID_MILLIS: i64 = 15 * Millis::MINUTE;
/// The longest file or folder name, in bytes (S3 allows 1024 for a whole key; names
/// live in the index, and common file systems stop at 255).
pub const MAX_NAME_BYTES: usize = 255;
/// How deep folders nest.
pub const MAX_FOLDER_DEPTH: usize = 16;

/// Where a file lives in the bucket.
pub fn object_key(account: &AccountId, group: &GroupId, file: &FileId) -> String {
    format!("{FILES_PREFIX}{account}/{group}/{file}")
}

/// Whose file an object key names; none for a key the cloud did not make.
pub fn file_of_key(key: &str) -> Option<(AccountId, GroupId, FileId)> {
    let mut parts = key.strip_prefix(FILES_PREFIX)?.split('/');
    let (account, group, file) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        AccountId::parse(account).ok()?,
        GroupId::parse(group).ok()?,
        FileId::parse(file).ok()?,
    ))
}

/// A file or folder name as users see it: any text but `/`, control characters and the
/// invisible ones that reorder or hide text (so `report\u{202E}vsc.exe` cannot show as
/// `reportexe.csv`), not `.` or `..`, at most [`MAX_NAME_BYTES`].
pub fn check_name(field: &str, name: &str) -> Result<(), String> {
    let shown: String = name.chars().take(80).collect();
    let refuse = |why: &str| Err(format!("`{field}` {shown:?}: {why}"));
    if name.trim().is_empty() {
        return refuse("must not be empty");
    }
    if name.len() > MAX_NAME_BYTES {
        return refuse(&format!("at most {MAX_NAME_BYTES} bytes"));
    }
    if name.contains('/') {
        return refuse("must not contain `/`");
    }
    if name.chars().any(char::is_control) {
        return refuse("must not contain control characters");
    }
    if name.chars().any(invisible) {
        return refuse("must not contain invisible formatting characters");
    }
    if name == "." || name == ".." {
        return refuse("is not a name");
    }
    Ok(())
}

/// A folder path: names joined by `/`, the root being empty; at most
/// [`MAX_FOLDER_DEPTH`] deep.
pub fn check_folder(folder: &str) -> Result<(), String> {
    if folder.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = folder.split('/').collect();
    if names.len() > MAX_FOLDER_DEPTH {
        return Err(format!(
            "`folder` {folder:?}: at most {MAX_FOLDER_DEPTH} folders deep"
        ));
    }
    names.iter().try_for_each(|name| check_name("folder", name))
}

/// What a client asks to upload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadDraft {
    pub name: String,
    #[serde(default)]
    pub folder: String,
    /// The exact size in bytes: the pre-signed PUT (or each part's) is bound to it.
    pub size: u64,
    pub content_type: String,
    /// In parts of 8 MiB ([`PART_BYTES`]): required above 100 MiB
    /// ([`MAX_SINGLE_UPLOAD_BYTES`]), allowed for anything longer than one part.
    #[serde(default)]
    pub multipart: bool,
    /// The app the file comes from, if any (an app uploading an instrument's file, or
    /// a person filing it under one): one of the group's, matched by file alarms.
    #[serde(default)]
    pub app: Option<AppId>,
    /// The instrument of `app` the file comes from, if any.
    #[serde(default)]
    pub instrument: Option<InstrumentSerial>,
}

impl UploadDraft {
    pub fn check(&self) -> Result<(), String> {
        check_name("name", &self.name)?;
        check_folder(&self.folder)?;
        if self.instrument.is_some() && self.app.is_none() {
            return Err(
                "`instrument` needs `app`: an instrument's serial is unique within its app only"
                    .into(),
            );
        }
        let size = self.size;
        if self.multipart {
            if size <= PART_BYTES || size > MAX_UPLOAD_BYTES {
                return Err(format!(
                    "`size` {size}: an upload in parts takes {} to {MAX_UPLOAD_BYTES} bytes (10 GiB)",
                    PART_BYTES + 1
                ));
            }
        } else if size == 0 || size > MAX_SINGLE_UPLOAD_BYTES {
            return Err(format!(
                "`size` {size}: one PUT takes 1 byte to {MAX_SINGLE_UPLOAD_BYTES} bytes (100 MiB); \
                 larger files go in parts (`\"multipart\": true`)"
            ));
        }
        let token = |part: &str| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
        };
        let shaped = self
            .content_type
            .split_once('/')
            .is_some_and(|(kind, sub)| token(kind) && token(sub));
        if !shaped || self.content_type.len() > 127 {
            return Err(format!(
                "`content_type` {:?}: a media type such as text/csv or application/octet-stream",
                self.content_type
            ));
        }
        Ok(())
    }
}

/// A file renamed or moved: what changes (at least one of the two).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilePlacement {
    pub name: Option<String>,
    pub folder: Option<String>,
}

impl FilePlacement {
    pub fn check(&self) -> Result<(), String> {
        if self.name.is_none() && self.folder.is_none() {
            return Err("give `name`, `folder` or both".into());
        }
        if let Some(name) = &self.name {
            check_name("name", name)?;
        }
        self.folder.as_deref().map_or(Ok(()), check_folder)
    }

    /// `entry` with the new name and folder.
    pub fn apply(self, mut entry: FileEntry) -> FileEntry {
        entry.name = self.name.unwrap_or(entry.name);
        entry.folder = self.folder.unwrap_or(entry.folder);
        entry
    }
}

/// Whether `size` more bytes fit an account using `used` of `capacity`: exactly full is
/// allowed, a byte more is not.
pub fn fits(used: u64, size: u64, capacity: u64) -> bool {
    used.checked_add(size)
        .is_some_and(|total| total <= capacity)
}

/// An upload handed out and not yet arrived: what the index will say of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    pub account: AccountId,
    pub group: GroupId,
    pub id: FileId,
    pub name: String,
    pub folder: String,
    pub size: u64,
    pub content_type: String,
    /// S3's ID of the upload, for one in parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multipart: Option<String>,
    /// Who asked: the user's ID (a Web API token acts as its user).
    pub uploader: String,
    pub expires: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<InstrumentSerial>,
}

/// A file in the drive, as indexed when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileEntry {
    pub account: AccountId,
    pub group: GroupId,
    pub id: FileId,
    pub name: String,
    pub folder: String,
    pub size: u64,
    pub content_type: String,
    /// SHA-256 of the stored bytes, hex: computed from the object, so anyone holding
    /// the file can tell whether it is what was stored.
    pub sha256: String,
    pub uploader: String,
    pub uploaded: Millis,
    /// The app and instrument the file comes from, as its upload said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<InstrumentSerial>,
}

impl FileEntry {
    /// The entry of `pending`, arrived with `sha256` at `uploaded`.
    pub fn of(pending: PendingUpload, sha256: String, uploaded: Millis) -> FileEntry {
        FileEntry {
            account: pending.account,
            group: pending.group,
            id: pending.id,
            name: pending.name,
            folder: pending.folder,
            size: pending.size,
            content_type: pending.content_type,
            sha256,
            uploader: pending.uploader,
            uploaded,
            app: pending.app,
            instrument: pending.instrument,
        }
    }
}

#[cfg(test)]
mod tests;
