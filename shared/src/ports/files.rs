//! The [`Files`] port.

use async_trait::async_trait;

use super::{GroupKey, StoreError};
use crate::domain::files::{FileEntry, PendingUpload};
use crate::domain::ids::{AccountId, FileId};

/// What indexing a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    New,
    Already,
    /// The account's files would pass its capacity, or the account is gone.
    NoRoom,
}

/// The drive's index: uploads handed out, files arrived, and each account's bytes of
/// files (kept with the account, changed in the write that indexes a file).
#[async_trait]
pub trait Files: Send + Sync {
    /// Keeps an upload handed out until it arrives (or expires).
    async fn expect_upload(&self, pending: &PendingUpload) -> Result<(), StoreError>;
    /// The upload of `file` handed out for `account`, if it is still expected.
    async fn pending_upload(
        &self,
        account: &AccountId,
        file: &FileId,
    ) -> Result<Option<PendingUpload>, StoreError>;
    /// Indexes `entry` and adds its size to its account's bytes of files, in one write,
    /// unless it is indexed already or the account's files would pass `capacity` bytes
    /// (or the account is gone); the upload is expected no more.
    async fn index_file(&self, entry: &FileEntry, capacity: u64) -> Result<Indexed, StoreError>;
    /// Takes `entry` out of the index and its size off its account's bytes, in one
    /// write; `false` if it was not indexed.
    async fn unindex_file(&self, entry: &FileEntry) -> Result<bool, StoreError>;
    /// Gives the indexed `entry` its name and folder; `false` if it is not indexed.
    async fn place_file(&self, entry: &FileEntry) -> Result<bool, StoreError>;
    async fn file(&self, group: GroupKey<'_>, id: &FileId)
        -> Result<Option<FileEntry>, StoreError>;
    /// The group's files, by folder then name.
    async fn files(&self, group: GroupKey<'_>) -> Result<Vec<FileEntry>, StoreError>;
    /// The bytes of the account's indexed files.
    async fn files_bytes(&self, account: &AccountId) -> Result<u64, StoreError>;
    /// Keeps the folder `path` of the group though no file is in it; `false` if it is
    /// kept already.
    async fn keep_folder(&self, group: GroupKey<'_>, path: &str) -> Result<bool, StoreError>;
    /// The group's folders kept with no file needed, in no particular order.
    async fn kept_folders(&self, group: GroupKey<'_>) -> Result<Vec<String>, StoreError>;
    /// Keeps the folder `path` no more (not kept is fine).
    async fn forget_folder(&self, group: GroupKey<'_>, path: &str) -> Result<(), StoreError>;
}
