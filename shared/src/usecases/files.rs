//! The drive: uploads handed out over the API and indexed when S3 reports them (the
//! `files` function), listed per group.
//!
//! An upload is a PUT the client makes to S3 itself, signed by the cloud for one key it
//! chose (`files/{account}/{group}/{file ID}`), one size and one type. The upload is
//! kept as expected; when S3 reports the object, `files` reads it through for its
//! SHA-256 and indexes it, counting its bytes on the account in the same write — once,
//! however often S3 reports it.

use serde::Serialize;

use super::caller::plan_of;
use super::{Deleted, Refused};
use crate::domain::files::{
    file_of_key, fits, object_key, FileEntry, ObjectCreated, PendingUpload, UploadDraft,
    UPLOAD_VALID_MILLIS,
};
use crate::domain::ids::FileId;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{Accounts, Bucket, Files, GroupKey, Indexed, SignedRequest, StoreError};

/// An upload handed out: where to PUT, with which headers, until when.
#[derive(Debug, Serialize)]
pub struct UploadView {
    pub id: FileId,
    pub upload: SignedRequest,
    pub expires: Millis,
}

fn key<'a>(principal: &'a Principal, group: &'a Group) -> GroupKey<'a> {
    GroupKey {
        account: &principal.account,
        group: &group.id,
    }
}

/// Hands out an upload of `draft` to `group` as file `id` (drawn at random by the
/// caller), unless its size would pass the plan's storage.
pub async fn request_upload(
    store: &(impl Accounts + Files),
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    draft: UploadDraft,
    id: FileId,
    now: Millis,
) -> Result<UploadView, Refused> {
    draft.check().map_err(Refused::invalid)?;
    let plan = plan_of(store, principal).await?;
    let capacity = plan.limits().storage_bytes;
    let used = store.files_bytes(&principal.account).await?;
    if !fits(used, draft.size, capacity) {
        return Err(Refused::LimitReached {
            plan,
            limit: u32::try_from(capacity / 1_000_000).unwrap_or(u32::MAX),
            message: format!(
                "plan {plan} stores {}; the account's files take {used} bytes, and {} more would pass it",
                decimal_size(capacity),
                draft.size
            ),
        });
    }
    let expires = now.plus(UPLOAD_VALID_MILLIS);
    let key = object_key(&principal.account, &group.id, &id);
    let upload = bucket
        .sign_put(
            &key,
            draft.size,
            &draft.content_type,
            u64::try_from(UPLOAD_VALID_MILLIS / 1000).unwrap_or(0),
        )
        .await?;
    let pending = PendingUpload {
        account: principal.account.clone(),
        group: group.id.clone(),
        id: id.clone(),
        name: draft.name,
        folder: draft.folder,
        size: draft.size,
        content_type: draft.content_type,
        uploader: principal.user.to_string(),
        expires,
    };
    store.expect_upload(&pending).await?;
    Ok(UploadView {
        id,
        upload,
        expires,
    })
}

/// A plan's storage as plans are sold: whole gigabytes, else megabytes.
fn decimal_size(bytes: u64) -> String {
    const GB: u64 = 1_000_000_000;
    if bytes >= GB && bytes.is_multiple_of(GB) {
        format!("{} GB", bytes / GB)
    } else {
        format!("{} MB", bytes / 1_000_000)
    }
}

/// The group's files, by folder then name.
pub async fn list(
    store: &impl Files,
    principal: &Principal,
    group: &Group,
) -> Result<Vec<FileEntry>, Refused> {
    Ok(store.files(key(principal, group)).await?)
}

/// Deletes a file of the group: its object, then its entry with its bytes.
pub async fn delete(
    store: &impl Files,
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    id: &FileId,
) -> Result<Deleted<FileId>, Refused> {
    let not_found = || Refused::not_found(format!("file `{id}` not found"));
    let entry = store
        .file(key(principal, group), id)
        .await?
        .ok_or_else(not_found)?;
    // The object first: a failure after it leaves the entry for a retry to finish.
    bucket
        .delete(&object_key(&entry.account, &entry.group, &entry.id))
        .await?;
    if !store.unindex_file(&entry).await? {
        return Err(not_found());
    }
    Ok(Deleted {
        deleted: id.clone(),
    })
}

/// What became of an object S3 reported.
#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Arrival {
    Indexed {
        sha256: String,
    },
    /// Reported again: indexed before.
    AlreadyIndexed,
    /// Gone before it was read (deleted meanwhile).
    Gone,
    /// Reported by another bucket than the files bucket: left alone.
    OtherBucket,
    /// Not an upload the cloud handed out, or not as handed out (another size): the
    /// object is deleted, and why is said.
    Removed {
        why: String,
    },
}

/// Indexes the object S3 reported created, at `now`, within its account's plan.
pub async fn index_arrival(
    store: &(impl Accounts + Files),
    bucket: &impl Bucket,
    created: &ObjectCreated,
    now: Millis,
) -> Result<Arrival, StoreError> {
    if created.bucket != bucket.name() {
        // Another bucket pointed at the queue: none of this function's business.
        tracing::warn!(bucket = %created.bucket, key = %created.key, "object of another bucket ignored");
        return Ok(Arrival::OtherBucket);
    }
    let removed = |why: String| async move {
        tracing::warn!(key = %created.key, %why, "object removed");
        bucket.delete(&created.key).await?;
        Ok(Arrival::Removed { why })
    };
    let Some((account, group, id)) = file_of_key(&created.key) else {
        return removed("a key the cloud did not make".into()).await;
    };
    let Some(pending) = store.pending_upload(&account, &id).await? else {
        let group_key = GroupKey {
            account: &account,
            group: &group,
        };
        if store.file(group_key, &id).await?.is_some() {
            return Ok(Arrival::AlreadyIndexed);
        }
        return removed("no upload of that file was handed out (or it expired)".into()).await;
    };
    if pending.group != group {
        return removed(format!(
            "the upload was handed out to group {}",
            pending.group
        ))
        .await;
    }
    // S3 refuses a body of another size than signed; the emulator does not.
    if created.size != pending.size {
        return removed(format!(
            "{} bytes arrived where {} were handed out",
            created.size, pending.size
        ))
        .await;
    }
    let Some(digest) = bucket.digest(&created.key).await? else {
        return Ok(Arrival::Gone);
    };
    if digest.size != pending.size {
        return removed(format!(
            "{} bytes arrived where {} were handed out",
            digest.size, pending.size
        ))
        .await;
    }
    let capacity = match store.account(&account).await? {
        Some(holder) => holder.plan_at(now).limits().storage_bytes,
        None => 0,
    };
    let sha256 = digest.sha256;
    let entry = FileEntry::of(pending, sha256.clone(), now);
    match store.index_file(&entry, capacity).await? {
        Indexed::New => {
            tracing::info!(account = %entry.account, group = %entry.group, file = %entry.id, size = entry.size, "file indexed");
            Ok(Arrival::Indexed { sha256 })
        }
        Indexed::Already => Ok(Arrival::AlreadyIndexed),
        Indexed::NoRoom => {
            removed(format!(
                "the account's files would pass its plan's storage ({capacity} bytes)"
            ))
            .await
        }
    }
}
