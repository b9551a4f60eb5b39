//! The query string of a series request as a [`SeriesQuery`]:
//! `?channel=app/instrument/channel&channel=calc:{id}&from=…&to=…&buckets=…`; the rules it must meet are the use case's
//! ([`fieldcloud::usecases::series`]).

use fieldcloud::domain::channel::SeriesRef;
use fieldcloud::usecases::series::{buckets, SeriesQuery, DEFAULT_BUCKETS};

use crate::error::ApiError;
use crate::input::parse_time;

/// Reads a type from a URL's query string.
pub trait FromQuery: Sized {
    fn parse(query: &str) -> Result<Self, ApiError>;
}

impl FromQuery for SeriesQuery {
    fn parse(query: &str) -> Result<SeriesQuery, ApiError> {
        let mut channels = Vec::new();
        let (mut from, mut to, mut count) = (None, None, DEFAULT_BUCKETS);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "channel" => {
                    channels.push(SeriesRef::parse(&value).map_err(ApiError::bad_request)?)
                }
                "from" => from = Some(parse_time("from", &value)?),
                "to" => to = Some(parse_time("to", &value)?),
                "buckets" => count = buckets(&value)?,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "unknown parameter `{other}`; use channel, from, to, buckets"
                    )))
                }
            }
        }
        Ok(SeriesQuery::new(channels, from, to, count)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcloud::domain::record::{Millis, Value};
    use fieldcloud::usecases::series::{ReadLimits, MAX_BUCKETS, MAX_CHANNELS};
    use serde_json::json;

    /// The page client programmers read gives the limits this module enforces.
    #[test]
    fn docs_api_gives_the_series_limits() {
        let doc = include_str!("../../../docs/api.md");
        let limits = ReadLimits::default();
        for text in [
            format!("`channel` (1 to {MAX_CHANNELS} times"),
            format!("a whole number from 1 to {MAX_BUCKETS}; {DEFAULT_BUCKETS} when left out"),
            format!(
                "at most {} records of one instrument",
                limits.per_instrument
            ),
            format!(
                "more than {} records over all its instruments, or more than {} values",
                limits.per_request, limits.per_request_values
            ),
        ] {
            assert!(doc.contains(&text), "docs/api.md should say `{text}`");
        }
    }

    #[test]
    fn query_parses_channels_times_and_buckets() {
        let q = SeriesQuery::parse(
            "channel=gw-1%2FLR-1%2FCH%201&channel=gw-1/LR-1/CH2&from=1000&to=2026-11-21T09:00:00%2B08:00&buckets=10",
        )
        .unwrap();
        assert_eq!(q.channels.len(), 2);
        assert_eq!(q.channels[0].to_string(), "gw-1/LR-1/CH 1");
        assert_eq!(q.from, Millis(1000));
        assert_eq!(q.to, Millis(1_795_222_800_000));
        assert_eq!(q.buckets, 10);
    }

    #[test]
    fn bad_queries_name_the_problem() {
        let message = |q: &str| SeriesQuery::parse(q).unwrap_err().message;
        assert!(message("from=1&to=2").contains("1 to 32 channels"));
        assert!(message("channel=a/b&from=1&to=2").contains("app/instrument/channel"));
        assert!(
            message("channel=a/b/c&from=yesterday&to=2").contains("`from` must be milliseconds")
        );
        assert!(message("channel=a/b/c&from=2&to=1").contains("before"));
        assert!(message("channel=a/b/c&from=1&to=2&buckets=0").contains("1 to 5000"));
        assert!(message("channel=a/b/c&from=1&to=2&limit=3").contains("unknown parameter `limit`"));
        let too_many: String = (0..33).map(|i| format!("channel=a/b/c{i}&")).collect();
        assert!(message(&format!("{too_many}from=1&to=2")).contains("got 33"));
    }

    #[test]
    fn special_values_serialize_as_the_device_protocol_spells_them() {
        let value = Value::Special(fieldcloud::domain::record::Special::MinusOver);
        assert_eq!(json!(value), json!("-OVER"));
    }
}
