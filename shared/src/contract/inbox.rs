//! The contract of [`Inbox`] and [`InboxReadMarks`]: the notifications a group's alarms
//! leave, and what each user has read of them.

use super::alarm_states::notification;
use super::fixtures::account_id;
use crate::domain::alarm::Event;
use crate::domain::app_status::{Cause, StatusChange};
use crate::domain::ids::AppId;
use crate::domain::ids::{GroupId, UserId};
use crate::domain::inbox::{NotificationId, ReadMarks};
use crate::domain::notice::Notice;
use crate::domain::record::{Millis, Special};
use crate::ports::{GroupKey, Inbox, InboxRange, InboxReadMarks, Saved};

fn raised(alarm: &str, at: Millis) -> Notice {
    alarm_notice(alarm, Event::Raised { at })
}

fn alarm_notice(alarm: &str, event: Event) -> Notice {
    Notice::Alarm(notification(alarm, event))
}

fn ids(notifications: &[Notice]) -> Vec<NotificationId> {
    notifications.iter().map(NotificationId::of).collect()
}

/// Holds `store` to the contracts of [`Inbox`] and [`InboxReadMarks`] on account
/// `{prefix}-inbox` (no account item is needed: notifications are written by ingest for
/// groups it has found, marks by users of groups the API has found).
pub async fn inbox(store: &(impl Inbox + InboxReadMarks), prefix: &str) {
    let account = account_id(prefix, "inbox");
    let (plant, lab) = (
        GroupId::parse("plant").unwrap(),
        GroupId::parse("lab").unwrap(),
    );
    let plant = GroupKey {
        account: &account,
        group: &plant,
    };
    let lab = GroupKey {
        account: &account,
        group: &lab,
    };
    let at = Millis(1_700_000_000_000);

    // A notification is recorded once under its ID, the first kept; newest first.
    let first = raised("hot", at);
    assert!(store.record_notification(plant, &first).await.unwrap());
    let Notice::Alarm(mut again) = first.clone() else {
        unreachable!("raised is an alarm's")
    };
    again.alarm_name = "renamed".into();
    assert!(!store
        .record_notification(plant, &Notice::Alarm(again))
        .await
        .unwrap());
    let cleared = alarm_notice("hot", Event::Cleared { at: at.plus(5_000) });
    let special = alarm_notice(
        "cold",
        Event::SpecialValue {
            at: at.plus(1_000),
            condition: 1,
            value: Special::Burnout,
        },
    );
    assert!(store.record_notification(plant, &cleared).await.unwrap());
    assert!(store.record_notification(plant, &special).await.unwrap());
    let newest = |limit| InboxRange::newest(limit);
    assert_eq!(
        store.notifications(plant, newest(10)).await.unwrap(),
        vec![cleared.clone(), special.clone(), first.clone()]
    );
    assert_eq!(
        store.notifications(plant, newest(1)).await.unwrap(),
        vec![cleared.clone()]
    );
    assert!(
        store
            .notifications(lab, newest(10))
            .await
            .unwrap()
            .is_empty(),
        "per group"
    );

    // One by its ID, in its group only.
    let special_id = NotificationId::of(&special);
    assert_eq!(
        store.notification(plant, &special_id).await.unwrap(),
        Some(special.clone())
    );
    assert_eq!(store.notification(lab, &special_id).await.unwrap(), None);

    // An app's status change is a notification like an alarm's, read back whole.
    let gone = Notice::App(StatusChange {
        app: AppId::parse("gw:1").unwrap(),
        app_name: "Gateway 1".into(),
        connected: false,
        at,
        cause: Cause::Silence {
            last_heard: at.plus(-180_000),
        },
    });
    assert!(store.record_notification(lab, &gone).await.unwrap());
    assert!(!store.record_notification(lab, &gone).await.unwrap());
    assert_eq!(
        store
            .notification(lab, &NotificationId::of(&gone))
            .await
            .unwrap(),
        Some(gone.clone())
    );
    assert_eq!(
        store.notifications(lab, newest(10)).await.unwrap(),
        vec![gone]
    );

    // Ranges leave out both their bounds; a bound need not be a notification.
    for n in 3..8 {
        assert!(store
            .record_notification(plant, &raised("warm", at.plus(n * 1_000)))
            .await
            .unwrap());
    }
    let all = store.notifications(plant, newest(100)).await.unwrap();
    assert_eq!(all.len(), 8);
    let all_ids = ids(&all);
    let range = InboxRange {
        after: Some(&all_ids[6]),
        before: Some(&all_ids[1]),
        limit: 3,
    };
    assert_eq!(
        ids(&store.notifications(plant, range).await.unwrap()),
        all_ids[2..5]
    );
    let range = InboxRange {
        after: Some(&all_ids[6]),
        before: Some(&all_ids[1]),
        limit: 100,
    };
    assert_eq!(
        ids(&store.notifications(plant, range).await.unwrap()),
        all_ids[2..6]
    );
    let between = NotificationId::parse(&format!("{:015}.x.1.raised", at.plus(3_500).0)).unwrap();
    let range = InboxRange {
        after: None,
        before: Some(&between),
        limit: 100,
    };
    assert_eq!(
        ids(&store.notifications(plant, range).await.unwrap()),
        all_ids[5..]
    );

    // Counting counts after a bound, no further than asked.
    assert_eq!(
        store.count_notifications(plant, None, 100).await.unwrap(),
        8
    );
    assert_eq!(store.count_notifications(plant, None, 5).await.unwrap(), 5);
    assert_eq!(
        store
            .count_notifications(plant, Some(&all_ids[2]), 100)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_notifications(plant, Some(&between), 100)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        store.count_notifications(lab, None, 100).await.unwrap(),
        1,
        "the app's alone"
    );

    // Read marks: none stored read as revision 0; each write is checked on the revision.
    let (ann, bob) = (UserId::parse("ann").unwrap(), UserId::parse("bob").unwrap());
    assert_eq!(
        store.read_marks(plant, &ann).await.unwrap(),
        ReadMarks::default()
    );
    let marks = ReadMarks {
        rev: 0,
        through: Some(all_ids[3].clone()),
        read: [all_ids[1].clone(), all_ids[0].clone()].into(),
    };
    assert_eq!(
        store.save_read_marks(plant, &ann, &marks).await.unwrap(),
        Saved::Written
    );
    assert_eq!(
        store.save_read_marks(plant, &ann, &marks).await.unwrap(),
        Saved::Conflict,
        "a second tab over revision 0 comes too late"
    );
    let read = store.read_marks(plant, &ann).await.unwrap();
    assert_eq!(
        read,
        ReadMarks {
            rev: 1,
            ..marks.clone()
        }
    );
    let more = ReadMarks {
        through: Some(all_ids[0].clone()),
        read: Default::default(),
        ..read.clone()
    };
    assert_eq!(
        store.save_read_marks(plant, &ann, &more).await.unwrap(),
        Saved::Written
    );
    assert_eq!(
        store.save_read_marks(plant, &ann, &read).await.unwrap(),
        Saved::Conflict
    );
    assert_eq!(
        store.read_marks(plant, &ann).await.unwrap(),
        ReadMarks { rev: 2, ..more }
    );
    assert_eq!(
        store.read_marks(plant, &bob).await.unwrap(),
        ReadMarks::default(),
        "per user"
    );
    assert_eq!(
        store.read_marks(lab, &ann).await.unwrap(),
        ReadMarks::default(),
        "per group"
    );

    // Forgetting a user's marks forgets them in every group, and no one else's.
    assert_eq!(
        store.save_read_marks(lab, &ann, &marks).await.unwrap(),
        Saved::Written
    );
    assert_eq!(
        store.save_read_marks(plant, &bob, &marks).await.unwrap(),
        Saved::Written
    );
    let annie = UserId::parse("ann.e").unwrap();
    assert_eq!(
        store.save_read_marks(plant, &annie, &marks).await.unwrap(),
        Saved::Written
    );
    store.forget_read_marks(&account, &ann).await.unwrap();
    for group in [plant, lab] {
        assert_eq!(
            store.read_marks(group, &ann).await.unwrap(),
            ReadMarks::default()
        );
    }
    assert_eq!(store.read_marks(plant, &bob).await.unwrap().rev, 1);
    assert_eq!(store.read_marks(plant, &annie).await.unwrap().rev, 1);
    assert_eq!(
        store.save_read_marks(plant, &ann, &marks).await.unwrap(),
        Saved::Written,
        "forgotten marks start over at revision 0"
    );
}
