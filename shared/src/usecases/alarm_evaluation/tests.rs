//! Alarms evaluated on ingest, through `ingest::handle` on the in-memory adapters:
//! redelivery, reordering, crashes between the writes, two instruments, edits.

use proptest::prelude::*;
use serde_json::json;

use crate::domain::alarm::{Alarm, Condition, Event, Join, Limit, Notification, Rule};
use crate::domain::channel::SeriesRef;
use crate::domain::codec::encode_values;
use crate::domain::ids::{AccountId, AlarmId, AppId, GroupId, InstrumentSerial};
use crate::domain::iot_thing::Stack;
use crate::domain::notice::Notice;
use crate::domain::plan::Plan;
use crate::domain::protocol::RuleEvent;
use crate::domain::record::{Millis, Special, Value};
use crate::domain::registry::{Account, App, AppKind, Group, RegistrationId};
use crate::memory::{MemoryNotifyQueue, MemoryRecords, MemoryStore};
use crate::ports::{
    AlarmStates, Alarms, GroupAlarmStates, GroupKey, Groups, Inbox, InboxRange, Instruments,
    NotifyJob, RecordStore, Saved, StoredRecord,
};
use crate::usecases::ingest::{handle, IngestReport};

/// Record times: 2023-11-14, a second apart.
const T0: i64 = 1_700_000_000_000;
const SECOND: i64 = 1_000;

struct Fleet {
    store: MemoryStore,
    records: MemoryRecords,
    queue: MemoryNotifyQueue,
    account: AccountId,
    group: GroupId,
}

impl Fleet {
    /// Account `acme`, group `plant`, app `gw-1`: what every test starts from.
    async fn new() -> Fleet {
        let store = MemoryStore::new();
        let account = AccountId::parse("acme").unwrap();
        let group = GroupId::parse("plant").unwrap();
        store.create_account(&Account::new(
            account.clone(),
            "Acme".into(),
            Plan::Pro,
            Millis(0),
        ));
        let created = store
            .create_group(
                &Group {
                    account: account.clone(),
                    id: group.clone(),
                    name: "Plant".into(),
                    grants: Vec::new(),
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(created, crate::ports::Created::Created);
        let app = App {
            id: AppId::parse("gw-1").unwrap(),
            account: account.clone(),
            group: group.clone(),
            registration: RegistrationId::from_random(1 << 16),
            registered: Millis(0),
            name: "gw-1".into(),
            kind: AppKind::Gateway,
            enabled: true,
            certificate: None,
            last_seen: None,
            status: Default::default(),
        };
        crate::ports::Apps::register_app(&store, &app, 10)
            .await
            .unwrap();
        Fleet {
            store,
            records: MemoryRecords::default(),
            queue: MemoryNotifyQueue::default(),
            account,
            group,
        }
    }

    fn key(&self) -> GroupKey<'_> {
        GroupKey {
            account: &self.account,
            group: &self.group,
        }
    }

    /// Delivers one message of `records` (instrument, second after T0, CH1 value).
    async fn deliver(&self, records: &[(&str, i64, Value)]) -> IngestReport {
        let payload = json!({
            "records": records.iter().map(|(instrument, second, value)| json!({
                "instrument": instrument,
                "t": T0 + second * SECOND,
                "values": {"CH1": value_json(*value)},
            })).collect::<Vec<_>>()
        });
        let event = RuleEvent::new(
            "fieldcloud-test:acme:gw-1",
            None,
            payload.to_string().as_bytes(),
            Millis(T0),
        );
        let stack = Stack::parse("fieldcloud-test").unwrap();
        let new_instance = || RegistrationId::from_random(2 << 16);
        let report = handle(
            &event,
            &stack,
            &self.store,
            &self.records,
            &self.queue,
            &new_instance,
        )
        .await
        .unwrap();
        assert_eq!(report.refused, None);
        report
    }

    /// Creates alarm `id` with `rule`, as the API stores it.
    async fn alarm(&self, id: &str, rule: Rule) -> Alarm {
        let alarm = Alarm {
            account: self.account.clone(),
            group: self.group.clone(),
            id: AlarmId::parse(id).unwrap(),
            name: format!("Alarm {id}"),
            rule,
            enabled: true,
            version: 1,
        };
        assert_eq!(
            self.store.create_alarm(&alarm, 100).await.unwrap(),
            crate::ports::Created::Created
        );
        alarm
    }

    /// The inbox, oldest first, as (kind, second after T0).
    async fn inbox(&self) -> Vec<(&'static str, i64)> {
        let notices = self
            .store
            .notifications(self.key(), InboxRange::newest(1000))
            .await
            .unwrap();
        let mut notes: Vec<_> = alarm_notifications(notices)
            .iter()
            .map(|n| {
                let kind = match n.event {
                    Event::Raised { .. } => "raised",
                    Event::Cleared { .. } => "cleared",
                    Event::SpecialValue { .. } => "special",
                };
                (kind, (n.event.at().0 - T0) / SECOND)
            })
            .collect();
        notes.reverse();
        notes
    }
}

/// The alarm notifications among `notices` (a test's inbox holds no other kind).
fn alarm_notifications(notices: Vec<Notice>) -> Vec<Notification> {
    notices
        .into_iter()
        .map(|notice| match notice {
            Notice::Alarm(notification) => notification,
            other => panic!("only alarms here: {other:?}"),
        })
        .collect()
}

fn value_json(value: Value) -> serde_json::Value {
    match value {
        Value::Number(n) => json!(n),
        Value::Special(s) => json!(s.as_str()),
    }
}

fn num(n: f64) -> Value {
    Value::Number(n)
}

/// Above 30 raises, at or below 25 clears; recovery notified.
fn hot(channel: &str) -> Rule {
    Rule {
        conditions: vec![Condition {
            channel: SeriesRef::parse(channel).unwrap(),
            raise: Limit::Above { value: 30.0 },
            clear: Some(Limit::Above { value: 25.0 }),
        }],
        join: Join::And,
        window: None,
        hold_millis: 0,
        recovery: true,
        special_values: true,
    }
}

/// Registers instrument `serial` with channel CH1 by a record at second -100, before any
/// test's records (so an alarm on it can be created, as the API requires).
async fn with_instrument(fleet: &Fleet, serial: &str) {
    fleet.deliver(&[(serial, -100, num(0.0))]).await;
}

#[tokio::test]
async fn an_alarm_raises_and_clears_on_record_times_and_notifies_each_once() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;

