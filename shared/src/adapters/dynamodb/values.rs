//! Attribute values by hand: the keys, conditions and updates of requests, and the few
//! attributes read outside an item struct (a sort key, to tell kinds apart or to page
//! on). Whole items are item structs (see `store::ItemKind`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::ports::StoreError;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn missing(name: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "attribute `{name}` is missing or of the wrong type"
    ))
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(missing(name)),
    }
}

/// Parses a stored identifier, treating a bad one as corruption (it was validated on
/// the way in).
pub fn parse_id<T, E: std::fmt::Display>(
    parse: impl FnOnce(String) -> Result<T, E>,
    value: &str,
) -> Result<T, StoreError> {
    parse(value.to_owned()).map_err(|e| StoreError::Corrupt(e.to_string()))
}
