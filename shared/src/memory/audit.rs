//! The audit log in memory, under the sort keys DynamoDB keeps it by, so that pages,
//! cursors and the place of folded failures are the same.

use async_trait::async_trait;

use super::store::MemoryStore;
use crate::domain::auth::{fold_key, fold_window, AuditEvent, AuditPage, AuditQuery};
use crate::domain::ids::AccountId;
use crate::ports::{AuditLog, StoreError};

/// Reads one request makes at most, as DynamoDB's adapter does: a filter that matches
/// little hands the caller a cursor after this many.
const PAGES_PER_REQUEST: usize = 5;

/// The lowest sort key of entries at or after `at_millis` (the keys sort as times do).
fn from(at_millis: i64) -> String {
    format!("AUDIT#{at_millis:015}")
}

fn event_key(at_millis: i64, serial: u64) -> String {
    format!("AUDIT#{at_millis:015}#{serial:016x}")
}

/// Every failure of a fold window and key lands on this one entry.
fn fold_entry_key(window_millis: i64, key: &str) -> String {
    format!("AUDIT#{window_millis:015}#fold-{key}")
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn audit(&self, account: &AccountId, event: &AuditEvent) -> Result<(), StoreError> {
        let mut tables = self.tables();
        tables.audit_serial += 1;
        let key = event_key(event.at.0, tables.audit_serial);
        // Stored as one occurrence, whatever the count and last time say.
        let stored = AuditEvent {
            count: 1,
            last: None,
            ..event.clone()
        };
        tables
            .audit
            .entry(account.clone())
            .or_default()
            .insert(key, stored);
        Ok(())
    }

    async fn audit_failure(
        &self,
        account: &AccountId,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let key = fold_entry_key(fold_window(event.at).0, &fold_key(event));
        let mut tables = self.tables();
        let log = tables.audit.entry(account.clone()).or_default();
        let entry = log.entry(key).or_insert_with(|| AuditEvent {
            count: 0,
            ..event.clone()
        });
        // The first time stays; the last is the latest written; the rest is what folds.
        entry.last = Some(event.at);
        entry.action = event.action.clone();
        entry.detail = event.detail.clone();
        if event.user.is_some() {
            entry.user = event.user.clone();
        }
        if event.address.is_some() {
            entry.address = event.address.clone();
        }
        entry.count += 1;
        Ok(())
    }

    async fn audit_log(
        &self,
        account: &AccountId,
        query: &AuditQuery,
    ) -> Result<AuditPage, StoreError> {
        let low = from(query.from.map_or(0, |t| t.0.max(0)));
        // Below every entry at `to` itself: `to` is exclusive.
        let high = match query.to {
            Some(to) => from(to.0.max(0)),
            None => "AUDIT#~".to_owned(),
        };
        // A cursor goes on below itself within the range: from the range's top if it is
        // above it, with nothing left if it is below it.
        let below = match &query.cursor {
            Some(sk) if *sk <= low => {
                return Ok(AuditPage {
                    events: Vec::new(),
                    next: None,
                })
            }
            Some(sk) if *sk > high => None,
            Some(sk) => Some(sk.clone()),
            None => None,
        };
        let tables = self.tables();
        let Some(log) = tables.audit.get(account) else {
            return Ok(AuditPage {
                events: Vec::new(),
                next: None,
            });
        };
        let mut entries = log
            .range(low..=high)
            .rev()
            .filter(|(sk, _)| below.as_ref().is_none_or(|b| *sk < b))
            .peekable();
        let matches = |event: &AuditEvent| {
            query.kind.as_ref().is_none_or(|k| &event.action == k)
                && query
                    .user
                    .as_ref()
                    .is_none_or(|u| event.user.as_ref() == Some(u))
        };
        let mut events = Vec::new();
        let mut next = None;
        // Each read takes as many entries as the page still wants, then filters them.
        for _ in 0..PAGES_PER_REQUEST {
            let wanted = query.limit - events.len();
            let mut last = None;
            for (sk, event) in entries.by_ref().take(wanted) {
                if matches(event) {
                    events.push(event.clone());
                }
                last = Some(sk.clone());
            }
            next = match entries.peek() {
                Some(_) => last,
                None => None,
            };
            if events.len() >= query.limit || next.is_none() {
                break;
            }
        }
        Ok(AuditPage { events, next })
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;

    #[tokio::test]
    async fn keeps_the_contract() {
        crate::contract::audit_log(&MemoryStore::new(), "memory").await;
    }
}
