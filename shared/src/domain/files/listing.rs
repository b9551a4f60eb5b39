//! A page of the drive: the files of one folder (or of the whole group), sorted by name,
//! size or upload time either way, with the folders directly below, and a cursor that
//! goes on after the last file shown — stable while files come and go, unlike an
//! offset.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use schemars::JsonSchema;
use serde::Serialize;

use super::FileEntry;
use crate::domain::ids::FileId;

/// The most files a page holds.
pub const MAX_FILES_PAGE: usize = 500;
/// A page's files when the request does not say.
pub const DEFAULT_FILES_PAGE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileSort {
    /// Case-insensitive, then exact.
    #[default]
    Name,
    Size,
    /// Upload time.
    Time,
}

/// Where a page starts: strictly after this file in the page's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesCursor {
    key: SortKey,
    id: FileId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SortKey {
    /// Folded to lower case once, not at each comparison; then the name as it is.
    Name {
        folded: String,
        name: String,
    },
    Size(u64),
    Time(i64),
}

impl SortKey {
    fn name(name: &str) -> SortKey {
        SortKey::Name {
            folded: name.to_lowercase(),
            name: name.to_owned(),
        }
    }
}

/// What a listing asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesQuery {
    /// One folder's files (`""` is the top); none for every file of the group.
    pub folder: Option<String>,
    pub sort: FileSort,
    pub descending: bool,
    pub limit: usize,
    pub cursor: Option<FilesCursor>,
}

impl Default for FilesQuery {
    fn default() -> Self {
        FilesQuery {
            folder: None,
            sort: FileSort::Name,
            descending: false,
            limit: DEFAULT_FILES_PAGE,
            cursor: None,
        }
    }
}

/// A page of files.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FilesPage {
    /// The folder listed, if one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The folders directly below it, by name (on the first page only): those holding
    /// files, or folders holding files, and those made empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folders: Option<Vec<String>>,
    pub files: Vec<FileEntry>,
    /// The cursor of the next page; none on the last.
    pub next: Option<String>,
}

fn key_of(entry: &FileEntry, sort: FileSort) -> SortKey {
    match sort {
        FileSort::Name => SortKey::name(&entry.name),
        FileSort::Size => SortKey::Size(entry.size),
        FileSort::Time => SortKey::Time(entry.uploaded.0),
    }
}

fn compare_keys(a: &SortKey, b: &SortKey) -> Ordering {
    match (a, b) {
        (
            SortKey::Name { folded, name },
            SortKey::Name {
                folded: other_folded,
                name: other,
            },
        ) => folded.cmp(other_folded).then_with(|| name.cmp(other)),
        (SortKey::Size(a), SortKey::Size(b)) => a.cmp(b),
        (SortKey::Time(a), SortKey::Time(b)) => a.cmp(b),
        // A cursor of another sort is refused when it is read; never compared.
        _ => Ordering::Equal,
    }
}

/// The page `query` asks for, of the group's `files` (in any order) and its
/// `empty_folders` (folders made with no file in them yet).
pub fn page(mut files: Vec<FileEntry>, empty_folders: &[String], query: &FilesQuery) -> FilesPage {
    let folders = query.folder.as_deref().map(|folder| {
        let paths = files
            .iter()
            .map(|file| file.folder.as_str())
            .chain(empty_folders.iter().map(String::as_str));
        let below: BTreeSet<String> = paths
            .filter_map(|path| child_folder(folder, path))
            .collect();
        below.into_iter().collect()
    });
    if let Some(folder) = &query.folder {
        files.retain(|file| &file.folder == folder);
    }
    let order = |a: &SortKey, a_id: &FileId, b: &SortKey, b_id: &FileId| {
        let ascending = compare_keys(a, b).then_with(|| a_id.cmp(b_id));
        if query.descending {
            ascending.reverse()
        } else {
            ascending
        }
    };
    let mut keyed: Vec<(SortKey, FileEntry)> = files
        .into_iter()
        .map(|file| (key_of(&file, query.sort), file))
        .filter(|(key, file)| match &query.cursor {
            Some(after) => order(key, &file.id, &after.key, &after.id) == Ordering::Greater,
            None => true,
        })
        .collect();
    keyed.sort_by(|(a, a_file), (b, b_file)| order(a, &a_file.id, b, &b_file.id));
    let more = keyed.len() > query.limit;
    keyed.truncate(query.limit);
    let next = more
        .then(|| keyed.last())
        .flatten()
        .map(|(key, file)| encode_cursor(key, &file.id, query.descending));
    FilesPage {
        folder: query.folder.clone(),
        folders: folders.filter(|_| query.cursor.is_none()),
        files: keyed.into_iter().map(|(_, file)| file).collect(),
        next,
    }
}

/// The name of the folder directly below `parent` on the way to `folder`, if any.
fn child_folder(parent: &str, folder: &str) -> Option<String> {
    let rest = if parent.is_empty() {
        folder
    } else {
        folder.strip_prefix(parent)?.strip_prefix('/')?
    };
    rest.split('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// The sort's letter, upper case for the descending order, then the file and its key.
fn encode_cursor(key: &SortKey, id: &FileId, descending: bool) -> String {
    let (kind, value) = match key {
        SortKey::Name { name, .. } => ('n', name.clone()),
        SortKey::Size(size) => ('s', size.to_string()),
        SortKey::Time(time) => ('t', time.to_string()),
    };
    let kind = if descending {
        kind.to_ascii_uppercase()
    } else {
        kind
    };
    URL_SAFE_NO_PAD.encode(format!("{kind}{id}:{value}"))
}

/// Reads the `next` of a page listed by `sort` in the `descending` order or not.
pub fn parse_cursor(next: &str, sort: FileSort, descending: bool) -> Result<FilesCursor, String> {
    let refused = || format!("`cursor` {next:?} is not the `next` of a page sorted this way");
    let text = URL_SAFE_NO_PAD
        .decode(next.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(refused)?;
    let (head, value) = text.split_once(':').ok_or_else(refused)?;
    let (kind, id) = head.split_at_checked(1).ok_or_else(refused)?;
    if descending != kind.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(refused());
    }
    let id = FileId::parse(id).map_err(|_| refused())?;
    let key = match (kind.to_ascii_lowercase().as_str(), sort) {
        ("n", FileSort::Name) => SortKey::name(value),
        ("s", FileSort::Size) => SortKey::Size(value.parse().map_err(|_| refused())?),
        ("t", FileSort::Time) => SortKey::Time(value.parse().map_err(|_| refused())?),
        _ => return Err(refused()),
    };
    Ok(FilesCursor { key, id })
}
