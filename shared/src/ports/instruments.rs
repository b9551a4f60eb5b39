//! The [`Instruments`] port.

use async_trait::async_trait;

use super::{Saved, StoreError};
use crate::domain::ids::{AccountId, AppId, InstrumentSerial};
use crate::domain::registry::{App, Instrument, RegistrationId};

/// Outcome of registering an instrument on an app.
#[derive(Debug)]
pub enum Registration {
    Registered(Box<Instrument>),
    /// Another invocation registered it first; read it back.
    AlreadyExists,
    /// The app already has as many instruments as its plan allows.
    LimitReached,
}

/// Outcome of renewing an instrument item left by an earlier registration.
#[derive(Debug)]
pub enum Renewal {
    Renewed(Box<Instrument>),
    /// The item changed since it was read: read it again.
    Changed,
    /// The app has as many instruments as its plan allows (or was registered again).
    LimitReached,
}

/// The instruments of the apps.
#[async_trait]
pub trait Instruments: Send + Sync {
    async fn instrument(
        &self,
        account: &AccountId,
        app_id: &AppId,
        serial: &InstrumentSerial,
    ) -> Result<Option<Instrument>, StoreError>;
    /// Registers a new instrument on `app` as `instance` unless the app has `limit`
    /// already; two concurrent registrations can never both take the last slot.
    async fn register_instrument(
        &self,
        app: &App,
        serial: &InstrumentSerial,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Registration, StoreError>;
    /// Makes an instrument item left by an earlier registration of `app`'s ID (`stale`)
    /// a new, empty instrument of `app` in place, counted on `app` within `limit` — if
    /// the item is still as read.
    async fn renew_instrument(
        &self,
        stale: &Instrument,
        app: &App,
        instance: RegistrationId,
        limit: u32,
    ) -> Result<Renewal, StoreError>;
    /// Writes the instrument's channels (acquired or not), name and note if its stored
    /// revision and registration are still `instrument`'s, and bumps the revision.
    async fn save_instrument(&self, instrument: &Instrument) -> Result<Saved, StoreError>;
    /// Deletes an instrument and frees its slot on the app; `false` if there was none, or
    /// if it or the app is of another registration than `instrument`'s (an instrument
    /// left by an earlier registration takes no slot of the current one).
    async fn delete_instrument(&self, instrument: &Instrument) -> Result<bool, StoreError>;
}
