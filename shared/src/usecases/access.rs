//! Teams, the grants of measurement groups, and the check every use of a group passes.
//!
//! Account admins see and edit every group. Any other user sees only the groups granted
//! to them or to a team they are in — as viewer (read) or editor (also the group's
//! calculated channels); a group not granted is answered 404, like one that does not
//! exist. Deleting a user or a team first removes its grants and memberships, so a user
//! created later under the same ID inherits nothing. Grants and teams are replaced whole,
//! last writer wins: two admins editing one group's grants at once can undo each other.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::access::{group_role, Grant, Grantee, GroupRole, Team};
use crate::domain::auth::{Role, User};
use crate::domain::ids::{AccountId, GroupId, TeamId, UserId};
use crate::domain::registry::Group;
use crate::domain::token::Principal;
use crate::ports::{Accounts, Created, Groups, StoreError, Teams, Users};

use super::caller::plan_of;
use super::input::display_name;
use super::{Conflict, Deleted, Refused};

/// Whether the principal acts with an account admin's reach. A temporary login keeps the
/// reach of the user who made it (read-only: the API's access check sees to that).
async fn sees_everything(store: &impl Users, principal: &Principal) -> Result<bool, Refused> {
    Ok(match principal.role {
        Role::Admin => true,
        Role::Member => false,
        Role::Viewer => store
            .user(&principal.account, &principal.user)
            .await?
            .is_some_and(|user| user.role == Role::Admin),
    })
}

/// The principal's role in each of `groups` (`None`: not theirs to see).
pub async fn roles_in(
    store: &(impl Users + Teams),
    principal: &Principal,
    groups: &[Group],
) -> Result<Vec<Option<GroupRole>>, Refused> {
    if sees_everything(store, principal).await? {
        return Ok(vec![Some(GroupRole::Editor); groups.len()]);
    }
    let granted_to_teams = groups
        .iter()
        .flat_map(|g| &g.grants)
        .any(|grant| matches!(grant.to, Grantee::Team(_)));
    let teams = if granted_to_teams {
        store.teams(&principal.account).await?
    } else {
        Vec::new()
    };
    Ok(groups
        .iter()
        .map(|group| group_role(&principal.user, &group.grants, &teams))
        .collect())
}

/// Whether `user` may see `group`: an admin sees every group, anyone else through a
/// grant to them or to one of their teams.
pub async fn may_see_group(
    store: &impl Teams,
    user: &User,
    group: &Group,
) -> Result<bool, StoreError> {
    if user.role == Role::Admin {
        return Ok(true);
    }
    let teams = store.teams(&group.account).await?;
    Ok(group_role(&user.id, &group.grants, &teams).is_some())
}

/// Lets the request through if the principal may use group `id` — edit it when `edit` —
/// and answers with the group and the principal's role in it.
pub async fn require_group(
    store: &(impl Groups + Users + Teams),
    principal: &Principal,
    id: &GroupId,
    edit: bool,
) -> Result<(Group, GroupRole), Refused> {
    let not_found = || Refused::not_found(format!("measurement group `{id}` not found"));
    let group = store
        .group(&principal.account, id)
        .await?
        .ok_or_else(not_found)?;
    let role = roles_in(store, principal, std::slice::from_ref(&group))
        .await?
        .remove(0)
        .ok_or_else(not_found)?;
    if edit && role < GroupRole::Editor {
        return Err(Refused::not_allowed(format!(
            "you are a viewer of measurement group `{id}`; changing it needs an editor grant"
        )));
    }
    Ok((group, role))
}

/// The body of a team create or edit.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamDraft {
    pub id: Option<String>,
    pub name: Option<String>,
    pub members: Option<Vec<String>>,
}

/// A team as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TeamView {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<UserId>,
}

