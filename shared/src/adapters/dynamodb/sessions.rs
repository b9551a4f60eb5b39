//! Login sessions, in the registry table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{role, to_item, ttl, written, DynamoStore, ItemKind};
use super::unavailable;
use super::values::{n, s};
use crate::domain::auth::{Session, SESSION_IDLE_MILLIS};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{Sessions, StoreError};

/// A session's item. It expires (`ttl`) when the session has been idle too long, which
/// the code checks itself too.
#[derive(Debug, Serialize, Deserialize)]
struct SessionItem {
    pk: String,
    sk: String,
    account: AccountId,
    user: UserId,
    role: String,
    #[serde(rename = "lastActive")]
    last_active: i64,
    #[serde(default)]
    generation: u64,
    #[serde(skip_deserializing)]
    ttl: i64,
}

impl ItemKind for SessionItem {
    const KIND: &'static str = "session";
}

impl From<&Session> for SessionItem {
    fn from(session: &Session) -> Self {
        SessionItem {
            pk: session_pk(&session.id),
            sk: SESSION_SK.to_owned(),
            account: session.account.clone(),
            user: session.user.clone(),
            role: session.role.as_str().to_owned(),
            last_active: session.last_active.0,
            generation: session.generation,
            ttl: ttl(session.last_active.plus(SESSION_IDLE_MILLIS)),
        }
    }
}

impl TryFrom<SessionItem> for Session {
    type Error = StoreError;

    fn try_from(item: SessionItem) -> Result<Self, StoreError> {
        Ok(Session {
            id: key_id(&item.pk, SESSION_PREFIX)?.to_owned(),
            account: item.account,
            user: item.user,
            role: role(&item.role)?,
            last_active: Millis(item.last_active),
            generation: item.generation,
        })
    }
}

#[async_trait]
impl Sessions for DynamoStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.put(to_item(&SessionItem::from(session))).await
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.get_as::<SessionItem>(session_pk(id), SESSION_SK)
            .await?
            .map(Session::try_from)
            .transpose()
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
            .expression_attribute_values(":ttl", n(ttl(at.plus(SESSION_IDLE_MILLIS))))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::Item;
    use crate::domain::auth::Role;

    #[test]
    fn a_session_is_stored_as_before_and_read_back() {
        let session = Session {
            id: "abc123".into(),
            account: AccountId::parse("acme").unwrap(),
            user: UserId::parse("ann").unwrap(),
            role: Role::Admin,
            last_active: Millis(1_700_000_000_500),
            generation: 2,
        };
        let item = to_item(&SessionItem::from(&session));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("SESSION#abc123")),
                ("sk".into(), s("SESSION")),
                ("account".into(), s("acme")),
                ("user".into(), s("ann")),
                ("role".into(), s("admin")),
                ("lastActive".into(), n(1_700_000_000_500_i64)),
                ("generation".into(), n(2)),
                (
                    "ttl".into(),
                    n((1_700_000_000_500 + SESSION_IDLE_MILLIS) / 1000)
                ),
            ])
        );
        let read = Session::try_from(from_item::<SessionItem>(item).unwrap()).unwrap();
        assert_eq!(read, session);
    }
}
