//! The [`InboxReadMarks`] port.

use async_trait::async_trait;

use super::{GroupKey, Saved, StoreError};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::inbox::ReadMarks;

/// What each user has read of each group's inbox.
#[async_trait]
pub trait InboxReadMarks: Send + Sync {
    /// `user`'s marks on `group`'s inbox; none stored reads as revision 0, nothing read.
    async fn read_marks(&self, group: GroupKey<'_>, user: &UserId)
        -> Result<ReadMarks, StoreError>;
    /// Writes `marks` as revision `marks.rev + 1` if the stored revision is still
    /// `marks.rev`; otherwise [`Saved::Conflict`] and nothing changes.
    async fn save_read_marks(
        &self,
        group: GroupKey<'_>,
        user: &UserId,
        marks: &ReadMarks,
    ) -> Result<Saved, StoreError>;
    /// Deletes `user`'s marks on every group of `account`: a user created again with
    /// the ID starts with nothing read.
    async fn forget_read_marks(&self, account: &AccountId, user: &UserId)
        -> Result<(), StoreError>;
}
