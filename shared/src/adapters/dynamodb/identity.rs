//! Users, sessions, failed-login counts and the audit log, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::keys::*;
use super::registry::{account_item, count_down, count_up, written, DynamoRegistry};
use super::unavailable;
use super::values::{get_bool, get_n, get_opt_s, get_s, get_strings, n, parse_id, s, Item};
use crate::domain::access::Team;
use crate::domain::auth::{
    fold_key, fold_window, throttled_until, ApiToken, AuditEvent, AuditPage, AuditQuery, Failures,
    PasswordReset, Role, Session, Signup, TotpState, User, SESSION_IDLE_MILLIS,
    THROTTLE_WINDOW_MILLIS,
};
use crate::domain::ids::{AccountId, TeamId, UserId};
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::ports::{Created, Identity, PasswordSet, StoreError, UserChange};
use aws_sdk_dynamodb::types::AttributeValue;

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

fn user_item(user: &User) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(account_pk(&user.account))),
        ("sk".into(), s(user_sk(&user.id))),
        ("role".into(), s(user.role.as_str())),
        ("passwordHash".into(), s(&user.password_hash)),
    ]);
    if let Some(email) = &user.email {
        item.insert("email".into(), s(email));
    }
    item
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

/// A token is two items: one found by the secret's hash (authentication), one listed
/// under the account. Both carry everything, so either can rebuild the token.
fn token_item(token: &ApiToken, pk: String, sk: String) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(pk)),
        ("sk".into(), s(sk)),
        ("id".into(), s(&token.id)),
        ("account".into(), s(token.account.as_str())),
        ("user".into(), s(token.user.as_str())),
        ("role".into(), s(token.role.as_str())),
        ("name".into(), s(&token.name)),
        ("created".into(), n(token.created.0)),
        ("hash".into(), s(&token.hash)),
    ]);
    if let Some(expires) = token.expires {
        item.insert("expires".into(), n(expires.0));
    }
    item
}

fn parse_token(item: &Item) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: get_s(item, "id")?.to_owned(),
        account: parse_id(AccountId::parse, get_s(item, "account")?)?,
        user: parse_id(UserId::parse, get_s(item, "user")?)?,
        role: role(item)?,
        name: get_s(item, "name")?.to_owned(),
        created: Millis(get_n(item, "created")?.unwrap_or(0)),
        expires: get_n(item, "expires")?.map(Millis),
        hash: get_s(item, "hash")?.to_owned(),
    })
}

/// DynamoDB's TTL attribute: epoch seconds after which the item may be removed.
fn ttl(at: Millis) -> aws_sdk_dynamodb::types::AttributeValue {
    n(at.0 / 1000)
}

fn role(item: &Item) -> Result<Role, StoreError> {
    let text = get_s(item, "role")?;
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown role `{text}`")))
}

fn parse_user(account: &AccountId, item: &Item) -> Result<User, StoreError> {
    Ok(User {
        account: account.clone(),
        id: parse_id(
            UserId::parse,
            get_s(item, "sk")?.trim_start_matches(USER_PREFIX),
        )?,
        role: role(item)?,
        password_hash: get_s(item, "passwordHash")?.to_owned(),
        email: get_opt_s(item, "email")?.map(str::to_owned),
        email_two_step: item
            .get("emailTwoStep")
            .map(|_| get_bool(item, "emailTwoStep"))
            .transpose()?
            .unwrap_or(false),
        totp: match item.get("totpSecret") {
            None => None,
            Some(_) => Some(TotpState {
                secret: get_s(item, "totpSecret")?.to_owned(),
                confirmed: get_bool(item, "totpConfirmed").unwrap_or(false),
                last_step: get_n(item, "totpLastStep")?.unwrap_or(0),
            }),
        },
    })
}

fn team_item(team: &Team) -> Item {
    Item::from([
        ("pk".into(), s(account_pk(&team.account))),
        ("sk".into(), s(team_sk(&team.id))),
        ("name".into(), s(&team.name)),
        (
            "members".into(),
            AttributeValue::L(team.members.iter().map(|m| s(m.as_str())).collect()),
        ),
    ])
}

