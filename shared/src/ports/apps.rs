//! The [`Apps`] port.

use async_trait::async_trait;

use super::{Created, StoreError};
use crate::domain::ids::{AccountId, AppId};
use crate::domain::record::Millis;
use crate::domain::registry::App;

/// The apps of an account.
#[async_trait]
pub trait Apps: Send + Sync {
    /// An app of an account: app IDs are unique only within their account.
    async fn app(&self, account: &AccountId, app_id: &AppId) -> Result<Option<App>, StoreError>;
    /// Registers an app in its group unless the account has `limit` apps already or has
    /// an app of that ID (race-safe): without a certificate and never seen, whatever
    /// `app` says. A group that does not exist answers `LimitReached` (nothing to count
    /// on).
    async fn register_app(&self, app: &App, limit: u32) -> Result<Created, StoreError>;
    /// Records the IoT certificate an app connects with; `false` if there is no such app.
    async fn set_certificate(&self, app: &App, certificate_id: &str) -> Result<bool, StoreError>;
    /// Writes an app's name and enabled switch; `false` if it is not the account's.
    async fn update_app(&self, app: &App) -> Result<bool, StoreError>;
    /// Deletes an app and its instruments; `false` if it is not the account's.
    async fn delete_app(&self, app: &App) -> Result<bool, StoreError>;
    /// Moves the app's last-seen time forward to `at` (never backward).
    async fn touch_app(&self, app: &App, at: Millis) -> Result<(), StoreError>;
}
