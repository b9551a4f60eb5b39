//! Users, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{role, to_item, written, DynamoStore, ItemKind};
use super::values::{n, parse_id, s, Item};
use crate::domain::auth::{Role, TotpState, User};
use crate::domain::ids::{AccountId, UserId};
use crate::ports::{Created, PasswordSet, StoreError, UserChange, Users};

/// The change of an account's user and admin counts in a user's change or deletion: an
/// admin fewer only while another is left.
fn account_counts(table: &str, account: &AccountId, users: i64, admins: i64) -> TransactWriteItem {
    let mut sets = Vec::new();
    let mut conditions = vec!["attribute_exists(pk)"];
    let mut update = Update::builder()
        .table_name(table)
        .key("pk", s(account_pk(account)))
        .key("sk", s(ACCOUNT_SK));
    if users != 0 {
        sets.push("#users = #users + :users");
        conditions.push("#users > :zero");
        update = update
            .expression_attribute_names("#users", "users")
            .expression_attribute_values(":users", n(users))
            .expression_attribute_values(":zero", n(0));
    }
    if admins != 0 {
        sets.push("admins = if_not_exists(admins, :none) + :admins");
        update = update
            .expression_attribute_values(":admins", n(admins))
            .expression_attribute_values(":none", n(0));
        if admins < 0 {
            conditions.push("admins > :one");
            update = update.expression_attribute_values(":one", n(1));
        }
    }
    let update = update
        .update_expression(format!("SET {}", sets.join(", ")))
        .condition_expression(conditions.join(" AND "))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// A user change's transaction outcome: [user, account counts].
fn user_change(cancelled: Option<Vec<bool>>) -> Result<UserChange, StoreError> {
    Ok(match cancelled {
        None => UserChange::Done,
        Some(failed) if failed.first() == Some(&true) => UserChange::Missing,
        Some(_) => UserChange::LastAdmin,
    })
}

/// Moves a user's session generation on, in a transaction that changes the user.
fn end_sessions_item(table: &str, account: &AccountId, user: &UserId) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(sessions_pk(account, user)))
        .key("sk", s(SESSIONS_SK))
        .update_expression("ADD generation :one")
        .expression_attribute_values(":one", n(1))
        .build()
        .expect("update is complete");
    TransactWriteItem::builder().update(update).build()
}

/// A user's item. The second steps are set by their own writes.
#[derive(Debug, Serialize, Deserialize)]
struct UserItem {
    pk: String,
    sk: String,
    role: String,
    #[serde(rename = "passwordHash")]
    password_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(
        rename = "emailTwoStep",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    email_two_step: bool,
    #[serde(rename = "totpSecret", skip_serializing_if = "Option::is_none")]
    totp_secret: Option<String>,
    #[serde(rename = "totpConfirmed", skip_serializing_if = "Option::is_none")]
    totp_confirmed: Option<bool>,
    #[serde(rename = "totpLastStep", skip_serializing_if = "Option::is_none")]
    totp_last_step: Option<u64>,
}

impl ItemKind for UserItem {
    const KIND: &'static str = "user";
}

impl From<&User> for UserItem {
    fn from(user: &User) -> Self {
        UserItem {
            pk: account_pk(&user.account),
            sk: user_sk(&user.id),
            role: user.role.as_str().to_owned(),
            password_hash: user.password_hash.clone(),
            email: user.email.clone(),
            email_two_step: user.email_two_step,
            totp_secret: user.totp.as_ref().map(|totp| totp.secret.clone()),
            totp_confirmed: user.totp.as_ref().map(|totp| totp.confirmed),
            totp_last_step: user.totp.as_ref().map(|totp| totp.last_step),
        }
    }
}

impl TryFrom<UserItem> for User {
    type Error = StoreError;

