//! Measurement groups of the principal's account: list, create, detail, rename, delete.
//! Creating one counts against the plan in the same transaction that creates it, so two
//! concurrent requests cannot both take the last slot.

use serde::{Deserialize, Serialize};

use crate::domain::access::GroupRole;
use crate::domain::ids::GroupId;
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{Accounts, Created, Groups, Teams, Users};

use super::access;
use super::caller::plan_of;
use super::input::display_name;
use super::{Conflict, Deleted, Refused};

/// The body of a group create or rename.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDraft {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// A group as its viewer sees it: with `access`, the viewer's role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    store: &impl Groups,
    principal: &Principal,
    group: &Group,
) -> Result<Deleted<GroupId>, Refused> {
    if !store.delete_group(&principal.account, &group.id).await? {
        return Err(Refused::conflict(
            Conflict::NotEmpty,
            format!(
                "measurement group `{}` still has apps or calculated channels; delete them first",
                group.id
            ),
        ));
    }
    Ok(Deleted {
        deleted: group.id.clone(),
    })
}
