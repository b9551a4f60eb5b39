//! The contract of [`Alarms`].

use super::fixtures::{account, created_group, group};
use crate::domain::alarm::{Alarm, Condition, Join, Limit, Rule, Window};
use crate::domain::channel::SeriesRef;
use crate::domain::ids::AlarmId;
use crate::domain::registry::Group;
use crate::ports::{Accounts, Alarms, Created, Groups, Saved};

fn alarm(group: &Group, id: &str) -> Alarm {
    Alarm {
        account: group.account.clone(),
        group: group.id.clone(),
        id: AlarmId::parse(id).unwrap(),
        name: format!("Alarm {id}"),
        rule: Rule {
            conditions: vec![Condition {
                channel: SeriesRef::parse("gw-1/LR8450-1/CH1").unwrap(),
                raise: Limit::Above { value: 30.0 },
                clear: Some(Limit::Above { value: 28.5 }),
            }],
            join: Join::And,
            window: None,
            hold_millis: 0,
            recovery: false,
            special_values: false,
        },
        enabled: true,
        version: 1,
    }
}

/// Holds `store` to the contract of [`Alarms`] (and of [`Groups`] keeping a group with
/// alarms) on accounts `{prefix}-…` (see [`super::accounts`]).
pub async fn alarms(store: &(impl Accounts + Groups + Alarms), prefix: &str) {
    let acme = account(store, prefix, "alarms").await.id;
    let plant = created_group(store, &acme, "plant").await;
    let lab = created_group(store, &acme, "lab").await;

    // Counted per group: the last slot, then the limit; a taken ID is refused.
    let a = alarm(&plant, "a");
    assert_eq!(store.create_alarm(&a, 2).await.unwrap(), Created::Created);
    assert_eq!(
        store.create_alarm(&a, 2).await.unwrap(),
        Created::Exists,
        "the ID is taken"
    );
    // Every part of a rule is read back as written.
    let mut b = alarm(&plant, "b");
    b.rule.conditions.push(Condition {
        channel: SeriesRef::parse("calc:power").unwrap(),
        raise: Limit::OutsideExcluding {
            low: -1.5,
            high: 2.0,
        },
        clear: None,
    });
    b.rule.join = Join::Or;
    b.rule.window = Some(Window::parse("22:00", "06:00").unwrap());
    b.rule.hold_millis = 60_000;
    b.rule.recovery = true;
    b.rule.special_values = true;
    b.enabled = false;
    assert_eq!(
        store.create_alarm(&b, 2).await.unwrap(),
        Created::Created,
        "the last slot"
    );
    assert_eq!(
        store.create_alarm(&alarm(&plant, "c"), 2).await.unwrap(),
        Created::LimitReached
    );
    assert_eq!(
        store
            .alarm(&acme, &plant.id, &AlarmId::parse("c").unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.create_alarm(&alarm(&lab, "c"), 1).await.unwrap(),
        Created::Created,
        "per group"
    );
    assert_eq!(
        store
            .create_alarm(&alarm(&group(&acme, "none"), "d"), 10)
            .await
            .unwrap(),
        Created::LimitReached,
        "only in a group that exists"
    );
    assert_eq!(
        store.alarm(&acme, &plant.id, &a.id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store.alarm(&acme, &plant.id, &b.id).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.alarms(&acme, &plant.id).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert!(
        !store.delete_group(&acme, &plant.id).await.unwrap(),
        "a group with alarms stays"
    );

    // Edits are checked on the version: a stale one, or one of nothing, conflicts.
    let edited = Alarm {
        name: "renamed".into(),
        enabled: false,
        version: 2,
        rule: b.rule.clone(),
        ..a.clone()
    };
    assert_eq!(store.update_alarm(&edited).await.unwrap(), Saved::Written);
    assert_eq!(
        store.alarm(&acme, &plant.id, &a.id).await.unwrap(),
        Some(edited.clone())
    );
    assert_eq!(
        store.update_alarm(&edited).await.unwrap(),
        Saved::Conflict,
        "stale"
    );
    let missing = Alarm {
        version: 2,
        ..alarm(&plant, "zz")
    };
    assert_eq!(
        store.update_alarm(&missing).await.unwrap(),
        Saved::Conflict,
        "missing"
    );
    assert_eq!(
        store.alarm(&acme, &plant.id, &missing.id).await.unwrap(),
        None
    );

    // A delete frees the slot; a second one finds nothing.
    assert!(store.delete_alarm(&acme, &plant.id, &a.id).await.unwrap());
    assert_eq!(store.alarm(&acme, &plant.id, &a.id).await.unwrap(), None);
    assert!(!store.delete_alarm(&acme, &plant.id, &a.id).await.unwrap());
    assert_eq!(
        store.create_alarm(&alarm(&plant, "c"), 2).await.unwrap(),
        Created::Created,
        "a freed slot"
    );

    // Without its alarms (and with nothing else), the group goes.
    for id in ["b", "c"] {
        let id = AlarmId::parse(id).unwrap();
        assert!(store.delete_alarm(&acme, &plant.id, &id).await.unwrap());
    }
    assert!(store.delete_group(&acme, &plant.id).await.unwrap());
}