    let batches: Vec<Vec<(&str, i64, Value)>> = vec![
        vec![("LR-1", 0, num(20.0)), ("LR-1", 1, num(31.0))],
        vec![("LR-1", 2, num(28.0)), ("LR-1", 3, num(25.0))],
        vec![("LR-1", 4, num(30.0)), ("LR-1", 5, num(30.5))],
    ];
    let mut notified = 0;
    for batch in &batches {
        let report = fleet.deliver(batch).await;
        assert_eq!(report.alarms.watching, 1);
        notified += report.alarms.notified;
    }
    let expected = vec![("raised", 1), ("cleared", 3), ("raised", 5)];
    assert_eq!(fleet.inbox().await, expected);
    assert_eq!(notified, 3);

    // Every batch delivered twice more, in reverse: nothing new.
    for batch in batches.iter().rev().chain(batches.iter()) {
        let report = fleet.deliver(batch).await;
        assert_eq!(report.alarms.notified, 0, "{batch:?}");
    }
    assert_eq!(fleet.inbox().await, expected);
    let states = fleet.store.alarm_states(fleet.key()).await.unwrap();
    assert!(states.outbox.is_empty(), "the outbox is emptied");
    // Each queued for delivery, once: nothing was left in a box to queue again.
    let queued: Vec<String> = fleet.queue.take().iter().map(NotifyJob::id).collect();
    let recorded: Vec<String> = fleet
        .store
        .notifications(fleet.key(), InboxRange::newest(10))
        .await
        .unwrap()
        .iter()
        .rev()
        .map(Notice::id)
        .collect();
    assert_eq!(queued, recorded);
}

#[tokio::test]
async fn a_late_record_older_than_the_alarm_has_decided_never_raises_it() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    fleet.deliver(&[("LR-1", 10, num(20.0))]).await;
    // A record from before the last decided instant: it is stored, but decided at 10,
    // where the alarm is: 40 is its channel's latest value only if nothing newer was
    // seen, and 20 at 10 is newer.
    let report = fleet.deliver(&[("LR-1", 5, num(40.0))]).await;
    assert_eq!(report.stored, 1);
    assert_eq!(fleet.inbox().await, vec![]);
}

