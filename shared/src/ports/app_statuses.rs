//! The [`AppStatuses`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::app_status::AppStatus;
use crate::domain::ids::{AccountId, AppId};
use crate::domain::registry::{App, Instrument};

/// An app the silence sweep looks at (see [`AppStatus::watched`]), as listed at
/// revision `rev` of its status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WatchedApp {
    pub account: AccountId,
    pub app: AppId,
    pub rev: u64,
}

/// Apps' connection statuses (on the apps themselves, [`App::status`]) and the list of
/// those the silence sweep watches.
#[async_trait]
pub trait AppStatuses: Send + Sync {
    /// Replaces `app`'s status, as read (by its revision), with `next`; `false` when it
    /// changed meanwhile or this registration of the app is gone. The app is on the
    /// sweep's list exactly while its status is watched.
    async fn replace_app_status(&self, app: &App, next: &AppStatus) -> Result<bool, StoreError>;
    /// The watched apps after `after` (from the first without it), in order, at most
    /// `limit` (at least 1).
    async fn watched_apps(
        &self,
        after: Option<&WatchedApp>,
        limit: usize,
    ) -> Result<Vec<WatchedApp>, StoreError>;
    /// Takes `watched` off the list, unless its status was written since it was listed.
    async fn unwatch_app(&self, watched: &WatchedApp) -> Result<(), StoreError>;
    /// An app with the instruments it holds (see [`App::holds`]), read together.
    async fn app_with_instruments(
        &self,
        account: &AccountId,
        app: &AppId,
    ) -> Result<Option<(App, Vec<Instrument>)>, StoreError>;
}
