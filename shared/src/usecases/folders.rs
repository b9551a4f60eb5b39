//! Folders of the drive: made (kept with no file in them), renamed or moved with
//! everything below them, deleted with everything below them. A folder is there while
//! it holds a file (at any depth) or is kept.

use schemars::JsonSchema;
use serde::Serialize;

use super::files::delete_indexed;
use super::{Conflict, Refused};
use crate::domain::files::{
    is_within, FolderMove, FolderPath, MAX_EMPTY_FOLDERS, MAX_FILES_DELETED, MAX_FILES_MOVED,
};
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{Bucket, Files, GroupKey};

fn key<'a>(principal: &'a Principal, group: &'a Group) -> GroupKey<'a> {
    GroupKey {
        account: &principal.account,
        group: &group.id,
    }
}

/// Whether anything of the group is at `path` or below: a file, or a kept folder.
async fn exists(store: &impl Files, group: GroupKey<'_>, path: &str) -> Result<bool, Refused> {
    let kept = store.kept_folders(group).await?;
    if kept.iter().any(|folder| is_within(folder, path)) {
        return Ok(true);
    }
    let files = store.files(group).await?;
    Ok(files.iter().any(|file| is_within(&file.folder, path)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FolderMade {
    pub path: String,
}

/// Makes the folder `asked.path` (and so the folders above it), empty.
pub async fn make(
    store: &impl Files,
    principal: &Principal,
    group: &Group,
    asked: FolderPath,
) -> Result<FolderMade, Refused> {
    asked.check().map_err(Refused::invalid)?;
    let group = key(principal, group);
    if exists(store, group, &asked.path).await? {
        return Err(Refused::Conflict {
            kind: Conflict::Exists,
            message: format!("folder {:?} exists", asked.path),
        });
    }
    if store.kept_folders(group).await?.len() >= MAX_EMPTY_FOLDERS {
        return Err(Refused::invalid(format!(
            "a group keeps at most {MAX_EMPTY_FOLDERS} folders with no file in them; put files in some or delete them"
        )));
    }
    store.keep_folder(group, &asked.path).await?;
    Ok(FolderMade { path: asked.path })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FolderMoved {
    pub from: String,
    pub to: String,
    /// Files now below `to`.
    pub files: usize,
    /// Kept folders now below `to`.
    pub folders: usize,
}

/// Renames or moves the folder `asked.from` to `asked.to`, with every file and folder
/// below it (their bytes and IDs stay). Into a `to` that exists only when asked to
/// merge: two folders are never merged by accident. A move stopped midway is finished
/// by asking again with `merge`.
pub async fn relocate(
    store: &impl Files,
    principal: &Principal,
    group: &Group,
    asked: FolderMove,
) -> Result<FolderMoved, Refused> {
    asked.check().map_err(Refused::invalid)?;
    let group_key = key(principal, group);
    let files = store.files(group_key).await?;
    let kept = store.kept_folders(group_key).await?;
    let mut moving_files = Vec::new();
    for file in files {
        if is_within(&file.folder, &asked.to) && !asked.merge {
            return Err(to_exists(&asked));
        }
        if let Some(folder) = asked.apply(&file.folder).map_err(Refused::invalid)? {
            moving_files.push((file, folder));
        }
    }
    let mut moving_folders = Vec::new();
    for path in kept {
        if is_within(&path, &asked.to) && !asked.merge {
            return Err(to_exists(&asked));
        }
        if let Some(to) = asked.apply(&path).map_err(Refused::invalid)? {
            moving_folders.push((path, to));
        }
    }
    if moving_files.is_empty() && moving_folders.is_empty() {
        return Err(Refused::not_found(format!(
            "folder {:?} not found in group `{}`",
            asked.from, group.id
        )));
    }
    if moving_files.len() > MAX_FILES_MOVED {
        return Err(Refused::invalid(format!(
            "folder {:?} holds {} files; at most {MAX_FILES_MOVED} move at once, so move its folders one by one",
            asked.from,
            moving_files.len()
        )));
    }
    for (from, to) in &moving_folders {
        store.keep_folder(group_key, to).await?;
        store.forget_folder(group_key, from).await?;
    }
    let mut files = 0;
    for (mut file, folder) in moving_files {
        file.folder = folder;
        // Deleted meanwhile: nothing to move.
        if store.place_file(&file).await? {
            files += 1;
        }
    }
    Ok(FolderMoved {
        from: asked.from,
        to: asked.to,
        files,
        folders: moving_folders.len(),
    })
}

fn to_exists(asked: &FolderMove) -> Refused {
    Refused::Conflict {
        kind: Conflict::Exists,
        message: format!(
            "folder {:?} exists; to move {:?} into it with what it holds, ask with \"merge\": true",
            asked.to, asked.from
        ),
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FolderDeleted {
    pub deleted: String,
    /// Files deleted by this request, and their bytes (given back to the storage).
    pub files: usize,
    pub bytes: u64,
    /// Files still below it: ask again to delete them.
    pub left: usize,
}

/// Deletes the folder `asked.path` with every file and folder below it — up to
/// [`MAX_FILES_DELETED`] files a request; what is `left` goes when asked again.
pub async fn delete(
    store: &impl Files,
    bucket: &impl Bucket,
    principal: &Principal,
    group: &Group,
    asked: FolderPath,
) -> Result<FolderDeleted, Refused> {
    asked.check().map_err(Refused::invalid)?;
    let group_key = key(principal, group);
    let mut below: Vec<_> = store
        .files(group_key)
        .await?
        .into_iter()
        .filter(|file| is_within(&file.folder, &asked.path))
        .collect();
    let kept: Vec<String> = store
        .kept_folders(group_key)
        .await?
        .into_iter()
        .filter(|path| is_within(path, &asked.path))
        .collect();
    if below.is_empty() && kept.is_empty() {
        return Err(Refused::not_found(format!(
            "folder {:?} not found in group `{}`",
            asked.path, group.id
        )));
    }
    let left = below.len().saturating_sub(MAX_FILES_DELETED);
    below.truncate(MAX_FILES_DELETED);
    let (mut files, mut bytes) = (0, 0);
    for file in below {
        let size = file.size;
        if delete_indexed(store, bucket, &file).await? {
            files += 1;
            bytes += size;
        }
    }
    // The kept folders last, when no file is left: a folder half deleted still shows.
    if left == 0 {
        for path in &kept {
            store.forget_folder(group_key, path).await?;
        }
    }
    Ok(FolderDeleted {
        deleted: asked.path,
        files,
        bytes,
        left,
    })
}
