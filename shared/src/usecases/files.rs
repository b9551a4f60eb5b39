//! The drive: uploads handed out over the API and indexed when S3 reports them (the
//! `files` function), listed per group.
//!
//! An upload is a PUT the client makes to S3 itself, signed by the cloud for one key it
//! chose (`files/{account}/{group}/{file ID}`), one size and one type. The upload is
//! kept as expected; when S3 reports the object, `files` reads it through for its
//! SHA-256 and indexes it, counting its bytes on the account in the same write — once,
//! however often S3 reports it.

use schemars::JsonSchema;
use serde::Serialize;

use super::caller::plan_of;
use super::file_alarms::check_source;
use super::usage::storage_used;
use super::{Deleted, Refused};
use crate::domain::files::{
    check_folder, content_disposition, file_of_key, fits, object_key, page, part_bytes, part_count,
    Completion, FileEntry, FilePlacement, FilesPage, FilesQuery, ObjectCreated, PartsAsked,
    PendingUpload, UploadDraft, DOWNLOAD_VALID_MILLIS, MULTIPART_VALID_MILLIS, PART_BYTES,
    UPLOAD_VALID_MILLIS,
};
use crate::domain::ids::FileId;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, Bucket, DataUsage, Files, GroupKey, Groups, Indexed, SignedRequest, StoreError,
};

/// An upload handed out: where to PUT, with which headers, until when; or, for one in
/// parts, how many parts of which length to ask URLs for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UploadView {
    pub id: FileId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<SignedRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multipart: Option<PartsPlan>,
    pub expires: Millis,
}

/// How an upload in parts is cut: every part `part_bytes` long but the last.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PartsPlan {
    pub part_bytes: u64,
    pub parts: u32,
}

/// Part URLs handed out.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PartsView {
    pub parts: Vec<PartView>,
    pub expires: Millis,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PartView {
    pub number: u32,
    #[serde(flatten)]
    pub upload: SignedRequest,
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
    store: &(impl Accounts + Groups + Files + DataUsage),
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    draft: UploadDraft,
    id: FileId,
    now: Millis,
) -> Result<UploadView, Refused> {
    draft.check().map_err(Refused::invalid)?;
    let (app, instrument) = (draft.app.as_ref(), draft.instrument.as_ref());
    check_source(store, &principal.account, group, app, instrument).await?;
    let plan = plan_of(store, principal).await?;
    let capacity = plan.limits().storage_bytes;
    let used = storage_used(store, &principal.account).await?;
    if !fits(used.total(), draft.size, capacity) {
        return Err(Refused::LimitReached {
            plan,
            limit: u32::try_from(capacity / 1_000_000).unwrap_or(u32::MAX),
            message: format!(
                "plan {plan} stores {}; the account stores {} bytes (files {}, measurement data {}), and {} more would pass it",
                decimal_size(capacity),
                used.total(),
                used.files,
                used.data,
                draft.size
            ),
        });
    }
    let key = object_key(&principal.account, &group.id, &id);
    let (upload, multipart, expires) = if draft.multipart {
        let started = bucket.start_multipart(&key, &draft.content_type).await?;
        let plan = PartsPlan {
            part_bytes: PART_BYTES,
            parts: part_count(draft.size),
        };
        (
            None,
            Some((started, plan)),
            now.plus(MULTIPART_VALID_MILLIS),
        )
    } else {
        let put = bucket.sign_put(
            &key,
            draft.size,
            &draft.content_type,
            seconds(UPLOAD_VALID_MILLIS),
        );
        (Some(put.await?), None, now.plus(UPLOAD_VALID_MILLIS))
    };
    let (multipart, plan) = multipart.unzip();
    let pending = PendingUpload {
        account: principal.account.clone(),
        group: group.id.clone(),
        id: id.clone(),
        name: draft.name,
        folder: draft.folder,
        size: draft.size,
        content_type: draft.content_type,
        multipart,
        uploader: principal.user.to_string(),
        expires,
        app: draft.app,
        instrument: draft.instrument,
    };
    store.expect_upload(&pending).await?;
    Ok(UploadView {
        id,
        upload,
        multipart: plan,
        expires,
    })
}

