//! Series of up to [`MAX_CHANNELS`] channels of a measurement group, measured or
//! calculated, over a time range: raw when short, else downsampled to the first, last,
//! least and greatest point per bucket (M4) so that peaks survive. How much one request may read is
//! [`ReadLimits`]; a request that would read more is refused with what to narrow.

use std::collections::BTreeMap;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Serialize;

use crate::domain::channel::SeriesRef;
use crate::domain::codec::ChannelIndex;
use crate::domain::downsample::{m4, m4_aligned, Point};
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::record::{Millis, Value};
use crate::domain::registry::{Group, InstrumentKey};
use crate::domain::rollup::{Level, ROLLUP_MAX_CHANNELS};
use crate::domain::rollup_plan::{aligned_buckets, buckets_met};
use crate::domain::token::Principal;
use crate::ports::{
    Apps, CalculatedChannels, ChunkStore, DataUsage, Instruments, RecordStore, StoreError,
};

use super::drawn::{Drawn, Wanted};
use super::rolled;
use super::Refused;

/// The most channels one request may ask for (SPEC.md 4).
pub const MAX_CHANNELS: usize = 32;
pub const DEFAULT_BUCKETS: usize = 500;
pub const MAX_BUCKETS: usize = 5_000;

/// How many stored records one series or backtest request may read.
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
    /// A query of `channels` (one asked for twice is read once) from `from` to `to`, in
    /// `buckets` buckets (see [`buckets`]); the message of a refusal names the field.
    pub fn new(
        channels: Vec<SeriesRef>,
        from: Option<Millis>,
        to: Option<Millis>,
        buckets: usize,
    ) -> Result<SeriesQuery, Refused> {
        let mut unique: Vec<SeriesRef> = Vec::with_capacity(channels.len());
        for channel in channels {
            if !unique.contains(&channel) {
                unique.push(channel);
            }
        }
        if unique.is_empty() || unique.len() > MAX_CHANNELS {
            return Err(Refused::invalid(format!(
                "ask for 1 to {MAX_CHANNELS} channels with `channel=app/instrument/channel`, got {}",
                unique.len()
            )));
        }
        let from = from.ok_or_else(|| Refused::invalid("`from` is missing"))?;
        let to = to.ok_or_else(|| Refused::invalid("`to` is missing"))?;
        if from >= to {
            return Err(Refused::invalid("`from` must be before `to`"));
        }
        if !(1..=MAX_BUCKETS).contains(&buckets) {
            return Err(not_buckets(buckets));
        }
        Ok(SeriesQuery {
            channels: unique,
            from,
            to,
            buckets,
        })
    }
}

/// A number of buckets as text: a whole number from 1 to [`MAX_BUCKETS`].
pub fn buckets(value: &str) -> Result<usize, Refused> {
    value
        .parse()
        .ok()
        .filter(|b| (1..=MAX_BUCKETS).contains(b))
        .ok_or_else(|| not_buckets(value))
}

fn not_buckets(value: impl std::fmt::Display) -> Refused {
    Refused::invalid(format!(
        "`buckets` must be a whole number from 1 to {MAX_BUCKETS}, got `{value}`"
    ))
}

/// The series of a query, over the group `group`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Series {
    pub group: GroupId,
    pub from: Millis,
    pub to: Millis,
    pub buckets: usize,
    /// The buckets' width in milliseconds when they are whole ten minutes, hours or days
    /// from the epoch on (the first and last cut by `from` and `to`); null when they are
    /// `buckets` equal parts of the range.
    pub bucket_width: Option<i64>,
    /// Where an instrument's records were cut at the read limit per instrument
    /// ([`ReadLimits::per_instrument`]), if any was: the earliest such time.
    pub truncated_at: Option<Millis>,
    pub series: Vec<ChannelSeries>,
}

/// One channel's points, as `[t, value]` pairs.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChannelSeries {
    pub channel: String,
    pub downsampled: bool,
    pub points: Vec<(Millis, Value)>,
}

