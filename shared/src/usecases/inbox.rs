//! A group's inbox as each of its users sees it: the notifications its alarms left,
//! newest first, page by page, all or only those the user has not read; how many are
//! unread; marking one or all read.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use schemars::JsonSchema;
use serde::Serialize;

use super::refused::Conflict;
use super::Refused;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::inbox::{NotificationId, ReadMarks};
use crate::domain::notice::Notice;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{GroupKey, Inbox, InboxRange, InboxReadMarks, Saved};

/// How many notifications a page holds at most, and by default.
pub const MAX_INBOX_PAGE: usize = 100;

/// How far the unread count counts: a badge needs no more, and counting reads every
/// notification counted, so a count costs no more than a page of 100 (plus the
/// one-by-one marks it skips).
pub const UNREAD_COUNT_CAP: usize = 100;

/// How often a mark is tried when other tabs' marks land between its read and its
/// write: each of them lands once, so of `n` marks at once none fails more than `n - 1`
/// times; five tabs at once all land.
const MARK_ATTEMPTS: usize = 5;

/// Which notifications a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Those the caller has not read.
    Unread,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, Refused> {
        match text {
            "all" => Ok(Filter::All),
            "unread" => Ok(Filter::Unread),
            _ => Err(Refused::invalid(format!(
                "`filter` must be `all` or `unread`, got `{text}`"
            ))),
        }
    }
}

/// A page asked for: `cursor` is the `next` of the page before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxQuery {
    pub filter: Filter,
    pub limit: usize,
    pub cursor: Option<NotificationId>,
}

impl Default for InboxQuery {
    fn default() -> Self {
        InboxQuery {
            filter: Filter::All,
            limit: MAX_INBOX_PAGE,
            cursor: None,
        }
    }
}

/// A page of the inbox: `next` is the cursor of the page after it, if there is more.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InboxPage {
    pub notifications: Vec<NotificationView>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NotificationView {
    /// Unique per alarm version, event and instant.
    pub id: String,
    /// Whether the caller has read it.
    pub read: bool,
    #[serde(flatten)]
    pub notification: Notice,
}

#[derive(Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UnreadCount {
    /// At most 100 ([`UNREAD_COUNT_CAP`]).
    pub unread: usize,
    /// More are unread than `unread` says.
    pub unread_capped: bool,
}

/// What marking one read answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MarkedRead {
    pub id: String,
    pub read: bool,
}

/// What marking all read answers: everything at or before `read_through` is read (none
/// if the inbox is empty).
#[derive(Debug, Serialize, JsonSchema)]
pub struct MarkedAllRead {
    pub read_through: Option<String>,
}

fn key<'a>(principal: &'a Principal, group: &'a Group) -> GroupKey<'a> {
    GroupKey {
        account: &principal.account,
        group: &group.id,
    }
}

/// A page of the group's inbox, newest first, with the caller's read state.
pub async fn list(
    store: &(impl Inbox + InboxReadMarks),
    principal: &Principal,
    group: &Group,
    query: &InboxQuery,
) -> Result<InboxPage, Refused> {
    let key = key(principal, group);
    let marks = store.read_marks(key, &principal.user).await?;
    let before = query.cursor.as_ref();
    let range = match query.filter {
        // One more than the page, to know whether a page follows.
        Filter::All => InboxRange {
            after: None,
            before,
            limit: query.limit + 1,
        },
        // Nothing at or before the watermark is unread; past it, at most the one-by-one
        // marks are read, so one read of that many more fills the page if it can be.
        Filter::Unread => InboxRange {
            after: marks.through.as_ref(),
            before,
            limit: query.limit + 1 + marks.read_before(before),
        },
    };
    let mut listed: Vec<NotificationView> = store
        .notifications(key, range)
        .await?
        .into_iter()
        .map(|notification| {
            let id = NotificationId::of(&notification);
            NotificationView {
                read: marks.is_read(&id),
                id: id.to_string(),
                notification,
            }
        })
        .filter(|view| query.filter == Filter::All || !view.read)
        .collect();
    let more = listed.len() > query.limit;
    listed.truncate(query.limit);
    let next = listed
        .last()
        .filter(|_| more)
        .map(|last| URL_SAFE_NO_PAD.encode(&last.id));
    Ok(InboxPage {
        notifications: listed,
        next,
    })
}