fn seconds(millis: i64) -> u64 {
    u64::try_from(millis / 1000).unwrap_or(0)
}

/// The upload in parts of `id` to `group`, still expected; with its S3 upload ID.
async fn expected_in_parts(
    store: &impl Files,
    principal: &Principal,
    group: &Group,
    id: &FileId,
    now: Millis,
) -> Result<(PendingUpload, String), Refused> {
    let not_found = || Refused::not_found(format!("no upload of file `{id}` is expected"));
    let pending = store
        .pending_upload(&principal.account, id)
        .await?
        .filter(|pending| pending.group == group.id && pending.expires > now)
        .ok_or_else(not_found)?;
    match pending.multipart.clone() {
        Some(upload_id) => Ok((pending, upload_id)),
        None => Err(Refused::invalid(format!(
            "file `{id}` was handed out as one PUT, not in parts"
        ))),
    }
}

/// Signs the PUTs of the parts asked of an upload in parts, each for its exact length.
pub async fn sign_parts(
    store: &impl Files,
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    id: &FileId,
    asked: PartsAsked,
    now: Millis,
) -> Result<PartsView, Refused> {
    let (pending, upload_id) = expected_in_parts(store, principal, group, id, now).await?;
    asked.check(pending.size).map_err(Refused::invalid)?;
    let key = object_key(&pending.account, &pending.group, id);
    // Never past the upload's own end; a URL must be good for a second at least.
    let valid = UPLOAD_VALID_MILLIS.min(pending.expires.0 - now.0);
    if valid < 1_000 {
        return Err(Refused::not_found(format!(
            "the upload of file `{id}` has expired"
        )));
    }
    let mut parts = Vec::with_capacity(asked.parts.len());
    for number in asked.parts {
        let size = part_bytes(pending.size, number).expect("checked against the size");
        let upload = bucket.sign_part(&key, &upload_id, number, size, seconds(valid));
        parts.push(PartView {
            number,
            upload: upload.await?,
        });
    }
    Ok(PartsView {
        parts,
        expires: now.plus(valid),
    })
}

/// An upload in parts completed: S3 joins the parts and reports the object, which is
/// then indexed as any upload.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CompletedView {
    pub id: FileId,
    pub size: u64,
}

