//! The contract of [`AuditLog`].

use super::fixtures::account;
use crate::domain::auth::{AuditEvent, AuditQuery, AUDIT_FOLD_MILLIS};
use crate::domain::ids::UserId;
use crate::domain::record::Millis;
use crate::ports::{Accounts, AuditLog};

fn event(at: i64, action: &str, user: Option<&str>, address: Option<&str>) -> AuditEvent {
    AuditEvent {
        at: Millis(at),
        action: action.into(),
        user: user.map(|u| UserId::parse(u).unwrap()),
        address: address.map(str::to_owned),
        detail: format!("{action} detail"),
        count: 1,
        last: None,
    }
}

fn query(limit: usize) -> AuditQuery {
    AuditQuery {
        limit,
        cursor: None,
        kind: None,
        user: None,
        from: None,
        to: None,
    }
}

fn times(events: &[AuditEvent]) -> Vec<i64> {
    events.iter().map(|e| e.at.0).collect()
}

/// Holds `store` to the contract of [`AuditLog`] on accounts `{prefix}-…` (see
/// [`super::accounts`]): newest first, pages that go on where the last ended, filters,
/// time bounds, and failures folded per window.
pub async fn audit_log(store: &(impl Accounts + AuditLog), prefix: &str) {
    let acme = account(store, prefix, "audit-acme").await.id;
    let other = account(store, prefix, "audit-other").await.id;
    let events = [
        event(1_000, "login", Some("ann"), Some("192.0.2.1")),
        event(2_000, "logout", Some("ann"), None),
        event(3_000, "login", Some("bob"), None),
        event(4_000, "user_created", None, None),
    ];
    for e in &events {
        store.audit(&acme, e).await.unwrap();
    }
    store
        .audit(&other, &event(2_500, "login", None, None))
        .await
        .unwrap();

    // Newest first, in pages that go on where the last one ended.
    let all = store.audit_log(&acme, &query(10)).await.unwrap();
    assert_eq!(times(&all.events), vec![4_000, 3_000, 2_000, 1_000]);
    assert_eq!(all.events[3], events[0], "as written");
    assert_eq!(all.next, None);
    let first = store.audit_log(&acme, &query(3)).await.unwrap();
    assert_eq!(times(&first.events), vec![4_000, 3_000, 2_000]);
    let cursor = first.next.expect("more to read");
    let rest = store
        .audit_log(
            &acme,
            &AuditQuery {
                cursor: Some(cursor),
                ..query(3)
            },
        )
        .await
        .unwrap();
    assert_eq!(times(&rest.events), vec![1_000]);
    assert_eq!(rest.next, None);

    // Filters by action and user; time bounds `from <= at < to`.
    let logins = AuditQuery {
        kind: Some("login".into()),
        ..query(10)
    };
    assert_eq!(
        times(&store.audit_log(&acme, &logins).await.unwrap().events),
        vec![3_000, 1_000]
    );
    let ann = AuditQuery {
        user: Some(UserId::parse("ann").unwrap()),
        ..query(10)
    };
    assert_eq!(
        times(&store.audit_log(&acme, &ann).await.unwrap().events),
        vec![2_000, 1_000]
    );
    let both = AuditQuery {
        kind: Some("login".into()),
        ..ann.clone()
    };
    assert_eq!(
        times(&store.audit_log(&acme, &both).await.unwrap().events),
        vec![1_000]
    );
    let bounded = AuditQuery {
        from: Some(Millis(2_000)),
        to: Some(Millis(4_000)),
        ..query(10)
    };
    assert_eq!(
        times(&store.audit_log(&acme, &bounded).await.unwrap().events),
        vec![3_000, 2_000]
    );
    assert_eq!(
        times(&store.audit_log(&other, &query(10)).await.unwrap().events),
        vec![2_500]
    );

    // Failures of one kind, user, address and detail fold into one entry per window:
    // the first time, the last, and how many.
    let window = 10 * AUDIT_FOLD_MILLIS;
    let failed = |at: i64, address: &str| event(at, "login_failed", Some("ann"), Some(address));
    for at in [window + 5, window + 6, window + 7] {
        store
            .audit_failure(&acme, &failed(at, "192.0.2.9"))
            .await
            .unwrap();
    }
    store
        .audit_failure(&acme, &failed(window + 8, "192.0.2.10"))
        .await
        .unwrap();
    store
        .audit_failure(&acme, &failed(window + AUDIT_FOLD_MILLIS + 1, "192.0.2.9"))
        .await
        .unwrap();
    let folded = AuditQuery {
        from: Some(Millis(window)),
        ..query(10)
    };
    let mut page = store.audit_log(&acme, &folded).await.unwrap().events;
    assert_eq!(page.len(), 3, "one entry per window and address");
    let next_window = page.remove(0);
    assert_eq!(
        (next_window.at.0, next_window.count, next_window.last),
        (
            window + AUDIT_FOLD_MILLIS + 1,
            1,
            Some(Millis(window + AUDIT_FOLD_MILLIS + 1))
        ),
        "the newest window first"
    );
    page.sort_by_key(|e| e.address.clone());
    let nine = AuditEvent {
        count: 3,
        last: Some(Millis(window + 7)),
        ..failed(window + 5, "192.0.2.9")
    };
    let ten = AuditEvent {
        count: 1,
        last: Some(Millis(window + 8)),
        ..failed(window + 8, "192.0.2.10")
    };
    assert_eq!(page, vec![ten, nine], "the first time and the last");
    let before = AuditQuery {
        to: Some(Millis(window)),
        ..query(10)
    };
    assert_eq!(
        store.audit_log(&acme, &before).await.unwrap().events.len(),
        4,
        "apart from the events"
    );
}
