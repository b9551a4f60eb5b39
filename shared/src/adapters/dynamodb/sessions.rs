//! Login sessions, in the registry table.

use async_trait::async_trait;

use super::keys::*;
use super::store::{role, ttl, written, DynamoStore};
use super::unavailable;
use super::values::{get_n, get_s, n, parse_id, s, Item};
use crate::domain::auth::{Session, SESSION_IDLE_MILLIS};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{Sessions, StoreError};

#[async_trait]
impl Sessions for DynamoStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(session_pk(&session.id))),
            ("sk".into(), s(SESSION_SK)),
            ("account".into(), s(session.account.as_str())),
            ("user".into(), s(session.user.as_str())),
            ("role".into(), s(session.role.as_str())),
            ("lastActive".into(), n(session.last_active.0)),
            ("generation".into(), n(session.generation)),
            (
                "ttl".into(),
                ttl(session.last_active.plus(SESSION_IDLE_MILLIS)),
            ),
        ]))
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let Some(item) = self.get(session_pk(id), SESSION_SK).await? else {
            return Ok(None);
        };
        Ok(Some(Session {
            id: id.to_owned(),
            account: parse_id(AccountId::parse, get_s(&item, "account")?)?,
            user: parse_id(UserId::parse, get_s(&item, "user")?)?,
            role: role(&item)?,
            last_active: Millis(
                get_n(&item, "lastActive")?
                    .ok_or_else(|| StoreError::Corrupt("session without lastActive".into()))?,
            ),
            generation: get_n(&item, "generation")?.unwrap_or(0),
        }))
    }

    async fn touch_session(&self, id: &str, at: Millis) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(session_pk(id)))
            .key("sk", s(SESSION_SK))
            .update_expression("SET lastActive = :at, #ttl = :ttl")
            // Never revive a session that logout removed meanwhile, nor move time back.
            .condition_expression("attribute_exists(pk) AND lastActive < :at")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":at", n(at.0))
            .expression_attribute_values(":ttl", ttl(at.plus(SESSION_IDLE_MILLIS)))
            .send()
            .await;
        written(result).map(drop)
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(session_pk(id)))
            .key("sk", s(SESSION_SK))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn keep_session(&self, id: &str, generation: u64) -> Result<(), StoreError> {
        let key = session_pk(id);
        self.set_existing((key, SESSION_SK), "generation", n(generation))
            .await
            .map(drop)
    }
}
