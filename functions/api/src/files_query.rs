//! The drive's query string: `folder` (one folder's files, `""` for the top; absent, the
//! whole group's), `sort` (`name`, the default, `size` or `time`), `order` (`asc`, the
//! default, or `desc`), `limit` (1 to 500, 100 by default), `cursor` (a page's `next`,
//! listed the same way).

use fieldcloud::domain::files::{parse_cursor, FileSort, FilesQuery, MAX_FILES_PAGE};

use crate::error::ApiError;

pub fn files_query(text: &str) -> Result<FilesQuery, ApiError> {
    let mut query = FilesQuery::default();
    let mut cursor = None;
    for (name, value) in form_urlencoded::parse(text.as_bytes()) {
        let refused = |expected: &str| {
            let shown: String = value.chars().take(40).collect();
            Err(ApiError::bad_request(format!(
                "`{name}` must be {expected}, got {shown:?}"
            )))
        };
        match name.as_ref() {
            "folder" => query.folder = Some(value.into_owned()),
            "sort" => {
                query.sort = match value.as_ref() {
                    "name" => FileSort::Name,
                    "size" => FileSort::Size,
                    "time" => FileSort::Time,
                    _ => return refused("`name`, `size` or `time`"),
                }
            }
            "order" => {
                query.descending = match value.as_ref() {
                    "asc" => false,
                    "desc" => true,
                    _ => return refused("`asc` or `desc`"),
                }
            }
            "limit" => match value.parse() {
                Ok(limit) if (1..=MAX_FILES_PAGE).contains(&limit) => query.limit = limit,
                _ => return refused(&format!("a whole number from 1 to {MAX_FILES_PAGE}")),
            },
            "cursor" => cursor = Some(value.into_owned()),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{other}`; use folder, sort, order, limit, cursor"
                )))
            }
        }
    }
    if let Some(next) = cursor {
        let cursor = parse_cursor(&next, query.sort, query.descending);
        query.cursor = Some(cursor.map_err(ApiError::bad_request)?);
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_parameter_is_refused_by_name() {
        for (text, field) in [
            ("sort=colour", "`sort`"),
            ("order=up", "`order`"),
            ("limit=0", "`limit`"),
            ("limit=501", "`limit`"),
            ("limit=x", "`limit`"),
            ("cursor=!!", "`cursor`"),
            ("after=x", "`after`"),
        ] {
            let refused = files_query(text).unwrap_err();
            assert_eq!(refused.status, 400, "{text}");
            assert!(
                refused.message.contains(field),
                "{text}: {}",
                refused.message
            );
        }
    }

    #[test]
    fn a_query_reads_its_folder_sort_order_and_limit() {
        let query = files_query("folder=line%201%2Fpower&sort=size&order=desc&limit=7").unwrap();
        assert_eq!(query.folder.as_deref(), Some("line 1/power"));
        assert_eq!(query.sort, FileSort::Size);
        assert!(query.descending);
        assert_eq!(query.limit, 7);
        assert_eq!(files_query("").unwrap(), FilesQuery::default());
        assert_eq!(files_query("folder=").unwrap().folder.as_deref(), Some(""));
    }
}
