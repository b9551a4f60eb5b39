use proptest::prelude::*;

use super::*;
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::registry::{AppKind, RegistrationId};

const MINUTE: i64 = Millis::MINUTE;

fn app() -> App {
    App {
        id: AppId::parse("gw-1").unwrap(),
        account: AccountId::parse("acme").unwrap(),
        group: GroupId::parse("plant").unwrap(),
        registration: RegistrationId::from_random(0),
        registered: Millis(0),
        name: "Gateway 1".into(),
        kind: AppKind::Gateway,
        enabled: true,
        certificate: None,
        last_seen: None,
        status: AppStatus::default(),
    }
}

fn opened(version: u64, at: i64) -> Lifecycle {
    Lifecycle {
        session: Session {
            version,
            ended: false,
        },
        at: Millis(at),
    }
}

fn closed(version: u64, at: i64) -> Lifecycle {
    Lifecycle {
        session: Session {
            version,
            ended: true,
        },
        at: Millis(at),
    }
}

/// Applies `events` in order, keeping what each writes; the changes notified, as
/// (connected, at).
fn notified(events: &[Lifecycle]) -> (AppStatus, Vec<(bool, i64)>) {
    let app = app();
    let mut status = AppStatus::default();
    for event in events {
        if let Some(next) = status.on_lifecycle(&app, *event) {
            status = next;
        }
    }
    let changes = status
        .outbox
        .iter()
        .map(|change| (change.connected, change.at.0))
        .collect();
    (status, changes)
}

#[test]
fn a_connection_opened_and_closed_notifies_connected_then_disconnected() {
    let (status, changes) = notified(&[opened(1, 100), closed(1, 200)]);
    assert_eq!(changes, [(true, 100), (false, 200)]);
    assert_eq!(
        (status.connected, status.since, status.watched()),
        (false, Millis(200), true)
    );
    assert_eq!(
        status.outbox[1].cause,
        Cause::Lifecycle,
        "a lifecycle event says so"
    );
}

#[test]
fn a_redelivered_event_changes_nothing() {
    let (once, _) = notified(&[opened(1, 100)]);
    assert_eq!(once.on_lifecycle(&app(), opened(1, 100)), None);
    let (closed_once, _) = notified(&[opened(1, 100), closed(1, 200)]);
    assert_eq!(closed_once.on_lifecycle(&app(), closed(1, 200)), None);
}

#[test]
fn an_event_of_an_older_connection_arriving_late_changes_nothing() {
    // Connection 1 closed and connection 2 opened; connection 1's end arrives last.
    let (status, changes) = notified(&[opened(1, 100), opened(2, 300), closed(1, 200)]);
    assert_eq!(
        changes,
        [(true, 100)],
        "a reconnect is not a new connection"
    );
    assert!(status.connected);
    // The end arriving before the start of its own connection: the start is older news.
    let (status, changes) = notified(&[closed(1, 200), opened(1, 100)]);
    assert_eq!(changes, [], "closed before ever told connected");
    assert!(!status.connected);
}

#[test]
fn a_connection_numbered_from_zero_again_after_an_hour_away_is_news() {
    let hour = 60 * MINUTE;
    let (status, changes) = notified(&[
        opened(5, 0),
        closed(5, MINUTE),
        opened(0, MINUTE + hour),
        closed(0, 2 * MINUTE + hour),
        // Delivered again, long after: old news, though numbered higher.
        opened(5, 0),
        closed(5, MINUTE),
    ]);
    assert_eq!(
        changes,
        [
            (true, 0),
            (false, MINUTE),
            (true, MINUTE + hour),
            (false, 2 * MINUTE + hour)
        ]
    );
    assert!(!status.connected);
    // Close in time, numbers decide: a lower one is an older connection's.
    let (_, changes) = notified(&[opened(5, 0), opened(4, MINUTE)]);
    assert_eq!(changes, [(true, 0)]);
}

