use serde_json::json;

use super::*;
use crate::domain::auth::Role;
use crate::domain::calculated::CalculatedChannel;
use crate::domain::codec::encode_values;
use crate::domain::ids::{AccountId, AppId, CalcId, ChannelName, InstrumentSerial, UserId};
use crate::domain::plan::Plan;
use crate::domain::record::Special;
use crate::domain::registry::{Account, App, AppKind, InstrumentKey, RegistrationId};
use crate::memory::{MemoryRecords, MemoryStore};
use crate::ports::{Created, Registration, Saved, StoredRecord};

/// 2026-12-01T00:00:00Z.
const DAY: i64 = 1_796_083_200_000;
const MINUTE: i64 = Millis::MINUTE;

/// Account `acme` in `zone`, its group `plant`, app `gw-a` holding instrument `LR-1`
/// with channels CH1 and CH2 acquired, and calculated channel `calc:power`.
struct Plant {
    store: MemoryStore,
    records: MemoryRecords,
    admin: Principal,
    group: Group,
    lr1: InstrumentKey,
    power: InstrumentKey,
}

async fn plant(zone: &str) -> Plant {
    let store = MemoryStore::new();
    let account_id = AccountId::parse("acme").unwrap();
    let mut account = Account::new(account_id.clone(), "Acme".into(), Plan::Standard, Millis(0));
    account.time_zone = TimeZone::parse(zone).unwrap();
    store.create_account(&account);
    let group = Group {
        account: account_id.clone(),
        id: GroupId::parse("plant").unwrap(),
        name: "Plant".into(),
        grants: Vec::new(),
    };
    assert_eq!(
        store.create_group(&group, 10).await.unwrap(),
        Created::Created
    );
    let app = App {
        id: AppId::parse("gw-a").unwrap(),
        account: account_id.clone(),
        group: group.id.clone(),
        registration: RegistrationId::from_random(1 << 16),
        registered: Millis(0),
        name: "Gateway".into(),
        kind: AppKind::Gateway,
        enabled: true,
        certificate: None,
        last_seen: None,
        status: Default::default(),
    };
    assert_eq!(
        store.register_app(&app, 10).await.unwrap(),
        Created::Created
    );
    let serial = InstrumentSerial::parse("LR-1").unwrap();
    let instance = RegistrationId::from_random(2 << 16);
    let Registration::Registered(instrument) = store
        .register_instrument(&app, &serial, instance, 10)
        .await
        .unwrap()
    else {
        panic!("a new instrument registers");
    };
    let mut instrument = *instrument;
    instrument.channels = vec![
        ChannelName::parse("CH1").unwrap(),
        ChannelName::parse("CH2").unwrap(),
    ];
    assert_eq!(
        store.save_instrument(&instrument).await.unwrap(),
        Saved::Written
    );
    let power = CalculatedChannel {
        account: account_id.clone(),
        group: group.id.clone(),
        id: CalcId::parse("power").unwrap(),
        name: ChannelName::parse("Power").unwrap(),
        expression: "[LR-1/CH1] * 2".into(),
        canonical: "[gw-a/LR-1/CH1] * 2".into(),
        sources: Vec::new(),
        pins: Default::default(),
        version: 1,
        formula: 1,
        backfill: Default::default(),
    };
    assert!(store.create_calculated(&power, 10).await.unwrap());
    let admin = Principal {
        account: account_id,
        user: UserId::parse("admin").unwrap(),
        role: Role::Admin,
        session: "session".into(),
        expires: Millis(i64::MAX),
    };
    Plant {
        store,
        records: MemoryRecords::default(),
        admin,
        group,
        lr1: instrument.key(),
        power: power.key(),
    }
}

impl Plant {
    /// Stores one record of `key` at `t`, `values[n]` under channel index `n`.
    async fn store(&self, key: &InstrumentKey, t: i64, values: &[Value]) {
        let values: Vec<(u32, Value)> = (0u32..).zip(values.iter().copied()).collect();
        let record = StoredRecord {
            instrument: key.clone(),
            t: Millis(t),
            values: encode_values(&values),
        };
        self.records.put(&[record]).await.unwrap();
    }

    async fn backtest(&self, rule: serde_json::Value, from: i64, to: i64) -> Backtest {
        self.backtest_within(rule, from, to, ReadLimits::default())
            .await
            .unwrap()
    }

    async fn backtest_within(
        &self,
        rule: serde_json::Value,
        from: i64,
        to: i64,
        limits: ReadLimits,
    ) -> Result<Backtest, Refused> {
        let request: BacktestRequest =
            serde_json::from_value(json!({"rule": rule, "from": from, "to": to})).unwrap();
        run(
            &self.store,
            &self.records,
            &self.admin,
            &self.group,
            &request,
            limits,
        )
        .await
    }
}

