//! Measurement groups of the principal's account: list, create, detail, rename, delete.
//! Creating one counts against the plan in the same transaction that creates it, so two
//! concurrent requests cannot both take the last slot.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use fieldcloud::domain::access::GroupRole;
use fieldcloud::domain::ids::GroupId;
use fieldcloud::domain::registry::Group;
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{Accounts, Created, Groups, Teams, Users};

use crate::access;
use crate::caller::plan_of;
use crate::error::ApiError;
use crate::input::display_name;

/// The body of a group create or rename.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDraft {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// A group as its viewer sees it: with `access`, the viewer's role in it.
fn group_json(group: &Group, access: GroupRole) -> Json {
    json!({ "id": group.id, "name": group.name, "access": access })
}

/// The groups the principal may see.
pub async fn list_groups(
    store: &(impl Groups + Users + Teams),
    principal: &Principal,
) -> Result<Json, ApiError> {
    let mut groups = store.groups(&principal.account).await?;
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    let roles = access::roles_in(store, principal, &groups).await?;
    let visible: Vec<Json> = groups
        .iter()
        .zip(roles)
        .filter_map(|(group, role)| Some(group_json(group, role?)))
        .collect();
    Ok(json!({ "groups": visible }))
}

pub async fn create_group(
    registry: &(impl Accounts + Groups),
    principal: &Principal,
    draft: GroupDraft,
) -> Result<Json, ApiError> {
    let id = draft
        .id
        .ok_or_else(|| ApiError::bad_request("`id` is missing"))?;
    let id = GroupId::parse(id).map_err(|e| ApiError::bad_request(format!("`id`: {e}")))?;
    let group = Group {
        account: principal.account.clone(),
        name: display_name(draft.name, id.as_str())?,
        id,
        grants: Vec::new(),
    };
    let plan = plan_of(registry, principal).await?;
    let limit = plan.limits().groups;
    match registry.create_group(&group, limit).await? {
        Created::Created => Ok(group_json(&group, GroupRole::Editor)),
        Created::Exists => Err(ApiError::conflict(
            "exists",
            format!("the account has a measurement group `{}` already", group.id),
        )),
        Created::LimitReached => Err(ApiError::conflict(
            "limit_reached",
            format!("plan {plan} allows {limit} measurement groups; the account has {limit}"),
        )),
    }
}

/// A group and the caller's role in it, as the router resolved them.
pub fn group_detail(group: &Group, role: GroupRole) -> Json {
    group_json(group, role)
}

pub async fn rename_group(
    registry: &impl Groups,
    group: &Group,
    draft: GroupDraft,
) -> Result<Json, ApiError> {
    if draft.id.is_some() {
        return Err(ApiError::bad_request("a group's `id` cannot change"));
    }
    let mut group = group.clone();
    group.name = display_name(draft.name, &group.name)?;
    if !registry.rename_group(&group).await? {
        return Err(ApiError::not_found(format!(
            "measurement group `{}` not found",
            group.id
        )));
    }
    Ok(group_json(&group, GroupRole::Editor))
}

pub async fn delete_group(
    registry: &impl Groups,
    principal: &Principal,
    group: &Group,
) -> Result<Json, ApiError> {
    if !registry.delete_group(&principal.account, &group.id).await? {
        return Err(ApiError::conflict(
            "not_empty",
            format!(
                "measurement group `{}` still has apps or calculated channels; delete them first",
                group.id
            ),
        ));
    }
    Ok(json!({ "deleted": group.id }))
}
