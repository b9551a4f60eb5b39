//! Rules for input fields that several use cases share.

use serde::{Deserialize, Deserializer};

use super::Refused;

/// A display name: `name`, or `fallback` when left out; 1 to 100 printable characters.
pub fn display_name(name: Option<String>, fallback: &str) -> Result<String, Refused> {
    let name = name.unwrap_or_else(|| fallback.to_owned());
    if name.trim().is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Refused::invalid(
            "`name` must be 1 to 100 printable characters",
        ));
    }
    Ok(name)
}

/// `Some(None)` for a field sent as `null`, `None` for one left out.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}
