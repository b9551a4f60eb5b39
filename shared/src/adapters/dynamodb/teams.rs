//! Teams, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::store::{written, DynamoStore};
use super::values::{get_s, get_strings, parse_id, s, Item};
use crate::domain::access::Team;
use crate::domain::ids::{AccountId, TeamId, UserId};
use crate::ports::{Created, StoreError, Teams};

fn team_item(team: &Team) -> Item {
    Item::from([
        ("pk".into(), s(account_pk(&team.account))),
        ("sk".into(), s(team_sk(&team.id))),
        ("name".into(), s(&team.name)),
        (
            "members".into(),
            AttributeValue::L(team.members.iter().map(|m| s(m.as_str())).collect()),
        ),
    ])
}

fn parse_team(account: &AccountId, item: &Item) -> Result<Team, StoreError> {
    Ok(Team {
        account: account.clone(),
        id: parse_id(
            TeamId::parse,
            get_s(item, "sk")?.trim_start_matches(TEAM_PREFIX),
        )?,
        name: get_s(item, "name")?.to_owned(),
        members: get_strings(item, "members")?
            .into_iter()
            .map(|m| parse_id(UserId::parse, &m))
            .collect::<Result<_, _>>()?,
    })
}

#[async_trait]
impl Teams for DynamoStore {
    async fn teams(&self, account: &AccountId) -> Result<Vec<Team>, StoreError> {
        self.query_prefix(account_pk(account), TEAM_PREFIX)
            .await?
            .iter()
            .map(|item| parse_team(account, item))
            .collect()
    }

    async fn team(&self, account: &AccountId, id: &TeamId) -> Result<Option<Team>, StoreError> {
        self.get(account_pk(account), &team_sk(id))
            .await?
            .map(|item| parse_team(account, &item))
            .transpose()
    }

    async fn create_team(&self, team: &Team, limit: u32) -> Result<Created, StoreError> {
        let account = (account_pk(&team.account), ACCOUNT_SK.to_owned());
        self.create_counted(team_item(team), account, "teams", limit)
            .await
    }

    async fn update_team(&self, team: &Team) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(team_item(team)))
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
