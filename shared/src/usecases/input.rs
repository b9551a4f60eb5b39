//! Rules for input fields that several use cases share.

use super::Refused;
use crate::domain::text::invisible;

/// A display name: `name`, or `fallback` when left out; 1 to 100 printable characters,
/// none invisible (names reach other people's screens and mails).
pub fn display_name(name: Option<String>, fallback: &str) -> Result<String, Refused> {
    let name = name.unwrap_or_else(|| fallback.to_owned());
    if name.trim().is_empty()
        || name.chars().count() > 100
        || name.chars().any(|c| c.is_control() || invisible(c))
    {
        return Err(Refused::invalid(
            "`name` must be 1 to 100 printable characters, none of them invisible",
        ));
    }
    Ok(name)
}

/// For a field of a body where `null` means something: `Some(None)` for a field sent as
/// `null`, `None` for one left out (with `#[serde(default, deserialize_with = …)]`).
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
