//! The inbox's query string: `filter` (`all`, the default, or `unread`), `limit` (1 to
//! 100, 100 by default), `cursor` (a page's `next`).

use fieldcloud::usecases::inbox::{cursor, page_limit, Filter, InboxQuery};

use crate::error::ApiError;

pub fn inbox_query(text: &str) -> Result<InboxQuery, ApiError> {
    let mut query = InboxQuery::default();
    for (name, value) in form_urlencoded::parse(text.as_bytes()) {
        match name.as_ref() {
            "filter" => query.filter = Filter::parse(&value)?,
            "limit" => query.limit = page_limit(&value)?,
            "cursor" => query.cursor = Some(cursor(&value)?),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{other}`; use filter, limit, cursor"
                )))
            }
        }
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_parameter_is_refused_by_name() {
        for (text, field) in [
            ("filter=read", "`filter`"),
            ("limit=0", "`limit`"),
            ("limit=101", "`limit`"),
            ("limit=x", "`limit`"),
            ("cursor=!!", "`cursor`"),
            ("cursor=eA", "`cursor`"),
            ("after=x", "`after`"),
        ] {
            let refused = inbox_query(text).unwrap_err();
            assert_eq!(refused.status, 400, "{text}");
            assert!(
                refused.message.contains(field),
                "{text}: {}",
                refused.message
            );
        }
    }

    #[test]
    fn a_query_reads_its_filter_limit_and_cursor() {
        let next = "MDAxNzAwMDAwMDAwMDAwLmhvdC4xLnJhaXNlZA";
        let query = inbox_query(&format!("filter=unread&limit=5&cursor={next}")).unwrap();
        assert_eq!(query.filter, Filter::Unread);
        assert_eq!(query.limit, 5);
        assert_eq!(
            query.cursor.unwrap().as_str(),
            "001700000000000.hot.1.raised"
        );
        assert_eq!(inbox_query("").unwrap(), InboxQuery::default());
    }
}
