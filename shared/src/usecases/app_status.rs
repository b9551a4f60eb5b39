//! Apps' connection statuses: decided from IoT Core's lifecycle events (the `presence`
//! function, through the presence rule), from messages (`ingest`) and from silence (the
//! `presence` function on its schedule), each change told to the app's group once.
//!
//! A change is saved in the status's outbox by the write that decides it, then put in
//! the group's inbox and queued for `notify`, then the outbox is emptied: any later
//! handling of the app (an event, a message, a sweep — the sweep lists every app with
//! changes left) delivers what a crash left behind.

use futures_util::future::join_all;
use serde::Serialize;

use super::newest::Newest;
use super::notice_delivery::record_and_queue;
use crate::domain::app_status::{AppStatus, PresenceEvent};
use crate::domain::iot_thing::Stack;
use crate::domain::notice::Notice;
use crate::domain::record::Millis;
use crate::domain::registry::App;
use crate::ports::{
    AppStatuses, Apps, ChunkStore, GroupKey, Inbox, NotifyQueue, RecordStore, StoreError,
    WatchedApp,
};

/// Revision-checked writes that lose a race re-read and decide again, this many times.
const MAX_ATTEMPTS: usize = 5;
/// Watched apps read per page of the sweep.
const SWEEP_PAGE: usize = 100;
/// Apps of a page swept at once: each is a few reads, mostly waiting.
const SWEEP_CONCURRENCY: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the status of app {0} kept changing under concurrent writers; gave up for a retry")]
    Contention(String),
    #[error("{0} apps could not be swept (each is logged); the others were")]
    Sweep(usize),
}

/// What one lifecycle event did.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct LifecycleReport {
    /// Changes newly put in an inbox (a redelivered event puts none).
    pub notified: usize,
    /// Why the event was not applied, if it was not.
    pub ignored: Option<String>,
}

/// What one sweep did.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct SweepReport {
    /// Apps looked at.
    pub watched: usize,
    /// Changes newly put in an inbox: apps gone silent, and changes left behind.
    pub notified: usize,
    /// Apps taken off the list: deleted, or listed by a status since replaced.
    pub unwatched: usize,
    /// Apps whose sweep failed, each logged: the others were swept, and the invocation
    /// fails at the end so that the failure shows (the Errors alarm).
    pub failed: usize,
}

/// Applies one lifecycle event of `stack`'s presence rule.
pub async fn on_lifecycle(
    event: &PresenceEvent,
    stack: &Stack,
    store: &(impl Apps + AppStatuses + Inbox),
    notify_queue: &impl NotifyQueue,
) -> Result<LifecycleReport, StatusError> {
    let ignored = |why: String| {
        tracing::warn!(client = %event.client_id, %why, "lifecycle event ignored");
        Ok(LifecycleReport {
            notified: 0,
            ignored: Some(why),
        })
    };
    let Some((account, app_id)) = stack.app_of(&event.client_id) else {
        return ignored(format!("client is not an app of stack {}", stack.as_str()));
    };
    let Some(lifecycle) = event.lifecycle() else {
        return ignored(format!("unknown event type `{}`", event.event_type));
    };
    let Some(app) = store.app(&account, &app_id).await? else {
        return ignored("no such app".into());
    };
    tracing::info!(account = %account, app = %app_id, event = %event.event_type, version = event.version_number, reason = ?event.disconnect_reason, "lifecycle event");
    let notified = decide_and_deliver(store, notify_queue, app, |app| {
        app.status.on_lifecycle(app, lifecycle)
    })
    .await?;
    Ok(LifecycleReport {
        notified,
        ignored: None,
    })
}

/// Whether a message received at `received_at` shows `app` (as ingest read it)
/// connected again; also delivers changes a crash left in its outbox. Nothing is read or
/// written unless there is something to tell: the steady state of a connected app costs
/// nothing.
pub async fn on_message(
    app: &App,
    received_at: Millis,
    store: &(impl Apps + AppStatuses + Inbox),
    notify_queue: &impl NotifyQueue,
) -> Result<bool, StatusError> {
    let reconnects = app.status.on_message(app, received_at).is_some();
    if reconnects || !app.status.outbox.is_empty() {
        decide_and_deliver(store, notify_queue, app.clone(), |app| {
            app.status.on_message(app, received_at)
        })
        .await?;
    }
    Ok(reconnects)
}

