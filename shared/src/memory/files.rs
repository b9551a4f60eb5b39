//! The drive's index in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::files::{FileEntry, PendingUpload};
use crate::domain::ids::{AccountId, FileId};
use crate::ports::{Files, GroupKey, StoreError};

#[async_trait]
impl Files for MemoryStore {
    async fn expect_upload(&self, pending: &PendingUpload) -> Result<(), StoreError> {
        self.tables().uploads.insert(
            (pending.account.clone(), pending.id.clone()),
            pending.clone(),
        );
        Ok(())
    }

    async fn pending_upload(
        &self,
        account: &AccountId,
        file: &FileId,
    ) -> Result<Option<PendingUpload>, StoreError> {
        let key = (account.clone(), file.clone());
        Ok(self.tables().uploads.get(&key).cloned())
    }

    async fn index_file(&self, entry: &FileEntry) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (entry.account.clone(), entry.group.clone(), entry.id.clone());
        if tables.files.contains_key(&key) {
            return Ok(false);
        }
        tables.files.insert(key, entry.clone());
        *tables.files_bytes.entry(entry.account.clone()).or_default() += entry.size;
        tables
            .uploads
            .remove(&(entry.account.clone(), entry.id.clone()));
        Ok(true)
    }

    async fn file(
        &self,
        group: GroupKey<'_>,
        id: &FileId,
    ) -> Result<Option<FileEntry>, StoreError> {
        let key = (group.account.clone(), group.group.clone(), id.clone());
        Ok(self.tables().files.get(&key).cloned())
    }

    async fn files(&self, group: GroupKey<'_>) -> Result<Vec<FileEntry>, StoreError> {
        let mut files: Vec<FileEntry> = self
            .tables()
            .files
            .values()
            .filter(|f| &f.account == group.account && &f.group == group.group)
            .cloned()
            .collect();
        files.sort_by(|a, b| (&a.folder, &a.name, &a.id).cmp(&(&b.folder, &b.name, &b.id)));
        Ok(files)
    }

    async fn files_bytes(&self, account: &AccountId) -> Result<u64, StoreError> {
        Ok(self.tables().files_bytes.get(account).copied().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_keeps_the_files_contract() {
        crate::contract::files(&MemoryStore::new(), "memory").await;
    }
}
