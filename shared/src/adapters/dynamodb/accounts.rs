//! Accounts, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};

use super::keys::*;
use super::store::{user_item, written, DynamoStore};
use super::unavailable;
use super::values::{get_b, get_n, get_opt_s, get_s, get_strings, n, parse_id, s, Item};
use crate::domain::allowlist::Cidr;
use crate::domain::auth::User;
use crate::domain::ids::AccountId;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::settings::{Language, Logo, TimeZone};
use crate::ports::{Accounts, StoreError};

impl DynamoStore {
    /// Creates an account unless it exists (seeding).
    pub async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(account_item(account)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(result).map(drop)
    }
}

/// A new account's item. The login alias and the allow-list are set by their own routes.
pub(super) fn account_item(account: &Account) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(account_pk(&account.id))),
        ("sk".into(), s(ACCOUNT_SK)),
        ("name".into(), s(&account.name)),
        ("plan".into(), s(account.plan.as_str())),
        ("timeZone".into(), s(account.time_zone.as_str())),
        ("language".into(), s(account.language.tag())),
        ("created".into(), n(account.created.0)),
    ]);
    if let Some(email) = &account.contract_email {
        item.insert("contractEmail".into(), s(email));
    }
    if let Some(expires) = account.license_expires {
        item.insert("licenseExpires".into(), n(expires.0));
    }
    item
}