    fn try_from(item: UserItem) -> Result<Self, StoreError> {
        Ok(User {
            account: parse_id(AccountId::parse, key_id(&item.pk, ACCOUNT_PREFIX)?)?,
            id: parse_id(UserId::parse, key_id(&item.sk, USER_PREFIX)?)?,
            role: role(&item.role)?,
            password_hash: item.password_hash,
            email: item.email,
            email_two_step: item.email_two_step,
            totp: item.totp_secret.map(|secret| TotpState {
                secret,
                confirmed: item.totp_confirmed.unwrap_or(false),
                last_step: item.totp_last_step.unwrap_or(0),
            }),
        })
    }
}

/// The item a new user is stored as: with no second step, whatever the value says (one
/// is enrolled by the user, checked).
pub(super) fn user_item(user: &User) -> Item {
    to_item(&UserItem {
        email_two_step: false,
        totp_secret: None,
        totp_confirmed: None,
        totp_last_step: None,
        ..UserItem::from(user)
    })
}

/// A user's session generation's item (see [`sessions_pk`]), written by updates alone.
#[derive(Debug, Serialize, Deserialize)]
struct GenerationItem {
    #[serde(default)]
    generation: u64,
}

impl ItemKind for GenerationItem {
    const KIND: &'static str = "session generation";
}

#[async_trait]
impl Users for DynamoStore {
    async fn user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>, StoreError> {
        self.get_as::<UserItem>(account_pk(account), &user_sk(id))
            .await?
            .map(User::try_from)
            .transpose()
    }