/// Where a page starts: the `next` of the page before it.
pub fn cursor(next: &str) -> Result<NotificationId, Refused> {
    URL_SAFE_NO_PAD
        .decode(next.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|id| NotificationId::parse(&id).ok())
        .ok_or_else(|| Refused::invalid("`cursor` must be the `next` of a page of this inbox"))
}

/// How many notifications a page holds: 1 to [`MAX_INBOX_PAGE`].
pub fn page_limit(text: &str) -> Result<usize, Refused> {
    text.parse()
        .ok()
        .filter(|n| (1..=MAX_INBOX_PAGE).contains(n))
        .ok_or_else(|| {
            Refused::invalid(format!(
                "`limit` must be a whole number from 1 to {MAX_INBOX_PAGE}, got `{text}`"
            ))
        })
}

/// How many notifications of the group the caller has not read, up to
/// [`UNREAD_COUNT_CAP`].
pub async fn unread(
    store: &(impl Inbox + InboxReadMarks),
    principal: &Principal,
    group: &Group,
) -> Result<UnreadCount, Refused> {
    let key = key(principal, group);
    let marks = store.read_marks(key, &principal.user).await?;
    // Every one-by-one mark names a notification after the watermark (marks name only
    // notifications found, and the watermark drops those it passes): they are counted
    // and taken off.
    let at_most = UNREAD_COUNT_CAP + 1 + marks.read.len();
    let after = store
        .count_notifications(key, marks.through.as_ref(), at_most)
        .await?;
    let unread = after.saturating_sub(marks.read.len());
    Ok(UnreadCount {
        unread: unread.min(UNREAD_COUNT_CAP),
        unread_capped: unread > UNREAD_COUNT_CAP,
    })
}

/// Marks notification `id` of the group read for the caller; marking it again changes
/// nothing.
pub async fn mark_read(
    store: &(impl Inbox + InboxReadMarks),
    principal: &Principal,
    group: &Group,
    id: &NotificationId,
) -> Result<MarkedRead, Refused> {
    let key = key(principal, group);
    if store.notification(key, id).await?.is_none() {
        return Err(Refused::not_found(format!(
            "notification `{id}` not found in measurement group `{}`",
            group.id
        )));
    }
    change_marks(store, key, &principal.user, |marks| marks.mark(id)).await?;
    Ok(MarkedRead {
        id: id.to_string(),
        read: true,
    })
}

/// Marks every notification of the group read for the caller, up to the newest now:
/// those that come later are unread.
pub async fn mark_all_read(
    store: &(impl Inbox + InboxReadMarks),
    principal: &Principal,
    group: &Group,
) -> Result<MarkedAllRead, Refused> {
    let key = key(principal, group);
    let newest = store.notifications(key, InboxRange::newest(1)).await?;
    let Some(newest) = newest.first().map(NotificationId::of) else {
        return Ok(MarkedAllRead { read_through: None });
    };
    change_marks(store, key, &principal.user, |marks| {
        marks.mark_through(&newest)
    })
    .await?;
    Ok(MarkedAllRead {
        read_through: Some(newest.to_string()),
    })
}

/// Applies `change` to the user's marks as stored and writes them if it changed
/// anything, again on the marks as they are then if another write came between.
async fn change_marks(
    store: &impl InboxReadMarks,
    key: GroupKey<'_>,
    user: &UserId,
    change: impl Fn(&mut ReadMarks) -> bool,
) -> Result<(), Refused> {
    for _ in 0..MARK_ATTEMPTS {
        let mut marks = store.read_marks(key, user).await?;
        if !change(&mut marks) {
            return Ok(());
        }
        if store.save_read_marks(key, user, &marks).await? == Saved::Written {
            return Ok(());
        }
    }
    Err(Refused::conflict(
        Conflict::ChangedMeanwhile,
        "your read marks kept changing while this was saved; try again",
    ))
}

/// Forgets what `user` has read in every group of `account`, before the user is
/// deleted: a user created again with the ID finds every notification unread.
pub async fn forget_reader(
    store: &impl InboxReadMarks,
    account: &AccountId,
    user: &UserId,
) -> Result<(), Refused> {
    store.forget_read_marks(account, user).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
