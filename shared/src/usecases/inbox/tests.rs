//! The inbox as users see it, on the in-memory adapters: unread counts, marks, pages,
//! two users apart, a user deleted and created again.

use crate::domain::alarm::{Event, Notification};
use crate::domain::auth::Role;
use crate::domain::ids::{AccountId, AlarmId, GroupId, UserId};
use crate::domain::inbox::{NotificationId, MAX_READ_ONE_BY_ONE};
use crate::domain::notice::Notice;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::memory::MemoryStore;
use crate::ports::{GroupKey, Inbox};

use super::*;

const T0: i64 = 1_700_000_000_000;

struct Inboxes {
    store: MemoryStore,
    group: Group,
}

impl Inboxes {
    fn new() -> Inboxes {
        Inboxes {
            store: MemoryStore::new(),
            group: Group {
                account: AccountId::parse("acme").unwrap(),
                id: GroupId::parse("plant").unwrap(),
                name: "Plant".into(),
                grants: Vec::new(),
            },
        }
    }

    fn user(&self, user: &str) -> Principal {
        Principal {
            account: self.group.account.clone(),
            user: UserId::parse(user).unwrap(),
            role: Role::Member,
            session: format!("session-{user}"),
            expires: Millis(i64::MAX),
        }
    }

    /// Records notifications of the seconds `seconds` (an alarm raised each); their IDs.
    async fn notify(&self, seconds: impl IntoIterator<Item = i64>) -> Vec<NotificationId> {
        let key = GroupKey {
            account: &self.group.account,
            group: &self.group.id,
        };
        let mut ids = Vec::new();
        for second in seconds {
            let notification = Notice::Alarm(Notification {
                alarm: AlarmId::parse("hot").unwrap(),
                version: 1,
                alarm_name: "Hot".into(),
                event: Event::Raised {
                    at: Millis(T0 + second * 1_000),
                },
                channels: Vec::new(),
                values: Vec::new(),
            });
            assert!(self
                .store
                .record_notification(key, &notification)
                .await
                .unwrap());
            ids.push(NotificationId::of(&notification));
        }
        ids
    }

    async fn unread(&self, user: &Principal) -> usize {
        let count = unread(&self.store, user, &self.group).await.unwrap();
        assert!(!count.unread_capped);
        count.unread
    }

    async fn page(&self, user: &Principal, query: &InboxQuery) -> InboxPage {
        list(&self.store, user, &self.group, query).await.unwrap()
    }

    async fn mark(&self, user: &Principal, id: &NotificationId) {
        mark_read(&self.store, user, &self.group, id).await.unwrap();
    }

    async fn mark_all(&self, user: &Principal) -> MarkedAllRead {
        mark_all_read(&self.store, user, &self.group).await.unwrap()
    }
}

fn unread_only(limit: usize, cursor: Option<NotificationId>) -> InboxQuery {
    InboxQuery {
        filter: Filter::Unread,
        limit,
        cursor,
    }
}

#[tokio::test]
async fn unread_counts_follow_marking_one_and_all_and_new_notifications_after_it() {
    let inboxes = Inboxes::new();
    let ann = inboxes.user("ann");
    assert_eq!(inboxes.unread(&ann).await, 0);
    let ids = inboxes.notify(1..=5).await;
    assert_eq!(inboxes.unread(&ann).await, 5);

    inboxes.mark(&ann, &ids[1]).await;
    inboxes.mark(&ann, &ids[1]).await;
    assert_eq!(
        inboxes.unread(&ann).await,
        4,
        "marking again changes nothing"
    );

    let marked = inboxes.mark_all(&ann).await;
    assert_eq!(marked.read_through, Some(ids[4].to_string()));
    assert_eq!(inboxes.unread(&ann).await, 0);

    let later = inboxes.notify(6..=8).await;
    assert_eq!(inboxes.unread(&ann).await, 3, "what came after is unread");
    inboxes.mark(&ann, &later[2]).await;
    inboxes.mark(&ann, &ids[0]).await;
    assert_eq!(inboxes.unread(&ann).await, 2);
    let page = inboxes.page(&ann, &unread_only(100, None)).await;
    let listed: Vec<&str> = page.notifications.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(listed, [later[1].as_str(), later[0].as_str()]);
}

#[tokio::test]
async fn marking_a_notification_the_group_does_not_have_is_not_found() {
    let inboxes = Inboxes::new();
    let ann = inboxes.user("ann");
    inboxes.notify([1]).await;
    let elsewhere = NotificationId::parse("001700000001000.cold.1.raised").unwrap();
    let refused = mark_read(&inboxes.store, &ann, &inboxes.group, &elsewhere).await;
    assert!(matches!(refused, Err(Refused::NotFound(_))), "{refused:?}");
    assert_eq!(inboxes.unread(&ann).await, 1);
}

#[tokio::test]
async fn marking_all_read_in_an_empty_inbox_reads_through_nothing() {
    let inboxes = Inboxes::new();
    let ann = inboxes.user("ann");
    assert_eq!(inboxes.mark_all(&ann).await.read_through, None);
    inboxes.notify([1]).await;
    assert_eq!(inboxes.unread(&ann).await, 1);
}