#[test]
fn a_message_after_the_app_was_told_disconnected_shows_it_connected() {
    let app = app();
    let (status, _) = notified(&[opened(1, 100), closed(1, 200)]);
    assert_eq!(status.on_message(&app, Millis(200)), None, "not after");
    assert_eq!(
        status.on_message(&app, Millis(150)),
        None,
        "a retried message the app sent before it went"
    );
    let next = status.on_message(&app, Millis(201)).unwrap();
    assert!(next.connected);
    assert_eq!(next.outbox.last().unwrap().cause, Cause::Message);
    assert_eq!(next.on_message(&app, Millis(300)), None, "told once");
    // The lifecycle event of the connection the message came on, arriving after it,
    // is no second "connected".
    let after = next.on_lifecycle(&app, opened(2, 190)).unwrap();
    assert_eq!(after.outbox.len(), next.outbox.len());
}

#[test]
fn messages_of_an_app_never_told_of_start_nothing() {
    assert_eq!(AppStatus::default().on_message(&app(), Millis(100)), None);
}

#[test]
fn silence_disconnects_at_the_instant_it_ran_out() {
    let app = app();
    let (status, _) = notified(&[opened(1, 0)]);
    let silence = 3 * MINUTE;
    let heard = Some(Millis(MINUTE));
    assert_eq!(
        status.on_silence(&app, heard, Millis(4 * MINUTE), silence),
        None,
        "at exactly the silence: still connected, as the API says"
    );
    for now in [4 * MINUTE + 1, 10 * MINUTE] {
        let next = status
            .on_silence(&app, heard, Millis(now), silence)
            .unwrap();
        let change = next.outbox.last().unwrap();
        assert_eq!(
            (change.connected, change.at, change.cause),
            (
                false,
                Millis(4 * MINUTE),
                Cause::Silence {
                    last_heard: Millis(MINUTE)
                }
            ),
            "the same change whenever the sweep asks"
        );
        assert_eq!(next.on_silence(&app, heard, Millis(now), silence), None);
    }
}

#[test]
fn an_app_just_connected_is_not_silent_for_records_older_than_its_connection() {
    let (status, _) = notified(&[opened(1, 60 * MINUTE)]);
    let long_ago = Some(Millis(0));
    assert_eq!(
        status.on_silence(&app(), long_ago, Millis(62 * MINUTE), 3 * MINUTE),
        None
    );
    let next = status
        .on_silence(&app(), None, Millis(64 * MINUTE), 3 * MINUTE)
        .unwrap();
    assert_eq!(next.since, Millis(63 * MINUTE));
}

#[test]
fn a_disconnected_app_is_never_silent_again() {
    let (status, _) = notified(&[opened(1, 0), closed(1, 10)]);
    assert_eq!(
        status.on_silence(&app(), None, Millis(60 * MINUTE), MINUTE),
        None
    );
}

#[test]
fn ids_sort_by_time_and_name_the_app_and_direction() {
    let (status, _) = notified(&[opened(1, 1_700_000_000_000), closed(1, 1_700_000_060_000)]);
    let ids: Vec<String> = status.outbox.iter().map(StatusChange::id).collect();
    assert_eq!(
        ids,
        [
            "001700000000000.app.gw-1.connected",
            "001700000060000.app.gw-1.disconnected"
        ]
    );
}

fn lifecycle() -> impl Strategy<Value = Lifecycle> {
    (0u64..4, any::<bool>()).prop_map(|(version, ended)| Lifecycle {
        session: Session { version, ended },
        // IoT Core's clock: later connections, later events.
        at: Millis(version as i64 * 1000 + i64::from(ended) * 500),
    })
}

proptest! {
    /// Whatever order and however often IoT Core delivers a set of lifecycle events,
    /// the app ends as the newest of them says, and every change notified alternates
    /// direction (never "connected" twice in a row).
    #[test]
    fn any_delivery_ends_as_the_newest_event_says(
        events in prop::collection::vec(lifecycle(), 1..12),
        redelivered in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut delivered = events.clone();
        for index in redelivered {
            delivered.push(*index.get(&events));
        }
        let (status, changes) = notified(&delivered);
        let newest = events.iter().map(|e| e.session).max().unwrap();
        prop_assert_eq!(status.lifecycle.map(|l| l.session), Some(newest));
        prop_assert_eq!(status.connected, !newest.ended);
        for pair in changes.windows(2) {
            prop_assert_ne!(pair[0].0, pair[1].0);
        }
        if let Some(first) = changes.first() {
            prop_assert!(first.0, "an app never told connected is not told disconnected");
        }
    }
}
