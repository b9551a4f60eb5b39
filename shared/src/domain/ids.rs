//! Identifier newtypes. Each validates on construction, so code holding one never
//! re-checks it, and a bad identifier is refused at the edge with a message that says
//! what is allowed.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} `{value}` is invalid: {rule}")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
    pub rule: &'static str,
}

fn check(
    kind: &'static str,
    value: &str,
    max_len: usize,
    rule: &'static str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), IdError> {
    if value.is_empty() || value.len() > max_len || !value.chars().all(allowed) {
        return Err(IdError {
            kind,
            value: value.chars().take(80).collect(),
            rule,
        });
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal, $rule:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                check($kind, &value, $max, $rule, $allowed)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The longest value allowed, in bytes.
            pub const MAX_BYTES: usize = $max;
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn is_slug_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

id_type!(
    /// An account: the tenant.
    // Every stored key that holds tenant data starts with it.
    AccountId,
    "account ID",
    32,
    "use 1 to 32 characters a-z, 0-9 and -",
    is_slug_char
);

id_type!(
    /// A measurement group inside an account.
    GroupId,
    "measurement group ID",
    32,
    "use 1 to 32 characters a-z, 0-9 and -",
    is_slug_char
);

id_type!(
    /// A team of users inside an account; groups can be granted to it.
    TeamId,
    "team ID",
    32,
    "use 1 to 32 characters a-z, 0-9 and -",
    is_slug_char
);

id_type!(
    /// A user within an account (login is account ID + user ID + password).
    UserId,
    "user ID",
    64,
    "use 1 to 64 characters a-z, 0-9, ., _ and -",
    |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
);

id_type!(
    /// A calculated channel of a measurement group; made by the cloud, stable across
    /// renames and edits of the expression.
    CalcId,
    "calculated channel ID",
    32,
    "use 1 to 32 characters a-z, 0-9 and -",
    is_slug_char
);

impl CalcId {
    /// A new ID from random bits (the caller supplies the randomness): 48 of them, as 12
    /// hex digits.
    pub fn from_random(bits: u64) -> CalcId {
        CalcId::parse(format!("{:012x}", bits >> 16)).expect("hex digits form a valid ID")
    }
}

id_type!(
    /// A data alarm of a measurement group; made by the cloud, stable across edits.
    AlarmId,
    "alarm ID",
    32,
    "use 1 to 32 characters a-z, 0-9 and -",
    is_slug_char
);

impl AlarmId {
    /// A new ID from random bits (the caller supplies the randomness): 48 of them, as 12
    /// hex digits.
    pub fn from_random(bits: u64) -> AlarmId {
        AlarmId::parse(format!("{:012x}", bits >> 16)).expect("hex digits form a valid ID")
    }
}

id_type!(
    /// A file alarm of a measurement group (a rule on uploaded files); made by the
    /// cloud, stable across edits.
    FileAlarmId,
    "file alarm ID",
    32,
    "use 1 to 32 characters a-z, 0-9 and -",
    is_slug_char
);

impl FileAlarmId {
    /// A new ID from random bits (the caller supplies the randomness): 48 of them, as 12
    /// hex digits.
    pub fn from_random(bits: u64) -> FileAlarmId {
        FileAlarmId::parse(format!("{:012x}", bits >> 16)).expect("hex digits form a valid ID")
    }
}

id_type!(
    /// A file's ID in the drive: drawn at random when its upload is handed out, never
    /// chosen by the client, so its place in the bucket cannot be another's.
    FileId,
    "file ID",
    24,
    "use the 24 hex digits of a file's `id`",
    |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c)
);

impl FileId {
    /// A new ID from random bits (the caller supplies the randomness): 96 of them.
    pub fn from_random(bits: u128) -> FileId {
        FileId::parse(format!("{:024x}", bits >> 32)).expect("hex digits form a valid ID")
    }
}

id_type!(
    /// An export's or import's ID: drawn at random when it is asked for.
    JobId,
    "job ID",
    24,
    "use the 24 hex digits of an export's or import's `id`",
    |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c)
);

impl JobId {
    /// A new ID from random bits (the caller supplies the randomness): 96 of them.
    pub fn from_random(bits: u128) -> JobId {
        JobId::parse(format!("{:024x}", bits >> 32)).expect("hex digits form a valid ID")
    }
}

id_type!(
    /// An app's ID (gateway software, or a logger connected directly), unique within its
    /// account.
    // Its IoT thing is named `{stack}:{account}:{app ID}` (see `super::iot_thing`), the
    // only thing about a device message the cloud trusts, because IoT Core binds it to
    // the app's certificate.
    AppId,
    "app ID",
    64,
    "use 1 to 64 characters A-Z, a-z, 0-9, :, _ and -",
    |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')
);

id_type!(
    /// An instrument's serial number as its app reports it; unique within the app.
    InstrumentSerial,
    "instrument serial",
    64,
    "use 1 to 64 characters A-Z, a-z, 0-9, ., _ and -",
    |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
);

id_type!(
    /// A channel name as the instrument reports it and users see it (`CH1-1`, `U1`,
    /// `炉温`). `/`, `[` and `]` are reserved: they delimit channel references.
    ChannelName,
    "channel name",
    64,
    "use 1 to 64 bytes of printable characters other than /, [ and ]",
    |c: char| !c.is_control() && !matches!(c, '/' | '[' | ']')
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_what_their_rule_forbids() {
        assert!(AccountId::parse("acme-1").is_ok());
        assert!(AccountId::parse("Acme").is_err());
        assert!(AccountId::parse("").is_err());
        assert!(AppId::parse("gw:plant_1-a").is_ok());
        assert!(AppId::parse("gw/1").is_err());
        assert!(InstrumentSerial::parse("LR8450.001").is_ok());
        assert!(InstrumentSerial::parse("a".repeat(65)).is_err());
        assert!(ChannelName::parse("炉温 1").is_ok());
        assert!(ChannelName::parse("CH[1]").is_err());
        assert!(ChannelName::parse("a\u{7}").is_err());
    }

    #[test]
    fn error_names_the_kind_and_the_rule() {
        let err = GroupId::parse("Bad Group").unwrap_err();
        assert_eq!(
            err.to_string(),
            "measurement group ID `Bad Group` is invalid: use 1 to 32 characters a-z, 0-9 and -"
        );
    }
}
