//! A group's notification destinations: the `destinations` attribute of its item, so
//! they are deleted with it (a group made again under the ID starts with none).

use async_trait::async_trait;

use super::keys::*;
use super::store::{written, DynamoStore};
use super::unavailable;
use super::values::s;
use crate::domain::notify::Destinations;
use crate::ports::{GroupKey, NotificationDestinations, StoreError};

const ATTRIBUTE: &str = "destinations";

#[async_trait]
impl NotificationDestinations for DynamoStore {
    async fn destinations(&self, group: GroupKey<'_>) -> Result<Option<Destinations>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(group.account)))
            .key("sk", s(group_sk(group.group)))
            .projection_expression("pk, #destinations")
            .expression_attribute_names("#destinations", ATTRIBUTE)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(mut item) = output.item.filter(|item| item.contains_key("pk")) else {
            return Ok(None);
        };
        match item.remove(ATTRIBUTE) {
            None => Ok(Some(Destinations::default())),
            Some(value) => serde_dynamo::from_attribute_value(value)
                .map(Some)
                .map_err(|e| {
                    StoreError::Corrupt(format!("destinations of group {}: {e}", group.group))
                }),
        }
    }

    async fn set_destinations(
        &self,
        group: GroupKey<'_>,
        destinations: &Destinations,
    ) -> Result<bool, StoreError> {
        let value = serde_dynamo::to_attribute_value(destinations)
            .expect("destinations serialize to a map");
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(group.account)))
            .key("sk", s(group_sk(group.group)))
            .update_expression("SET #destinations = :destinations")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#destinations", ATTRIBUTE)
            .expression_attribute_values(":destinations", value)
            .send()
            .await;
        written(update)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::notify::WebhookUrl;
    use crate::domain::settings::Language;

    #[test]
    fn destinations_are_a_map_of_users_webhooks_language_and_the_app_switch() {
        let destinations = Destinations {
            mail: vec![UserId::parse("ana").unwrap()],
            slack: Some(WebhookUrl::new("https://hooks.slack.com/services/T/B/x")),
            wecom: None,
            language: Some(Language::Japanese),
            app_status: false,
        };
        let value: AttributeValue = serde_dynamo::to_attribute_value(&destinations).unwrap();
        assert_eq!(
            value,
            AttributeValue::M(
                [
                    ("mail".to_owned(), AttributeValue::L(vec![s("ana")])),
                    (
                        "slack".to_owned(),
                        s("https://hooks.slack.com/services/T/B/x")
                    ),
                    ("language".to_owned(), s("ja")),
                    ("app_status".to_owned(), AttributeValue::Bool(false)),
                ]
                .into()
            )
        );
        let read: Destinations = serde_dynamo::from_attribute_value(value).unwrap();
        assert_eq!(read, destinations);
        // Stored before apps' statuses were told: they are.
        let older = AttributeValue::M([("mail".to_owned(), AttributeValue::L(Vec::new()))].into());
        let read: Destinations = serde_dynamo::from_attribute_value(older).unwrap();
        assert!(read.app_status);
    }
}
