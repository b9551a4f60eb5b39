//! The users' read marks on the inboxes, in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::inbox::ReadMarks;
use crate::ports::{GroupKey, InboxReadMarks, Saved, StoreError};

#[async_trait]
impl InboxReadMarks for MemoryStore {
    async fn read_marks(
        &self,
        group: GroupKey<'_>,
        user: &UserId,
    ) -> Result<ReadMarks, StoreError> {
        let key = (group.account.clone(), user.clone(), group.group.clone());
        Ok(self
            .tables()
            .read_marks
            .get(&key)
            .cloned()
            .unwrap_or_default())
    }

    async fn save_read_marks(
        &self,
        group: GroupKey<'_>,
        user: &UserId,
        marks: &ReadMarks,
    ) -> Result<Saved, StoreError> {
        let mut tables = self.tables();
        let key = (group.account.clone(), user.clone(), group.group.clone());
        let stored = tables.read_marks.get(&key).map_or(0, |stored| stored.rev);
        if stored != marks.rev {
            return Ok(Saved::Conflict);
        }
        let written = ReadMarks {
            rev: marks.rev + 1,
            ..marks.clone()
        };
        tables.read_marks.insert(key, written);
        Ok(Saved::Written)
    }

    async fn forget_read_marks(
        &self,
        account: &AccountId,
        user: &UserId,
    ) -> Result<(), StoreError> {
        self.tables()
            .read_marks
            .retain(|(a, u, _), _| (a, u) != (account, user));
        Ok(())
    }
}
