//! Users in memory.

use async_trait::async_trait;

use super::store::{MemoryStore, Tables};
use crate::domain::auth::{Role, TotpState, User};
use crate::domain::ids::{AccountId, UserId};
use crate::ports::{Created, PasswordSet, StoreError, UserChange, Users};

/// A new user as stored: the second steps are set by their own writes.
pub(super) fn stored(user: &User) -> User {
    User {
        totp: None,
        email_two_step: false,
        ..user.clone()
    }
}

/// Ends every session of a user: its generation moves on (from nothing to 1).
fn end_sessions(tables: &mut Tables, account: &AccountId, user: &UserId) {
    *tables
        .generations
        .entry((account.clone(), user.clone()))
        .or_insert(0) += 1;
}

#[async_trait]
impl Users for MemoryStore {
    async fn user(&self, account: &AccountId, id: &UserId) -> Result<Option<User>, StoreError> {
        let key = (account.clone(), id.clone());
        Ok(self.tables().users.get(&key).cloned())
    }

    async fn users(&self, account: &AccountId) -> Result<Vec<User>, StoreError> {
        Ok(self
            .tables()
            .users
            .iter()
            .filter(|((a, _), _)| a == account)
            .map(|(_, u)| u.clone())
            .collect())
    }

    async fn create_user(&self, user: &User, limit: u32) -> Result<Created, StoreError> {
        let mut tables = self.tables();
        let key = (user.account.clone(), user.id.clone());
        if tables.users.contains_key(&key) {
            return Ok(Created::Exists);
        }
        match tables.accounts.get_mut(&user.account) {
            Some(entry) if entry.users < limit => {
                entry.users += 1;
                // Admins are counted too, so the last one can never be demoted or deleted.
                if user.role == Role::Admin {
                    entry.admins += 1;
                }
            }
            _ => return Ok(Created::LimitReached),
        }
        tables.users.insert(key, stored(user));
        Ok(Created::Created)
    }

    async fn update_user(&self, user: &User, was: Role) -> Result<UserChange, StoreError> {
        let mut tables = self.tables();
        let key = (user.account.clone(), user.id.clone());
        if tables.users.get(&key).is_none_or(|u| u.role != was) {
            return Ok(UserChange::Missing);
        }
        let admin_delta = i64::from(user.role == Role::Admin) - i64::from(was == Role::Admin);
        if admin_delta != 0 {
            let Some(entry) = tables.accounts.get_mut(&user.account) else {
                return Ok(UserChange::LastAdmin);
            };
            if admin_delta < 0 {
                if entry.admins <= 1 {
                    return Ok(UserChange::LastAdmin);
                }
                entry.admins -= 1;
            } else {
                entry.admins += 1;
            }
        }
        if user.role != was {
            end_sessions(&mut tables, &user.account, &user.id);
        }
        let stored = tables.users.get_mut(&key).expect("checked above");
        stored.role = user.role;
        stored.email = user.email.clone();
        Ok(UserChange::Done)
    }

    async fn delete_user(&self, user: &User) -> Result<UserChange, StoreError> {
        let mut tables = self.tables();
        let key = (user.account.clone(), user.id.clone());
        if tables.users.get(&key).is_none_or(|u| u.role != user.role) {
            return Ok(UserChange::Missing);
        }
        let admin = user.role == Role::Admin;
        match tables.accounts.get_mut(&user.account) {
            Some(entry) if entry.users > 0 && (!admin || entry.admins > 1) => {
                entry.users -= 1;
                if admin {
                    entry.admins -= 1;
                }
            }
            _ => return Ok(UserChange::LastAdmin),
        }
        tables.users.remove(&key);
        end_sessions(&mut tables, &user.account, &user.id);
        Ok(UserChange::Done)
    }

    async fn set_totp(
        &self,
        account: &AccountId,
        user: &UserId,
        state: Option<&TotpState>,
    ) -> Result<bool, StoreError> {
        let key = (account.clone(), user.clone());
        let mut tables = self.tables();
        let Some(stored) = tables.users.get_mut(&key) else {
            return Ok(false);
        };
        let confirmed = stored.totp.as_ref().is_some_and(|t| t.confirmed);
        let allowed = match state {
            None => true,
            // Never over a confirmed secret; and a confirmation only of the secret that
            // is pending, not of one a later enrollment put in its place.
            Some(state) if state.confirmed => {
                !confirmed
                    && stored
                        .totp
                        .as_ref()
                        .is_some_and(|t| t.secret == state.secret)
            }
            Some(_) => !confirmed,
        };
        if allowed {
            stored.totp = state.cloned();
        }
        Ok(allowed)
    }

    async fn use_totp_step(
        &self,
        account: &AccountId,
        user: &UserId,
        step: u64,
    ) -> Result<bool, StoreError> {
        let key = (account.clone(), user.clone());
        let mut tables = self.tables();
        match tables.users.get_mut(&key).and_then(|u| u.totp.as_mut()) {
            Some(totp) if totp.last_step < step => {
                totp.last_step = step;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn set_email_two_step(
        &self,
        account: &AccountId,
        user: &UserId,
        on: bool,
    ) -> Result<bool, StoreError> {
        let key = (account.clone(), user.clone());
        Ok(match self.tables().users.get_mut(&key) {
            Some(stored) => {
                stored.email_two_step = on;
                true
            }
            None => false,
        })
    }

    async fn set_password(
        &self,
        account: &AccountId,
        user: &UserId,
        hash: &str,
        seen: u64,
    ) -> Result<PasswordSet, StoreError> {
        let key = (account.clone(), user.clone());
        let mut tables = self.tables();
        if !tables.users.contains_key(&key) {
            return Ok(PasswordSet::NoUser);
        }
        // Checked against the generation read before (none for 0): of two changes at
        // once, one wins and the other reads again.
        let current = tables.generations.get(&key).copied();
        let as_read = if seen == 0 {
            current.is_none()
        } else {
            current == Some(seen)
        };
        if !as_read {
            return Ok(PasswordSet::Raced);
        }
        let next = seen + 1;
        tables.generations.insert(key.clone(), next);
        if let Some(stored) = tables.users.get_mut(&key) {
            stored.password_hash = hash.to_owned();
        }
        Ok(PasswordSet::Set { generation: next })
    }

    async fn session_generation(
        &self,
        account: &AccountId,
        user: &UserId,
    ) -> Result<u64, StoreError> {
        let key = (account.clone(), user.clone());
        Ok(self.tables().generations.get(&key).copied().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::users(&MemoryStore::new(), "memory").await;
    }
}