#[tokio::test]
async fn paging_through_250_unread_skips_the_read_and_ends_without_a_next() {
    let inboxes = Inboxes::new();
    let ann = inboxes.user("ann");
    // Read: the oldest 50 all at once, then every third one after them one by one.
    let mut ids = inboxes.notify(1..=50).await;
    inboxes.mark_all(&ann).await;
    ids.extend(inboxes.notify(51..=250).await);
    let mut expected = Vec::new();
    for (i, id) in ids.iter().enumerate().skip(50) {
        if i % 3 == 0 {
            inboxes.mark(&ann, id).await;
        } else {
            expected.push(id.to_string());
        }
    }
    expected.reverse();
    let count = unread(&inboxes.store, &ann, &inboxes.group).await.unwrap();
    assert_eq!(expected.len(), 133);
    assert_eq!(
        count,
        UnreadCount {
            unread: UNREAD_COUNT_CAP,
            unread_capped: true
        }
    );

    let mut listed = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = inboxes.page(&ann, &unread_only(40, cursor)).await;
        pages += 1;
        assert!(page.notifications.len() <= 40);
        assert!(page.notifications.iter().all(|n| !n.read));
        listed.extend(page.notifications.into_iter().map(|n| n.id));
        match page.next {
            Some(next) => cursor = Some(super::cursor(&next).unwrap()),
            None => break,
        }
    }
    assert_eq!(listed, expected, "newest first, each unread one once");
    assert_eq!(pages, expected.len().div_ceil(40));

    // All, in pages: every notification, the read ones said to be read.
    let all = inboxes
        .page(
            &ann,
            &InboxQuery {
                filter: Filter::All,
                limit: 100,
                cursor: None,
            },
        )
        .await;
    assert_eq!(all.notifications.len(), 100);
    assert_eq!(all.notifications[0].id, ids[249].to_string());
    assert!(
        all.notifications[0].read,
        "index 249 is a multiple of three"
    );
    assert!(!all.notifications[1].read);
    assert!(all.next.is_some());
}

#[tokio::test]
async fn unread_counts_stop_at_the_cap_and_say_so() {
    let inboxes = Inboxes::new();
    let ann = inboxes.user("ann");
    let ids = inboxes.notify(1..=(UNREAD_COUNT_CAP as i64 + 2)).await;
    let count = unread(&inboxes.store, &ann, &inboxes.group).await.unwrap();
    assert_eq!(
        count,
        UnreadCount {
            unread: UNREAD_COUNT_CAP,
            unread_capped: true
        }
    );
    inboxes.mark(&ann, &ids[0]).await;
    inboxes.mark(&ann, &ids[1]).await;
    let count = unread(&inboxes.store, &ann, &inboxes.group).await.unwrap();
    assert_eq!(
        count,
        UnreadCount {
            unread: UNREAD_COUNT_CAP,
            unread_capped: false
        }
    );
}

#[tokio::test]
async fn two_users_read_apart() {
    let inboxes = Inboxes::new();
    let (ann, bob) = (inboxes.user("ann"), inboxes.user("bob"));
    let ids = inboxes.notify(1..=3).await;
    inboxes.mark(&ann, &ids[0]).await;
    inboxes.mark_all(&bob).await;
    assert_eq!(inboxes.unread(&ann).await, 2);
    assert_eq!(inboxes.unread(&bob).await, 0);
    let page = inboxes.page(&ann, &InboxQuery::default()).await;
    let read: Vec<bool> = page.notifications.iter().map(|n| n.read).collect();
    assert_eq!(read, [false, false, true]);
}

#[tokio::test]
async fn marks_one_by_one_past_the_bound_forget_the_oldest() {
    let inboxes = Inboxes::new();
    let ann = inboxes.user("ann");
    let ids = inboxes.notify(1..=(MAX_READ_ONE_BY_ONE as i64 + 1)).await;
    for id in &ids {
        inboxes.mark(&ann, id).await;
    }
    let count = unread(&inboxes.store, &ann, &inboxes.group).await.unwrap();
    assert_eq!(count.unread, 1);
    let page = inboxes.page(&ann, &unread_only(10, None)).await;
    assert_eq!(page.notifications[0].id, ids[0].to_string());
}

#[tokio::test]
async fn a_user_created_again_under_a_deleted_users_id_reads_nothing() {
    let inboxes = Inboxes::new();
    let ann = inboxes.user("ann");
    inboxes.notify(1..=3).await;
    inboxes.mark_all(&ann).await;
    forget_reader(&inboxes.store, &ann.account, &ann.user)
        .await
        .unwrap();
    assert_eq!(inboxes.unread(&ann).await, 3);
}

#[test]
fn the_api_docs_state_the_inbox_bounds() {
    let doc = include_str!("../../../../docs/api.md");
    let start = doc
        .find("## `GET /v1/groups/{group}/inbox`")
        .expect("docs/api.md has an inbox section");
    // Lines wrap anywhere: read the section as one line.
    let section = doc[start..].replace('\n', " ");
    for text in [
        format!("from 1 to {MAX_INBOX_PAGE}; {MAX_INBOX_PAGE} when left out"),
        format!("counted up to {UNREAD_COUNT_CAP}"),
        format!("at most {MAX_READ_ONE_BY_ONE}"),
    ] {
        assert!(section.contains(&text), "docs/api.md should say `{text}`");
    }
}
