//! Every DynamoDB write a function sends, with the key of each item it names: what the
//! cost model prices against the items as they were before and after. moto reports a
//! made-up consumed capacity, so the price comes from the real items instead (see
//! `tests/e2e/write_cost.rs`).
//!
//! A refused conditional write is logged too: DynamoDB bills it like one that succeeds.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value as Json;

/// An item's key as sent: attribute name → its value in DynamoDB's JSON (`{"S": "…"}`).
pub type ItemKey = BTreeMap<String, Json>;

/// One item one request wrote (or tried to).
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    /// The logical ID of the function in the template.
    pub function: &'static str,
    pub table: String,
    pub key: ItemKey,
    /// A part of `TransactWriteItems` (a condition check included): billed twice.
    pub transactional: bool,
}

/// The writes so far, shared by every function's client.
pub type Writes = Arc<Mutex<Vec<Write>>>;

/// The most writes held: a local cloud left running (the simulated fleet writes every few
/// seconds) keeps only the newest.
const MAX_HELD: usize = 100_000;

/// Logs the writes of one function's DynamoDB client.
#[derive(Debug, Clone)]
pub struct WriteLog {
    function: &'static str,
    /// Key attribute names by table name: a put names its key only inside the item.
    keys: Arc<HashMap<String, Vec<String>>>,
    writes: Writes,
}

impl WriteLog {
    pub fn new(
        function: &'static str,
        keys: Arc<HashMap<String, Vec<String>>>,
        writes: Writes,
    ) -> Self {
        WriteLog {
            function,
            keys,
            writes,
        }
    }

    /// The key of `item` in `table`.
    fn key_of(&self, table: &str, item: &Json) -> ItemKey {
        self.keys
            .get(table)
            .into_iter()
            .flatten()
            .filter_map(|name| Some((name.clone(), item.get(name)?.clone())))
            .collect()
    }

    /// The items one request writes: (table, key, transactional).
    fn items(&self, operation: &str, request: &Json) -> Vec<(String, ItemKey, bool)> {
        let table = |part: &Json| part["TableName"].as_str().unwrap_or_default().to_owned();
        let keyed = |part: &Json| -> ItemKey {
            part["Key"]
                .as_object()
                .map(|key| key.clone().into_iter().collect())
                .unwrap_or_default()
        };
        match operation {
            "PutItem" => vec![(
                table(request),
                self.key_of(&table(request), &request["Item"]),
                false,
            )],
            "UpdateItem" | "DeleteItem" => vec![(table(request), keyed(request), false)],
            "BatchWriteItem" => request["RequestItems"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(name, requests)| {
                    requests
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(move |one| (name, one))
                })
                .map(|(name, one)| {
                    let key = match one.get("PutRequest") {
                        Some(put) => self.key_of(name, &put["Item"]),
                        None => keyed(&one["DeleteRequest"]),
                    };
                    (name.clone(), key, false)
                })
                .collect(),
            "TransactWriteItems" => request["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|item| item.as_object()?.iter().next())
                .map(|(kind, part)| {
                    let key = match kind.as_str() {
                        "Put" => self.key_of(&table(part), &part["Item"]),
                        _ => keyed(part),
                    };
                    (table(part), key, true)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Intercept for WriteLog {
    fn name(&self) -> &'static str {
        "WriteLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let body = context.request().body().bytes().unwrap_or_default();
        let Ok(request) = serde_json::from_slice::<Json>(body) else {
            return Ok(());
        };
        let items = self.items(metadata.name(), &request);
        let mut writes = self.writes.lock().expect("no panic while holding the lock");
        for (table, key, transactional) in items {
            writes.push(Write {
                function: self.function,
                table,
                key,
                transactional,
            });
        }
        let excess = writes.len().saturating_sub(MAX_HELD);
        writes.drain(..excess);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log() -> WriteLog {
        WriteLog::new(
            "IngestFunction",
            Arc::new(HashMap::from([
                ("reg".to_owned(), vec!["pk".to_owned(), "sk".to_owned()]),
                ("rec".to_owned(), vec!["i".to_owned(), "t".to_owned()]),
            ])),
            Writes::default(),
        )
    }

    #[test]
    fn a_put_is_keyed_by_the_key_attributes_of_its_item() {
        let items = log().items(
            "PutItem",
            &json!({"TableName": "rec", "Item": {"i": {"S": "a"}, "t": {"N": "1"}, "v": {"B": "AA=="}}}),
        );
        assert_eq!(
            items,
            vec![(
                "rec".to_owned(),
                ItemKey::from([
                    ("i".into(), json!({"S": "a"})),
                    ("t".into(), json!({"N": "1"}))
                ]),
                false
            )]
        );
    }

    #[test]
    fn every_part_of_a_transaction_is_a_transactional_write() {
        let items = log().items(
            "TransactWriteItems",
            &json!({"TransactItems": [
                {"Update": {"TableName": "reg", "Key": {"pk": {"S": "A"}, "sk": {"S": "APP"}}}},
                {"Put": {"TableName": "reg", "Item": {"pk": {"S": "A"}, "sk": {"S": "I"}, "x": {"N": "1"}}}},
                {"ConditionCheck": {"TableName": "reg", "Key": {"pk": {"S": "B"}, "sk": {"S": "B"}}}}
            ]}),
        );
        assert_eq!(items.len(), 3);
        assert!(items
            .iter()
            .all(|(table, key, transactional)| table == "reg" && key.len() == 2 && *transactional));
    }

    #[test]
    fn reads_are_not_writes() {
        assert!(log()
            .items(
                "GetItem",
                &json!({"TableName": "reg", "Key": {"pk": {"S": "A"}}})
            )
            .is_empty());
    }
}
