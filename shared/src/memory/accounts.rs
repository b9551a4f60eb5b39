//! Accounts in memory.

use async_trait::async_trait;

use super::store::{AccountEntry, MemoryStore};
use crate::domain::allowlist::Cidr;
use crate::domain::auth::User;
use crate::domain::ids::AccountId;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::settings::Logo;
use crate::ports::{Accounts, StoreError};

#[async_trait]
impl Accounts for MemoryStore {
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.tables().accounts.get(id).map(|e| e.account.clone()))
    }

    async fn update_settings(&self, account: &Account) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let Some(entry) = tables.accounts.get_mut(&account.id) else {
            return Ok(false);
        };
        let stored = &mut entry.account;
        stored.name = account.name.clone();
        stored.contract_email = account.contract_email.clone();
        stored.time_zone = account.time_zone.clone();
        stored.language = account.language;
        Ok(true)
    }

    async fn change_plan(
        &self,
        account: &Account,
        to: Plan,
        license_expires: Millis,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let Some(entry) = tables.accounts.get_mut(&account.id) else {
            return Ok(false);
        };
        let stored = &mut entry.account;
        let as_read = (account.plan, account.license_expires, account.plan_changed);
        if (stored.plan, stored.license_expires, stored.plan_changed) != as_read {
            return Ok(false);
        }
        stored.plan = to;
        stored.license_expires = Some(license_expires);
        stored.plan_changed = Some(now);
        Ok(true)
    }

    async fn account_by_alias(&self, alias: &AccountId) -> Result<Option<AccountId>, StoreError> {
        Ok(self.tables().aliases.get(alias).cloned())
    }

    async fn set_login_alias(
        &self,
        account: &Account,
        alias: Option<&AccountId>,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        // The alias is taken neither as an alias nor as an account ID.
        if let Some(alias) = alias {
            if tables.aliases.contains_key(alias) || tables.accounts.contains_key(alias) {
                return Ok(false);
            }
        }
        // The old alias is still the account's.
        if let Some(old) = &account.login_alias {
            if tables.aliases.get(old) != Some(&account.id) {
                return Ok(false);
            }
        }
        // The account still has the alias it was read with.
        match tables.accounts.get(&account.id) {
            Some(entry) if entry.account.login_alias == account.login_alias => {}
            _ => return Ok(false),
        }
        if let Some(old) = &account.login_alias {
            tables.aliases.remove(old);
        }
        if let Some(alias) = alias {
            tables.aliases.insert(alias.clone(), account.id.clone());
        }
        let entry = tables
            .accounts
            .get_mut(&account.id)
            .expect("checked above, under the same lock");
        entry.account.login_alias = alias.cloned();
        Ok(true)
    }

    async fn logo(&self, account: &AccountId) -> Result<Option<Logo>, StoreError> {
        Ok(self.tables().logos.get(account).cloned())
    }

    async fn set_logo(&self, account: &AccountId, logo: Option<&Logo>) -> Result<(), StoreError> {
        let mut tables = self.tables();
        match logo {
            Some(logo) => tables.logos.insert(account.clone(), logo.clone()),
            None => tables.logos.remove(account),
        };
        Ok(())
    }

    async fn set_allow_list(&self, account: &AccountId, ranges: &[Cidr]) -> Result<(), StoreError> {
        match self.tables().accounts.get_mut(account) {
            Some(entry) => {
                entry.account.allow_list = ranges.to_vec();
                Ok(())
            }
            // DynamoDB's update refuses it with an error, not an answer.
            None => Err(StoreError::Unavailable(format!("no account `{account}`"))),
        }
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountId>, StoreError> {
        Ok(self.tables().emails.get(email).cloned())
    }

    async fn create_trial(&self, account: &Account, owner: &User) -> Result<bool, StoreError> {
        let email = owner
            .email
            .as_deref()
            .ok_or_else(|| StoreError::Corrupt("a Trial owner needs an e-mail address".into()))?;
        let mut tables = self.tables();
        let user_key = (owner.account.clone(), owner.id.clone());
        if tables.emails.contains_key(email)
            || tables.accounts.contains_key(&account.id)
            || tables.users.contains_key(&user_key)
        {
            return Ok(false);
        }
        tables.emails.insert(email.to_owned(), account.id.clone());
        // The owner is counted as the account's one user, and admin, from the start.
        let mut entry = AccountEntry::new(account);
        entry.users = 1;
        entry.admins = 1;
        tables.accounts.insert(account.id.clone(), entry);
        tables.users.insert(user_key, super::users::stored(owner));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::accounts(&MemoryStore::new(), "memory").await;
    }
}
