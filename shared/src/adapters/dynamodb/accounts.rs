//! Accounts, in the registry table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{from_item, to_item, written, DynamoStore, ItemKind};
use super::unavailable;
use super::users::user_item;
use super::values::{n, parse_id, s, Item};
use crate::domain::allowlist::Cidr;
use crate::domain::auth::User;
use crate::domain::ids::AccountId;
use crate::domain::plan::Plan;
use crate::domain::record::Millis;
use crate::domain::registry::Account;
use crate::domain::settings::{Language, Logo, TimeZone};
use crate::ports::{Accounts, StoreError};

impl DynamoStore {
    /// Creates an account unless it exists (seeding), with its entry in the list of
    /// licenses in the same transaction if it has a license.
    pub async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let item = to_item(&new_account_item(account));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("put is complete");
        // The list of every account (the quota sweep's) and of licenses (the reminders')
        // are written with the account, so neither misses one nor names one not created.
        let mut items = vec![
            TransactWriteItem::builder().put(put).build(),
            self.account_list_entry(&account.id),
        ];
        items.extend(self.new_license_entry(account));
        self.transact_or_refused(items).await.map(drop)
    }
}

/// An account's item. The login alias is set with its own item, by
/// [`Accounts::set_login_alias`]; the counters, by the writes of what they count.
#[derive(Debug, Serialize, Deserialize)]
struct AccountItem {
    pk: String,
    sk: String,
    name: String,
    plan: String,
    /// Absent on accounts stored before there were settings: UTC.
    #[serde(rename = "timeZone", skip_serializing_if = "Option::is_none")]
    time_zone: Option<String>,
    /// Absent on accounts stored before there were settings: the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(default)]
    created: i64,
    #[serde(rename = "contractEmail", skip_serializing_if = "Option::is_none")]
    contract_email: Option<String>,
    #[serde(rename = "licenseExpires", skip_serializing_if = "Option::is_none")]
    license_expires: Option<i64>,
    #[serde(rename = "loginAlias", skip_serializing_if = "Option::is_none")]
    login_alias: Option<AccountId>,
    #[serde(rename = "planChanged", skip_serializing_if = "Option::is_none")]
    plan_changed: Option<i64>,
    #[serde(rename = "allowList", default, skip_serializing_if = "Vec::is_empty")]
    allow_list: Vec<String>,
    /// A Trial's owner is counted from the start (see [`Accounts::create_trial`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admins: Option<u32>,
}

impl ItemKind for AccountItem {
    const KIND: &'static str = "account";
}

/// An account's item: no alias (that comes with its own item) and nothing counted.
impl From<&Account> for AccountItem {
    fn from(account: &Account) -> Self {
        AccountItem {
            pk: account_pk(&account.id),
            sk: ACCOUNT_SK.to_owned(),
            name: account.name.clone(),
            plan: account.plan.as_str().to_owned(),
            time_zone: Some(account.time_zone.as_str().to_owned()),
            language: Some(account.language.tag().to_owned()),
            created: account.created.0,
            contract_email: account.contract_email.clone(),
            license_expires: account.license_expires.map(|at| at.0),
            login_alias: None,
            plan_changed: account.plan_changed.map(|at| at.0),
            allow_list: account.allow_list.iter().map(Cidr::to_string).collect(),
            users: None,
            admins: None,
        }
    }
}

/// A new account's item: its allow-list starts empty, whatever the value says (an admin
/// sets it, audited).
fn new_account_item(account: &Account) -> AccountItem {
    AccountItem {
        allow_list: Vec::new(),
        ..AccountItem::from(account)
    }
}

/// An account from its item as read (which may hold attributes of other writers, such as
/// the quota sweep's storage standing).
pub(super) fn account_from_item(item: Item) -> Result<Account, StoreError> {
    Account::try_from(from_item::<AccountItem>(item)?)
}

impl TryFrom<AccountItem> for Account {
    type Error = StoreError;