#[async_trait]
impl Accounts for DynamoStore {
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        let Some(item) = self.get(account_pk(id), ACCOUNT_SK).await? else {
            return Ok(None);
        };
        let allow_list = get_strings(&item, "allowList")?
            .iter()
            .map(|text| Cidr::parse(text).map_err(StoreError::Corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Account {
            id: id.clone(),
            name: get_s(&item, "name")?.to_owned(),
            plan: get_s(&item, "plan")?
                .parse::<Plan>()
                .map_err(StoreError::Corrupt)?,
            allow_list,
            contract_email: get_opt_s(&item, "contractEmail")?.map(str::to_owned),
            time_zone: match get_opt_s(&item, "timeZone")? {
                Some(name) => TimeZone::parse(name).map_err(StoreError::Corrupt)?,
                None => TimeZone::utc(),
            },
            language: match get_opt_s(&item, "language")? {
                Some(tag) => Language::parse(tag).map_err(StoreError::Corrupt)?,
                None => Language::default(),
            },
            created: Millis(get_n(&item, "created")?.unwrap_or(0)),
            license_expires: get_n(&item, "licenseExpires")?.map(Millis),
            login_alias: get_opt_s(&item, "loginAlias")?
                .map(|alias| parse_id(AccountId::parse, alias))
                .transpose()?,
        }))
    }

    async fn update_settings(&self, account: &Account) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(&account.id)))
            .key("sk", s(ACCOUNT_SK))
            .condition_expression("attribute_exists(pk)")
            // `name`, `language` and `timeZone` are all reserved words.
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#language", "language")
            .expression_attribute_names("#zone", "timeZone")
            .expression_attribute_values(":name", s(&account.name))
            .expression_attribute_values(":zone", s(account.time_zone.as_str()))
            .expression_attribute_values(":language", s(account.language.tag()));
        update = match &account.contract_email {
            Some(email) => update
                .update_expression(
                    "SET #name = :name, #zone = :zone, #language = :language, \
                     contractEmail = :email",
                )
                .expression_attribute_values(":email", s(email)),
            None => update.update_expression(
                "SET #name = :name, #zone = :zone, #language = :language \
                 REMOVE contractEmail",
            ),
        };
        written(update.send().await)
    }

    async fn account_by_alias(&self, alias: &AccountId) -> Result<Option<AccountId>, StoreError> {
        self.get(alias_pk(alias), ALIAS_SK)
            .await?
            .map(|item| parse_id(AccountId::parse, get_s(&item, "account")?))
            .transpose()
    }

    async fn set_login_alias(
        &self,
        account: &Account,
        alias: Option<&AccountId>,
    ) -> Result<bool, StoreError> {
        let mut items = Vec::new();
        if let Some(alias) = alias {
            // The alias is taken neither as an alias nor as an account ID.
            let put = Put::builder()
                .table_name(&self.table)
                .item("pk", s(alias_pk(alias)))
                .item("sk", s(ALIAS_SK))
                .item("account", s(account.id.as_str()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("put is complete");
            let no_account = ConditionCheck::builder()
                .table_name(&self.table)
                .key("pk", s(account_pk(alias)))
                .key("sk", s(ACCOUNT_SK))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("check is complete");
            items.push(TransactWriteItem::builder().put(put).build());
            items.push(
                TransactWriteItem::builder()
                    .condition_check(no_account)
                    .build(),
            );
        }
        if let Some(old) = &account.login_alias {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(alias_pk(old)))
                .key("sk", s(ALIAS_SK))
                .condition_expression("#account = :account")
                .expression_attribute_names("#account", "account")
                .expression_attribute_values(":account", s(account.id.as_str()))
                .build()
                .expect("delete is complete");
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        // The account still has the alias it was read with: two changes cannot both land.
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&account.id)))
            .key("sk", s(ACCOUNT_SK));
        update = match &account.login_alias {
            Some(old) => update
                .condition_expression("loginAlias = :old")
                .expression_attribute_values(":old", s(old.as_str())),
            None => update
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(loginAlias)"),
        };
        update = match alias {
            Some(alias) => update
                .update_expression("SET loginAlias = :alias")
                .expression_attribute_values(":alias", s(alias.as_str())),
            None => update.update_expression("REMOVE loginAlias"),
        };
        items.push(
            TransactWriteItem::builder()
                .update(update.build().expect("update is complete"))
                .build(),
        );
        Ok(self.transact(items).await?.is_none())
    }

    async fn logo(&self, account: &AccountId) -> Result<Option<Logo>, StoreError> {
        let Some(item) = self.get(account_pk(account), LOGO_SK).await? else {
            return Ok(None);
        };
        let bytes = get_b(&item, "image")?
            .ok_or_else(|| StoreError::Corrupt("logo without image".into()))?;
        Logo::from_bytes(bytes.to_vec())
            .map(Some)
            .map_err(StoreError::Corrupt)
    }

    async fn set_logo(&self, account: &AccountId, logo: Option<&Logo>) -> Result<(), StoreError> {
        match logo {
            Some(logo) => self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(account_pk(account)))
                .item("sk", s(LOGO_SK))
                .item("image", AttributeValue::B(Blob::new(logo.bytes.clone())))
                .send()
                .await
                .map(drop)
                .map_err(unavailable),
            None => self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(account_pk(account)))
                .key("sk", s(LOGO_SK))
                .send()
                .await
                .map(drop)
                .map_err(unavailable),
        }
    }

    async fn set_allow_list(&self, account: &AccountId, ranges: &[Cidr]) -> Result<(), StoreError> {
        let list = AttributeValue::L(ranges.iter().map(|r| s(r.to_string())).collect());
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(account)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET allowList = :list")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":list", list)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountId>, StoreError> {
        self.get(email_pk(email), EMAIL_SK)
            .await?
            .map(|item| parse_id(AccountId::parse, get_s(&item, "account")?))
            .transpose()
    }

    async fn create_trial(&self, account: &Account, owner: &User) -> Result<bool, StoreError> {
        let email = owner
            .email
            .as_deref()
            .ok_or_else(|| StoreError::Corrupt("a Trial owner needs an e-mail address".into()))?;
        let put = |item: Item| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("put is complete"),
                )
                .build()
        };
        let mut account_item = account_item(account);
        // The owner is counted as the account's one user, and admin, from the start.
        account_item.insert("users".into(), n(1));
        account_item.insert("admins".into(), n(1));
        let cancelled = self
            .transact(vec![
                put(Item::from([
                    ("pk".into(), s(email_pk(email))),
                    ("sk".into(), s(EMAIL_SK)),
                    ("account".into(), s(account.id.as_str())),
                ])),
                put(account_item),
                put(user_item(owner)),
            ])
            .await?;
        Ok(cancelled.is_none())
    }
}
