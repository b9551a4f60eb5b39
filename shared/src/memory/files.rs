//! The drive's index in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::files::{fits, FileEntry, PendingUpload};
use crate::domain::ids::{AccountId, FileId};
use crate::ports::{Files, GroupKey, Indexed, StoreError};

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

    async fn index_file(&self, entry: &FileEntry, capacity: u64) -> Result<Indexed, StoreError> {
        let mut tables = self.tables();
        let key = (entry.account.clone(), entry.group.clone(), entry.id.clone());
        if tables.files.contains_key(&key) {
            return Ok(Indexed::Already);
        }
        let used = tables.files_bytes.get(&entry.account).copied().unwrap_or(0);
        if !tables.accounts.contains_key(&entry.account) || !fits(used, entry.size, capacity) {
            return Ok(Indexed::NoRoom);
        }
        tables.files.insert(key, entry.clone());
        *tables.files_bytes.entry(entry.account.clone()).or_default() += entry.size;
        tables
            .uploads
            .remove(&(entry.account.clone(), entry.id.clone()));
        Ok(Indexed::New)
    }

    async fn unindex_file(&self, entry: &FileEntry) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (entry.account.clone(), entry.group.clone(), entry.id.clone());
        if tables.files.remove(&key).is_none() {
            return Ok(false);
        }
        if let Some(bytes) = tables.files_bytes.get_mut(&entry.account) {
            *bytes = bytes.saturating_sub(entry.size);
        }
        Ok(true)
    }

    async fn place_file(&self, entry: &FileEntry) -> Result<bool, StoreError> {
        let key = (entry.account.clone(), entry.group.clone(), entry.id.clone());
        Ok(match self.tables().files.get_mut(&key) {
            Some(indexed) => {
                indexed.name.clone_from(&entry.name);
                indexed.folder.clone_from(&entry.folder);
                true
            }
            None => false,
        })
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

    async fn keep_folder(&self, group: GroupKey<'_>, path: &str) -> Result<bool, StoreError> {
        let key = (group.account.clone(), group.group.clone(), path.to_owned());
        Ok(self.tables().folders.insert(key))
    }

    async fn kept_folders(&self, group: GroupKey<'_>) -> Result<Vec<String>, StoreError> {
        Ok(self
            .tables()
            .folders
            .iter()
            .filter(|(account, of, _)| account == group.account && of == group.group)
            .map(|(_, _, path)| path.clone())
            .collect())
    }

    async fn forget_folder(&self, group: GroupKey<'_>, path: &str) -> Result<(), StoreError> {
        let key = (group.account.clone(), group.group.clone(), path.to_owned());
        self.tables().folders.remove(&key);
        Ok(())
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
