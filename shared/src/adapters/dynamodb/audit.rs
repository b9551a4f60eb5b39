//! The audit log, in the registry table.

use async_trait::async_trait;

use super::keys::*;
use super::store::DynamoStore;
use super::unavailable;
use super::values::{get_n, get_s, n, parse_id, s, Item};
use crate::domain::auth::{fold_key, fold_window, AuditEvent, AuditPage, AuditQuery};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::record::Millis;
use crate::ports::{AuditLog, StoreError};

#[async_trait]
impl AuditLog for DynamoStore {
    async fn audit(&self, account: &AccountId, event: &AuditEvent) -> Result<(), StoreError> {
        let mut item = Item::from([
            ("pk".into(), s(account_pk(account))),
            // Sorted by time; the random part keeps two events of one millisecond apart.
            ("sk".into(), s(audit_sk(event.at.0, rand::random::<u64>()))),
            ("at".into(), n(event.at.0)),
            ("action".into(), s(&event.action)),
            ("detail".into(), s(&event.detail)),
        ]);
        if let Some(user) = &event.user {
            item.insert("user".into(), s(user.as_str()));
        }
        if let Some(address) = &event.address {
            item.insert("address".into(), s(address));
        }
        self.put(item).await
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
            for item in output.items() {
                events.push(parse_audit_event(item)?);
            }
            start = output.last_evaluated_key;
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

fn parse_audit_event(item: &Item) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        at: Millis(get_n(item, "at")?.unwrap_or(0)),
        action: get_s(item, "action")?.to_owned(),
        user: item
            .get("user")
            .map(|_| get_s(item, "user").and_then(|u| parse_id(UserId::parse, u)))
            .transpose()?,
        address: item
            .get("address")
            .map(|_| get_s(item, "address").map(str::to_owned))
            .transpose()?,
        detail: get_s(item, "detail")?.to_owned(),
        count: get_n(item, "count")?.unwrap_or(1),
        last: get_n(item, "last")?.map(Millis),
    })
}
