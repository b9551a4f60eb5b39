//! Measurement groups of the principal's account: list, create, detail, rename, delete.
//! Creating one counts against the plan in the same transaction that creates it, so two
//! concurrent requests cannot both take the last slot.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::access::GroupRole;
use crate::domain::ids::GroupId;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{Accounts, Created, Files, GroupKey, Groups, Teams, Users};

use super::access;
use super::caller::plan_of;
use super::input::display_name;
use super::{Conflict, Deleted, Refused};

/// The body of a group create or rename.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupDraft {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// A group as its viewer sees it: with `access`, the viewer's role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GroupView {
    pub id: GroupId,
    pub name: String,
    pub access: GroupRole,
}

impl GroupView {
    pub fn of(group: &Group, access: GroupRole) -> Self {
        GroupView {
            id: group.id.clone(),
            name: group.name.clone(),
            access,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GroupList {
    pub groups: Vec<GroupView>,
}

/// The groups the principal may see.
pub async fn list_groups(
    store: &(impl Groups + Users + Teams),
    principal: &Principal,
) -> Result<GroupList, Refused> {
    let mut groups = store.groups(&principal.account).await?;
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    let roles = access::roles_in(store, principal, &groups).await?;
    let groups = groups
        .iter()
        .zip(roles)
        .filter_map(|(group, role)| Some(GroupView::of(group, role?)))
        .collect();
    Ok(GroupList { groups })
}

pub async fn create_group(
    store: &(impl Accounts + Groups),
    principal: &Principal,
    draft: GroupDraft,
) -> Result<GroupView, Refused> {
    let id = draft
        .id
        .ok_or_else(|| Refused::invalid("`id` is missing"))?;
    let id = GroupId::parse(id).map_err(|e| Refused::invalid(format!("`id`: {e}")))?;
    let group = Group {
        account: principal.account.clone(),
        name: display_name(draft.name, id.as_str())?,
        id,
        grants: Vec::new(),
    };
    let plan = plan_of(store, principal).await?;
    let limit = plan.limits().groups;
    match store.create_group(&group, limit).await? {
        Created::Created => Ok(GroupView::of(&group, GroupRole::Editor)),
        Created::Exists => Err(Refused::conflict(
            Conflict::Exists,
            format!("the account has a measurement group `{}` already", group.id),
        )),
        Created::LimitReached => Err(Refused::limit_reached(
            plan,
            limit,
            "measurement groups",
            &format!("the account has {limit}"),
        )),
    }
}

pub async fn rename_group(
    store: &impl Groups,
    group: &Group,
    draft: GroupDraft,
) -> Result<GroupView, Refused> {
    if draft.id.is_some() {
        return Err(Refused::invalid("a group's `id` cannot change"));
    }
    let mut group = group.clone();
    group.name = display_name(draft.name, &group.name)?;
    if !store.rename_group(&group).await? {
        return Err(Refused::not_found(format!(
            "measurement group `{}` not found",
            group.id
        )));
    }
    Ok(GroupView::of(&group, GroupRole::Editor))
}

pub async fn delete_group(
    store: &(impl Groups + Files),
    principal: &Principal,
    group: &Group,
) -> Result<Deleted<GroupId>, Refused> {
    // Its files would outlive it and show in a group made again under the ID.
    let key = GroupKey {
        account: &principal.account,
        group: &group.id,
    };
    if !store.files(key).await?.is_empty() {
        return Err(Refused::conflict(
            Conflict::NotEmpty,
            format!(
                "measurement group `{}` still has files; delete them first",
                group.id
            ),
        ));
    }
    // Folders kept empty: nothing in them, so they go with it (after it: a group whose
    // delete is refused keeps them).
    let kept = store.kept_folders(key).await?;
    if !store.delete_group(&principal.account, &group.id).await? {
        return Err(Refused::conflict(
            Conflict::NotEmpty,
            format!(
                "measurement group `{}` still has apps, calculated channels or alarms; delete them first",
                group.id
            ),
        ));
    }
    for path in &kept {
        store.forget_folder(key, path).await?;
    }
    Ok(Deleted {
        deleted: group.id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::auth::Role;
    use crate::domain::ids::{AccountId, UserId};
    use crate::domain::plan::Plan;
    use crate::domain::record::Millis;
    use crate::domain::registry::Account;
    use crate::memory::MemoryStore;

    fn account_on(store: &MemoryStore, plan: Plan) -> Principal {
        let id = AccountId::parse("acme").unwrap();
        store.create_account(&Account::new(id.clone(), "Acme".into(), plan, Millis(0)));
        Principal {
            account: id,
            user: UserId::parse("admin").unwrap(),
            role: Role::Admin,
            session: "session".into(),
            expires: Millis(i64::MAX),
        }
    }

    fn draft(id: &str) -> GroupDraft {
        GroupDraft {
            id: Some(id.into()),
            name: None,
        }
    }

    #[tokio::test]
    async fn a_deleted_group_takes_its_empty_folders_and_one_made_again_has_none() {
        let store = MemoryStore::new();
        let admin = account_on(&store, Plan::Pro);
        create_group(&store, &admin, draft("plant")).await.unwrap();
        let plant = GroupId::parse("plant").unwrap();
        let group = store.group(&admin.account, &plant).await.unwrap().unwrap();
        let key = GroupKey {
            account: &admin.account,
            group: &plant,
        };
        store.keep_folder(key, "empty/sub").await.unwrap();
        delete_group(&store, &admin, &group).await.unwrap();
        create_group(&store, &admin, draft("plant")).await.unwrap();
        assert!(store.kept_folders(key).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn every_plan_refuses_the_group_past_its_limit_naming_the_plan_and_the_limit() {
        for plan in Plan::ALL {
            let store = MemoryStore::new();
            let admin = account_on(&store, plan);
            let limit = plan.limits().groups;
            for n in 0..limit {
                create_group(&store, &admin, draft(&format!("g{n}")))
                    .await
                    .unwrap();
            }
            let refused = create_group(&store, &admin, draft("one-more"))
                .await
                .unwrap_err();
            assert!(
                matches!(refused, Refused::LimitReached { plan: p, limit: l, .. } if p == plan && l == limit),
                "{plan}: {refused:?}"
            );
            let listed = list_groups(&store, &admin).await.unwrap().groups;
            assert_eq!(listed.len(), limit as usize, "{plan}");
        }
    }

    /// One step a caller may take: create or delete group `g{n}`.
    #[derive(Debug, Clone)]
    enum Step {
        Create(u8),
        Delete(u8),
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            (0u8..6).prop_map(Step::Create),
            (0u8..6).prop_map(Step::Delete)
        ];
        proptest::collection::vec(step, 0..40)
    }

    proptest! {
        /// Whatever a caller creates and deletes, in any order, the account holds at most
        /// its plan's groups, and every answer is the one a plain set of IDs predicts:
        /// created while there is room, `exists` for a taken ID, `limit_reached` with the
        /// plan and the limit when full, and a deletion frees a slot.
        #[test]
        fn groups_never_pass_the_limit_and_answers_follow_the_set_of_ids(steps in steps()) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let plan = Plan::Standard;
                let limit = plan.limits().groups as usize;
                let store = MemoryStore::new();
                let admin = account_on(&store, plan);
                let mut held = BTreeSet::new();
                // Fill to three below the limit with groups the steps never name, so the
                // steps reach it.
                for n in 0..limit - 3 {
                    create_group(&store, &admin, draft(&format!("base-{n}"))).await.unwrap();
                    held.insert(format!("base-{n}"));
                }
                for step in steps {
                    match step {
                        Step::Create(n) => {
                            let id = format!("g{n}");
                            let answer = create_group(&store, &admin, draft(&id)).await;
                            match answer {
                                Ok(view) => {
                                    assert!(!held.contains(&id) && held.len() < limit);
                                    assert_eq!(view.id.as_str(), id);
                                    held.insert(id);
                                }
                                Err(Refused::Conflict { kind: Conflict::Exists, .. }) => {
                                    assert!(held.contains(&id));
                                }
                                Err(Refused::LimitReached { plan: p, limit: l, .. }) => {
                                    assert!(!held.contains(&id) && held.len() == limit);
                                    assert_eq!((p, l as usize), (plan, limit));
                                }
                                Err(other) => panic!("creating {id}: {other:?}"),
                            }
                        }
                        Step::Delete(n) => {
                            let id = format!("g{n}");
                            let Some(group) = store.group(&admin.account, &GroupId::parse(&*id).unwrap()).await.unwrap() else {
                                assert!(!held.contains(&id));
                                continue;
                            };
                            delete_group(&store, &admin, &group).await.unwrap();
                            held.remove(&id);
                        }
                    }
                    let listed = list_groups(&store, &admin).await.unwrap().groups;
                    let listed: BTreeSet<String> =
                        listed.into_iter().map(|g| g.id.as_str().to_owned()).collect();
                    assert_eq!(listed, held);
                }
            });
        }
    }
}
