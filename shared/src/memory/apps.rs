//! Apps in memory.

use async_trait::async_trait;

use super::store::{AppEntry, MemoryStore};
use crate::domain::app_status::AppStatus;
use crate::domain::ids::{AccountId, AppId};
use crate::domain::record::Millis;
use crate::domain::registry::App;
use crate::ports::{Apps, Created, StoreError};

#[async_trait]
impl Apps for MemoryStore {
    async fn app(&self, account: &AccountId, app_id: &AppId) -> Result<Option<App>, StoreError> {
        let key = (account.clone(), app_id.clone());
        Ok(self.tables().apps.get(&key).map(|e| e.app.clone()))
    }

    async fn register_app(&self, app: &App, limit: u32) -> Result<Created, StoreError> {
        let mut tables = self.tables();
        let key = (app.account.clone(), app.id.clone());
        if tables.apps.contains_key(&key) {
            return Ok(Created::Exists);
        }
        let group = (app.account.clone(), app.group.clone());
        let room = tables
            .accounts
            .get(&app.account)
            .is_some_and(|e| e.apps < limit);
        // The group must exist (DynamoDB's count on it fails otherwise, which reads as
        // the limit): its count keeps it from being deleted under the app.
        if !room || !tables.groups.contains_key(&group) {
            return Ok(Created::LimitReached);
        }
        if let Some(entry) = tables.accounts.get_mut(&app.account) {
            entry.apps += 1;
        }
        if let Some(entry) = tables.groups.get_mut(&group) {
            entry.apps += 1;
        }
        // Registered unseen and without a certificate: those are written later.
        let stored = App {
            certificate: None,
            last_seen: None,
            status: AppStatus::default(),
            ..app.clone()
        };
        tables.apps.insert(
            key,
            AppEntry {
                app: stored,
                instruments: 0,
            },
        );
        Ok(Created::Created)
    }

    async fn set_certificate(&self, app: &App, certificate_id: &str) -> Result<bool, StoreError> {
        let key = (app.account.clone(), app.id.clone());
        Ok(match self.tables().apps.get_mut(&key) {
            Some(entry) => {
                entry.app.certificate = Some(certificate_id.to_owned());
                true
            }
            None => false,
        })
    }

    async fn update_app(&self, app: &App) -> Result<bool, StoreError> {
        let key = (app.account.clone(), app.id.clone());
        Ok(match self.tables().apps.get_mut(&key) {
            Some(entry) if entry.app.group == app.group => {
                entry.app.name = app.name.clone();
                entry.app.enabled = app.enabled;
                true
            }
            _ => false,
        })
    }

    async fn delete_app(&self, app: &App) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        // Instruments first, as DynamoDB does it: an app is never gone while instruments
        // of it remain (even when the app itself then is not deleted).
        tables
            .instruments
            .retain(|(account, id, _), _| !(account == &app.account && id == &app.id));
        let key = (app.account.clone(), app.id.clone());
        let group = (app.account.clone(), app.group.clone());
        let counted = tables
            .apps
            .get(&key)
            .is_some_and(|e| e.app.group == app.group)
            && tables
                .accounts
                .get(&app.account)
                .is_some_and(|e| e.apps > 0)
            && tables.groups.get(&group).is_some_and(|e| e.apps > 0);
        if !counted {
            return Ok(false);
        }
        tables.apps.remove(&key);
        tables.watched.remove(&key);
        if let Some(entry) = tables.accounts.get_mut(&app.account) {
            entry.apps -= 1;
        }
        if let Some(entry) = tables.groups.get_mut(&group) {
            entry.apps -= 1;
        }
        Ok(true)
    }

    async fn touch_app(&self, app: &App, at: Millis) -> Result<(), StoreError> {
        let key = (app.account.clone(), app.id.clone());
        if let Some(entry) = self.tables().apps.get_mut(&key) {
            // Only the registration that received the message, and never backward.
            let stored = &mut entry.app;
            if stored.registration == app.registration && stored.last_seen.is_none_or(|t| t < at) {
                stored.last_seen = Some(at);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::apps(&MemoryStore::new(), "memory").await;
    }
}