    fn try_from(item: AccountItem) -> Result<Self, StoreError> {
        Ok(Account {
            id: parse_id(AccountId::parse, key_id(&item.pk, ACCOUNT_PREFIX)?)?,
            name: item.name,
            plan: item.plan.parse::<Plan>().map_err(StoreError::Corrupt)?,
            allow_list: item
                .allow_list
                .iter()
                .map(|text| Cidr::parse(text).map_err(StoreError::Corrupt))
                .collect::<Result<Vec<_>, _>>()?,
            contract_email: item.contract_email,
            time_zone: match item.time_zone {
                Some(name) => TimeZone::parse(&name).map_err(StoreError::Corrupt)?,
                None => TimeZone::utc(),
            },
            language: match item.language {
                Some(tag) => Language::parse(&tag).map_err(StoreError::Corrupt)?,
                None => Language::default(),
            },
            created: Millis(item.created),
            license_expires: item.license_expires.map(Millis),
            login_alias: item.login_alias,
            plan_changed: item.plan_changed.map(Millis),
        })
    }
}

/// An item that names an account: a login alias's (`ALIAS#…`) or a Trial e-mail
/// address's (`EMAIL#…`).
#[derive(Debug, Serialize, Deserialize)]
struct PointerItem {
    pk: String,
    sk: String,
    account: AccountId,
}

impl ItemKind for PointerItem {
    const KIND: &'static str = "alias or e-mail";
}

/// An account's logo.
#[derive(Debug, Serialize, Deserialize)]
struct LogoItem {
    pk: String,
    sk: String,
    #[serde(with = "serde_bytes")]
    image: Vec<u8>,
}

impl ItemKind for LogoItem {
    const KIND: &'static str = "logo";
}

impl LogoItem {
    fn new(account: &AccountId, logo: &Logo) -> Self {
        LogoItem {
            pk: account_pk(account),
            sk: LOGO_SK.to_owned(),
            image: logo.bytes.clone(),
        }
    }
}

#[async_trait]
impl Accounts for DynamoStore {
    async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        self.get_as::<AccountItem>(account_pk(id), ACCOUNT_SK)
            .await?
            .map(Account::try_from)
            .transpose()
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