/// The series of `query` as of `now`. Buckets five minutes wide or wider are drawn as
/// whole ten minutes, hours or days ([`aligned_buckets`]) and read from rollups where
/// those are exact and complete; narrower ones are `query.buckets` equal buckets, read
/// from records.
pub async fn series(
    store: &(impl Apps + Instruments + CalculatedChannels + DataUsage),
    record_store: &(impl RecordStore + ChunkStore),
    principal: &Principal,
    group: &Group,
    query: &SeriesQuery,
    limits: ReadLimits,
    now: Millis,
) -> Result<Series, Refused> {
    let aligned = aligned_buckets(query.from, query.to, query.buckets);
    let read = match aligned {
        Some((_, level)) => {
            let rolled = Rolled {
                usage: store,
                records: record_store,
                level,
                now,
            };
            read_points(
                store,
                &rolled,
                principal,
                &group.id,
                &query.channels,
                (query.from, query.to),
                limits,
            )
            .await?
        }
        None => {
            let records = AllRecords(record_store);
            read_points(
                store,
                &records,
                principal,
                &group.id,
                &query.channels,
                (query.from, query.to),
                limits,
            )
            .await?
        }
    };
    let series = query
        .channels
        .iter()
        .zip(read.points)
        .map(|(channel, points)| {
            let (reduced, downsampled) = match aligned {
                Some((width, _)) => (m4_aligned(&points, width), true),
                None => {
                    let reduced = m4(&points, query.from, query.to, query.buckets);
                    let downsampled = reduced.len() != points.len();
                    (reduced, downsampled)
                }
            };
            ChannelSeries {
                channel: channel.to_string(),
                downsampled,
                points: reduced.iter().map(|p| (p.t, p.value)).collect(),
            }
        })
        .collect();
    Ok(Series {
        group: group.id.clone(),
        from: query.from,
        to: query.to,
        buckets: aligned.map_or(query.buckets, |(width, _)| {
            buckets_met(query.from, query.to, width)
        }),
        bucket_width: aligned.map(|(width, _)| width),
        truncated_at: read.truncated_at,
        series,
    })
}

/// How [`read_points`] reads one key's records: what it draws of the `wanted` channels
/// in a range, in time order, up to `limits.0` records, nothing after them, and rollup
/// skeletons until their values pass `limits.1`.
#[async_trait]
pub(crate) trait ReadKey: Sync {
    async fn read(
        &self,
        key: &InstrumentKey,
        (channels, wanted): (usize, Wanted),
        range: (Millis, Millis),
        limits: (usize, usize),
    ) -> Result<Drawn, StoreError>;
}

/// Every record, compacted or not (alarm backtests, graphs of narrow buckets).
pub(crate) struct AllRecords<'a, R>(pub &'a R);

#[async_trait]
impl<R: RecordStore + ChunkStore> ReadKey for AllRecords<'_, R> {
    async fn read(
        &self,
        key: &InstrumentKey,
        (_, wanted): (usize, Wanted),
        range: (Millis, Millis),
        (limit, _): (usize, usize),
    ) -> Result<Drawn, StoreError> {
        let mut drawn = Drawn::new(wanted);
        rolled::read_records(self.0, key, range, limit, &mut drawn).await?;
        Ok(drawn)
    }
}

/// Rollups at `level` where exact and complete as of `now`, records elsewhere; a key of
/// more channels than are rolled up, records only.
struct Rolled<'a, U, R> {
    usage: &'a U,
    records: &'a R,
    level: Level,
    now: Millis,
}

#[async_trait]
impl<U: DataUsage, R: RecordStore + ChunkStore> ReadKey for Rolled<'_, U, R> {
    async fn read(
        &self,
        key: &InstrumentKey,
        (channels, wanted): (usize, Wanted),
        range: (Millis, Millis),
        limits: (usize, usize),
    ) -> Result<Drawn, StoreError> {
        let level = (channels <= ROLLUP_MAX_CHANNELS).then_some(self.level);
        rolled::range(
            self.usage,
            self.records,
            key,
            wanted,
            level,
            range,
            self.now,
            limits,
        )
        .await
    }
}

/// What [`read_points`] read.
#[derive(Debug)]
pub(crate) struct PointsRead {
    /// Each asked channel's stored values in time order, in the order asked.
    pub points: Vec<Vec<Point>>,
    /// How many records were read, over all instruments and calculated channels.
    pub records: usize,
    /// Where an instrument's records were cut at the read limit per instrument
    /// ([`ReadLimits::per_instrument`]), if any was: the earliest such time. Nothing after it was read of that instrument.
    pub truncated_at: Option<Millis>,
}

