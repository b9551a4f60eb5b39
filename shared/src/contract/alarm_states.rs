//! The contract of [`AlarmStates`]: what the alarms of a group decide, and the
//! notifications they leave to record.

use super::fixtures::account_id;
use crate::domain::alarm::{AlarmState, Event, Notification};
use crate::domain::channel::SeriesRef;
use crate::domain::ids::{AlarmId, GroupId};
use crate::domain::record::{Millis, Special, Value};
use crate::ports::{AlarmStates, GroupAlarmStates, GroupKey, Saved, VersionedState};

pub(super) fn notification(alarm: &str, event: Event) -> Notification {
    Notification {
        alarm: AlarmId::parse(alarm).unwrap(),
        version: 3,
        alarm_name: format!("Alarm {alarm}"),
        event,
        channels: vec![
            SeriesRef::parse("gw-1/LR8450-1/CH1").unwrap(),
            SeriesRef::parse("calc:power").unwrap(),
        ],
        values: vec![Some(Value::Number(-0.5)), None],
    }
}

/// Holds `store` to the contract of [`AlarmStates`] on account `{prefix}-alarm-states`
/// (no account item is needed: states are written by ingest for groups it has found).
pub async fn alarm_states(store: &impl AlarmStates, prefix: &str) {
    let account = account_id(prefix, "alarm-states");
    let (plant, lab) = (
        GroupId::parse("plant").unwrap(),
        GroupId::parse("lab").unwrap(),
    );
    let plant = GroupKey {
        account: &account,
        group: &plant,
    };
    let lab = GroupKey {
        account: &account,
        group: &lab,
    };

    // Nothing stored reads as revision 0; a write over 0 takes revision 1, once.
    let empty = store.alarm_states(plant).await.unwrap();
    assert_eq!(empty, GroupAlarmStates::default());
    let raised_at = Millis(1_700_000_000_000);
    let states = GroupAlarmStates {
        rev: 0,
        alarms: [(
            AlarmId::parse("hot").unwrap(),
            VersionedState {
                rule: 3,
                state: AlarmState {
                    raised: true,
                    through: Some(raised_at),
                    since: Some(Millis(1_699_999_999_000)),
                    values: vec![Some(Value::Special(Special::PlusOver)), None],
                    seen: vec![Some(raised_at), None],
                },
            },
        )]
        .into(),
        outbox: vec![notification("hot", Event::Raised { at: raised_at })],
    };
    assert_eq!(
        store.save_alarm_states(plant, &states).await.unwrap(),
        Saved::Written
    );
    assert_eq!(
        store.save_alarm_states(plant, &states).await.unwrap(),
        Saved::Conflict,
        "a second writer over revision 0 comes too late"
    );
    let read = store.alarm_states(plant).await.unwrap();
    assert_eq!(
        read,
        GroupAlarmStates {
            rev: 1,
            ..states.clone()
        }
    );
    assert_eq!(
        store.alarm_states(lab).await.unwrap(),
        GroupAlarmStates::default(),
        "per group"
    );

    // Later writes are checked on the revision read.
    let emptied = GroupAlarmStates {
        outbox: Vec::new(),
        ..read.clone()
    };
    assert_eq!(
        store.save_alarm_states(plant, &emptied).await.unwrap(),
        Saved::Written
    );
    assert_eq!(
        store.save_alarm_states(plant, &read).await.unwrap(),
        Saved::Conflict
    );
    assert_eq!(
        store.alarm_states(plant).await.unwrap(),
        GroupAlarmStates { rev: 2, ..emptied }
    );
}