/// Completes an upload in parts from every part's ETag.
pub async fn complete_parts(
    store: &impl Files,
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    id: &FileId,
    completion: Completion,
    now: Millis,
) -> Result<CompletedView, Refused> {
    let (pending, upload_id) = expected_in_parts(store, principal, group, id, now).await?;
    completion.check(pending.size).map_err(Refused::invalid)?;
    let key = object_key(&pending.account, &pending.group, id);
    let parts: Vec<(u32, String)> = completion
        .parts
        .into_iter()
        .map(|part| (part.number, part.etag))
        .collect();
    if !bucket.complete_multipart(&key, &upload_id, &parts).await? {
        return Err(Refused::invalid(format!(
            "S3 did not take the parts of file `{id}` as given: each must be uploaded, \
             with the ETag its PUT answered (or the upload was deleted)"
        )));
    }
    Ok(CompletedView {
        id: id.clone(),
        size: pending.size,
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

/// A page of the group's files (of one folder, if asked), sorted as asked.
pub async fn list(
    store: &impl Files,
    principal: &Principal,
    group: &Group,
    query: &FilesQuery,
) -> Result<FilesPage, Refused> {
    if let Some(folder) = &query.folder {
        check_folder(folder).map_err(Refused::invalid)?;
    }
    let group = key(principal, group);
    let (files, kept) = (store.files(group).await?, store.kept_folders(group).await?);
    Ok(page(files, &kept, query))
}

/// A file, with a download the caller may start within a few minutes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileView {
    #[serde(flatten)]
    pub file: FileEntry,
    pub download: SignedRequest,
    pub expires: Millis,
}

/// A file of the group, with a signed download saved under its name.
pub async fn detail(
    store: &impl Files,
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    id: &FileId,
    now: Millis,
) -> Result<FileView, Refused> {
    let file = indexed(store, principal, group, id).await?;
    let download = bucket
        .sign_get(
            &object_key(&file.account, &file.group, &file.id),
            &content_disposition(&file.name),
            seconds(DOWNLOAD_VALID_MILLIS),
        )
        .await?;
    Ok(FileView {
        file,
        download,
        expires: now.plus(DOWNLOAD_VALID_MILLIS),
    })
}

/// Renames a file of the group, or moves it to another folder (its object stays).
pub async fn place(
    store: &impl Files,
    principal: &Principal,
    group: &Group,
    id: &FileId,
    placement: FilePlacement,
) -> Result<FileEntry, Refused> {
    placement.check().map_err(Refused::invalid)?;
    let placed = placement.apply(indexed(store, principal, group, id).await?);
    if !store.place_file(&placed).await? {
        return Err(file_not_found(id));
    }
    Ok(placed)
}

fn file_not_found(id: &FileId) -> Refused {
    Refused::not_found(format!("file `{id}` not found"))
}

async fn indexed(
    store: &impl Files,
    principal: &Principal,
    group: &Group,
    id: &FileId,
) -> Result<FileEntry, Refused> {
    store
        .file(key(principal, group), id)
        .await?
        .ok_or_else(|| file_not_found(id))
}

/// Deletes a file of the group: its object, then its entry with its bytes.
pub async fn delete(
    store: &impl Files,
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    id: &FileId,
) -> Result<Deleted<FileId>, Refused> {
    let Some(entry) = store.file(key(principal, group), id).await? else {
        // An upload in parts not completed yet: its parts go.
        let pending = store.pending_upload(&principal.account, id).await?;
        let Some((pending, upload_id)) = pending
            .filter(|pending| pending.group == group.id)
            .and_then(|pending| pending.multipart.clone().map(|upload| (pending, upload)))
        else {
            return Err(file_not_found(id));
        };
        let key = object_key(&pending.account, &pending.group, id);
        bucket.abort_multipart(&key, &upload_id).await?;
        // Completed just before: the object goes too, and its report then finds nothing.
        bucket.delete(&key).await?;
        return Ok(Deleted {
            deleted: id.clone(),
        });
    };
    if !delete_indexed(store, bucket, &entry).await? {
        return Err(file_not_found(id));
    }
    Ok(Deleted {
        deleted: id.clone(),
    })
}

/// Deletes the indexed file `entry`: its object, then its entry with its bytes;
/// `false` if the entry was gone already.
pub(crate) async fn delete_indexed(
    store: &impl Files,
    bucket: &impl Bucket,
    entry: &FileEntry,
) -> Result<bool, StoreError> {
    // The object first: a failure after it leaves the entry for a retry to finish.
    bucket
        .delete(&object_key(&entry.account, &entry.group, &entry.id))
        .await?;
    store.unindex_file(entry).await
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
    store: &(impl Accounts + Files + DataUsage),
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
    let capacity = match store.account(&account).await? {
        Some(holder) => holder.plan_at(now).limits().storage_bytes,
        None => 0,
    };
    // A first look at the room left, before the file is read through: the transaction
    // that indexes it decides, this spares reading what cannot fit.
    let used = storage_used(store, &account).await?;
    if !fits(used.total(), pending.size, capacity) {
        return removed(format!(
            "the account's files and measurement data would pass its plan's storage ({capacity} bytes)"
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
    let sha256 = digest.sha256;
    let entry = FileEntry::of(pending, sha256.clone(), now);
    // The transaction weighs the account's files; its measurement data, counted on
    // items of their own, is taken off the capacity as just read.
    match store
        .index_file(&entry, capacity.saturating_sub(used.data))
        .await?
    {
        Indexed::New => {
            tracing::info!(account = %entry.account, group = %entry.group, file = %entry.id, size = entry.size, "file indexed");
            Ok(Arrival::Indexed { sha256 })
        }
        Indexed::Already => Ok(Arrival::AlreadyIndexed),
        Indexed::NoRoom => {
            removed(format!(
                "the account's files and measurement data would pass its plan's storage ({capacity} bytes)"
            ))
            .await
        }
    }
}
