//! A measurement group's data alarms — list, create, detail, edit, delete, send a test
//! notification — within the plan's limit per group. A rule is checked whole
//! ([`Rule::check`]) and every channel it names must be in the group: a measured
//! channel's instrument held by one of the group's apps, a `calc:{id}` one of its
//! calculated channels. A new alarm's ID is random, drawn by the caller. Ingest decides
//! them (`alarm_evaluation`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::alarm::{Alarm, Rule};
use crate::domain::channel::SeriesRef;
use crate::domain::ids::AlarmId;
use crate::domain::record::Millis;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{
    Accounts, Alarms, CalculatedChannels, Created, Groups, Notify, NotifyJob, NotifyQueue, Saved,
    Throttle,
};

use super::caller::plan_of;
use super::input::display_name;
use super::{Conflict, Deleted, Refused};

/// What a create or edit request carries. A create needs `name` and `rule` (`enabled`
/// is `true` if left out) and takes no `version`; an edit needs the `version` it read
/// and keeps what it leaves out.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "AlarmDraft")]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub rule: Option<Rule>,
    pub version: Option<u64>,
}

/// An alarm as answered.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AlarmView {
    pub id: AlarmId,
    pub name: String,
    pub enabled: bool,
    pub rule: Rule,
    pub version: u64,
}

