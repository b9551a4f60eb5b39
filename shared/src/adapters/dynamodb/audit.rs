//! The audit log, in the registry table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{from_item, to_item, DynamoStore, ItemKind};
use super::unavailable;
use super::values::{get_s, n, s, Item};
use crate::domain::auth::{fold_key, fold_window, AuditEvent, AuditPage, AuditQuery};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{AuditLog, StoreError};

/// An audit event's item. Folded failures are kept on one item per fold window by
/// [`AuditLog::audit_failure`]'s update, which counts them (`count`) and keeps the time
/// of the latest (`last`); an event on its own has neither.
#[derive(Debug, Serialize, Deserialize)]
struct AuditItem {
    pk: String,
    sk: String,
    #[serde(default)]
    at: i64,
    action: String,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last: Option<i64>,
}

impl ItemKind for AuditItem {
    const KIND: &'static str = "audit event";
}

impl AuditItem {
    /// The event's item under `sk` (see [`audit_sk`]).
    fn new(account: &AccountId, sk: String, event: &AuditEvent) -> Self {
        AuditItem {
            pk: account_pk(account),
            sk,
            at: event.at.0,
            action: event.action.clone(),
            detail: event.detail.clone(),
            user: event.user.clone(),
            address: event.address.clone(),
            count: (event.count != 1).then_some(event.count),
            last: event.last.map(|at| at.0),
        }
    }
}

impl From<AuditItem> for AuditEvent {
    fn from(item: AuditItem) -> Self {
        AuditEvent {
            at: Millis(item.at),
            action: item.action,
            user: item.user,
            address: item.address,
            detail: item.detail,
            count: item.count.unwrap_or(1),
            last: item.last.map(Millis),
        }
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn audit(&self, account: &AccountId, event: &AuditEvent) -> Result<(), StoreError> {
        // Sorted by time; the random part keeps two events of one millisecond apart.
        let sk = audit_sk(event.at.0, rand::random::<u64>());
        self.put(to_item(&AuditItem::new(account, sk, event))).await
    }

    async fn audit_failure(
        &self,
        account: &AccountId,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        // Keyed by the fold window and what folds: every failure of the window lands on
        // this one item, whichever request writes first.
        let sk = audit_fold_sk(fold_window(event.at).0, &fold_key(event));
        let mut sets = vec![
            "#at = if_not_exists(#at, :at)",
            "#last = :at",
            "#action = :action",
            "#detail = :detail",
        ];
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(sk))
            .expression_attribute_names("#at", "at")
            .expression_attribute_names("#last", "last")
            .expression_attribute_names("#action", "action")
            .expression_attribute_names("#detail", "detail")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":at", n(event.at.0))
            .expression_attribute_values(":action", s(&event.action))
            .expression_attribute_values(":detail", s(&event.detail))
            .expression_attribute_values(":one", n(1));
        if let Some(user) = &event.user {
            sets.push("#user = :user");
            update = update
                .expression_attribute_names("#user", "user")
                .expression_attribute_values(":user", s(user.as_str()));
        }
        if let Some(address) = &event.address {
            sets.push("#address = :address");
            update = update
                .expression_attribute_names("#address", "address")
                .expression_attribute_values(":address", s(address));
        }
        update
            .update_expression(format!("SET {} ADD #count :one", sets.join(", ")))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn audit_log(
        &self,
        account: &AccountId,
        query: &AuditQuery,
    ) -> Result<AuditPage, StoreError> {
        let low = audit_from(query.from.map_or(0, |t| t.0.max(0)));
        // Below every entry at `to` itself: `to` is exclusive.
        let high = match query.to {
            Some(to) => audit_from(to.0.max(0)),
            None => audit_end(),
        };
        let mut filters = Vec::new();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", s(account_pk(account)))
            .expression_attribute_values(":low", s(&low))
            .expression_attribute_values(":high", s(&high))
            .scan_index_forward(false);
        if let Some(kind) = &query.kind {
            filters.push("#action = :kind");
            request = request
                .expression_attribute_names("#action", "action")
                .expression_attribute_values(":kind", s(kind));
        }
        if let Some(user) = &query.user {
            filters.push("#user = :user");
            request = request
                .expression_attribute_names("#user", "user")
                .expression_attribute_values(":user", s(user.as_str()));
        }
        if !filters.is_empty() {
            request = request.filter_expression(filters.join(" AND "));
        }
        // A cursor goes on below itself within the range: from the range's top if it is
        // above it (another query's), with nothing left if it is below it. (DynamoDB
        // refuses a start key outside the key condition.)
        let mut start = match &query.cursor {
            Some(sk) if *sk <= low => {
                return Ok(AuditPage {
                    events: Vec::new(),
                    next: None,
                })
            }
            Some(sk) if *sk > high => None,
            Some(sk) => Some(Item::from([
                ("pk".into(), s(account_pk(account))),
                ("sk".into(), s(sk)),
            ])),
            None => None,
        };
        let mut events = Vec::new();
        // Bounded: a filter that matches little reads at most this many pages, then
        // hands the caller a cursor to go on from.
        for _ in 0..AUDIT_PAGES_PER_REQUEST {
            let wanted = query.limit - events.len();
            let output = request
                .clone()
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            start = output.last_evaluated_key;
            for item in output.items.unwrap_or_default() {
                events.push(from_item::<AuditItem>(item)?.into());
            }
            if events.len() >= query.limit || start.is_none() {
                break;
            }
        }
        let next = match start {
            Some(key) => Some(get_s(&key, "sk")?.to_owned()),
            None => None,
        };
        Ok(AuditPage { events, next })
    }
}

/// DynamoDB pages one audit request reads at most.
const AUDIT_PAGES_PER_REQUEST: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(item: Item) -> AuditEvent {
        from_item::<AuditItem>(item).unwrap().into()
    }

    #[test]
    fn an_audit_event_is_stored_as_before_and_read_back() {
        let mut event = AuditEvent {
            at: Millis(1_700_000_000_123),
            action: "login".into(),
            user: Some(UserId::parse("ann").unwrap()),
            address: Some("192.0.2.1".into()),
            detail: "password".into(),
            count: 1,
            last: None,
        };
        let account = AccountId::parse("acme").unwrap();
        let sk = audit_sk(event.at.0, 7);
        let item = to_item(&AuditItem::new(&account, sk.clone(), &event));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("ACCOUNT#acme")),
                ("sk".into(), s(&sk)),
                ("at".into(), n(1_700_000_000_123_i64)),
                ("action".into(), s("login")),
                ("detail".into(), s("password")),
                ("user".into(), s("ann")),
                ("address".into(), s("192.0.2.1")),
            ])
        );
        assert_eq!(read(item), event);

        // A folded failure, as `audit_failure` writes it, is read back too.
        event.user = None;
        event.address = None;
        event.count = 4;
        event.last = Some(Millis(1_700_000_060_000));
        let item = to_item(&AuditItem::new(&account, sk, &event));
        assert_eq!(item["count"], n(4));
        assert_eq!(item["last"], n(1_700_000_060_000_i64));
        assert!(!item.contains_key("user") && !item.contains_key("address"));
        assert_eq!(read(item), event);
    }
}