impl From<&Team> for TeamView {
    fn from(team: &Team) -> Self {
        TeamView {
            id: team.id.clone(),
            name: team.name.clone(),
            members: team.members.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TeamList {
    pub teams: Vec<TeamView>,
}

/// `members` as user IDs of the account, sorted and without repeats.
async fn members_of(
    store: &impl Users,
    account: &AccountId,
    members: Vec<String>,
) -> Result<Vec<UserId>, Refused> {
    let users: Vec<UserId> = store
        .users(account)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let mut ids = Vec::with_capacity(members.len());
    let mut unknown = Vec::new();
    for member in members {
        match UserId::parse(member.as_str()) {
            Ok(id) if users.contains(&id) => ids.push(id),
            _ => unknown.push(member),
        }
    }
    if !unknown.is_empty() {
        return Err(Refused::invalid(format!(
            "`members`: the account has no user {}",
            unknown.join(", ")
        )));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn team_id(text: &str) -> Result<TeamId, Refused> {
    TeamId::parse(text).map_err(|e| Refused::invalid(e.to_string()))
}

async fn team_of(store: &impl Teams, principal: &Principal, id: &str) -> Result<Team, Refused> {
    let id = team_id(id)?;
    store
        .team(&principal.account, &id)
        .await?
        .ok_or_else(|| Refused::not_found(format!("team `{id}` not found")))
}

pub async fn list_teams(store: &impl Teams, principal: &Principal) -> Result<TeamList, Refused> {
    let mut teams = store.teams(&principal.account).await?;
    teams.sort_by(|a, b| a.id.cmp(&b.id));
    let teams = teams.iter().map(TeamView::from).collect();
    Ok(TeamList { teams })
}

pub async fn create_team(
    store: &(impl Accounts + Users + Teams),
    principal: &Principal,
    draft: TeamDraft,
) -> Result<TeamView, Refused> {
    let id = draft
        .id
        .ok_or_else(|| Refused::invalid("`id` is missing"))?;
    let id = TeamId::parse(id).map_err(|e| Refused::invalid(format!("`id`: {e}")))?;
    let team = Team {
        account: principal.account.clone(),
        name: display_name(draft.name, id.as_str())?,
        members: members_of(store, &principal.account, draft.members.unwrap_or_default()).await?,
        id,
    };
    let plan = plan_of(store, principal).await?;
    let limit = plan.limits().teams;
    match store.create_team(&team, limit).await? {
        Created::Created => Ok(TeamView::from(&team)),
        Created::Exists => Err(Refused::conflict(
            Conflict::Exists,
            format!("the account has a team `{}` already", team.id),
        )),
        Created::LimitReached if limit == 0 => Err(Refused::not_allowed(format!(
            "plan {plan} has no teams; they come with free, standard and pro"
        ))),
        Created::LimitReached => Err(Refused::limit_reached(
            plan,
            limit,
            "teams",
            &format!("the account has {limit}"),
        )),
    }
}

pub async fn team_detail(
    store: &impl Teams,
    principal: &Principal,
    id: &str,
) -> Result<TeamView, Refused> {
    Ok(TeamView::from(&team_of(store, principal, id).await?))
}

/// Renames a team or replaces its members (whichever the body has).
pub async fn update_team(
    store: &(impl Users + Teams),
    principal: &Principal,
    id: &str,
    draft: TeamDraft,
) -> Result<TeamView, Refused> {
    if draft.id.is_some() {
        return Err(Refused::invalid("a team's `id` cannot change"));
    }
    let mut team = team_of(store, principal, id).await?;
    team.name = display_name(draft.name, &team.name)?;
    if let Some(members) = draft.members {
        team.members = members_of(store, &principal.account, members).await?;
    }
    if !store.update_team(&team).await? {
        return Err(Refused::not_found(format!("team `{}` not found", team.id)));
    }
    Ok(TeamView::from(&team))
}

pub async fn delete_team(
    store: &(impl Groups + Teams),
    principal: &Principal,
    id: &str,
) -> Result<Deleted<TeamId>, Refused> {
    let team = team_of(store, principal, id).await?;
    // Grants first: a retry after a failure still finds the team to finish with.
    revoke_grants(store, &principal.account, &Grantee::Team(team.id.clone())).await?;
    if !store.delete_team(&principal.account, &team.id).await? {
        return Err(Refused::not_found(format!("team `{}` not found", team.id)));
    }
    Ok(Deleted { deleted: team.id })
}

/// Removes a deleted user's grants and team memberships.
pub async fn forget_user(
    store: &(impl Groups + Teams),
    account: &AccountId,
    user: &UserId,
) -> Result<(), Refused> {
    revoke_grants(store, account, &Grantee::User(user.clone())).await?;
    for mut team in store.teams(account).await? {
        if team.members.contains(user) {
            team.members.retain(|member| member != user);
            store.update_team(&team).await?;
        }
    }
    Ok(())
}

async fn revoke_grants(
    store: &impl Groups,
    account: &AccountId,
    grantee: &Grantee,
) -> Result<(), Refused> {
    for mut group in store.groups(account).await? {
        if group.grants.iter().any(|grant| &grant.to == grantee) {
            group.grants.retain(|grant| &grant.to != grantee);
            store.set_grants(&group).await?;
        }
    }
    Ok(())
}

/// One grant in a request: exactly one of `user` and `team`, and a role.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantDraft {
    pub user: Option<String>,
    pub team: Option<String>,
    pub role: String,
}

/// The body of a grants change: the group's whole list of grants.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantsDraft {
    pub grants: Vec<GrantDraft>,
}

/// One grant as shown: to a user or to a team, and the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum GrantView {
    User { user: UserId, role: GroupRole },
    Team { team: TeamId, role: GroupRole },
}

/// Who may see and edit a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GrantsView {
    pub group: GroupId,
    pub grants: Vec<GrantView>,
}

pub fn grants_of(group: &Group) -> GrantsView {
    let grants = group
        .grants
        .iter()
        .map(|grant| match &grant.to {
            Grantee::User(user) => GrantView::User {
                user: user.clone(),
                role: grant.role,
            },
            Grantee::Team(team) => GrantView::Team {
                team: team.clone(),
                role: grant.role,
            },
        })
        .collect();
    GrantsView {
        group: group.id.clone(),
        grants,
    }
}

/// Replaces who may see and edit a group. Every user and team named must exist in the
/// account; each may appear once.
pub async fn set_grants(
    store: &(impl Groups + Users + Teams),
    principal: &Principal,
    group: &Group,
    draft: GrantsDraft,
) -> Result<GrantsView, Refused> {
    let mut group = group.clone();
    let account = &principal.account;
    let mut grants: BTreeMap<Grantee, GroupRole> = BTreeMap::new();
    for (n, entry) in draft.grants.into_iter().enumerate() {
        let at = |message: String| Refused::invalid(format!("`grants[{n}]`: {message}"));
        let role = GroupRole::parse(&entry.role).ok_or_else(|| {
            at(format!(
                "`role` must be viewer or editor, got `{}`",
                entry.role
            ))
        })?;
        let to = match (entry.user, entry.team) {
            (Some(user), None) => {
                let user = UserId::parse(user).map_err(|e| at(e.to_string()))?;
                if store.user(account, &user).await?.is_none() {
                    return Err(at(format!("the account has no user `{user}`")));
                }
                Grantee::User(user)
            }
            (None, Some(team)) => {
                let team = TeamId::parse(team).map_err(|e| at(e.to_string()))?;
                if store.team(account, &team).await?.is_none() {
                    return Err(at(format!("the account has no team `{team}`")));
                }
                Grantee::Team(team)
            }
            _ => return Err(at("name exactly one of `user` and `team`".into())),
        };
        if grants.insert(to.clone(), role).is_some() {
            return Err(at(format!("`{}` is granted twice", to.key())));
        }
    }
    group.grants = grants
        .into_iter()
        .map(|(to, role)| Grant { to, role })
        .collect();
    if !store.set_grants(&group).await? {
        return Err(Refused::not_found(format!(
            "measurement group `{}` not found",
            group.id
        )));
    }
    Ok(grants_of(&group))
}