/// Looks at every watched app at `now`: a connected one silent for longer than
/// `silence` is disconnected, changes left behind are delivered, and entries no
/// longer watched are dropped.
pub async fn sweep(
    store: &(impl Apps + AppStatuses + Inbox),
    records: &(impl RecordStore + ChunkStore),
    notify_queue: &impl NotifyQueue,
    now: Millis,
    silence: i64,
) -> Result<SweepReport, StatusError> {
    let mut report = SweepReport::default();
    let mut after: Option<WatchedApp> = None;
    loop {
        let page = store.watched_apps(after.as_ref(), SWEEP_PAGE).await?;
        report.watched += page.len();
        let mut swept = Vec::with_capacity(page.len());
        for chunk in page.chunks(SWEEP_CONCURRENCY) {
            swept.extend(
                join_all(chunk.iter().map(|watched| async move {
                    let result = sweep_one(store, records, notify_queue, watched, now, silence);
                    (watched, result.await)
                }))
                .await,
            );
        }
        // One app failing (a store error, a corrupt item) holds no other back.
        for (watched, result) in swept {
            match result {
                Ok(Swept::Notified(n)) => report.notified += n,
                Ok(Swept::Unwatched) => report.unwatched += 1,
                Err(error) => {
                    tracing::error!(account = %watched.account, app = %watched.app, %error, "sweeping an app failed");
                    report.failed += 1;
                }
            }
        }
        if page.len() < SWEEP_PAGE {
            tracing::info!(
                watched = report.watched,
                notified = report.notified,
                unwatched = report.unwatched,
                failed = report.failed,
                "apps swept"
            );
            if report.failed > 0 {
                return Err(StatusError::Sweep(report.failed));
            }
            return Ok(report);
        }
        after = page.last().cloned();
    }
}

enum Swept {
    Notified(usize),
    Unwatched,
}

async fn sweep_one(
    store: &(impl Apps + AppStatuses + Inbox),
    records: &(impl RecordStore + ChunkStore),
    notify_queue: &impl NotifyQueue,
    watched: &WatchedApp,
    now: Millis,
    silence: i64,
) -> Result<Swept, StatusError> {
    let found = store
        .app_with_instruments(&watched.account, &watched.app)
        .await?;
    let Some((app, instruments)) = found.filter(|(app, _)| app.status.watched()) else {
        store.unwatch_app(watched).await?;
        return Ok(Swept::Unwatched);
    };
    let last_heard = if app.status.connected {
        let newest = Newest::last_seen(records, &instruments, now)
            .await
            .map_err(|refused| StoreError::Unavailable(refused.to_string()))?;
        newest.app_last_seen(&app, &instruments, now)
    } else {
        None
    };
    let notified = decide_and_deliver(store, notify_queue, app, |app| {
        app.status.on_silence(app, last_heard, now, silence)
    })
    .await?;
    Ok(Swept::Notified(notified))
}

/// Writes what `decide` makes of the app's status (re-reading and deciding again when
/// another writer came first), then delivers the outbox; the changes newly notified.
async fn decide_and_deliver(
    store: &(impl Apps + AppStatuses + Inbox),
    notify_queue: &impl NotifyQueue,
    mut app: App,
    decide: impl Fn(&App) -> Option<AppStatus>,
) -> Result<usize, StatusError> {
    for _ in 0..MAX_ATTEMPTS {
        let Some(next) = decide(&app) else {
            return Ok(deliver_outbox(store, notify_queue, &app).await?);
        };
        if store.replace_app_status(&app, &next).await? {
            let rev = app.status.rev + 1;
            app.status = AppStatus { rev, ..next };
            return Ok(deliver_outbox(store, notify_queue, &app).await?);
        }
        match store.app(&app.account, &app.id).await? {
            Some(read) if read.registration == app.registration => app = read,
            // Deleted (or registered anew) meanwhile: nothing left to tell of it.
            _ => return Ok(0),
        }
    }
    Err(StatusError::Contention(app.id.to_string()))
}

/// Hands the changes in `app`'s outbox to its group's inbox and the notify queue, then
/// empties the outbox; the changes newly put in the inbox.
async fn deliver_outbox(
    store: &(impl AppStatuses + Inbox),
    notify_queue: &impl NotifyQueue,
    app: &App,
) -> Result<usize, StoreError> {
    if app.status.outbox.is_empty() {
        return Ok(0);
    }
    let group = GroupKey {
        account: &app.account,
        group: &app.group,
    };
    let mut recorded = 0;
    for change in &app.status.outbox {
        if record_and_queue(store, notify_queue, group, Notice::App(change.clone())).await? {
            recorded += 1;
        }
    }
    let emptied = AppStatus {
        outbox: Vec::new(),
        ..app.status.clone()
    };
    // Refused only when another writer changed the status meanwhile: it delivers what
    // is left, and the inbox and notify take a change delivered twice once.
    store.replace_app_status(app, &emptied).await?;
    Ok(recorded)
}

#[cfg(test)]
mod tests;
