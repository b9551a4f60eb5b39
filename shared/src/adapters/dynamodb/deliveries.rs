//! Delivery marks: one item per notification and destination, in the group's inbox
//! partition, expiring after the longest time a queue message can come back.

use async_trait::async_trait;

use super::keys::*;
use super::store::{ttl, written, DynamoStore};
use super::unavailable;
use super::values::{n, s};
use crate::domain::record::Millis;
use crate::ports::{Claim, Deliveries, GroupKey, StoreError};

/// SQS keeps a message at most 14 days; a mark outlives it.
const KEPT_MILLIS: i64 = 15 * Millis::DAY;

impl DynamoStore {
    fn delivery_update(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(inbox_pk(group.account, group.group)))
            .key("sk", s(delivery_sk(notification, destination)))
    }
}

#[async_trait]
impl Deliveries for DynamoStore {
    async fn claim_delivery(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        now: Millis,
        lease_until: Millis,
    ) -> Result<Claim, StoreError> {
        let claim = self
            .delivery_update(group, notification, destination)
            .update_expression("SET lease = :until, #ttl = :ttl")
            .condition_expression(
                "attribute_not_exists(delivered) AND (attribute_not_exists(lease) OR lease <= :now)",
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":until", n(lease_until.0))
            .expression_attribute_values(":now", n(now.0))
            .expression_attribute_values(":ttl", n(ttl(now.plus(KEPT_MILLIS))))
            .send()
            .await;
        if written(claim)? {
            return Ok(Claim::Claimed);
        }
        // Refused: delivered, or held by another sender. Rare, so one read to tell.
        let item = self
            .get(
                inbox_pk(group.account, group.group),
                &delivery_sk(notification, destination),
            )
            .await?;
        Ok(if item.is_some_and(|item| item.contains_key("delivered")) {
            Claim::Delivered
        } else {
            Claim::Busy
        })
    }

    async fn mark_delivered(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        at: Millis,
    ) -> Result<(), StoreError> {
        self.delivery_update(group, notification, destination)
            .update_expression("SET delivered = :at, #ttl = :ttl REMOVE lease")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":at", n(at.0))
            .expression_attribute_values(":ttl", n(ttl(at.plus(KEPT_MILLIS))))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn release_delivery(
        &self,
        group: GroupKey<'_>,
        notification: &str,
        destination: &str,
        lease_until: Millis,
    ) -> Result<(), StoreError> {
        let release = self
            .delivery_update(group, notification, destination)
            .update_expression("REMOVE lease")
            .condition_expression("lease = :until AND attribute_not_exists(delivered)")
            .expression_attribute_values(":until", n(lease_until.0))
            .send()
            .await;
        written(release)?;
        Ok(())
    }
}