#[tokio::test]
async fn an_offline_backlog_replayed_later_fires_what_happened_during_the_outage() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    // The backlog in one message, newest first as some gateways send it.
    let backlog: Vec<(&str, i64, Value)> = (0..20)
        .rev()
        .map(|s| {
            (
                "LR-1",
                s,
                num(if (5..9).contains(&s) { 35.0 } else { 20.0 }),
            )
        })
        .collect();
    fleet.deliver(&backlog).await;
    assert_eq!(fleet.inbox().await, vec![("raised", 5), ("cleared", 9)]);
}

#[tokio::test]
async fn two_conditions_on_two_instruments_decide_together_in_either_order() {
    for first in ["LR-1", "LR-2"] {
        let fleet = Fleet::new().await;
        with_instrument(&fleet, "LR-1").await;
        with_instrument(&fleet, "LR-2").await;
        let mut rule = hot("gw-1/LR-1/CH1");
        rule.conditions.push(Condition {
            channel: SeriesRef::parse("gw-1/LR-2/CH1").unwrap(),
            raise: Limit::Below { value: 0.0 },
            clear: None,
        });
        rule.join = Join::And;
        fleet.alarm("both", rule).await;
        let second = if first == "LR-1" { "LR-2" } else { "LR-1" };
        let value = |serial: &str| num(if serial == "LR-1" { 31.0 } else { -1.0 });
        fleet.deliver(&[(first, 1, value(first))]).await;
        assert_eq!(fleet.inbox().await, vec![], "{first} alone does not raise");
        fleet.deliver(&[(second, 1, value(second))]).await;
        assert_eq!(fleet.inbox().await, vec![("raised", 1)], "{first} first");
    }
}

#[tokio::test]
async fn records_stored_by_an_invocation_that_crashed_are_decided_as_stored() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    // An earlier delivery stored the record at 1 (value 35) and stopped before deciding.
    let instrument = fleet
        .store
        .instrument(
            &fleet.account,
            &AppId::parse("gw-1").unwrap(),
            &InstrumentSerial::parse("LR-1").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let stored = StoredRecord {
        instrument: instrument.key(),
        t: Millis(T0 + SECOND),
        values: encode_values(&[(0, num(35.0))]),
    };
    fleet.records.put(&[stored]).await.unwrap();
    // The redelivery, with the same instant sent again by the device with another
    // value: the stored record decides, as a backtest over storage would.
    let report = fleet.deliver(&[("LR-1", 1, num(20.0))]).await;
    assert_eq!(report.stored, 0);
    assert_eq!(fleet.inbox().await, vec![("raised", 1)]);
}

#[tokio::test]
async fn notifications_left_in_the_outbox_by_a_crash_reach_the_inbox_with_the_next_message() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    fleet.deliver(&[("LR-1", 1, num(31.0))]).await;
    let delivered = fleet
        .store
        .notifications(fleet.key(), InboxRange::newest(10))
        .await
        .unwrap();
    // As if an invocation saved a decision and stopped before the inbox: a fresh
    // group's states carrying that notification in the box.
    let fresh = Fleet::new().await;
    with_instrument(&fresh, "LR-1").await;
    fresh.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    let mut states = fresh.store.alarm_states(fresh.key()).await.unwrap();
    states.outbox = alarm_notifications(delivered);
    assert_eq!(
        fresh
            .store
            .save_alarm_states(fresh.key(), &states)
            .await
            .unwrap(),
        Saved::Written
    );
    assert_eq!(fresh.inbox().await, vec![]);
    let report = fresh.deliver(&[("LR-1", 2, num(20.0))]).await;
    assert_eq!(report.alarms.notified, 1);
    assert_eq!(fresh.inbox().await, vec![("raised", 1)]);
}

