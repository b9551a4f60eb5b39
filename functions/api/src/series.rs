//! `GET /v1/groups/{group}/series?channel=app/instrument/channel&channel=calc:{id}&from=…&to=…&buckets=…`:
//! up to 32 channels, measured or calculated, over a time range; raw when short, else
//! downsampled to the minimum and maximum per bucket so that peaks survive.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use fieldcloud::domain::channel::SeriesRef;
use fieldcloud::domain::codec::{decode_values, ChannelIndex};
use fieldcloud::domain::downsample::{min_max, Point};
use fieldcloud::domain::ids::GroupId;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::{Group, InstrumentKey};
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Apps, CalculatedChannels, Instruments, RecordStore, StoreError};

use crate::error::ApiError;
use crate::input::parse_time;

/// The most channels one request may ask for (SPEC.md 4).
pub const MAX_CHANNELS: usize = 32;
pub const DEFAULT_BUCKETS: usize = 500;
pub const MAX_BUCKETS: usize = 5_000;
/// How many stored records one series request may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Per instrument. A year of one-minute records is 525,600; reading them all would
    /// exhaust a Lambda, so a longer range is cut here and the response says where
    /// (pre-aggregated rollups are the lasting answer).
    pub per_instrument: usize,
    /// Over all the request's instruments: bounds one request's memory and time whatever
    /// channels it names. A request that would read more is refused with what to
    /// narrow, rather than answered in part.
    pub per_request: usize,
    /// Values over all the request's records (records × the channels each instrument
    /// stores): a record of a 1000-channel logger weighs a hundred of a 10-channel one.
    pub per_request_values: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            per_instrument: 50_000,
            per_request: 100_000,
            // At most 9 bytes a value stored: about 45 MB of records in a 256 MB Lambda.
            per_request_values: 5_000_000,
        }
    }
}

/// The validated query of a series request.
#[derive(Debug, PartialEq)]
pub struct SeriesQuery {
    pub channels: Vec<SeriesRef>,
    pub from: Millis,
    pub to: Millis,
    pub buckets: usize,
}

impl SeriesQuery {
    pub fn parse(query: &str) -> Result<SeriesQuery, ApiError> {
        let mut channels = Vec::new();
        let (mut from, mut to, mut buckets) = (None, None, DEFAULT_BUCKETS);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "channel" => {
                    let channel = SeriesRef::parse(&value).map_err(ApiError::bad_request)?;
                    if !channels.contains(&channel) {
                        channels.push(channel);
                    }
                }
                "from" => from = Some(parse_time("from", &value)?),
                "to" => to = Some(parse_time("to", &value)?),
                "buckets" => {
                    buckets = value
                        .parse()
                        .ok()
                        .filter(|b| (1..=MAX_BUCKETS).contains(b))
                        .ok_or_else(|| {
                            ApiError::bad_request(format!(
                                "`buckets` must be a whole number from 1 to {MAX_BUCKETS}, got `{value}`"
                            ))
                        })?
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "unknown parameter `{other}`; use channel, from, to, buckets"
                    )))
                }
            }
        }
        if channels.is_empty() || channels.len() > MAX_CHANNELS {
            return Err(ApiError::bad_request(format!(
                "ask for 1 to {MAX_CHANNELS} channels with `channel=app/instrument/channel`, got {}",
                channels.len()
            )));
        }
        let from = from.ok_or_else(|| ApiError::bad_request("`from` is missing"))?;
        let to = to.ok_or_else(|| ApiError::bad_request("`to` is missing"))?;
        if from >= to {
            return Err(ApiError::bad_request("`from` must be before `to`"));
        }
        Ok(SeriesQuery {
            channels,
            from,
            to,
            buckets,
        })
    }
}

