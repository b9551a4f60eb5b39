//! Measurement data bytes: one item per instrument key under the account's `DATA#`
//! partition, so that counting one key is one small write and the account's total one
//! Query.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::chunks::CHUNK_KEY_SUFFIX;
use super::keys::*;
use super::store::{written, written_as, DynamoStore};
use super::values::{n, s, Item};
use crate::domain::ids::AccountId;
use crate::domain::record::Millis;
use crate::domain::registry::InstrumentKey;
use crate::domain::rollup::is_rollups_key;
use crate::domain::usage::{KeyPending, Mark, PendingHour, StreamPosition, Tally};
use crate::ports::{BacklogStep, Counted, DataUsage, StoreError};

const BYTES: &str = "bytes";
/// The stream position the bytes are counted through, padded to compare as a string.
const THROUGH: &str = "through";

fn data_sk(key: &InstrumentKey) -> String {
    format!("{DATA_KEY_PREFIX}{}", key.as_str())
}

/// The instrument key a data-bytes item counts.
fn key_of(item: &Item) -> Result<InstrumentKey, StoreError> {
    match item.get("sk") {
        Some(AttributeValue::S(sk)) => sk
            .strip_prefix(DATA_KEY_PREFIX)
            .map(|key| InstrumentKey::from_stored(key.to_owned()))
            .ok_or_else(|| StoreError::Corrupt(format!("data key `{sk}`"))),
        other => Err(StoreError::Corrupt(format!("data key {other:?}"))),
    }
}

/// What a marked hour is marked with: an attribute named `p` and the hour's start in
/// milliseconds, holding the stream position that marked it last (a string), or, once
/// it is compacted and waits for its day's end, the number of [`Mark::Compacted`].
const PENDING_PREFIX: &str = "p";

/// The names and `SET` clauses marking `hours` pending as of `:last`.
fn pending_marks(hours: &[Millis]) -> (HashMap<String, String>, Vec<String>) {
    hours
        .iter()
        .enumerate()
        .map(|(i, hour)| {
            (
                (format!("#p{i}"), format!("{PENDING_PREFIX}{}", hour.0)),
                format!("#p{i} = :last"),
            )
        })
        .unzip()
}

/// A mark as stored: the stream position that marked it (a string), or the number of
/// an hour compacted whose rollups wait for its day's end.
fn mark_value(mark: &Mark) -> AttributeValue {
    match mark {
        Mark::Stored(position) => s(position.as_str()),
        Mark::Compacted(drawn) => n(*drawn),
    }
}

/// The hours a data item has marked pending, oldest first.
fn pending_of(item: &Item) -> Result<Vec<PendingHour>, StoreError> {
    let mut pending = item
        .iter()
        .filter_map(|(name, value)| {
            let hour = name.strip_prefix(PENDING_PREFIX)?.parse().ok()?;
            Some((hour, value))
        })
        .map(|(hour, value)| match value {
            AttributeValue::S(marked) => Ok(PendingHour {
                hour: Millis(hour),
                marked: Mark::Stored(StreamPosition::parse(marked).map_err(StoreError::Corrupt)?),
            }),
            AttributeValue::N(drawn) => Ok(PendingHour {
                hour: Millis(hour),
                marked: Mark::Compacted(drawn.parse().map_err(|_| {
                    StoreError::Corrupt(format!("pending hour {hour}: compacted `{drawn}`"))
                })?),
            }),
            other => Err(StoreError::Corrupt(format!(
                "pending hour {hour}: {other:?}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    pending.sort_by_key(|p| p.hour);
    Ok(pending)
}

/// Where a key's unmarked backlog starts ([`KeyPending::backlog_from`]).
const BACKLOG: &str = "backlog";
/// [`KeyPending::backlog_version`].
const BACKLOG_VERSION: &str = "backlog_v";
/// From when a key's hours are rolled up ([`KeyPending::rolled_from`]).
const ROLLED_FROM: &str = "rolled_from";

/// A time kept as attribute `name`, if the item has it.
fn time_of(item: &Item, name: &str) -> Result<Option<Millis>, StoreError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(t)) => t
            .parse()
            .map(|t| Some(Millis(t)))
            .map_err(|_| StoreError::Corrupt(format!("{name} `{t}`"))),
        Some(other) => Err(StoreError::Corrupt(format!("{name} {other:?}"))),
    }
}

impl DynamoStore {
    /// Makes `from` the start of `key`'s backlog unless an earlier one is kept.
    async fn keep_backlog(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        from: Millis,
    ) -> Result<(), StoreError> {
        let kept = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)))
            // Zero bytes added: an item made here has its bytes like any other.
            .update_expression("SET #backlog = :from ADD #bytes :zero, #version :one")
            .condition_expression("attribute_not_exists(#backlog) OR #backlog > :from")
            .expression_attribute_names("#backlog", BACKLOG)
            .expression_attribute_names("#bytes", BYTES)
            .expression_attribute_names("#version", BACKLOG_VERSION)
            .expression_attribute_values(":from", n(from.0))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        if written(kept)? {
            return Ok(());
        }
        // An earlier start is kept already: its walk may be past this backlog's hours,
        // so it must not move on over what it read.
        let bumped = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)))
            .update_expression("ADD #version :one")
            .expression_attribute_names("#version", BACKLOG_VERSION)
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        written(bumped).map(|_| ())
    }
}

