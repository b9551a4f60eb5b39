//! Measurement data bytes: one item per instrument key under the account's `DATA#`
//! partition, so that counting one key is one small write and the account's total one
//! Query.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::store::{written, DynamoStore};
use super::values::{n, s};
use crate::domain::ids::AccountId;
use crate::domain::registry::InstrumentKey;
use crate::domain::usage::{StreamPosition, Tally};
use crate::ports::{Counted, DataUsage, StoreError};

const BYTES: &str = "bytes";
/// The stream position the bytes are counted through, padded to compare as a string.
const THROUGH: &str = "through";

fn data_sk(key: &InstrumentKey) -> String {
    format!("{DATA_KEY_PREFIX}{}", key.as_str())
}

#[async_trait]
impl DataUsage for DynamoStore {
    async fn count_data(
        &self,
        account: &AccountId,
        key: &InstrumentKey,
        tally: &Tally,
    ) -> Result<Counted, StoreError> {
        let added = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(data_pk(account)))
            .key("sk", s(data_sk(key)))
            .update_expression("SET #through = :last ADD #bytes :bytes")
            .condition_expression("attribute_not_exists(#through) OR #through < :first")
            .expression_attribute_names("#through", THROUGH)
            .expression_attribute_names("#bytes", BYTES)
            .expression_attribute_values(":last", s(tally.last.as_str()))
            .expression_attribute_values(":first", s(tally.first.as_str()))
            .expression_attribute_values(":bytes", n(tally.bytes))
            .send()
            .await;
        if written(added)? {
            return Ok(Counted::Counted);
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
            .into_iter()
            .map(|item| match item.get("sk") {
                Some(AttributeValue::S(sk)) => sk
                    .strip_prefix(DATA_KEY_PREFIX)
                    .map(|key| InstrumentKey::from_stored(key.to_owned()))
                    .ok_or_else(|| StoreError::Corrupt(format!("data key `{sk}`"))),
                other => Err(StoreError::Corrupt(format!("data key {other:?}"))),
            })
            .collect()
    }
}
