//! The alarm states of a group: one item per group in the registry table, read once per
//! message and written at most once, checked on `rev`.
//!
//! Attribute names inside a state are one letter: the item is written on every message
//! that reaches an alarm, and a group of 100 alarms pays for every byte of all of them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, written, DynamoStore, ItemKind};
use super::values::n;
use crate::domain::alarm::{AlarmState, Notification};
use crate::domain::ids::AlarmId;
use crate::domain::record::{Millis, Value};
use crate::ports::{AlarmStates, GroupAlarmStates, GroupKey, Saved, StoreError, VersionedState};

#[derive(Debug, Serialize, Deserialize)]
struct AlarmStatesItem {
    pk: String,
    sk: String,
    rev: u64,
    /// By alarm ID.
    alarms: BTreeMap<String, StateItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    outbox: Vec<Notification>,
}

impl ItemKind for AlarmStatesItem {
    const KIND: &'static str = "alarm states";
}

/// One alarm's [`AlarmState`] and the fingerprint of the rule that decided it.
#[derive(Debug, Serialize, Deserialize)]
struct StateItem {
    /// The rule's fingerprint.
    f: u64,
    /// Raised.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    r: bool,
    /// Through: the latest instant decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<Millis>,
    /// Since when the values point to the other state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<Millis>,
    /// Each condition's latest value (null: none yet).
    x: Vec<Option<Value>>,
    /// When each was measured.
    m: Vec<Option<Millis>>,
}

impl From<&VersionedState> for StateItem {
    fn from(entry: &VersionedState) -> Self {
        let state = &entry.state;
        StateItem {
            f: entry.rule,
            r: state.raised,
            t: state.through,
            s: state.since,
            x: state.values.clone(),
            m: state.seen.clone(),
        }
    }
}

impl From<StateItem> for VersionedState {
    fn from(item: StateItem) -> Self {
        VersionedState {
            rule: item.f,
            state: AlarmState {
                raised: item.r,
                through: item.t,
                since: item.s,
                values: item.x,
                seen: item.m,
            },
        }
    }
}

fn states_item(group: GroupKey<'_>, states: &GroupAlarmStates) -> AlarmStatesItem {
    AlarmStatesItem {
        pk: account_pk(group.account),
        sk: alarm_states_sk(group.group),
        rev: states.rev + 1,
        alarms: states
            .alarms
            .iter()
            .map(|(id, entry)| (id.to_string(), StateItem::from(entry)))
            .collect(),
        outbox: states.outbox.clone(),
    }
}

fn group_states(item: AlarmStatesItem) -> Result<GroupAlarmStates, StoreError> {
    let mut alarms = BTreeMap::new();
    for (id, entry) in item.alarms {
        let id = AlarmId::parse(&id)
            .map_err(|e| StoreError::Corrupt(format!("alarm states: alarm ID `{id}`: {e}")))?;
        alarms.insert(id, VersionedState::from(entry));
    }
    Ok(GroupAlarmStates {
        rev: item.rev,
        alarms,
        outbox: item.outbox,
    })
}

#[async_trait]
impl AlarmStates for DynamoStore {
    async fn alarm_states(&self, group: GroupKey<'_>) -> Result<GroupAlarmStates, StoreError> {
        match self
            .get_as::<AlarmStatesItem>(account_pk(group.account), &alarm_states_sk(group.group))
            .await?
        {
            Some(item) => group_states(item),
            None => Ok(GroupAlarmStates::default()),
        }
    }

    async fn save_alarm_states(
        &self,
        group: GroupKey<'_>,
        states: &GroupAlarmStates,
    ) -> Result<Saved, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&states_item(group, states))));
        let put = if states.rev == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("rev = :rev")
                .expression_attribute_values(":rev", n(states.rev))
        };
        Ok(if written(put.send().await)? {
            Saved::Written
        } else {
            Saved::Conflict
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::{s, Item};
    use crate::domain::alarm::Event;
    use crate::domain::channel::SeriesRef;
    use crate::domain::ids::{AccountId, GroupId};
    use crate::domain::record::Special;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn the_states_of_a_group_are_one_item_read_back_as_written() {
        let (account, group) = (
            AccountId::parse("acme").unwrap(),
            GroupId::parse("plant").unwrap(),
        );
        let key = GroupKey {
            account: &account,
            group: &group,
        };
        let hot = AlarmId::parse("hot").unwrap();
        let state = AlarmState {
            raised: true,
            through: Some(Millis(1_700_000_000_000)),
            since: None,
            values: vec![
                Some(Value::Number(31.5)),
                Some(Value::Special(Special::Burnout)),
                None,
            ],
            seen: vec![
                Some(Millis(1_700_000_000_000)),
                Some(Millis(1_699_999_999_000)),
                None,
            ],
        };
        let notification = Notification {
            alarm: hot.clone(),
            version: 7,
            alarm_name: "Hot".into(),
            event: Event::Raised {
                at: Millis(1_700_000_000_000),
            },
            channels: vec![SeriesRef::parse("gw-1/LR8450-1/CH1").unwrap()],
            values: vec![Some(Value::Number(31.5))],
        };
        let states = GroupAlarmStates {
            rev: 4,
            alarms: [(hot.clone(), VersionedState { rule: 7, state })].into(),
            outbox: vec![notification],
        };
        let item = to_item(&states_item(key, &states));
        assert_eq!(item["pk"], s("ACCOUNT#acme"));
        assert_eq!(item["sk"], s("ALARMSTATE#plant"));
        assert_eq!(item["rev"], n(5), "written as the next revision");
        let AttributeValue::M(alarms) = &item["alarms"] else {
            panic!("alarms are a map");
        };
        let AttributeValue::M(entry) = &alarms["hot"] else {
            panic!("a state is a map");
        };
        assert_eq!(entry["f"], n(7));
        assert_eq!(entry["r"], AttributeValue::Bool(true));
        assert!(!entry.contains_key("s"), "no since: left out");
        assert_eq!(
            entry["x"],
            AttributeValue::L(vec![
                AttributeValue::N("31.5".into()),
                s("BURNOUT"),
                AttributeValue::Null(true)
            ])
        );
        let read = group_states(from_item(Item::from_iter(item)).unwrap()).unwrap();
        assert_eq!(read, GroupAlarmStates { rev: 5, ..states });
    }
}