#[async_trait]
impl DataUsage for DynamoStore {
    async fn count_data(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        tally: &Tally,
    ) -> Result<Counted, StoreError> {
        // At most MARKS_A_DELIVERY marks, so the item stays small; the hours past them
        // start the key's backlog, kept first so a redelivery after a failure between
        // the two writes still keeps it (keeping the earliest is idempotent).
        let (hours, past) = tally.marks();
        if let Some(past) = past {
            self.keep_backlog(account, key, past).await?;
        }
        let (mut names, mut set) = pending_marks(&hours);
        let mut values = HashMap::new();
        if let Some(oldest) = hours.first() {
            names.insert("#rolled".into(), ROLLED_FROM.into());
            set.push("#rolled = if_not_exists(#rolled, :oldest)".into());
            values.insert(":oldest".to_owned(), n(oldest.0));
        }
        names.insert("#through".into(), THROUGH.into());
        names.insert("#bytes".into(), BYTES.into());
        set.push("#through = :last".into());
        let added = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)))
            .update_expression(format!("SET {} ADD #bytes :bytes", set.join(", ")))
            .condition_expression("attribute_not_exists(#through) OR #through < :first")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(":last", s(tally.last.as_str()))
            .expression_attribute_values(":first", s(tally.first.as_str()))
            .expression_attribute_values(":bytes", n(tally.bytes))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        if let Some(output) = written_as(added)? {
            return pending_of(&output.attributes.unwrap_or_default()).map(Counted::Counted);
        }
        let item = self
            .get(data_pk(account), &data_sk(key))
            .await?
            .ok_or_else(|| {
                StoreError::Unavailable(format!("data bytes of {} vanished", key.as_str()))
            })?;
        match item.get(THROUGH) {
            Some(AttributeValue::S(through)) => StreamPosition::parse(through)
                .map(Counted::Already)
                .map_err(StoreError::Corrupt),
            other => Err(StoreError::Corrupt(format!("stream position {other:?}"))),
        }
    }

    async fn data_bytes(&self, account: &AccountId) -> Result<u64, StoreError> {
        let mut total: i64 = 0;
        for item in self.query_prefix(data_pk(account), DATA_KEY_PREFIX).await? {
            // Rollups are charged nothing (`DataItem`); items of rollup keys counted
            // before that still hold their bytes.
            let key = key_of(&item)?;
            let stored_under = key.as_str().strip_suffix(CHUNK_KEY_SUFFIX);
            if stored_under.is_some_and(|k| is_rollups_key(&InstrumentKey::from_stored(k.into()))) {
                continue;
            }
            total += match item.get(BYTES) {
                Some(AttributeValue::N(bytes)) => bytes
                    .parse::<i64>()
                    .map_err(|_| StoreError::Corrupt(format!("data bytes `{bytes}`")))?,
                other => return Err(StoreError::Corrupt(format!("data bytes {other:?}"))),
            };
        }
        // Below zero only if a deletion were counted before the write it undoes, which
        // the stream's order per item rules out.
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn data_keys(&self, account: &AccountId) -> Result<Vec<InstrumentKey>, StoreError> {
        self.query_prefix(data_pk(account), DATA_KEY_PREFIX)
            .await?
            .iter()
            .map(key_of)
            .collect()
    }

    async fn pending_hours(
        &self,
        account: &AccountId,
    ) -> Result<Vec<(InstrumentKey, Vec<PendingHour>)>, StoreError> {
        let mut keys = Vec::new();
        for item in self.query_prefix(data_pk(account), DATA_KEY_PREFIX).await? {
            let pending = pending_of(&item)?;
            if pending.is_empty() && time_of(&item, BACKLOG)?.is_none() {
                continue;
            }
            keys.push((key_of(&item)?, pending));
        }
        Ok(keys)
    }

    async fn key_marks(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
    ) -> Result<Option<Vec<PendingHour>>, StoreError> {
        match self.get(data_pk(account), &data_sk(key)).await? {
            Some(item) => pending_of(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn key_pending(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
    ) -> Result<KeyPending, StoreError> {
        let Some(item) = self.get(data_pk(account), &data_sk(key)).await? else {
            return Ok(KeyPending::default());
        };
        Ok(KeyPending {
            hours: pending_of(&item)?.into_iter().map(|p| p.hour).collect(),
            backlog_from: time_of(&item, BACKLOG)?,
            backlog_version: time_of(&item, BACKLOG_VERSION)?.map_or(0, |v| v.0 as u64),
            rolled_from: time_of(&item, ROLLED_FROM)?,
        })
    }

    async fn advance_backlog(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        (from, version): (Millis, u64),
        to: BacklogStep,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)))
            .condition_expression("#backlog = :from AND #version = :version")
            .expression_attribute_names("#backlog", BACKLOG)
            .expression_attribute_names("#version", BACKLOG_VERSION)
            .expression_attribute_values(":from", n(from.0))
            .expression_attribute_values(":version", n(version));
        let update = match to {
            BacklogStep::MoveTo(to) => update
                .update_expression("SET #backlog = :to")
                .expression_attribute_values(":to", n(to.0)),
            BacklogStep::TakeOff { open_hours } if open_hours.is_empty() => {
                update.update_expression("REMOVE #backlog")
            }
            BacklogStep::TakeOff { open_hours } => {
                let (names, set): (HashMap<String, String>, Vec<String>) = open_hours
                    .iter()
                    .enumerate()
                    .map(|(i, hour)| {
                        (
                            (format!("#p{i}"), format!("{PENDING_PREFIX}{}", hour.0)),
                            format!("#p{i} = if_not_exists(#p{i}, :before)"),
                        )
                    })
                    .unzip();
                names
                    .into_iter()
                    .fold(update, |update, (name, attribute)| {
                        update.expression_attribute_names(name, attribute)
                    })
                    .update_expression(format!("SET {} REMOVE #backlog", set.join(", ")))
                    .expression_attribute_values(
                        ":before",
                        s(StreamPosition::before_any().as_str()),
                    )
            }
        };
        written(update.send().await)
    }

    async fn keep_rollups_from(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        from: Millis,
    ) -> Result<(), StoreError> {
        let kept = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)))
            .update_expression("SET #rolled = :from")
            // Only later: a key never rolled up stays so, and one rolled up from later
            // keeps that.
            .condition_expression("#rolled < :from")
            .expression_attribute_names("#rolled", ROLLED_FROM)
            .expression_attribute_values(":from", n(from.0))
            .send()
            .await;
        written(kept).map(|_| ())
    }

    async fn unmark_hours(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        hours: &[PendingHour],
    ) -> Result<bool, StoreError> {
        if hours.is_empty() {
            return Ok(true);
        }
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)));
        let (mut removed, mut unchanged) = (Vec::new(), Vec::new());
        for (i, pending) in hours.iter().enumerate() {
            removed.push(format!("#p{i}"));
            // Not `attribute_not_exists`: an update of no item would make one.
            unchanged.push(format!("#p{i} = :m{i}"));
            update = update
                .expression_attribute_names(
                    format!("#p{i}"),
                    format!("{PENDING_PREFIX}{}", pending.hour.0),
                )
                .expression_attribute_values(format!(":m{i}"), mark_value(&pending.marked));
        }
        let removed = update
            .update_expression(format!("REMOVE {}", removed.join(", ")))
            .condition_expression(unchanged.join(" AND "))
            .send()
            .await;
        written(removed)
    }

    async fn mark_compacted(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        pending: &PendingHour,
    ) -> Result<bool, StoreError> {
        let marked = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)))
            .update_expression("SET #p = :compacted")
            .condition_expression("#p = :marked")
            .expression_attribute_names("#p", format!("{PENDING_PREFIX}{}", pending.hour.0))
            .expression_attribute_values(":marked", mark_value(&pending.marked))
            .expression_attribute_values(":compacted", mark_value(&pending.marked.compacted()))
            .send()
            .await;
        written(marked)
    }
}
