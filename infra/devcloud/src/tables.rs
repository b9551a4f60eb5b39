//! Creates the DynamoDB tables in the emulator from `template.yaml` itself, so the local
//! cloud cannot drift from what SAM deploys.

use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde::Deserialize;

use crate::template::resource_properties;

/// A table definition as the template declares it (the subset the emulator needs).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableSpec {
    pub attribute_definitions: Vec<AttributeSpec>,
    pub key_schema: Vec<KeySpec>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexSpec>,
    /// The attribute DynamoDB expires items by, if the table has one.
    pub time_to_live_specification: Option<TtlSpec>,
    /// The table's change stream, if it has one.
    pub stream_specification: Option<StreamSpec>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpec {
    pub stream_view_type: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TtlSpec {
    pub attribute_name: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeSpec {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySpec {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexSpec {
    pub index_name: String,
    pub key_schema: Vec<KeySpec>,
}

/// The table declared under `Resources.{logical_id}` in the template.
pub fn table_spec(logical_id: &str) -> anyhow::Result<TableSpec> {
    serde_norway::from_value(resource_properties(logical_id)?)
        .with_context(|| format!("reading the key schema of {logical_id} in template.yaml"))
}

fn key_schema(keys: &[KeySpec]) -> anyhow::Result<Vec<KeySchemaElement>> {
    keys.iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()?)
        })
        .collect()
}

/// Creates `name` in the emulator as the template declares `logical_id`; returns its
/// stream's ARN if it has one.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    logical_id: &str,
    name: &str,
) -> anyhow::Result<Option<String>> {
    let spec = table_spec(logical_id)?;
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&spec.key_schema)?));
    for attribute in &spec.attribute_definitions {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&attribute.attribute_name)
                .attribute_type(ScalarAttributeType::from(attribute.attribute_type.as_str()))
                .build()?,
        );
    }
    if let Some(stream) = &spec.stream_specification {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                .build()?,
        );
    }
    for index in &spec.global_secondary_indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        );
    }
    let created = request
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))
        .with_context(|| format!("creating table {name}"))?;
    let stream_arn = created
        .table_description
        .and_then(|table| table.latest_stream_arn);
    // moto never expires items, but the table is declared as AWS will have it.
    if let Some(ttl) = spec.time_to_live_specification {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl.attribute_name)
                    .enabled(ttl.enabled)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))
            .with_context(|| format!("turning on Time to Live for {name}"))?;
    }
    Ok(stream_arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcloud::adapters::dynamodb::schema;

    fn keys(spec: &[KeySpec]) -> Vec<(&str, &str)> {
        spec.iter()
            .map(|k| (k.attribute_name.as_str(), k.key_type.as_str()))
            .collect()
    }

    #[test]
    fn template_tables_match_what_the_adapters_use() {
        let registry = table_spec("RegistryTable").unwrap();
        assert_eq!(
            keys(&registry.key_schema),
            vec![
                (schema::REGISTRY_KEY[0], "HASH"),
                (schema::REGISTRY_KEY[1], "RANGE")
            ]
        );
        let index = registry
            .global_secondary_indexes
            .iter()
            .find(|i| i.index_name == schema::BY_GROUP_INDEX)
            .expect("the byGroup index is declared");
        assert_eq!(
            keys(&index.key_schema),
            vec![
                (schema::BY_GROUP_KEY[0], "HASH"),
                (schema::BY_GROUP_KEY[1], "RANGE")
            ]
        );
        let records = table_spec("RecordsTable").unwrap();
        assert_eq!(
            keys(&records.key_schema),
            vec![
                (schema::RECORDS_KEY[0], "HASH"),
                (schema::RECORDS_KEY[1], "RANGE")
            ]
        );
        assert_eq!(
            records.stream_specification,
            Some(StreamSpec {
                stream_view_type: "NEW_AND_OLD_IMAGES".into()
            }),
            "the usage function counts the records' sizes before and after"
        );
        assert!(records
            .attribute_definitions
            .iter()
            .any(|a| a.attribute_name == schema::RECORDS_KEY[1] && a.attribute_type == "N"));
        assert_eq!(
            records.time_to_live_specification,
            Some(TtlSpec {
                attribute_name: schema::RECORD_EXPIRY_ATTRIBUTE.into(),
                enabled: true
            }),
            "records expire by the attribute the records adapter writes"
        );
    }

    #[test]
    fn the_registry_expires_items_by_the_attribute_the_adapters_write() {
        let registry = table_spec("RegistryTable").unwrap();
        assert_eq!(
            registry.time_to_live_specification,
            Some(TtlSpec {
                attribute_name: schema::TTL_ATTRIBUTE.into(),
                enabled: true
            })
        );
    }
}
