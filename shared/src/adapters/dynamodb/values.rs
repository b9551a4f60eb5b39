//! Reading typed values out of DynamoDB items, with errors that name the attribute.

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

/// A string attribute that may be absent.
pub fn get_opt_s<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, StoreError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        Some(_) => Err(missing(name)),
    }
}

pub fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<Option<T>, StoreError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(value)) => value.parse().map(Some).map_err(|_| missing(name)),
        Some(_) => Err(missing(name)),
    }
}

pub fn get_b<'a>(item: &'a Item, name: &str) -> Result<Option<&'a [u8]>, StoreError> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::B(value)) => Ok(Some(value.as_ref())),
        Some(_) => Err(missing(name)),
    }
}

pub fn get_bool(item: &Item, name: &str) -> Result<bool, StoreError> {
    match item.get(name) {
        Some(AttributeValue::Bool(value)) => Ok(*value),
        _ => Err(missing(name)),
    }
}

pub fn get_strings(item: &Item, name: &str) -> Result<Vec<String>, StoreError> {
    match item.get(name) {
        None => Ok(Vec::new()),
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::S(s) => Ok(s.clone()),
                _ => Err(missing(name)),
            })
            .collect(),
        Some(_) => Err(missing(name)),
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
