//! Apps' statuses and the sweep's list in memory.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::app_status::AppStatus;
use crate::domain::ids::{AccountId, AppId};
use crate::domain::registry::{App, Instrument};
use crate::ports::{AppStatuses, StoreError, WatchedApp};

#[async_trait]
impl AppStatuses for MemoryStore {
    async fn replace_app_status(&self, app: &App, next: &AppStatus) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (app.account.clone(), app.id.clone());
        let Some(entry) = tables.apps.get_mut(&key) else {
            return Ok(false);
        };
        if entry.app.registration != app.registration || entry.app.status.rev != app.status.rev {
            return Ok(false);
        }
        let rev = app.status.rev + 1;
        entry.app.status = AppStatus {
            rev,
            ..next.clone()
        };
        // As in DynamoDB: the list's entry is written only when the app comes on or
        // goes off it, with the revision it came on at.
        match (app.status.watched(), next.watched()) {
            (false, true) => {
                tables.watched.insert(key, rev);
            }
            (true, false) => {
                tables.watched.remove(&key);
            }
            _ => {}
        }
        Ok(true)
    }

    async fn watched_apps(
        &self,
        after: Option<&WatchedApp>,
        limit: usize,
    ) -> Result<Vec<WatchedApp>, StoreError> {
        let tables = self.tables();
        Ok(tables
            .watched
            .iter()
            .map(|((account, app), rev)| WatchedApp {
                account: account.clone(),
                app: app.clone(),
                rev: *rev,
            })
            .filter(|watched| {
                after.is_none_or(|after| {
                    (&watched.account, &watched.app) > (&after.account, &after.app)
                })
            })
            .take(limit)
            .collect())
    }

    async fn unwatch_app(&self, watched: &WatchedApp) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let key = (watched.account.clone(), watched.app.clone());
        if tables.watched.get(&key) == Some(&watched.rev) {
            tables.watched.remove(&key);
        }
        Ok(())
    }

    async fn app_with_instruments(
        &self,
        account: &AccountId,
        app: &AppId,
    ) -> Result<Option<(App, Vec<Instrument>)>, StoreError> {
        let tables = self.tables();
        let Some(entry) = tables.apps.get(&(account.clone(), app.clone())) else {
            return Ok(None);
        };
        let instruments = tables
            .instruments
            .values()
            .filter(|instrument| entry.app.holds(instrument))
            .cloned()
            .collect();
        Ok(Some((entry.app.clone(), instruments)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_keeps_the_app_statuses_contract() {
        crate::contract::app_statuses(&MemoryStore::new(), "memory").await;
    }
}