/// The stored values of `channels` (each once) of `group`, from `range.0` (included) to
/// `range.1` (excluded), read within `limits`: what series and alarm backtests both read.
/// A channel outside the group is not found; a read over the request's limits is
/// refused with what to narrow.
pub(crate) async fn read_points(
    store: &(impl Apps + Instruments + CalculatedChannels),
    reader: &impl ReadKey,
    principal: &Principal,
    group: &GroupId,
    channels: &[SeriesRef],
    (from, to): (Millis, Millis),
    limits: ReadLimits,
) -> Result<PointsRead, Refused> {
    // Every channel becomes a record key and a channel index; channels stored under the
    // same key (one instrument's) share one read.
    let mut reads: BTreeMap<InstrumentKey, (usize, Vec<(usize, ChannelIndex)>)> = BTreeMap::new();
    for (slot, channel) in channels.iter().enumerate() {
        let (key, index, width) = locate(store, &principal.account, group, channel).await?;
        let read = reads.entry(key).or_insert((width, Vec::new()));
        read.1.push((slot, index));
    }
    let mut points: Vec<Vec<Point>> = vec![Vec::new(); channels.len()];
    let mut truncated_at: Option<Millis> = None;
    let (mut records_left, mut values_left) = (limits.per_request, limits.per_request_values);
    let instruments = reads.len();
    for (key, (width, wanted)) in reads {
        let width = width.max(1);
        // One more than the budget allows tells "over" from "exactly at".
        let budget = records_left.min(values_left / width);
        let limit = limits.per_instrument.min(budget + 1);
        let slots: Vec<usize> = wanted.iter().map(|(slot, _)| *slot).collect();
        // Each channel read into the slot of its place among this key's.
        let local = Wanted::new(wanted.iter().enumerate().map(|(i, (_, index))| (i, *index)));
        let Drawn {
            points: drawn,
            from_records,
            rollup_values,
            last_record,
            ..
        } = reader
            .read(&key, (width, local), (from, to), (limit, values_left))
            .await?;
        let values = from_records * width + rollup_values;
        if from_records > budget || values > values_left {
            return Err(Refused::TooMuchData(format!(
                "this request would read more than {} records or {} values from its {instruments} instruments; ask for a shorter range (`from`, `to`) or for channels of fewer instruments",
                limits.per_request, limits.per_request_values
            )));
        }
        records_left -= from_records;
        values_left -= values;
        if from_records == limits.per_instrument {
            let last = last_record.expect("the limit is above zero");
            truncated_at = Some(truncated_at.map_or(last, |t| t.min(last)));
        }
        for (slot, drawn) in slots.into_iter().zip(drawn) {
            points[slot] = drawn;
        }
    }
    Ok(PointsRead {
        points,
        records: limits.per_request - records_left,
        truncated_at,
    })
}

/// Where a channel's values are stored: the key, the channel's index there, and how many
/// channels each record under the key holds. Anything outside the account's group — another
/// account's app, another group's — answers exactly like a channel that does not exist.
pub(crate) async fn locate(
    store: &(impl Apps + Instruments + CalculatedChannels),
    account: &AccountId,
    group: &GroupId,
    channel: &SeriesRef,
) -> Result<(InstrumentKey, ChannelIndex, usize), Refused> {
    let not_found =
        || Refused::not_found(format!("channel `{channel}` not found in group `{group}`"));
    match channel {
        SeriesRef::Calculated(id) => {
            let calculated = store
                .calculated_channel(account, group, id)
                .await?
                .ok_or_else(not_found)?;
            Ok((calculated.key(), 0, 1))
        }
        SeriesRef::Measured(measured) => {
            // The app and the instrument are both checked against the group, and the
            // instrument must be of the app's current registration: its key carries the
            // registration, so a re-registered app ID shows no earlier history.
            let app = store
                .app(account, &measured.app)
                .await?
                .filter(|a| a.group == *group)
                .ok_or_else(not_found)?;
            let instrument = store
                .instrument(account, &measured.app, &measured.instrument)
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
