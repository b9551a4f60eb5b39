//! Apps' statuses through the use case on the in-memory adapters: lifecycle events
//! redelivered and reordered, silence, messages after silence, crashes between the
//! writes, deleted apps.

use super::*;
use crate::contract::fixtures::{account, created_group, registered_app};
use crate::domain::app_status::{Cause, StatusChange};
use crate::domain::record::Millis;
use crate::memory::{MemoryNotifyQueue, MemoryRecords, MemoryStore};
use crate::ports::{InboxRange, NotifyJob};

const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = Millis::MINUTE;
const SILENCE: i64 = 3 * MINUTE;

struct Fleet {
    store: MemoryStore,
    records: MemoryRecords,
    queue: MemoryNotifyQueue,
    stack: Stack,
    app: App,
}

impl Fleet {
    async fn new() -> Fleet {
        let store = MemoryStore::new();
        let acme = account(&store, "status", "acme").await;
        let plant = created_group(&store, &acme.id, "plant").await;
        let app = registered_app(&store, &plant, "gw-1", 1).await;
        Fleet {
            store,
            records: MemoryRecords::default(),
            queue: MemoryNotifyQueue::default(),
            stack: Stack::parse("prod").unwrap(),
            app,
        }
    }

    fn event(&self, kind: &str, version: u64, at: i64) -> PresenceEvent {
        PresenceEvent {
            client_id: self
                .stack
                .thing(&self.app.account, &self.app.id)
                .to_string(),
            timestamp: at,
            event_type: kind.into(),
            version_number: version,
            disconnect_reason: None,
        }
    }

    async fn lifecycle(&self, kind: &str, version: u64, at: i64) -> LifecycleReport {
        let event = self.event(kind, version, at);
        on_lifecycle(&event, &self.stack, &self.store, &self.queue)
            .await
            .unwrap()
    }

    async fn sweep(&self, at: i64) -> SweepReport {
        sweep(&self.store, &self.records, &self.queue, Millis(at), SILENCE)
            .await
            .unwrap()
    }

    async fn current(&self) -> App {
        self.store
            .app(&self.app.account, &self.app.id)
            .await
            .unwrap()
            .unwrap()
    }

    /// The inbox, oldest first, as (connected, at).
    async fn inbox(&self) -> Vec<(bool, i64)> {
        let key = GroupKey {
            account: &self.app.account,
            group: &self.app.group,
        };
        let mut notes: Vec<(bool, i64)> = self
            .store
            .notifications(key, InboxRange::newest(100))
            .await
            .unwrap()
            .into_iter()
            .map(|notice| match notice {
                Notice::App(change) => (change.connected, change.at.0),
                other => panic!("only app changes here: {other:?}"),
            })
            .collect();
        notes.reverse();
        notes
    }

    fn queued(&self) -> Vec<String> {
        self.queue.take().iter().map(NotifyJob::id).collect()
    }
}

#[tokio::test]
async fn a_connection_and_its_end_are_each_notified_once_however_often_delivered() {
    let fleet = Fleet::new().await;
    for _ in 0..3 {
        fleet.lifecycle("connected", 7, T0).await;
    }
    assert_eq!(fleet.inbox().await, [(true, T0)]);
    for _ in 0..3 {
        fleet.lifecycle("disconnected", 7, T0 + MINUTE).await;
        // The start arriving again after the end changes nothing either.
        fleet.lifecycle("connected", 7, T0).await;
    }
    assert_eq!(fleet.inbox().await, [(true, T0), (false, T0 + MINUTE)]);
    let queued = fleet.queued();
    assert_eq!(
        queued
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        2,
        "the same two, however often queued: {queued:?}"
    );
    let current = fleet.current().await;
    assert!(!current.status.connected && current.status.outbox.is_empty());
    assert_eq!(fleet.store.watched_apps(None, 10).await.unwrap(), []);
}

#[tokio::test]
async fn events_of_other_stacks_unknown_apps_and_kinds_are_ignored_with_the_reason() {
    let fleet = Fleet::new().await;
    let mut other_stack = fleet.event("connected", 1, T0);
    other_stack.client_id = other_stack.client_id.replacen("prod:", "test:", 1);
    let mut unknown = fleet.event("connected", 1, T0);
    unknown.client_id.push_str("-x");
    let subscribed = fleet.event("subscribed", 1, T0);
    for (event, why) in [
        (other_stack, "not an app of stack prod"),
        (unknown, "no such app"),
        (subscribed, "unknown event type `subscribed`"),
    ] {
        let report = on_lifecycle(&event, &fleet.stack, &fleet.store, &fleet.queue)
            .await
            .unwrap();
        assert!(report.ignored.unwrap().contains(why), "{why}");
    }
    assert_eq!(fleet.inbox().await, []);
}