    async fn change_plan(
        &self,
        account: &Account,
        to: Plan,
        license_expires: Millis,
        now: Millis,
    ) -> Result<bool, StoreError> {
        // The account as read: its plan, its expiry and its last change (each absent
        // where it was absent).
        let mut condition = vec!["#plan = :from".to_owned()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&account.id)))
            .key("sk", s(ACCOUNT_SK))
            .update_expression("SET #plan = :to, licenseExpires = :expires, planChanged = :now")
            .expression_attribute_names("#plan", "plan")
            .expression_attribute_values(":from", s(account.plan.as_str()))
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":expires", n(license_expires.0))
            .expression_attribute_values(":now", n(now.0));
        for (attribute, value, placeholder) in [
            ("licenseExpires", account.license_expires, ":readExpires"),
            ("planChanged", account.plan_changed, ":readChanged"),
        ] {
            match value {
                Some(at) => {
                    condition.push(format!("{attribute} = {placeholder}"));
                    update = update.expression_attribute_values(placeholder, n(at.0));
                }
                None => condition.push(format!("attribute_not_exists({attribute})")),
            }
        }
        let update = update
            .condition_expression(condition.join(" AND "))
            .build()
            .expect("update is complete");
        // The list of licenses the reminder job reads moves with the expiry, in the same
        // transaction.
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(self.moved_license_entry(account, license_expires));
        self.transact_or_refused(items).await
    }

    async fn account_by_alias(&self, alias: &AccountId) -> Result<Option<AccountId>, StoreError> {
        let item = self
            .get_as::<PointerItem>(alias_pk(alias), ALIAS_SK)
            .await?;
        Ok(item.map(|item| item.account))
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
                .set_item(Some(to_item(&PointerItem {
                    pk: alias_pk(alias),
                    sk: ALIAS_SK.to_owned(),
                    account: account.id.clone(),
                })))
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
        let Some(item) = self
            .get_as::<LogoItem>(account_pk(account), LOGO_SK)
            .await?
        else {
            return Ok(None);
        };
        Logo::from_bytes(item.image)
            .map(Some)
            .map_err(StoreError::Corrupt)
    }

    async fn set_logo(&self, account: &AccountId, logo: Option<&Logo>) -> Result<(), StoreError> {
        match logo {
            Some(logo) => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(&LogoItem::new(account, logo))))
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
        let item = self
            .get_as::<PointerItem>(email_pk(email), EMAIL_SK)
            .await?;
        Ok(item.map(|item| item.account))
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
        let account_item = AccountItem {
            // The owner is counted as the account's one user, and admin, from the start.
            users: Some(1),
            admins: Some(1),
            ..new_account_item(account)
        };
        let email_item = PointerItem {
            pk: email_pk(email),
            sk: EMAIL_SK.to_owned(),
            account: account.id.clone(),
        };
        let cancelled = self
            .transact(vec![
                put(to_item(&email_item)),
                put(to_item(&account_item)),
                put(user_item(owner)),
                self.account_list_entry(&account.id),
            ])
            .await?;
        Ok(cancelled.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::values::n;

    fn read(item: Item) -> Account {
        Account::try_from(from_item::<AccountItem>(item).unwrap()).unwrap()
    }

    #[test]
    fn an_account_is_stored_as_before_and_read_back() {
        let mut account = Account::new(
            AccountId::parse("acme").unwrap(),
            "Acme".into(),
            Plan::Standard,
            Millis(1_700_000_000_000),
        );
        let item = to_item(&AccountItem::from(&account));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("ACCOUNT#acme")),
                ("sk".into(), s("ACCOUNT")),
                ("name".into(), s("Acme")),
                ("plan".into(), s("standard")),
                ("timeZone".into(), s("UTC")),
                ("language".into(), s(Language::default().tag())),
                ("created".into(), n(1_700_000_000_000_i64)),
            ])
        );
        assert_eq!(read(item), account);

        account.contract_email = Some("it@acme.example".into());
        account.license_expires = Some(Millis(1_800_000_000_000));
        account.allow_list = vec![Cidr::parse("10.0.0.0/8").unwrap()];
        let mut item = to_item(&AccountItem::from(&account));
        assert_eq!(item["contractEmail"], s("it@acme.example"));
        assert_eq!(item["licenseExpires"], n(1_800_000_000_000_i64));
        assert_eq!(item["allowList"], AttributeValue::L(vec![s("10.0.0.0/8")]));
        assert!(!item.contains_key("loginAlias"));
        // The alias, as `set_login_alias` writes it, is read back too.
        item.insert("loginAlias".into(), s("acme-login"));
        account.login_alias = Some(AccountId::parse("acme-login").unwrap());
        assert_eq!(read(item), account);
    }

    #[test]
    fn a_trial_account_counts_its_owner_and_points_from_the_email() {
        let account = Account::new(
            AccountId::parse("acme").unwrap(),
            "Acme".into(),
            Plan::Trial,
            Millis(0),
        );
        let item = to_item(&AccountItem {
            users: Some(1),
            admins: Some(1),
            ..AccountItem::from(&account)
        });
        assert_eq!((&item["users"], &item["admins"]), (&n(1), &n(1)));
        let pointer = to_item(&PointerItem {
            pk: email_pk("ann@example.com"),
            sk: EMAIL_SK.to_owned(),
            account: account.id.clone(),
        });
        assert_eq!(
            pointer,
            Item::from([
                ("pk".into(), s("EMAIL#ann@example.com")),
                ("sk".into(), s("EMAIL")),
                ("account".into(), s("acme")),
            ])
        );
        let read = from_item::<PointerItem>(pointer).unwrap();
        assert_eq!(read.account, account.id);
    }

    #[test]
    fn a_logo_is_stored_as_binary_and_read_back() {
        let account = AccountId::parse("acme").unwrap();
        let logo = Logo::from_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).unwrap();
        let item = to_item(&LogoItem::new(&account, &logo));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("ACCOUNT#acme")),
                ("sk".into(), s("LOGO")),
                (
                    "image".into(),
                    AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(logo.bytes.clone()))
                ),
            ])
        );
        assert_eq!(from_item::<LogoItem>(item).unwrap().image, logo.bytes);
    }
}