    async fn users(&self, account: &AccountId) -> Result<Vec<User>, StoreError> {
        self.query_prefix_as::<UserItem>(account_pk(account), USER_PREFIX)
            .await?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    async fn create_user(&self, user: &User, limit: u32) -> Result<Created, StoreError> {
        let account = (account_pk(&user.account), ACCOUNT_SK.to_owned());
        // Admins are counted too, so the last one can never be demoted or deleted.
        let admin = (user.role == Role::Admin).then_some("admins");
        self.create_counted_also(user_item(user), account, "users", limit, admin)
            .await
    }

    async fn update_user(&self, user: &User, was: Role) -> Result<UserChange, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&user.account)))
            .key("sk", s(user_sk(&user.id)))
            .condition_expression("#role = :was")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(user.role.as_str()))
            .expression_attribute_values(":was", s(was.as_str()));
        let update = match &user.email {
            Some(email) => update
                .update_expression("SET #role = :role, email = :email")
                .expression_attribute_values(":email", s(email)),
            None => update.update_expression("SET #role = :role REMOVE email"),
        };
        let mut items = vec![TransactWriteItem::builder()
            .update(update.build().expect("update is complete"))
            .build()];
        let admin_delta = i64::from(user.role == Role::Admin) - i64::from(was == Role::Admin);
        if admin_delta != 0 {
            items.push(account_counts(&self.table, &user.account, 0, admin_delta));
        }
        if user.role != was {
            items.push(end_sessions_item(&self.table, &user.account, &user.id));
        }
        user_change(self.transact(items).await?)
    }

    async fn delete_user(&self, user: &User) -> Result<UserChange, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&user.account)))
            .key("sk", s(user_sk(&user.id)))
            .condition_expression("#role = :was")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":was", s(user.role.as_str()))
            .build()
            .expect("delete is complete");
        let admins = -i64::from(user.role == Role::Admin);
        user_change(
            self.transact(vec![
                TransactWriteItem::builder().delete(delete).build(),
                account_counts(&self.table, &user.account, -1, admins),
                end_sessions_item(&self.table, &user.account, &user.id),
            ])
            .await?,
        )
    }

    async fn set_totp(
        &self,
        account: &AccountId,
        user: &UserId,
        state: Option<&TotpState>,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(user_sk(user)))
            .condition_expression("attribute_exists(pk)");
        let update = match state {
            Some(state) => update
                .update_expression(
                    "SET totpSecret = :secret, totpConfirmed = :confirmed, totpLastStep = :step",
                )
                // Never over a confirmed secret; and a confirmation only of the secret
                // that is pending, not of one a later enrollment put in its place.
                .condition_expression(if state.confirmed {
                    "totpSecret = :secret AND NOT totpConfirmed = :yes"
                } else {
                    "attribute_exists(pk) AND NOT totpConfirmed = :yes"
                })
                .expression_attribute_values(":secret", s(&state.secret))
                .expression_attribute_values(":confirmed", AttributeValue::Bool(state.confirmed))
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":step", n(state.last_step)),
            None => update.update_expression("REMOVE totpSecret, totpConfirmed, totpLastStep"),
        };
        written(update.send().await)
    }

    async fn use_totp_step(
        &self,
        account: &AccountId,
        user: &UserId,
        step: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(user_sk(user)))
            .update_expression("SET totpLastStep = :step")
            // The conditional write makes a code single-use even under concurrent logins.
            .condition_expression("attribute_exists(totpSecret) AND totpLastStep < :step")
            .expression_attribute_values(":step", n(step))
            .send()
            .await;
        written(result)
    }

    async fn set_email_two_step(
        &self,
        account: &AccountId,
        user: &UserId,
        on: bool,
    ) -> Result<bool, StoreError> {
        let key = (account_pk(account), user_sk(user));
        self.set_existing((key.0, &key.1), "emailTwoStep", AttributeValue::Bool(on))
            .await
    }

    async fn set_password(
        &self,
        account: &AccountId,
        user: &UserId,
        hash: &str,
        seen: u64,
    ) -> Result<PasswordSet, StoreError> {
        let password = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(user_sk(user)))
            .update_expression("SET passwordHash = :hash")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":hash", s(hash))
            .build()
            .expect("update is complete");
        let next = seen + 1;
        let generation = Update::builder()
            .table_name(&self.table)
            .key("pk", s(sessions_pk(account, user)))
            .key("sk", s(SESSIONS_SK))
            .update_expression("SET generation = :next")
            .expression_attribute_values(":next", n(next));
        // Checked against the generation read before: of two changes at once, one wins
        // and the other reads again, so no generation is skipped or reused.
        let generation = if seen == 0 {
            generation.condition_expression("attribute_not_exists(generation)")
        } else {
            generation
                .condition_expression("generation = :seen")
                .expression_attribute_values(":seen", n(seen))
        };
        let cancelled = self
            .transact(vec![
                TransactWriteItem::builder().update(password).build(),
                TransactWriteItem::builder()
                    .update(generation.build().expect("update is complete"))
                    .build(),
            ])
            .await?;
        Ok(match cancelled {
            None => PasswordSet::Set { generation: next },
            Some(failed) if failed.first() == Some(&true) => PasswordSet::NoUser,
            Some(_) => PasswordSet::Raced,
        })
    }

    async fn session_generation(
        &self,
        account: &AccountId,
        user: &UserId,
    ) -> Result<u64, StoreError> {
        let item = self
            .get_as::<GenerationItem>(sessions_pk(account, user), SESSIONS_SK)
            .await?;
        Ok(item.map_or(0, |item| item.generation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;

    fn read(item: Item) -> User {
        User::try_from(from_item::<UserItem>(item).unwrap()).unwrap()
    }

    #[test]
    fn a_user_is_stored_as_before_and_read_back() {
        let mut user = User {
            account: AccountId::parse("acme").unwrap(),
            id: UserId::parse("ann").unwrap(),
            role: Role::Member,
            password_hash: "$argon2id$hash".into(),
            totp: None,
            email: Some("ann@example.com".into()),
            email_two_step: false,
        };
        let item = user_item(&user);
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("ACCOUNT#acme")),
                ("sk".into(), s("USER#ann")),
                ("role".into(), s("member")),
                ("passwordHash".into(), s("$argon2id$hash")),
                ("email".into(), s("ann@example.com")),
            ])
        );
        assert_eq!(read(item), user);

        // The second steps, as their own writes set them, are read back too; a new user's
        // item has none, whatever the value said.
        user.email_two_step = true;
        user.totp = Some(TotpState {
            secret: "JBSWY3DPEHPK3PXP".into(),
            confirmed: true,
            last_step: 57_000_000,
        });
        assert!(!user_item(&user).contains_key("totpSecret"));
        let item = to_item(&UserItem::from(&user));
        assert_eq!(item["emailTwoStep"], AttributeValue::Bool(true));
        assert_eq!(item["totpSecret"], s("JBSWY3DPEHPK3PXP"));
        assert_eq!(item["totpConfirmed"], AttributeValue::Bool(true));
        assert_eq!(item["totpLastStep"], n(57_000_000));
        assert_eq!(read(item), user);
    }

    #[test]
    fn a_session_generation_is_read_from_what_its_updates_write() {
        let item = Item::from([
            ("pk".into(), s("SESSIONS#acme/ann")),
            ("sk".into(), s("SESSIONS")),
            ("generation".into(), n(4)),
        ]);
        assert_eq!(from_item::<GenerationItem>(item).unwrap().generation, 4);
    }
}
