//! Handing a decided notice on: into its group's inbox, once, and onto the notify queue.
//! Alarm evaluation and app status both deliver their outboxes through it.

use crate::domain::notice::Notice;
use crate::ports::{GroupKey, Inbox, Notify, NotifyJob, NotifyQueue, StoreError};

/// Records `notice` in the group's inbox unless it is there, then queues it; whether
/// the inbox was new. Queued even when the inbox had it: an invocation that recorded it
/// may have stopped before queueing it (the notify function delivers each destination
/// once, however often the notice is queued).
pub async fn record_and_queue(
    store: &impl Inbox,
    notify_queue: &impl NotifyQueue,
    group: GroupKey<'_>,
    notice: Notice,
) -> Result<bool, StoreError> {
    let new = store.record_notification(group, &notice).await?;
    if new {
        tracing::info!(account = %group.account, group = %group.group, notification = %notice.id(), "notification");
    }
    let job = NotifyJob {
        account: group.account.clone(),
        group: group.group.clone(),
        what: Notify::Notice { notice },
    };
    notify_queue.enqueue(&job).await?;
    Ok(new)
}
