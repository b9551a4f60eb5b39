//! Who may see and change a measurement group (SPEC.md 2 and 9): account admins every
//! group; other users the groups granted to them, directly or through a team they are in,
//! as viewer or editor. The strongest grant wins.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{AccountId, TeamId, UserId};

/// What a grant allows in a measurement group. Ordered: an editor can do all a viewer can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum GroupRole {
    /// Monitoring, series, calculated channels: reading only.
    Viewer,
    /// Also the group's own settings: calculated channels (and later alarms, dashboards).
    Editor,
}

impl GroupRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Viewer => "viewer",
            GroupRole::Editor => "editor",
        }
    }

    pub fn parse(text: &str) -> Option<GroupRole> {
        match text {
            "viewer" => Some(GroupRole::Viewer),
            "editor" => Some(GroupRole::Editor),
            _ => None,
        }
    }
}

impl fmt::Display for GroupRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grantee {
    User(UserId),
    Team(TeamId),
}

impl Grantee {
    /// The stored form: `user:{id}` or `team:{id}` (neither ID kind has a colon).
    pub fn key(&self) -> String {
        match self {
            Grantee::User(user) => format!("user:{user}"),
            Grantee::Team(team) => format!("team:{team}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Grantee> {
        match key.split_once(':')? {
            ("user", id) => UserId::parse(id).ok().map(Grantee::User),
            ("team", id) => TeamId::parse(id).ok().map(Grantee::Team),
            _ => None,
        }
    }
}

/// A grant of a measurement group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub to: Grantee,
    pub role: GroupRole,
}

/// A team of an account's users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub account: AccountId,
    pub id: TeamId,
    pub name: String,
    pub members: Vec<UserId>,
}

/// The role a (non-admin) user has in a group with `grants`, given the account's teams;
/// `None` when the group is not theirs to see.
pub fn group_role(user: &UserId, grants: &[Grant], teams: &[Team]) -> Option<GroupRole> {
    let in_team = |team: &TeamId| {
        teams
            .iter()
            .any(|t| &t.id == team && t.members.contains(user))
    };
    grants
        .iter()
        .filter(|grant| match &grant.to {
            Grantee::User(grantee) => grantee == user,
            Grantee::Team(team) => in_team(team),
        })
        .map(|grant| grant.role)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn team(id: &str, members: &[&str]) -> Team {
        Team {
            account: AccountId::parse("acme").unwrap(),
            id: TeamId::parse(id).unwrap(),
            name: id.to_owned(),
            members: members.iter().map(|m| user(m)).collect(),
        }
    }

    fn grant(to: Grantee, role: GroupRole) -> Grant {
        Grant { to, role }
    }

    #[test]
    fn a_user_gets_the_strongest_of_their_own_and_their_teams_grants() {
        let teams = [team("ops", &["ann", "bob"]), team("lab", &["bob"])];
        let grants = [
            grant(Grantee::User(user("ann")), GroupRole::Viewer),
            grant(
                Grantee::Team(TeamId::parse("ops").unwrap()),
                GroupRole::Viewer,
            ),
            grant(
                Grantee::Team(TeamId::parse("lab").unwrap()),
                GroupRole::Editor,
            ),
        ];
        assert_eq!(
            group_role(&user("ann"), &grants, &teams),
            Some(GroupRole::Viewer)
        );
        assert_eq!(
            group_role(&user("bob"), &grants, &teams),
            Some(GroupRole::Editor)
        );
        assert_eq!(group_role(&user("cid"), &grants, &teams), None);
    }

    #[test]
    fn a_grant_to_a_team_that_is_gone_gives_nothing() {
        let grants = [grant(
            Grantee::Team(TeamId::parse("gone").unwrap()),
            GroupRole::Editor,
        )];
        assert_eq!(group_role(&user("ann"), &grants, &[]), None);
    }

    #[test]
    fn grantee_keys_round_trip_and_refuse_junk() {
        for grantee in [
            Grantee::User(user("ann.b")),
            Grantee::Team(TeamId::parse("ops").unwrap()),
        ] {
            assert_eq!(Grantee::from_key(&grantee.key()), Some(grantee));
        }
        for junk in ["ann", "group:x", "user:", "team:Bad Team"] {
            assert_eq!(Grantee::from_key(junk), None, "{junk}");
        }
    }
}
