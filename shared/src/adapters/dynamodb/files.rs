//! The drive's index: uploads handed out (expiring), files by group, and each account's
//! bytes of files on its account item.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{from_item, to_item, ttl, written, DynamoStore, ItemKind};
use super::unavailable;
use super::values::{n, s};
use crate::domain::files::{FileEntry, PendingUpload};
use crate::domain::ids::{AccountId, FileId};
use crate::domain::record::Millis;
use crate::ports::{Files, GroupKey, Indexed, StoreError};

/// The account item's attribute counting its files' bytes.
const FILES_BYTES: &str = "filesBytes";
/// An upload is kept 15 days past its URL's expiry: S3 may report a PUT late, and a
/// report waits up to 14 days in the dead-letter queue before an operator sends it
/// back — it must still find the upload then, or the file would be removed.
const PENDING_KEPT_MILLIS: i64 = 15 * 24 * 60 * Millis::MINUTE;

#[derive(Debug, Serialize, Deserialize)]
struct PendingItem {
    pk: String,
    sk: String,
    ttl: i64,
    upload: PendingUpload,
}

impl ItemKind for PendingItem {
    const KIND: &'static str = "pending upload";
}

#[derive(Debug, Serialize, Deserialize)]
struct FileItem {
    pk: String,
    sk: String,
    file: FileEntry,
}

impl ItemKind for FileItem {
    const KIND: &'static str = "file";
}

#[derive(Debug, Serialize, Deserialize)]
struct FolderItem {
    pk: String,
    sk: String,
    path: String,
}

impl ItemKind for FolderItem {
    const KIND: &'static str = "folder";
}

#[async_trait]
impl Files for DynamoStore {
    async fn expect_upload(&self, pending: &PendingUpload) -> Result<(), StoreError> {
        let item = PendingItem {
            pk: account_pk(&pending.account),
            sk: upload_sk(&pending.id),
            ttl: ttl(pending.expires.plus(PENDING_KEPT_MILLIS)),
            upload: pending.clone(),
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn pending_upload(
        &self,
        account: &AccountId,
        file: &FileId,
    ) -> Result<Option<PendingUpload>, StoreError> {
        Ok(self
            .get_as::<PendingItem>(account_pk(account), &upload_sk(file))
            .await?
            .map(|item| item.upload))
    }

    async fn index_file(&self, entry: &FileEntry, capacity: u64) -> Result<Indexed, StoreError> {
        let Some(room) = capacity.checked_sub(entry.size) else {
            return Ok(Indexed::NoRoom);
        };
        let item = FileItem {
            pk: files_pk(&entry.account, &entry.group),
            sk: file_sk(&entry.id),
            file: entry.clone(),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("put is complete");
        let count = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&entry.account)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET #bytes = if_not_exists(#bytes, :zero) + :size")
            // The plan's storage, checked where the bytes are counted: however many
            // uploads were handed out, no more arrive than fit.
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(#bytes) OR #bytes <= :room)",
            )
            .expression_attribute_names("#bytes", FILES_BYTES)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":size", n(entry.size))
            .expression_attribute_values(":room", n(room))
            .build()
            .expect("update is complete");
        let expected = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&entry.account)))
            .key("sk", s(upload_sk(&entry.id)))
            .build()
            .expect("delete is complete");
        // A conflict with another write of the account item is an error: the message
        // comes back and is indexed then.
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().put(put).build(),
                TransactWriteItem::builder().update(count).build(),
                TransactWriteItem::builder().delete(expected).build(),
            ])
            .await?;
        Ok(match cancelled {
            None => Indexed::New,
            Some(failed) if failed.first() == Some(&true) => Indexed::Already,
            Some(_) => Indexed::NoRoom,
        })
    }

    async fn unindex_file(&self, entry: &FileEntry) -> Result<bool, StoreError> {
        let remove = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(files_pk(&entry.account, &entry.group)))
            .key("sk", s(file_sk(&entry.id)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("delete is complete");
        let uncount = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&entry.account)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET #bytes = #bytes - :size")
            .condition_expression("#bytes >= :size")
            .expression_attribute_names("#bytes", FILES_BYTES)
            .expression_attribute_values(":size", n(entry.size))
            .build()
            .expect("update is complete");
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().delete(remove).build(),
                TransactWriteItem::builder().update(uncount).build(),
            ])
            .await?;
        Ok(cancelled.is_none())
    }

    async fn place_file(&self, entry: &FileEntry) -> Result<bool, StoreError> {
        let placed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(files_pk(&entry.account, &entry.group)))
            .key("sk", s(file_sk(&entry.id)))
            .update_expression("SET #file.#name = :name, #file.#folder = :folder")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#file", "file")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#folder", "folder")
            .expression_attribute_values(":name", s(entry.name.clone()))
            .expression_attribute_values(":folder", s(entry.folder.clone()))
            .send()
            .await;
        written(placed)
    }

    async fn file(
        &self,
        group: GroupKey<'_>,
        id: &FileId,
    ) -> Result<Option<FileEntry>, StoreError> {
        Ok(self
            .get_as::<FileItem>(files_pk(group.account, group.group), &file_sk(id))
            .await?
            .map(|item| item.file))
    }

    async fn files(&self, group: GroupKey<'_>) -> Result<Vec<FileEntry>, StoreError> {
        let mut files: Vec<FileEntry> = self
            .query_prefix(files_pk(group.account, group.group), FILE_PREFIX)
            .await?
            .into_iter()
            .map(|item| from_item::<FileItem>(item).map(|item| item.file))
            .collect::<Result<_, _>>()?;
        files.sort_by(|a, b| (&a.folder, &a.name, &a.id).cmp(&(&b.folder, &b.name, &b.id)));
        Ok(files)
    }

    async fn keep_folder(&self, group: GroupKey<'_>, path: &str) -> Result<bool, StoreError> {
        let item = FolderItem {
            pk: files_pk(group.account, group.group),
            sk: folder_sk(path),
            path: path.to_owned(),
        };
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(put)
    }

    async fn kept_folders(&self, group: GroupKey<'_>) -> Result<Vec<String>, StoreError> {
        let folders = self
            .query_prefix_as::<FolderItem>(files_pk(group.account, group.group), FOLDER_PREFIX)
            .await?;
        Ok(folders.into_iter().map(|item| item.path).collect())
    }

    async fn forget_folder(&self, group: GroupKey<'_>, path: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(files_pk(group.account, group.group)))
            .key("sk", s(folder_sk(path)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn files_bytes(&self, account: &AccountId) -> Result<u64, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(ACCOUNT_SK))
            .projection_expression("#bytes")
            .expression_attribute_names("#bytes", FILES_BYTES)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        match output.item.and_then(|mut item| item.remove(FILES_BYTES)) {
            None => Ok(0),
            Some(AttributeValue::N(bytes)) => bytes
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("files bytes `{bytes}`"))),
            Some(other) => Err(StoreError::Corrupt(format!("files bytes {other:?}"))),
        }
    }
}