pub async fn series(
    registry: &(impl Apps + Instruments + CalculatedChannels),
    store: &impl RecordStore,
    principal: &Principal,
    group: &Group,
    query: &SeriesQuery,
    limits: ReadLimits,
) -> Result<Json, ApiError> {
    // Every channel becomes a record key and a channel index; channels stored under the
    // same key (one instrument's) share one read.
    let mut reads: BTreeMap<InstrumentKey, (usize, Vec<(usize, ChannelIndex)>)> = BTreeMap::new();
    for (slot, channel) in query.channels.iter().enumerate() {
        let (key, index, width) = locate(registry, principal, &group.id, channel).await?;
        let read = reads.entry(key).or_insert((width, Vec::new()));
        read.1.push((slot, index));
    }
    let mut points: Vec<Vec<Point>> = vec![Vec::new(); query.channels.len()];
    let mut truncated_at: Option<Millis> = None;
    let (mut records_left, mut values_left) = (limits.per_request, limits.per_request_values);
    let instruments = reads.len();
    for (key, (width, wanted)) in reads {
        let width = width.max(1);
        // One more than the budget allows tells "over" from "exactly at".
        let budget = records_left.min(values_left / width);
        let limit = limits.per_instrument.min(budget + 1);
        let records = store.range(&key, query.from, query.to, limit).await?;
        if records.len() > budget {
            return Err(ApiError::too_much_data(format!(
                "this request would read more than {} records or {} values from its {instruments} instruments; ask for a shorter range (`from`, `to`) or for channels of fewer instruments",
                limits.per_request, limits.per_request_values
            )));
        }
        records_left -= records.len();
        values_left -= records.len() * width;
        if records.len() == limits.per_instrument {
            let last = records
                .last()
                .map(|r| r.t)
                .expect("the limit is above zero");
            truncated_at = Some(truncated_at.map_or(last, |t| t.min(last)));
        }
        for record in &records {
            let values = decode_values(&record.values)
                .map_err(|e| ApiError::from(StoreError::Corrupt(e.to_string())))?;
            for (slot, index) in &wanted {
                if let Some((_, value)) = values.iter().find(|(i, _)| i == index) {
                    points[*slot].push(Point {
                        t: record.t,
                        value: *value,
                    });
                }
            }
        }
    }
    let series: Vec<Json> = query
        .channels
        .iter()
        .zip(points)
        .map(|(channel, points)| {
            let reduced = min_max(&points, query.from, query.to, query.buckets);
            json!({
                "channel": channel.to_string(),
                "downsampled": reduced.len() != points.len(),
                "points": reduced.iter().map(|p| json!([p.t, p.value])).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "group": group.id,
        "from": query.from,
        "to": query.to,
        "buckets": query.buckets,
        "truncated_at": truncated_at,
        "series": series,
    }))
}

/// Where a channel's values are stored: the key, the channel's index there, and how many
/// channels each record under the key holds. Anything outside the principal's group — another
/// account's app, another group's — answers exactly like a channel that does not exist.
async fn locate(
    registry: &(impl Apps + Instruments + CalculatedChannels),
    principal: &Principal,
    group: &GroupId,
    channel: &SeriesRef,
) -> Result<(InstrumentKey, ChannelIndex, usize), ApiError> {
    let not_found =
        || ApiError::not_found(format!("channel `{channel}` not found in group `{group}`"));
    match channel {
        SeriesRef::Calculated(id) => {
            let calculated = registry
                .calculated_channel(&principal.account, group, id)
                .await?
                .ok_or_else(not_found)?;
            Ok((calculated.key(), 0, 1))
        }
        SeriesRef::Measured(measured) => {
            // The app and the instrument are both checked against the group, and the
            // instrument must be of the app's current registration: its key carries the
            // registration, so a re-registered app ID shows no earlier history.
            let app = registry
                .app(&principal.account, &measured.app)
                .await?
                .filter(|a| a.group == *group)
                .ok_or_else(not_found)?;
            let instrument = registry
                .instrument(&principal.account, &measured.app, &measured.instrument)
                .await?
                .filter(|i| app.holds(i))
                .ok_or_else(not_found)?;
            let index = instrument
                .channel_index(&measured.channel)
                .ok_or_else(not_found)?;
            // Every channel it ever stored: records from before a deselection hold them.
            Ok((instrument.key(), index, instrument.channels.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcloud::domain::record::Value;

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