fn number(n: f64) -> Value {
    Value::Number(n)
}

fn above_30(channel: &str) -> serde_json::Value {
    json!({"conditions": [{"channel": channel, "raise": {"compare": "above", "value": 30}}]})
}

/// The transitions of a backtest as (time, kind), for short asserts.
fn transitions(backtest: &Backtest) -> Vec<(i64, EventKind)> {
    backtest
        .events
        .iter()
        .map(|e| (e.at.0, e.kind.clone()))
        .collect()
}

#[tokio::test]
async fn raises_and_clears_at_the_records_that_hold_long_enough_and_notifies_as_the_rule_says() {
    let plant = plant("UTC").await;
    // CH1, a record a minute: above 30 from minute 1 to 3, 20 at 4, a burnout at 5, 20
    // at 6 and 7.
    let ch1 = [25.0, 31.0, 32.0, 33.0, 20.0];
    for (minute, value) in (0..).zip(ch1) {
        plant
            .store(
                &plant.lr1,
                DAY + minute * MINUTE,
                &[number(value), number(0.0)],
            )
            .await;
    }
    let burnout = Value::Special(Special::Burnout);
    plant
        .store(&plant.lr1, DAY + 5 * MINUTE, &[burnout, number(0.0)])
        .await;
    for minute in [6, 7] {
        plant
            .store(
                &plant.lr1,
                DAY + minute * MINUTE,
                &[number(20.0), number(0.0)],
            )
            .await;
    }
    let mut rule = above_30("gw-a/LR-1/CH1");
    // Raised once above 30 for a minute; cleared once not above for a minute. The
    // burnout, neither above nor not, breaks the minute that began at 4.
    rule["hold_millis"] = json!(60_000);
    rule["recovery"] = json!(true);

    let backtest = plant.backtest(rule.clone(), DAY, DAY + 10 * MINUTE).await;
    assert_eq!(
        transitions(&backtest),
        vec![
            (DAY + 2 * MINUTE, EventKind::Raised),
            (
                DAY + 5 * MINUTE,
                EventKind::SpecialValue {
                    condition: 0,
                    value: burnout
                }
            ),
            (DAY + 7 * MINUTE, EventKind::Cleared),
        ]
    );
    // Raising always notifies; clearing with `recovery`; special values not without
    // `special_values`.
    let notifies: Vec<bool> = backtest.events.iter().map(|e| e.notifies).collect();
    assert_eq!(notifies, vec![true, false, true]);
    assert_eq!(backtest.records, 8);
    assert!(!backtest.raised_at_end);

    // Ending before the clear: still raised at the end of the range (`to` excluded).
    let backtest = plant.backtest(rule, DAY, DAY + 4 * MINUTE).await;
    assert_eq!(
        transitions(&backtest),
        vec![(DAY + 2 * MINUTE, EventKind::Raised)]
    );
    assert_eq!(backtest.records, 4);
    assert!(backtest.raised_at_end);
}

#[tokio::test]
async fn a_window_is_reckoned_on_the_wall_clock_of_the_accounts_zone() {
    let rule = || {
        let mut rule = above_30("gw-a/LR-1/CH1");
        rule["window"] = json!({"from": "09:00", "to": "17:00"});
        rule["recovery"] = json!(true);
        rule
    };
    // Above 30 from 00:30 UTC (08:30 in Shanghai), back to 20 at 10:00 UTC.
    let records = [(30, 35.0), (60, 36.0), (600, 20.0)];
    let shanghai = plant("Asia/Shanghai").await;
    let utc = plant("UTC").await;
    for plant in [&shanghai, &utc] {
        for (minute, value) in records {
            plant
                .store(&plant.lr1, DAY + minute * MINUTE, &[number(value)])
                .await;
        }
    }

    let backtest = shanghai.backtest(rule(), DAY, DAY + Millis::DAY).await;
    assert_eq!(backtest.time_zone.as_str(), "Asia/Shanghai");
    assert_eq!(
        transitions(&backtest),
        vec![
            // Not at 08:30 in Shanghai; at 09:00, the window's start.
            (DAY + 60 * MINUTE, EventKind::Raised),
            (DAY + 600 * MINUTE, EventKind::Cleared),
        ]
    );
    // In UTC, 00:30 and 01:00 are before 09:00: nothing raises, and 20 clears nothing.
    let backtest = utc.backtest(rule(), DAY, DAY + Millis::DAY).await;
    assert_eq!(transitions(&backtest), vec![]);
}

