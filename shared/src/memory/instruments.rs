//! Instruments in memory.

use async_trait::async_trait;

use super::store::{MemoryStore, Tables};
use crate::domain::ids::{AccountId, AppId, InstrumentSerial};
use crate::domain::registry::{App, Instrument, RegistrationId};
use crate::ports::{Instruments, Registration, Renewal, Saved, StoreError};

/// Whether `app`'s item is still of `app`'s registration and has room for one more
/// instrument within `limit`.
fn room_on(tables: &Tables, app: &App, limit: u32) -> bool {
    let key = (app.account.clone(), app.id.clone());
    tables
        .apps
        .get(&key)
        .is_some_and(|e| e.app.registration == app.registration && e.instruments < limit)
}

fn count_on(tables: &mut Tables, app: &App) {
    let key = (app.account.clone(), app.id.clone());
    if let Some(entry) = tables.apps.get_mut(&key) {
        entry.instruments += 1;
    }
}

#[async_trait]
impl Instruments for MemoryStore {
    async fn instrument(
        &self,
        account: &AccountId,
        app_id: &AppId,
        serial: &InstrumentSerial,
    ) -> Result<Option<Instrument>, StoreError> {
        let key = (account.clone(), app_id.clone(), serial.clone());
        Ok(self.tables().instruments.get(&key).cloned())
    }

    async fn register_instrument(
        &self,
        app: &App,
        serial: &InstrumentSerial,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Registration, StoreError> {
        let mut tables = self.tables();
        let key = (app.account.clone(), app.id.clone(), serial.clone());
        if tables.instruments.contains_key(&key) {
            return Ok(Registration::AlreadyExists);
        }
        // The limit, or an app registered again since (whose own messages count).
        if !room_on(&tables, app, limit) {
            return Ok(Registration::LimitReached);
        }
        count_on(&mut tables, app);
        let instrument = Instrument::new(app, serial.clone(), instance);
        tables.instruments.insert(key, instrument.clone());
        Ok(Registration::Registered(Box::new(instrument)))
    }

    async fn renew_instrument(
        &self,
        stale: &Instrument,
        app: &App,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Renewal, StoreError> {
        let mut tables = self.tables();
        let key = (app.account.clone(), app.id.clone(), stale.serial.clone());
        let as_read = tables
            .instruments
            .get(&key)
            .is_some_and(|i| i.registration == stale.registration && i.rev == stale.rev);
        if !as_read {
            return Ok(Renewal::Changed);
        }
        if !room_on(&tables, app, limit) {
            return Ok(Renewal::LimitReached);
        }
        count_on(&mut tables, app);
        let fresh = Instrument {
            rev: stale.rev + 1,
            ..Instrument::new(app, stale.serial.clone(), instance)
        };
        tables.instruments.insert(key, fresh.clone());
        Ok(Renewal::Renewed(Box::new(fresh)))
    }

    async fn save_instrument(&self, instrument: &Instrument) -> Result<Saved, StoreError> {
        let key = (
            instrument.account.clone(),
            instrument.app.clone(),
            instrument.serial.clone(),
        );
        let mut tables = self.tables();
        let Some(stored) = tables.instruments.get_mut(&key) else {
            return Ok(Saved::Conflict);
        };
        if stored.rev != instrument.rev || stored.registration != instrument.registration {
            return Ok(Saved::Conflict);
        }
        stored.channels = instrument.channels.clone();
        stored.deselected = instrument.deselected.clone();
        stored.label = instrument.label.clone();
        stored.note = instrument.note.clone();
        stored.rev = instrument.rev + 1;
        Ok(Saved::Written)
    }

    async fn delete_instrument(&self, instrument: &Instrument) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let key = (
            instrument.account.clone(),
            instrument.app.clone(),
            instrument.serial.clone(),
        );
        let app = (instrument.account.clone(), instrument.app.clone());
        let registration = instrument.registration;
        // Only an instrument of the app's current registration is counted on it.
        let counted = tables
            .apps
            .get(&app)
            .is_some_and(|e| e.instruments > 0 && e.app.registration == registration);
        let stored = tables
            .instruments
            .get(&key)
            .is_some_and(|i| i.registration == registration);
        if !stored || !counted {
            return Ok(false);
        }
        tables.instruments.remove(&key);
        if let Some(entry) = tables.apps.get_mut(&app) {
            entry.instruments -= 1;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::instruments(&MemoryStore::new(), "memory").await;
    }
}
