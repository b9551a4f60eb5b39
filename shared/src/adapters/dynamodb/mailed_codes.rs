//! Open second steps (mailed codes), in the registry table.

use async_trait::async_trait;

use super::keys::*;
use super::store::{ttl, written, DynamoStore};
use super::values::{n, s, Item};
use crate::domain::record::Millis;
use crate::ports::{MailedCodes, StoreError};

#[async_trait]
impl MailedCodes for DynamoStore {
    async fn create_mailed_code(
        &self,
        purpose: &str,
        hash: Option<&str>,
        expires: Millis,
    ) -> Result<(), StoreError> {
        let mut item = Item::from([
            ("pk".into(), s(code_pk(purpose))),
            ("sk".into(), s(CODE_SK)),
            ("expires".into(), n(expires.0)),
            ("ttl".into(), ttl(expires)),
        ]);
        if let Some(hash) = hash {
            item.insert("hash".into(), s(hash));
        }
        self.put(item).await
    }

    async fn count_attempt(
        &self,
        purpose: &str,
        limit: u32,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(code_pk(purpose)))
            .key("sk", s(CODE_SK))
            .update_expression("SET attempts = if_not_exists(attempts, :zero) + :one")
            .condition_expression(
                "expires > :now AND (attribute_not_exists(attempts) OR attempts < :limit)",
            )
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now.0))
            .expression_attribute_values(":limit", n(limit))
            .send()
            .await;
        written(result)
    }

    async fn take_mailed_code(
        &self,
        purpose: &str,
        hash: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(code_pk(purpose)))
            .key("sk", s(CODE_SK))
            // A wrong code leaves the right one in place; of two right ones, one wins.
            .condition_expression("#hash = :hash AND expires > :now")
            .expression_attribute_names("#hash", "hash")
            .expression_attribute_values(":hash", s(hash))
            .expression_attribute_values(":now", n(now.0))
            .send()
            .await;
        written(result)
    }
}