fn parse_team(account: &AccountId, item: &Item) -> Result<Team, StoreError> {
    Ok(Team {
        account: account.clone(),
        id: parse_id(
            TeamId::parse,
            get_s(item, "sk")?.trim_start_matches(TEAM_PREFIX),
        )?,
        name: get_s(item, "name")?.to_owned(),
        members: get_strings(item, "members")?
            .into_iter()
            .map(|m| parse_id(UserId::parse, &m))
            .collect::<Result<_, _>>()?,
    })
}

#[async_trait]
impl Identity for DynamoRegistry {
    async fn user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>, StoreError> {
        self.get(account_pk(account), &user_sk(id))
            .await?
            .map(|item| parse_user(account, &item))
            .transpose()
    }

    async fn users(&self, account: &AccountId) -> Result<Vec<User>, StoreError> {
        self.query_prefix(account_pk(account), USER_PREFIX)
            .await?
            .iter()
            .map(|item| parse_user(account, item))
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

    async fn create_reset(&self, hash: &str, reset: &PasswordReset) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(reset_pk(hash))),
            ("sk".into(), s(RESET_SK)),
            ("account".into(), s(reset.account.as_str())),
            ("user".into(), s(reset.user.as_str())),
            ("expires".into(), n(reset.expires.0)),
            ("ttl".into(), ttl(reset.expires)),
        ]))
        .await
    }

    async fn reset(&self, hash: &str) -> Result<Option<PasswordReset>, StoreError> {
        let Some(item) = self.get(reset_pk(hash), RESET_SK).await? else {
            return Ok(None);
        };
        Ok(Some(PasswordReset {
            account: parse_id(AccountId::parse, get_s(&item, "account")?)?,
            user: parse_id(UserId::parse, get_s(&item, "user")?)?,
            expires: Millis(get_n(&item, "expires")?.unwrap_or(0)),
        }))
    }

    async fn take_reset(&self, hash: &str) -> Result<bool, StoreError> {
        self.take(reset_pk(hash), RESET_SK).await
    }

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

    async fn session_generation(
        &self,
        account: &AccountId,
        user: &UserId,
    ) -> Result<u64, StoreError> {
        let item = self.get(sessions_pk(account, user), SESSIONS_SK).await?;
        Ok(match item {
            Some(item) => get_n(&item, "generation")?.unwrap_or(0),
            None => 0,
        })
    }

    async fn keep_session(&self, id: &str, generation: u64) -> Result<(), StoreError> {
        let key = session_pk(id);
        self.set_existing((key, SESSION_SK), "generation", n(generation))
            .await
            .map(drop)
    }

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

    async fn create_api_token(&self, token: &ApiToken, limit: u32) -> Result<Created, StoreError> {
        let put = |item| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("put is complete"),
                )
                .build()
        };
        let cancelled = self
            .transact(vec![
                count_up(
                    &self.table,
                    account_pk(&token.account),
                    ACCOUNT_SK.into(),
                    "apiTokens",
                    Some(limit),
                ),
                put(token_item(token, token_pk(&token.hash), TOKEN_SK.into())),
                put(token_item(
                    token,
                    account_pk(&token.account),
                    token_sk(&token.id),
                )),
            ])
            .await?;
        Ok(match cancelled {
            None => Created::Created,
            Some(failed) if failed.first() == Some(&true) => Created::LimitReached,
            Some(_) => Created::Exists,
        })
    }

    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.get(token_pk(hash), TOKEN_SK)
            .await?
            .map(|item| parse_token(&item))
            .transpose()
    }

    async fn api_tokens(&self, account: &AccountId) -> Result<Vec<ApiToken>, StoreError> {
        self.query_prefix(account_pk(account), TOKEN_PREFIX)
            .await?
            .iter()
            .map(parse_token)
            .collect()
    }

    async fn delete_api_token(&self, token: &ApiToken) -> Result<bool, StoreError> {
        let delete = |pk, sk| {
            TransactWriteItem::builder()
                .delete(
                    aws_sdk_dynamodb::types::Delete::builder()
                        .table_name(&self.table)
                        .key("pk", s(pk))
                        .key("sk", s(sk))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .expect("delete is complete"),
                )
                .build()
        };
        let cancelled = self
            .transact(vec![
                delete(token_pk(&token.hash), TOKEN_SK.into()),
                delete(account_pk(&token.account), token_sk(&token.id)),
                count_down(
                    &self.table,
                    account_pk(&token.account),
                    ACCOUNT_SK.into(),
                    "apiTokens",
                ),
            ])
            .await?;
        Ok(cancelled.is_none())
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountId>, StoreError> {
        self.get(email_pk(email), EMAIL_SK)
            .await?
            .map(|item| parse_id(AccountId::parse, get_s(&item, "account")?))
            .transpose()
    }

    async fn create_signup(&self, hash: &str, signup: &Signup) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(signup_pk(hash))),
            ("sk".into(), s(SIGNUP_SK)),
            ("email".into(), s(&signup.email)),
            ("passwordHash".into(), s(&signup.password_hash)),
            ("expires".into(), n(signup.expires.0)),
            ("ttl".into(), ttl(signup.expires)),
        ]))
        .await
    }

    async fn signup(&self, hash: &str) -> Result<Option<Signup>, StoreError> {
        let Some(item) = self.get(signup_pk(hash), SIGNUP_SK).await? else {
            return Ok(None);
        };
        Ok(Some(Signup {
            email: get_s(&item, "email")?.to_owned(),
            password_hash: get_s(&item, "passwordHash")?.to_owned(),
            expires: Millis(get_n(&item, "expires")?.unwrap_or(0)),
        }))
    }

    async fn take_signup(&self, hash: &str) -> Result<bool, StoreError> {
        self.take(signup_pk(hash), SIGNUP_SK).await
    }

    async fn create_trial(&self, account: &Account, owner: &User) -> Result<bool, StoreError> {
        let email = owner
            .email
            .as_deref()
            .ok_or_else(|| StoreError::Corrupt("a Trial owner needs an e-mail address".into()))?;
        let put = |item: Item| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("put is complete"),
                )
                .build()
        };
        let mut account_item = account_item(account);
        // The owner is counted as the account's one user, and admin, from the start.
        account_item.insert("users".into(), n(1));
        account_item.insert("admins".into(), n(1));
        let cancelled = self
            .transact(vec![
                put(Item::from([
                    ("pk".into(), s(email_pk(email))),
                    ("sk".into(), s(EMAIL_SK)),
                    ("account".into(), s(account.id.as_str())),
                ])),
                put(account_item),
                put(user_item(owner)),
            ])
            .await?;
        Ok(cancelled.is_none())
    }

    async fn teams(&self, account: &AccountId) -> Result<Vec<Team>, StoreError> {
        self.query_prefix(account_pk(account), TEAM_PREFIX)
            .await?
            .iter()
            .map(|item| parse_team(account, item))
            .collect()
    }

    async fn team(&self, account: &AccountId, id: &TeamId) -> Result<Option<Team>, StoreError> {
        self.get(account_pk(account), &team_sk(id))
            .await?
            .map(|item| parse_team(account, &item))
            .transpose()
    }

    async fn create_team(&self, team: &Team, limit: u32) -> Result<Created, StoreError> {
        let account = (account_pk(&team.account), ACCOUNT_SK.to_owned());
        self.create_counted(team_item(team), account, "teams", limit)
            .await
    }

    async fn update_team(&self, team: &Team) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(team_item(team)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        written(result)
    }

    async fn delete_team(&self, account: &AccountId, id: &TeamId) -> Result<bool, StoreError> {
        let key = (account_pk(account), team_sk(id));
        self.delete_counted(key, (account_pk(account), ACCOUNT_SK.into()), "teams")
            .await
    }

    async fn audit(&self, account: &AccountId, event: &AuditEvent) -> Result<(), StoreError> {
        let mut item = Item::from([
            ("pk".into(), s(account_pk(account))),
            // Sorted by time; the random part keeps two events of one millisecond apart.
            ("sk".into(), s(audit_sk(event.at.0, rand::random::<u64>()))),
            ("at".into(), n(event.at.0)),
            ("action".into(), s(&event.action)),
            ("detail".into(), s(&event.detail)),
        ]);
        if let Some(user) = &event.user {
            item.insert("user".into(), s(user.as_str()));
        }
        if let Some(address) = &event.address {
            item.insert("address".into(), s(address));
        }
        self.put(item).await
    }

    async fn audit_failure(
        &self,
        account: &AccountId,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        // Keyed by the fold window and what folds: every failure of the window lands on
        // this one item, whichever request writes first.
        let sk = audit_fold_sk(fold_window(event.at).0, &fold_key(event));
        let mut sets = vec![
            "#at = if_not_exists(#at, :at)",
            "#last = :at",
            "#action = :action",
            "#detail = :detail",
        ];
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(sk))
            .expression_attribute_names("#at", "at")
            .expression_attribute_names("#last", "last")
            .expression_attribute_names("#action", "action")
            .expression_attribute_names("#detail", "detail")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":at", n(event.at.0))
            .expression_attribute_values(":action", s(&event.action))
            .expression_attribute_values(":detail", s(&event.detail))
            .expression_attribute_values(":one", n(1));
        if let Some(user) = &event.user {
            sets.push("#user = :user");
            update = update
                .expression_attribute_names("#user", "user")
                .expression_attribute_values(":user", s(user.as_str()));
        }
        if let Some(address) = &event.address {
            sets.push("#address = :address");
            update = update
                .expression_attribute_names("#address", "address")
                .expression_attribute_values(":address", s(address));
        }
        update
            .update_expression(format!("SET {} ADD #count :one", sets.join(", ")))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn audit_log(
        &self,
        account: &AccountId,
        query: &AuditQuery,
    ) -> Result<AuditPage, StoreError> {
        let low = audit_from(query.from.map_or(0, |t| t.0.max(0)));
        // Below every entry at `to` itself: `to` is exclusive.
        let high = match query.to {
            Some(to) => audit_from(to.0.max(0)),
            None => audit_end(),
        };
        let mut filters = Vec::new();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", s(account_pk(account)))
            .expression_attribute_values(":low", s(&low))
            .expression_attribute_values(":high", s(&high))
            .scan_index_forward(false);
        if let Some(kind) = &query.kind {
            filters.push("#action = :kind");
            request = request
                .expression_attribute_names("#action", "action")
                .expression_attribute_values(":kind", s(kind));
        }
        if let Some(user) = &query.user {
            filters.push("#user = :user");
            request = request
                .expression_attribute_names("#user", "user")
                .expression_attribute_values(":user", s(user.as_str()));
        }
        if !filters.is_empty() {
            request = request.filter_expression(filters.join(" AND "));
        }
        // A cursor goes on below itself within the range: from the range's top if it is
        // above it (another query's), with nothing left if it is below it. (DynamoDB
        // refuses a start key outside the key condition.)
        let mut start = match &query.cursor {
            Some(sk) if *sk <= low => {
                return Ok(AuditPage {
                    events: Vec::new(),
                    next: None,
                })
            }
            Some(sk) if *sk > high => None,
            Some(sk) => Some(Item::from([
                ("pk".into(), s(account_pk(account))),
                ("sk".into(), s(sk)),
            ])),
            None => None,
        };
        let mut events = Vec::new();
        // Bounded: a filter that matches little reads at most this many pages, then
        // hands the caller a cursor to go on from.
        for _ in 0..AUDIT_PAGES_PER_REQUEST {
            let wanted = query.limit - events.len();
            let output = request
                .clone()
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in output.items() {
                events.push(parse_audit_event(item)?);
            }
            start = output.last_evaluated_key;
            if events.len() >= query.limit || start.is_none() {
                break;
            }
        }
        let next = match start {
            Some(key) => Some(get_s(&key, "sk")?.to_owned()),
            None => None,
        };
        Ok(AuditPage { events, next })
    }
}

/// DynamoDB pages one audit request reads at most.
const AUDIT_PAGES_PER_REQUEST: usize = 5;

fn parse_audit_event(item: &Item) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        at: Millis(get_n(item, "at")?.unwrap_or(0)),
        action: get_s(item, "action")?.to_owned(),
        user: item
            .get("user")
            .map(|_| get_s(item, "user").and_then(|u| parse_id(UserId::parse, u)))
            .transpose()?,
        address: item
            .get("address")
            .map(|_| get_s(item, "address").map(str::to_owned))
            .transpose()?,
        detail: get_s(item, "detail")?.to_owned(),
        count: get_n(item, "count")?.unwrap_or(1),
        last: get_n(item, "last")?.map(Millis),
    })
}