#[tokio::test]
async fn an_app_silent_past_the_silence_is_disconnected_once_when_the_silence_ran_out() {
    let fleet = Fleet::new().await;
    fleet.lifecycle("connected", 1, T0).await;
    fleet
        .store
        .touch_app(&fleet.app, Millis(T0 + MINUTE))
        .await
        .unwrap();
    let report = fleet.sweep(T0 + MINUTE + SILENCE).await;
    assert_eq!((report.watched, report.notified), (1, 0), "not yet");
    for _ in 0..2 {
        fleet.sweep(T0 + MINUTE + SILENCE + 1).await;
        fleet.sweep(T0 + 30 * MINUTE).await;
    }
    assert_eq!(
        fleet.inbox().await,
        [(true, T0), (false, T0 + MINUTE + SILENCE)]
    );
    let current = fleet.current().await;
    assert!(!current.status.connected && current.status.outbox.is_empty());
    assert_eq!(
        fleet
            .store
            .notifications(
                GroupKey {
                    account: &fleet.app.account,
                    group: &fleet.app.group
                },
                InboxRange::newest(1)
            )
            .await
            .unwrap(),
        [Notice::App(StatusChange {
            app: fleet.app.id.clone(),
            app_name: fleet.app.name.clone(),
            connected: false,
            at: Millis(T0 + MINUTE + SILENCE),
            cause: Cause::Silence {
                last_heard: Millis(T0 + MINUTE)
            },
        })]
    );
    assert_eq!(
        fleet.sweep(T0 + 60 * MINUTE).await.watched,
        0,
        "off the list"
    );

    // Its messages come again without a new connection: connected again, once.
    let later = Millis(T0 + 61 * MINUTE);
    for _ in 0..2 {
        on_message(&fleet.current().await, later, &fleet.store, &fleet.queue)
            .await
            .unwrap();
    }
    assert_eq!(
        fleet.inbox().await.last(),
        Some(&(true, later.0)),
        "connected by its message"
    );
    assert_eq!(fleet.inbox().await.len(), 3);
    // IoT Core's late news of the connection the message came on adds nothing.
    fleet.lifecycle("connected", 2, T0 + 60 * MINUTE).await;
    assert_eq!(fleet.inbox().await.len(), 3);
}

#[tokio::test]
async fn a_change_left_in_the_outbox_by_a_crash_is_delivered_by_the_next_sweep() {
    let fleet = Fleet::new().await;
    fleet.lifecycle("connected", 1, T0).await;
    fleet.queued();
    // As if an invocation wrote the disconnection and stopped before the inbox.
    let app = fleet.current().await;
    let decided = app
        .status
        .on_lifecycle(
            &app,
            fleet
                .event("disconnected", 1, T0 + MINUTE)
                .lifecycle()
                .unwrap(),
        )
        .unwrap();
    assert!(fleet
        .store
        .replace_app_status(&app, &decided)
        .await
        .unwrap());
    assert_eq!(fleet.inbox().await.len(), 1);

    let report = fleet.sweep(T0 + 2 * MINUTE).await;
    assert_eq!((report.watched, report.notified), (1, 1));
    assert_eq!(fleet.inbox().await, [(true, T0), (false, T0 + MINUTE)]);
    assert_eq!(fleet.queued().len(), 1);
    assert_eq!(fleet.sweep(T0 + 3 * MINUTE).await.watched, 0);
}

#[tokio::test]
async fn a_deleted_app_leaves_the_list_with_it_and_tells_nothing() {
    let fleet = Fleet::new().await;
    fleet.lifecycle("connected", 1, T0).await;
    assert!(fleet.store.delete_app(&fleet.app).await.unwrap());
    assert_eq!(fleet.store.watched_apps(None, 10).await.unwrap(), []);
    assert_eq!(fleet.sweep(T0 + 10 * MINUTE).await, SweepReport::default());
    assert_eq!(fleet.inbox().await, [(true, T0)]);
}
