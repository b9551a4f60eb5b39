//! Failed-attempt throttles, in the registry table.

use async_trait::async_trait;

use super::keys::*;
use super::store::{ttl, written, DynamoStore};
use super::values::{get_n, n, s, Item};
use crate::domain::auth::{throttled_until, Failures, THROTTLE_WINDOW_MILLIS};
use crate::domain::record::Millis;
use crate::ports::{StoreError, Throttle};

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
            let current = match self.get(throttle_pk(key), THROTTLE_SK).await? {
                Some(item) => Some(Failures {
                    window_start: Millis(get_n(&item, "windowStart")?.unwrap_or(0)),
                    count: get_n(&item, "failures")?.unwrap_or(0),
                }),
                None => None,
            };
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
                .set_item(Some(Item::from([
                    ("pk".into(), s(throttle_pk(key))),
                    ("sk".into(), s(THROTTLE_SK)),
                    ("windowStart".into(), n(now.0)),
                    ("failures".into(), n(1)),
                    ("ttl".into(), ttl(now.plus(THROTTLE_WINDOW_MILLIS))),
                ])))
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