impl AlarmView {
    pub fn of(alarm: &Alarm) -> Self {
        AlarmView {
            id: alarm.id.clone(),
            name: alarm.name.clone(),
            enabled: alarm.enabled,
            rule: alarm.rule.clone(),
            version: alarm.version,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AlarmList {
    pub alarms: Vec<AlarmView>,
}

pub async fn list(
    store: &impl Alarms,
    principal: &Principal,
    group: &Group,
) -> Result<AlarmList, Refused> {
    let mut alarms = store.alarms(&principal.account, &group.id).await?;
    alarms.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(AlarmList {
        alarms: alarms.iter().map(AlarmView::of).collect(),
    })
}

pub async fn detail(
    store: &impl Alarms,
    principal: &Principal,
    group: &Group,
    id: &AlarmId,
) -> Result<AlarmView, Refused> {
    Ok(AlarmView::of(&existing(store, principal, group, id).await?))
}

/// Creates an alarm of ID `id`.
pub async fn create(
    store: &(impl Accounts + Groups + CalculatedChannels + Alarms),
    principal: &Principal,
    group: &Group,
    draft: Draft,
    id: AlarmId,
) -> Result<AlarmView, Refused> {
    if draft.version.is_some() {
        return Err(Refused::invalid(
            "`version` is set by the cloud; leave it out to create an alarm",
        ));
    }
    let name = draft
        .name
        .ok_or_else(|| Refused::invalid("`name` is missing"))?;
    let name = display_name(Some(name), "")?;
    let rule = draft
        .rule
        .ok_or_else(|| Refused::invalid("`rule` is missing"))?;
    check_rule(store, principal, group, &rule).await?;
    let alarm = Alarm {
        account: principal.account.clone(),
        group: group.id.clone(),
        id,
        name,
        rule,
        enabled: draft.enabled.unwrap_or(true),
        version: 1,
    };
    let plan = plan_of(store, principal).await?;
    let limit = plan.limits().data_alarms_per_group;
    match store.create_alarm(&alarm, limit).await? {
        Created::Created => Ok(AlarmView::of(&alarm)),
        Created::Exists => Err(Refused::conflict(
            Conflict::Exists,
            format!("group `{}` has an alarm `{}` already", group.id, alarm.id),
        )),
        Created::LimitReached if limit == 0 => Err(Refused::not_allowed(format!(
            "plan {plan} has no data alarms; upgrade to use them"
        ))),
        Created::LimitReached => Err(Refused::limit_reached(
            plan,
            limit,
            "data alarms per measurement group",
            &format!("group `{}` has {limit}", group.id),
        )),
    }
}

/// Replaces what the draft carries, if the alarm is still at the draft's `version`.
pub async fn edit(
    store: &(impl Groups + CalculatedChannels + Alarms),
    principal: &Principal,
    group: &Group,
    id: &AlarmId,
    draft: Draft,
) -> Result<AlarmView, Refused> {
    let version = draft
        .version
        .ok_or_else(|| Refused::invalid("`version` is missing: send the version you read"))?;
    let mut alarm = existing(store, principal, group, id).await?;
    if let Some(name) = draft.name {
        alarm.name = display_name(Some(name), "")?;
    }
    if let Some(rule) = draft.rule {
        check_rule(store, principal, group, &rule).await?;
        alarm.rule = rule;
    }
    if let Some(enabled) = draft.enabled {
        alarm.enabled = enabled;
    }
    // Written only over the version the editor read.
    alarm.version = version.saturating_add(1);
    match store.update_alarm(&alarm).await? {
        Saved::Written => Ok(AlarmView::of(&alarm)),
        Saved::Conflict => Err(Refused::conflict(
            Conflict::ChangedMeanwhile,
            format!("alarm `{id}` was changed or deleted meanwhile; read it again"),
        )),
    }
}

pub async fn delete(
    store: &impl Alarms,
    principal: &Principal,
    group: &Group,
    id: &AlarmId,
) -> Result<Deleted<AlarmId>, Refused> {
    if store
        .delete_alarm(&principal.account, &group.id, id)
        .await?
    {
        Ok(Deleted {
            deleted: id.clone(),
        })
    } else {
        Err(not_found(group, id))
    }
}

/// A test notification queued: its ID, which its deliveries are marked under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TestQueued {
    pub test: String,
}

/// Test notifications a group may send per throttle window (15 minutes): enough to try
/// each destination after a fix, too few to mail anyone in bulk.
pub const TESTS_PER_WINDOW: u32 = 5;

/// Queues a test notification of the alarm to its group's destinations (delivered by
/// the `notify` function like any other, so it tries exactly the path a real one takes);
/// `test` is drawn per request, so each request is delivered once. It does not enter
/// the inbox, which holds what happened. At most [`TESTS_PER_WINDOW`] per group.
pub async fn send_test(
    store: &(impl Alarms + Throttle),
    queue: &impl NotifyQueue,
    principal: &Principal,
    group: &Group,
    id: &AlarmId,
    test: String,
    now: Millis,
) -> Result<TestQueued, Refused> {
    let alarm = existing(store, principal, group, id).await?;
    let key = format!("test-notification:{}/{}", principal.account, group.id);
    if let Some(until) = store.claim_attempt(&key, TESTS_PER_WINDOW, now).await? {
        return Err(Refused::TooMany(format!(
            "group `{}` sent {TESTS_PER_WINDOW} test notifications already; send another after {}",
            group.id,
            until.iso()
        )));
    }
    let job = NotifyJob {
        account: principal.account.clone(),
        group: group.id.clone(),
        what: Notify::Test {
            id: test.clone(),
            alarm: alarm.id,
            alarm_name: alarm.name,
            at: now,
        },
    };
    queue.enqueue(&job).await?;
    Ok(TestQueued { test })
}

async fn existing(
    store: &impl Alarms,
    principal: &Principal,
    group: &Group,
    id: &AlarmId,
) -> Result<Alarm, Refused> {
    store
        .alarm(&principal.account, &group.id, id)
        .await?
        .ok_or_else(|| not_found(group, id))
}

fn not_found(group: &Group, id: &AlarmId) -> Refused {
    Refused::not_found(format!("alarm `{id}` not found in group `{}`", group.id))
}

/// The rule's own rules, then every channel it names is in the group.
pub(crate) async fn check_rule(
    store: &(impl Groups + CalculatedChannels),
    principal: &Principal,
    group: &Group,
    rule: &Rule,
) -> Result<(), Refused> {
    rule.check()
        .map_err(|message| Refused::invalid(format!("`rule`: {message}")))?;
    let (apps, instruments) = store.group_members(&principal.account, &group.id).await?;
    let calculated = store
        .calculated_channels(&principal.account, &group.id)
        .await?;
    for (n, condition) in rule.conditions.iter().enumerate() {
        let found = match &condition.channel {
            // An acquired channel of an instrument the group's apps hold, as a calculated
            // channel's source must be: another would never be stored, so never fire.
            SeriesRef::Measured(channel) => instruments.iter().any(|instrument| {
                instrument.app == channel.app
                    && instrument.serial == channel.instrument
                    && apps.iter().any(|app| app.holds(instrument))
                    && instrument
                        .channels
                        .iter()
                        .position(|name| *name == channel.channel)
                        .is_some_and(|index| instrument.is_acquired(index as u32))
            }),
            SeriesRef::Calculated(id) => calculated.iter().any(|c| c.id == *id),
        };
        if !found {
            return Err(Refused::invalid(format!(
                "`rule.conditions[{n}].channel`: `{}` is not an acquired channel of group `{}`",
                condition.channel, group.id
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alarm::{Condition, Join, Limit};
    use crate::domain::auth::Role;
    use crate::domain::ids::{AccountId, GroupId, UserId};
    use crate::domain::plan::Plan;
    use crate::domain::record::Millis;
    use crate::domain::registry::Account;
    use crate::memory::MemoryStore;
    use crate::usecases::groups::{create_group, GroupDraft};

    async fn group_on(store: &MemoryStore, plan: Plan) -> (Principal, Group) {
        let id = AccountId::parse("acme").unwrap();
        store.create_account(&Account::new(id.clone(), "Acme".into(), plan, Millis(0)));
        let admin = Principal {
            account: id.clone(),
            user: UserId::parse("admin").unwrap(),
            role: Role::Admin,
            session: "session".into(),
            expires: Millis(i64::MAX),
        };
        let draft = GroupDraft {
            id: Some("plant".into()),
            name: None,
        };
        create_group(store, &admin, draft).await.unwrap();
        let group = store
            .group(&id, &GroupId::parse("plant").unwrap())
            .await
            .unwrap()
            .unwrap();
        (admin, group)
    }

    /// A rule on a calculated channel, which a test creates in the store directly.
    fn draft(calc: &str) -> Draft {
        Draft {
            name: Some("Hot".into()),
            enabled: None,
            rule: Some(Rule {
                conditions: vec![Condition {
                    channel: SeriesRef::parse(&format!("calc:{calc}")).unwrap(),
                    raise: Limit::Above { value: 30.0 },
                    clear: None,
                }],
                join: Join::And,
                window: None,
                hold_millis: 0,
                recovery: false,
                special_values: false,
            }),
            version: None,
        }
    }

    #[tokio::test]
    async fn every_plan_refuses_the_alarm_past_its_limit_naming_the_plan_and_the_limit() {
        for plan in Plan::ALL {
            let store = MemoryStore::new();
            let (admin, group) = group_on(&store, plan).await;
            // Every rule watches the same calculated channel, stored as any store would.
            let calc = crate::domain::calculated::CalculatedChannel {
                account: admin.account.clone(),
                group: group.id.clone(),
                id: crate::domain::ids::CalcId::parse("power").unwrap(),
                name: crate::domain::ids::ChannelName::parse("Power").unwrap(),
                expression: "1".into(),
                canonical: "1".into(),
                sources: Vec::new(),
                pins: Default::default(),
                version: 1,
                formula: 1,
                backfill: Default::default(),
            };
            assert!(store.create_calculated(&calc, 100).await.unwrap());
            let limit = plan.limits().data_alarms_per_group;
            for n in 0..limit {
                let id = AlarmId::from_random(u64::from(n) << 16);
                create(&store, &admin, &group, draft("power"), id)
                    .await
                    .unwrap();
            }
            let id = AlarmId::parse("one-more").unwrap();
            let refused = create(&store, &admin, &group, draft("power"), id)
                .await
                .unwrap_err();
            assert!(
                matches!(refused, Refused::LimitReached { plan: p, limit: l, .. } if p == plan && l == limit),
                "{plan}: {refused:?}"
            );
            assert!(refused
                .to_string()
                .contains("data alarms per measurement group"));
            let listed = list(&store, &admin, &group).await.unwrap().alarms;
            assert_eq!(listed.len(), limit as usize, "{plan}");

            // A delete frees the slot.
            let first = listed[0].id.clone();
            delete(&store, &admin, &group, &first).await.unwrap();
            let id = AlarmId::parse("one-more").unwrap();
            create(&store, &admin, &group, draft("power"), id)
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn a_channel_not_in_the_group_and_a_broken_rule_are_named() {
        let store = MemoryStore::new();
        let (admin, group) = group_on(&store, Plan::Standard).await;
        let id = AlarmId::parse("a").unwrap();
        let refused = create(&store, &admin, &group, draft("nope"), id.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Refused::Invalid(m) if m.contains("`rule.conditions[0].channel`")),
            "{refused:?}"
        );
        let mut broken = draft("nope");
        broken.rule.as_mut().unwrap().conditions[0].clear = Some(Limit::Above { value: 31.0 });
        let refused = create(&store, &admin, &group, broken, id)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Refused::Invalid(m) if m.contains("conditions[0]")),
            "{refused:?}"
        );
    }
}
