//! Folders of the drive: paths files name (`plant/line 1`), and folders made empty, kept
//! as their own items until they are deleted (with their group, or as a folder). Moving
//! one moves every file and folder below it; deleting one deletes them.

use schemars::JsonSchema;
use serde::Deserialize;

use super::check_folder;

/// Folders a group may keep made (a made folder that has files since still counts;
/// folders that are only paths of files do not).
pub const MAX_EMPTY_FOLDERS: usize = 1_000;

/// Files one move renames in place: an API request's worth of writes (one each). A
/// larger folder moves a subfolder at a time.
pub const MAX_FILES_MOVED: usize = 1_000;

/// Files one delete removes (an object and an entry each); a larger folder is deleted by
/// asking again until nothing is `left`.
pub const MAX_FILES_DELETED: usize = 300;

/// Whether `folder` is `root` or below it.
pub fn is_within(folder: &str, root: &str) -> bool {
    folder == root
        || folder
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Where `folder` goes when `from` moves to `to`: none if it is not within `from`.
pub fn moved(folder: &str, from: &str, to: &str) -> Option<String> {
    if folder == from {
        return Some(to.to_owned());
    }
    let rest = folder.strip_prefix(from)?.strip_prefix('/')?;
    Some(format!("{to}/{rest}"))
}

/// A folder named in a request: not the top, a valid path.
fn check_path(field: &str, path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err(format!(
            "`{field}`: name a folder (`a/b`); the top cannot be {field}"
        ));
    }
    check_folder(path).map_err(|e| e.replacen("`folder`", &format!("`{field}`"), 1))
}

/// A folder to make, or to delete with everything in it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderPath {
    pub path: String,
}

impl FolderPath {
    pub fn check(&self) -> Result<(), String> {
        check_path("path", &self.path)
    }
}

/// A folder renamed or moved: `from` becomes `to`, with everything below.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderMove {
    pub from: String,
    pub to: String,
    /// Move into `to` though it exists, its contents and `from`'s together (asked for:
    /// never merged by accident).
    #[serde(default)]
    pub merge: bool,
}

impl FolderMove {
    pub fn check(&self) -> Result<(), String> {
        check_path("from", &self.from)?;
        check_path("to", &self.to)?;
        if is_within(&self.to, &self.from) {
            return Err(format!(
                "`to`: {:?} is {:?} or within it; a folder cannot move into itself",
                self.to, self.from
            ));
        }
        Ok(())
    }

    /// Where `folder` goes, if it is within `from`; a path too deep is refused by name.
    pub fn apply(&self, folder: &str) -> Result<Option<String>, String> {
        let Some(to) = moved(folder, &self.from, &self.to) else {
            return Ok(None);
        };
        check_folder(&to).map_err(|e| format!("moving {folder:?} there: {e}"))?;
        Ok(Some(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(from: &str, to: &str) -> FolderMove {
        FolderMove {
            from: from.into(),
            to: to.into(),
            merge: false,
        }
    }

    #[test]
    fn a_folder_holds_itself_and_what_is_below_it_only() {
        assert!(is_within("a/b", "a/b"));
        assert!(is_within("a/b/c", "a/b"));
        assert!(!is_within("a/bc", "a/b"));
        assert!(!is_within("a", "a/b"));
    }

    #[test]
    fn moving_keeps_what_is_below() {
        let rename = asked("plant/line 1", "plant/line A");
        assert_eq!(
            rename.apply("plant/line 1/2026").unwrap(),
            Some("plant/line A/2026".into())
        );
        assert_eq!(
            rename.apply("plant/line 1").unwrap(),
            Some("plant/line A".into())
        );
        assert_eq!(rename.apply("plant/line 10").unwrap(), None);
        assert_eq!(rename.apply("").unwrap(), None);
    }

    #[test]
    fn a_move_into_itself_the_top_or_too_deep_is_refused_by_name() {
        assert!(asked("a", "a/b")
            .check()
            .unwrap_err()
            .contains("into itself"));
        assert!(asked("a", "a").check().unwrap_err().contains("into itself"));
        assert!(asked("", "b").check().unwrap_err().starts_with("`from`"));
        assert!(asked("a", "").check().unwrap_err().starts_with("`to`"));
        assert!(asked("a", "b//c").check().unwrap_err().starts_with("`to`"));
        assert!(asked("ab", "a/c").check().is_ok());
        let deep = vec!["d"; 15].join("/");
        let error = asked("a", &deep).apply("a/b/c").unwrap_err();
        assert!(error.contains("16 folders deep"), "{error}");
    }
}