#[tokio::test]
async fn an_edit_of_what_decides_starts_over_a_rename_does_not_and_a_disabled_alarm_rests() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    let mut alarm = fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    fleet.deliver(&[("LR-1", 1, num(31.0))]).await;
    assert_eq!(fleet.inbox().await, vec![("raised", 1)]);

    // Renamed: the same rule goes on deciding, raised already.
    alarm.version += 1;
    alarm.name = "Hot, renamed".into();
    assert_eq!(
        fleet.store.update_alarm(&alarm).await.unwrap(),
        Saved::Written
    );
    fleet.deliver(&[("LR-1", 2, num(32.0))]).await;
    assert_eq!(fleet.inbox().await, vec![("raised", 1)]);

    // A new threshold: the new rule starts from nothing, so a value above it raises.
    alarm.version += 1;
    alarm.rule.conditions[0].raise = Limit::Above { value: 29.0 };
    fleet.store.update_alarm(&alarm).await.unwrap();
    fleet.deliver(&[("LR-1", 3, num(32.0))]).await;
    assert_eq!(fleet.inbox().await, vec![("raised", 1), ("raised", 3)]);

    alarm.version += 1;
    alarm.enabled = false;
    fleet.store.update_alarm(&alarm).await.unwrap();
    let report = fleet.deliver(&[("LR-1", 4, num(0.0))]).await;
    assert_eq!(report.alarms.watching, 0);
    assert_eq!(fleet.inbox().await.len(), 2);
}

#[tokio::test]
async fn a_second_instrument_reporting_late_is_decided_at_the_latest_instant_never_before() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    with_instrument(&fleet, "LR-2").await;
    let mut rule = hot("gw-1/LR-1/CH1");
    rule.conditions.push(Condition {
        channel: SeriesRef::parse("gw-1/LR-2/CH1").unwrap(),
        raise: Limit::Below { value: 0.0 },
        clear: None,
    });
    fleet.alarm("both", rule).await;
    let hot_seconds: Vec<_> = (1..=5).map(|s| ("LR-1", s, num(31.0))).collect();
    fleet.deliver(&hot_seconds).await;
    // LR-2's backlog of seconds 1 to 3 arrives after LR-1 reached 5: the alarm raises,
    // at 5, the instant it has decided up to, not at 1 (already decided without it).
    let cold_seconds: Vec<_> = (1..=3).map(|s| ("LR-2", s, num(-1.0))).collect();
    fleet.deliver(&cold_seconds).await;
    assert_eq!(fleet.inbox().await, vec![("raised", 5)]);
}

#[tokio::test]
async fn an_outbox_left_behind_is_delivered_by_a_message_that_changes_nothing() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    with_instrument(&fleet, "LR-9").await;
    fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    fleet.deliver(&[("LR-1", 1, num(31.0))]).await;
    let delivered = fleet
        .store
        .notifications(fleet.key(), InboxRange::newest(10))
        .await
        .unwrap();
    // As if the raise were decided and saved by an invocation that stopped before the
    // inbox: the same states, the notification back in the box, the inbox empty.
    let fresh = Fleet::new().await;
    with_instrument(&fresh, "LR-1").await;
    with_instrument(&fresh, "LR-9").await;
    fresh.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    let mut states = fleet.store.alarm_states(fleet.key()).await.unwrap();
    states.outbox = alarm_notifications(delivered);
    states.rev = 0;
    fresh
        .store
        .save_alarm_states(fresh.key(), &states)
        .await
        .unwrap();
    // A record of an instrument no alarm watches; then the redelivered record, which
    // changes no state: each finds the box.
    let report = fresh.deliver(&[("LR-9", 2, num(99.0))]).await;
    assert_eq!((report.alarms.watching, report.alarms.notified), (0, 1));
    assert_eq!(fresh.inbox().await, vec![("raised", 1)]);
    let report = fresh.deliver(&[("LR-1", 1, num(31.0))]).await;
    assert_eq!(report.alarms.notified, 0);
    let left = fresh.store.alarm_states(fresh.key()).await.unwrap();
    assert!(left.outbox.is_empty());
    assert_eq!(fresh.queue.take().len(), 1, "queued once");
}

#[tokio::test]
async fn a_special_value_is_notified_once_and_satisfies_no_threshold() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
    let burnout = Value::Special(Special::Burnout);
    fleet
        .deliver(&[("LR-1", 1, burnout), ("LR-1", 2, burnout)])
        .await;
    let notes = fleet
        .store
        .notifications(fleet.key(), InboxRange::newest(10))
        .await
        .unwrap();
    assert_eq!(fleet.inbox().await, vec![("special", 1)]);
    let notes = alarm_notifications(notes);
    assert_eq!(notes[0].values, vec![Some(burnout)], "the value is in it");
}

