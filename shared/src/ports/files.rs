//! The [`Files`] port.

use async_trait::async_trait;

use super::{GroupKey, StoreError};
use crate::domain::files::{FileEntry, PendingUpload};
use crate::domain::ids::{AccountId, FileId};

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
    /// unless it is indexed already (whether it was new); the upload is expected no more.
    async fn index_file(&self, entry: &FileEntry) -> Result<bool, StoreError>;
    async fn file(&self, group: GroupKey<'_>, id: &FileId)
        -> Result<Option<FileEntry>, StoreError>;
    /// The group's files, by folder then name.
    async fn files(&self, group: GroupKey<'_>) -> Result<Vec<FileEntry>, StoreError>;
    /// The bytes of the account's indexed files.
    async fn files_bytes(&self, account: &AccountId) -> Result<u64, StoreError>;
}
