//! Open second steps (mailed codes), in the registry table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, ttl, written, DynamoStore, ItemKind};
use super::values::{n, s};
use crate::domain::record::Millis;
use crate::ports::{MailedCodes, StoreError};

/// An open second step's item: the hash of the code mailed (none until one is), until
/// when it is good, and DynamoDB's expiry. Only conditional writes read it.
#[derive(Debug, Serialize, Deserialize)]
struct MailedCodeItem {
    pk: String,
    sk: String,
    expires: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
    #[serde(skip_deserializing)]
    ttl: i64,
}

impl ItemKind for MailedCodeItem {
    const KIND: &'static str = "mailed code";
}

impl MailedCodeItem {
    fn new(purpose: &str, hash: Option<&str>, expires: Millis) -> Self {
        MailedCodeItem {
            pk: code_pk(purpose),
            sk: CODE_SK.to_owned(),
            expires: expires.0,
            hash: hash.map(str::to_owned),
            ttl: ttl(expires),
        }
    }
}

#[async_trait]
impl MailedCodes for DynamoStore {
    async fn create_mailed_code(
        &self,
        purpose: &str,
        hash: Option<&str>,
        expires: Millis,
    ) -> Result<(), StoreError> {
        self.put(to_item(&MailedCodeItem::new(purpose, hash, expires)))
            .await
    }

    async fn count_attempt(
        &self,
        purpose: &str,
        limit: u32,
        now: Millis,
    ) -> Result<bool, StoreError> {
        // The condition below lets a first attempt through on a counter not yet written:
        // a limit of none must refuse it.
        if limit == 0 {
            return Ok(false);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::values::Item;

    #[test]
    fn a_mailed_code_is_stored_as_before() {
        let expires = Millis(1_700_000_300_000);
        let item = to_item(&MailedCodeItem::new(
            "login:acme/ann",
            Some("c0ffee"),
            expires,
        ));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("CODE#login:acme/ann")),
                ("sk".into(), s("CODE")),
                ("expires".into(), n(1_700_000_300_000_i64)),
                ("ttl".into(), n(1_700_000_300)),
                ("hash".into(), s("c0ffee")),
            ])
        );
        let pending = to_item(&MailedCodeItem::new("login:acme/ann", None, expires));
        assert!(!pending.contains_key("hash"));
        assert_eq!(pending.len(), 4);
    }
}