#[tokio::test]
async fn the_state_of_a_deleted_alarm_is_dropped_at_the_next_evaluation() {
    let fleet = Fleet::new().await;
    with_instrument(&fleet, "LR-1").await;
    let gone = fleet.alarm("gone", hot("gw-1/LR-1/CH1")).await;
    fleet.alarm("kept", hot("gw-1/LR-1/CH1")).await;
    fleet.deliver(&[("LR-1", 1, num(20.0))]).await;
    fleet
        .store
        .delete_alarm(&fleet.account, &fleet.group, &gone.id)
        .await
        .unwrap();
    fleet.deliver(&[("LR-1", 2, num(20.0))]).await;
    let states: GroupAlarmStates = fleet.store.alarm_states(fleet.key()).await.unwrap();
    let ids: Vec<String> = states.alarms.keys().map(|id| id.to_string()).collect();
    assert_eq!(ids, vec!["kept"]);
}

/// One instrument's CH1 values at seconds 0.., in a band that crosses both thresholds.
fn readings() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![Just(20.0), Just(27.0), Just(31.0)], 1..25)
}

/// The records of `readings`, in time order, cut into messages at `cuts` (positions,
/// taken modulo the length).
fn messages(readings: &[f64], cuts: &[usize]) -> Vec<Vec<(&'static str, i64, Value)>> {
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (readings.len() + 1)).collect();
    bounds.extend([0, readings.len()]);
    bounds.sort_unstable();
    bounds.dedup();
    bounds
        .windows(2)
        .map(|w| {
            (w[0]..w[1])
                .map(|s| ("LR-1", s as i64, num(readings[s])))
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Records in time order yield the same notifications however they are cut into
    /// messages, and any redelivery of those messages adds none.
    #[test]
    fn cutting_and_redelivering_in_order_notifies_the_same_once(
        readings in readings(),
        cuts in prop::collection::vec(0usize..30, 0..6),
        repeats in prop::collection::vec(1usize..4, 8),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let whole = Fleet::new().await;
            with_instrument(&whole, "LR-1").await;
            whole.alarm("hot", hot("gw-1/LR-1/CH1")).await;
            let all: Vec<_> = messages(&readings, &[]).concat();
            whole.deliver(&all).await;

            let cut = Fleet::new().await;
            with_instrument(&cut, "LR-1").await;
            cut.alarm("hot", hot("gw-1/LR-1/CH1")).await;
            let mut notified = 0;
            for (i, message) in messages(&readings, &cuts).iter().enumerate() {
                for _ in 0..repeats[i % repeats.len()] {
                    notified += cut.deliver(message).await.alarms.notified;
                }
            }
            let expected = whole.inbox().await;
            prop_assert_eq!(cut.inbox().await, expected.clone());
            prop_assert_eq!(notified, expected.len());
            Ok(())
        })?;
    }

    /// Messages delivered in any order, some twice: never two notifications of one
    /// event, and never a raise or clear at an instant before one already decided.
    #[test]
    fn a_shuffle_never_notifies_twice_nor_goes_back_in_time(
        readings in readings(),
        cuts in prop::collection::vec(0usize..30, 0..6),
        order in prop::collection::vec(any::<u32>(), 12),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let fleet = Fleet::new().await;
            with_instrument(&fleet, "LR-1").await;
            fleet.alarm("hot", hot("gw-1/LR-1/CH1")).await;
            let mut sent = messages(&readings, &cuts);
            let again = sent.clone();
            sent.extend(again.into_iter().step_by(2));
            let mut keyed: Vec<_> = sent.into_iter().enumerate()
                .map(|(i, m)| (order[i % order.len()].wrapping_mul(i as u32 + 1), m))
                .collect();
            keyed.sort_by_key(|(k, _)| *k);
            let mut notified = 0;
            for (_, message) in &keyed {
                notified += fleet.deliver(message).await.alarms.notified;
            }
            let inbox = fleet.inbox().await;
            prop_assert_eq!(notified, inbox.len(), "each notification recorded once");
            let transitions: Vec<_> = inbox.iter().filter(|(k, _)| *k != "special").collect();
            for pair in transitions.windows(2) {
                prop_assert!(pair[0].0 != pair[1].0, "raised and cleared alternate: {:?}", inbox);
                prop_assert!(pair[0].1 < pair[1].1, "each later than the last: {:?}", inbox);
            }
            Ok(())
        })?;
    }
}
