//! Teams, in the registry table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, written, DynamoStore, ItemKind};
use super::values::parse_id;
use crate::domain::access::Team;
use crate::domain::ids::{AccountId, TeamId, UserId};
use crate::ports::{Created, StoreError, Teams};

/// A team's item.
#[derive(Debug, Serialize, Deserialize)]
struct TeamItem {
    pk: String,
    sk: String,
    name: String,
    #[serde(default)]
    members: Vec<UserId>,
}

impl ItemKind for TeamItem {
    const KIND: &'static str = "team";
}

impl From<&Team> for TeamItem {
    fn from(team: &Team) -> Self {
        TeamItem {
            pk: account_pk(&team.account),
            sk: team_sk(&team.id),
            name: team.name.clone(),
            members: team.members.clone(),
        }
    }
}

impl TryFrom<TeamItem> for Team {
    type Error = StoreError;

    fn try_from(item: TeamItem) -> Result<Self, StoreError> {
        Ok(Team {
            account: parse_id(AccountId::parse, key_id(&item.pk, ACCOUNT_PREFIX)?)?,
            id: parse_id(TeamId::parse, key_id(&item.sk, TEAM_PREFIX)?)?,
            name: item.name,
            members: item.members,
        })
    }
}

#[async_trait]
impl Teams for DynamoStore {
    async fn teams(&self, account: &AccountId) -> Result<Vec<Team>, StoreError> {
        self.query_prefix_as::<TeamItem>(account_pk(account), TEAM_PREFIX)
            .await?
            .into_iter()
            .map(Team::try_from)
            .collect()
    }

    async fn team(&self, account: &AccountId, id: &TeamId) -> Result<Option<Team>, StoreError> {
        self.get_as::<TeamItem>(account_pk(account), &team_sk(id))
            .await?
            .map(Team::try_from)
            .transpose()
    }

    async fn create_team(&self, team: &Team, limit: u32) -> Result<Created, StoreError> {
        let account = (account_pk(&team.account), ACCOUNT_SK.to_owned());
        self.create_counted(to_item(&TeamItem::from(team)), account, "teams", limit)
            .await
    }

    async fn update_team(&self, team: &Team) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&TeamItem::from(team))))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        written(result)
    }

    async fn delete_team(&self, account: &AccountId, id: &TeamId) -> Result<bool, StoreError> {
        let key = (account_pk(account), team_sk(id));
        self.delete_counted(key, (account_pk(account), ACCOUNT_SK.into()), "teams")
            .await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::{s, Item};

    #[test]
    fn a_team_is_stored_as_before_and_read_back() {
        let team = Team {
            account: AccountId::parse("acme").unwrap(),
            id: TeamId::parse("lab").unwrap(),
            name: "Lab".into(),
            members: vec![UserId::parse("ann").unwrap(), UserId::parse("bob").unwrap()],
        };
        let item = to_item(&TeamItem::from(&team));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("ACCOUNT#acme")),
                ("sk".into(), s("TEAM#lab")),
                ("name".into(), s("Lab")),
                (
                    "members".into(),
                    AttributeValue::L(vec![s("ann"), s("bob")])
                ),
            ])
        );
        assert_eq!(
            Team::try_from(from_item::<TeamItem>(item).unwrap()).unwrap(),
            team
        );
    }
}
