//! The users' read marks: one item per user and group in the account's partition,
//! written whole and checked on `rev`, so two tabs marking at once both land.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, written, DynamoStore, ItemKind};
use super::values::{get_s, n};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::inbox::{NotificationId, ReadMarks};
use crate::ports::{GroupKey, InboxReadMarks, Saved, StoreError};

#[derive(Debug, Serialize, Deserialize)]
struct ReadMarksItem {
    pk: String,
    sk: String,
    rev: u64,
    /// Every notification at or before this ID is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    through: Option<String>,
    /// IDs after `through` read one by one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    read: Vec<String>,
}

impl ItemKind for ReadMarksItem {
    const KIND: &'static str = "read marks";
}

fn marks_item(group: GroupKey<'_>, user: &UserId, marks: &ReadMarks) -> ReadMarksItem {
    ReadMarksItem {
        pk: account_pk(group.account),
        sk: read_marks_sk(user, group.group),
        rev: marks.rev + 1,
        through: marks.through.as_ref().map(ToString::to_string),
        read: marks.read.iter().map(ToString::to_string).collect(),
    }
}

fn stored_id(text: &str) -> Result<NotificationId, StoreError> {
    NotificationId::parse(text).map_err(|e| StoreError::Corrupt(format!("read marks: {e}")))
}

impl TryFrom<ReadMarksItem> for ReadMarks {
    type Error = StoreError;

    fn try_from(item: ReadMarksItem) -> Result<Self, StoreError> {
        Ok(ReadMarks {
            rev: item.rev,
            through: item.through.as_deref().map(stored_id).transpose()?,
            read: item
                .read
                .iter()
                .map(|id| stored_id(id))
                .collect::<Result<_, _>>()?,
        })
    }
}

#[async_trait]
impl InboxReadMarks for DynamoStore {
    async fn read_marks(
        &self,
        group: GroupKey<'_>,
        user: &UserId,
    ) -> Result<ReadMarks, StoreError> {
        let sk = read_marks_sk(user, group.group);
        match self
            .get_as::<ReadMarksItem>(account_pk(group.account), &sk)
            .await?
        {
            Some(item) => ReadMarks::try_from(item),
            None => Ok(ReadMarks::default()),
        }
    }

    async fn save_read_marks(
        &self,
        group: GroupKey<'_>,
        user: &UserId,
        marks: &ReadMarks,
    ) -> Result<Saved, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&marks_item(group, user, marks))));
        let put = if marks.rev == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("rev = :rev")
                .expression_attribute_values(":rev", n(marks.rev))
        };
        Ok(if written(put.send().await)? {
            Saved::Written
        } else {
            Saved::Conflict
        })
    }

    async fn forget_read_marks(
        &self,
        account: &AccountId,
        user: &UserId,
    ) -> Result<(), StoreError> {
        // One item per group the user ever marked in: a plan's groups at most.
        let items = self
            .query_prefix(account_pk(account), &read_marks_prefix(user))
            .await?;
        for item in items {
            let sk = get_s(&item, "sk")?;
            self.take(account_pk(account), sk).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::{s, Item};
    use crate::domain::ids::GroupId;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn a_users_marks_on_a_group_are_one_item_read_back_as_written() {
        let (account, group, user) = (
            AccountId::parse("acme").unwrap(),
            GroupId::parse("plant").unwrap(),
            UserId::parse("ann").unwrap(),
        );
        let key = GroupKey {
            account: &account,
            group: &group,
        };
        let id = |text: &str| NotificationId::parse(text).unwrap();
        let marks = ReadMarks {
            rev: 2,
            through: Some(id("001700000000000.hot.1.raised")),
            read: [
                id("001700000005000.hot.1.cleared"),
                id("001700000009000.cold.4.special1"),
            ]
            .into(),
        };
        let item = to_item(&marks_item(key, &user, &marks));
        assert_eq!(item["pk"], s("ACCOUNT#acme"));
        assert_eq!(item["sk"], s("READMARKS#ann#plant"));
        assert_eq!(item["rev"], n(3), "written as the next revision");
        assert_eq!(item["through"], s("001700000000000.hot.1.raised"));
        assert_eq!(
            item["read"],
            AttributeValue::L(vec![
                s("001700000005000.hot.1.cleared"),
                s("001700000009000.cold.4.special1"),
            ])
        );
        assert_eq!(item.len(), 5);
        let read = ReadMarks::try_from(from_item::<ReadMarksItem>(Item::from_iter(item)).unwrap());
        assert_eq!(read.unwrap(), ReadMarks { rev: 3, ..marks });

        let nothing = to_item(&marks_item(key, &user, &ReadMarks::default()));
        assert!(!nothing.contains_key("through") && !nothing.contains_key("read"));
    }
}