#[tokio::test]
async fn a_calculated_channel_alarms_like_a_measured_one_and_the_conditions_join() {
    let plant = plant("UTC").await;
    // calc:power above 30 at minutes 1 and 2; CH2 below 5 from minute 2.
    for (minute, power, ch2) in [
        (0, 10.0, 9.0),
        (1, 40.0, 9.0),
        (2, 41.0, 1.0),
        (3, 10.0, 1.0),
    ] {
        let t = DAY + minute * MINUTE;
        plant.store(&plant.power, t, &[number(power)]).await;
        plant
            .store(&plant.lr1, t, &[number(0.0), number(ch2)])
            .await;
    }
    let power = above_30("calc:power");
    let backtest = plant.backtest(power.clone(), DAY, DAY + MINUTE * 10).await;
    assert_eq!(
        transitions(&backtest),
        vec![
            (DAY + MINUTE, EventKind::Raised),
            (DAY + 3 * MINUTE, EventKind::Cleared),
        ]
    );
    assert_eq!(backtest.records, 4, "the calculated channel's records only");

    let mut both = power;
    both["conditions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"channel": "gw-a/LR-1/CH2", "raise": {"compare": "below", "value": 5}}));
    let backtest = plant.backtest(both, DAY, DAY + MINUTE * 10).await;
    assert_eq!(
        transitions(&backtest),
        vec![
            (DAY + 2 * MINUTE, EventKind::Raised),
            (DAY + 3 * MINUTE, EventKind::Cleared),
        ]
    );
    assert_eq!(backtest.records, 8);
}

#[tokio::test]
async fn a_range_over_the_read_limits_is_refused_saying_what_to_narrow() {
    let plant = plant("UTC").await;
    for minute in 0..5 {
        plant
            .store(&plant.lr1, DAY + minute * MINUTE, &[number(40.0)])
            .await;
    }
    let rule = above_30("gw-a/LR-1/CH1");
    let limits = |per_instrument, per_request| ReadLimits {
        per_instrument,
        per_request,
        ..ReadLimits::default()
    };
    for limits in [limits(4, 100), limits(100, 4)] {
        let refused = plant
            .backtest_within(rule.clone(), DAY, DAY + 5 * MINUTE, limits)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Refused::TooMuchData(m) if m.contains("ask for a shorter range (`from`, `to`)")),
            "{limits:?}: {refused:?}"
        );
    }
    // A range the limits hold is answered.
    let answered = plant
        .backtest_within(rule, DAY, DAY + 3 * MINUTE, limits(4, 4))
        .await
        .unwrap();
    assert_eq!(answered.records, 3);
}

#[tokio::test]
async fn a_bad_range_or_a_channel_outside_the_group_is_refused_by_name() {
    let plant = plant("UTC").await;
    for (from, to) in [(DAY, DAY), (DAY + 1, DAY)] {
        let refused = plant
            .backtest_within(above_30("gw-a/LR-1/CH1"), from, to, ReadLimits::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Refused::Invalid(m) if m == "`from` must be before `to`"),
            "{refused:?}"
        );
    }
    for channel in ["gw-a/LR-9/CH1", "gw-a/LR-1/CH3", "calc:nothing"] {
        let refused = plant
            .backtest_within(above_30(channel), DAY, DAY + 1, ReadLimits::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Refused::Invalid(m) if m.contains("`rule.conditions[0].channel`") && m.contains(channel)),
            "{refused:?}"
        );
    }
}

#[test]
fn events_serialize_with_their_kind_and_a_special_value_as_devices_spell_it() {
    let event = BacktestEvent {
        at: Millis(5),
        kind: EventKind::SpecialValue {
            condition: 1,
            value: Value::Special(Special::PlusOver),
        },
        notifies: false,
    };
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        json!({"at": 5, "kind": "special_value", "condition": 1, "value": "+OVER", "notifies": false})
    );
    let raised = BacktestEvent {
        at: Millis(6),
        kind: EventKind::Raised,
        notifies: true,
    };
    assert_eq!(
        serde_json::to_value(&raised).unwrap(),
        json!({"at": 6, "kind": "raised", "notifies": true})
    );
}

/// The page client programmers read gives the limits a backtest reads within.
#[test]
fn docs_api_gives_the_backtest_read_limits() {
    let doc = include_str!("../../../../docs/api.md");
    let section = &doc[doc
        .find("## `POST /v1/groups/{group}/alarms/backtest`")
        .expect("docs/api.md has a backtest section")..];
    let limits = ReadLimits::default();
    for text in [
        format!(
            "more than {} records of one instrument",
            limits.per_instrument
        ),
        format!("or more than {}", limits.per_request),
        format!("{} values over all", limits.per_request_values),
        "answers 422 `too_much_data`".to_owned(),
    ] {
        assert!(section.contains(&text), "docs/api.md should say `{text}`");
    }
}
