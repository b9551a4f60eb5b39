//! Failed-attempt throttles, in the registry table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, ttl, written, DynamoStore, ItemKind};
use super::values::{n, s};
use crate::domain::auth::{throttled_until, Failures, THROTTLE_WINDOW_MILLIS};
use crate::domain::record::Millis;
use crate::ports::{StoreError, Throttle};

/// A failed-attempt count's item: the failures of the window that started at
/// `windowStart`, which expires (`ttl`) with the window.
#[derive(Debug, Serialize, Deserialize)]
struct ThrottleItem {
    pk: String,
    sk: String,
    #[serde(rename = "windowStart", default)]
    window_start: i64,
    #[serde(default)]
    failures: u32,
    #[serde(skip_deserializing)]
    ttl: i64,
}

impl ItemKind for ThrottleItem {
    const KIND: &'static str = "throttle";
}

impl ThrottleItem {
    fn new(key: &str, failures: Failures) -> Self {
        ThrottleItem {
            pk: throttle_pk(key),
            sk: THROTTLE_SK.to_owned(),
            window_start: failures.window_start.0,
            failures: failures.count,
            ttl: ttl(failures.window_start.plus(THROTTLE_WINDOW_MILLIS)),
        }
    }
}

impl From<ThrottleItem> for Failures {
    fn from(item: ThrottleItem) -> Self {
        Failures {
            window_start: Millis(item.window_start),
            count: item.failures,
        }
    }
}

#[async_trait]
impl Throttle for DynamoStore {
    async fn claim_attempt(
        &self,
        key: &str,
        max: u32,
        now: Millis,
    ) -> Result<Option<Millis>, StoreError> {
        let cutoff = n(now.0 - THROTTLE_WINDOW_MILLIS);
        // Bounded: each round either claims, refuses, or loses a race to start a window
        // that the next round then claims in.
        for _ in 0..3 {
            let claimed = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(throttle_pk(key)))
                .key("sk", s(THROTTLE_SK))
                .update_expression("SET failures = failures + :one")
                .condition_expression("windowStart > :cutoff AND failures < :max")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":cutoff", cutoff.clone())
                .expression_attribute_values(":max", n(max))
                .send()
                .await;
            if written(claimed)? {
                return Ok(None);
            }
            let current = self
                .get_as::<ThrottleItem>(throttle_pk(key), THROTTLE_SK)
                .await?
                .map(Failures::from);
            if let Some(until) = throttled_until(current, max, now) {
                return Ok(Some(until));
            }
            if current.is_some_and(|c| c.window_start.0 > now.0 - THROTTLE_WINDOW_MILLIS) {
                continue; // A live window with room: a release came between; claim again.
            }
            let started = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(&ThrottleItem::new(
                    key,
                    Failures {
                        window_start: now,
                        count: 1,
                    },
                ))))
                .condition_expression("attribute_not_exists(pk) OR windowStart <= :cutoff")
                .expression_attribute_values(":cutoff", cutoff.clone())
                .send()
                .await;
            if written(started)? {
                return Ok(None);
            }
        }
        Err(StoreError::Unavailable(
            "the attempt counter is contended; try again".into(),
        ))
    }

    async fn release_attempt(&self, key: &str, now: Millis) -> Result<(), StoreError> {
        let released = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(throttle_pk(key)))
            .key("sk", s(THROTTLE_SK))
            .update_expression("SET failures = failures - :one")
            .condition_expression("windowStart > :cutoff AND failures > :zero")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":cutoff", n(now.0 - THROTTLE_WINDOW_MILLIS))
            .send()
            .await;
        // A window that ended meanwhile has nothing to give back.
        written(released).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::Item;

    #[test]
    fn a_throttle_is_stored_as_before_and_read_back() {
        let failures = Failures {
            window_start: Millis(1_700_000_000_000),
            count: 1,
        };
        let item = to_item(&ThrottleItem::new("login:acme/ann", failures));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("THROTTLE#login:acme/ann")),
                ("sk".into(), s("THROTTLE")),
                ("windowStart".into(), n(1_700_000_000_000_i64)),
                ("failures".into(), n(1)),
                (
                    "ttl".into(),
                    n((1_700_000_000_000 + THROTTLE_WINDOW_MILLIS) / 1000)
                ),
            ])
        );
        let read = Failures::from(from_item::<ThrottleItem>(item).unwrap());
        assert_eq!(read, failures);
    }
}
