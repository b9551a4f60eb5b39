//! Where an app lives in AWS IoT Core.
//!
//! IoT Core has one namespace of thing names per AWS account and region, shared by every
//! stack deployed there and every tenant of each. An app's thing is therefore named
//! `{stack}:{account}:{app}`: two stacks never touch each other's things, and two
//! accounts may both call an app `gw-1` without learning of each other (a registration
//! never answers "taken by someone else"). The stack's IAM policy is scoped to
//! `thing/{stack}:*`, and the IoT rule only takes topics of its own stack.
//!
//! The account in the name is not trusted for anything: ingest looks the app up by the
//! whole name and takes the account from what registration stored.

use std::fmt;

use super::ids::{AccountId, AppId};

/// A stack's name, the first part of its apps' thing names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack(String);

/// IoT Core's longest thing name.
const MAX_THING_NAME: usize = 128;

impl Stack {
    /// Long enough for any account ID and app ID in a thing name of at most 128
    /// characters (30 + `:` + 32 + `:` + 64).
    pub const MAX_CHARS: usize = MAX_THING_NAME - AccountId::MAX_BYTES - AppId::MAX_BYTES - 2;

    /// A CloudFormation stack name: a letter, then letters, digits and `-`.
    pub fn parse(name: &str) -> Result<Stack, String> {
        let mut chars = name.chars();
        let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !starts_well
            || name.len() > Self::MAX_CHARS
            || !chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!(
                "stack name `{name}` cannot prefix IoT thing names: use a letter, then up to {} letters, digits and -",
                Self::MAX_CHARS - 1
            ));
        }
        Ok(Stack(name.to_owned()))
    }

    /// The thing of `app` of `account` in this stack.
    pub fn thing(&self, account: &AccountId, app: &AppId) -> IotThing {
        IotThing(format!("{}:{account}:{app}", self.0))
    }

    /// The account and app a thing name of this stack names, or `None` for a thing of
    /// another stack or a name that is not an app's.
    pub fn app_of(&self, thing: &str) -> Option<(AccountId, AppId)> {
        let rest = thing.strip_prefix(&self.0)?.strip_prefix(':')?;
        let (account, app) = rest.split_once(':')?;
        Some((AccountId::parse(account).ok()?, AppId::parse(app).ok()?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An app's thing name in IoT Core; also its MQTT client ID and part of its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IotThing(String);

impl IotThing {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IotThing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(account: &str, app: &str) -> (AccountId, AppId) {
        (
            AccountId::parse(account).unwrap(),
            AppId::parse(app).unwrap(),
        )
    }

    #[test]
    fn a_thing_name_carries_stack_account_and_app_and_reads_back() {
        let stack = Stack::parse("fieldcloud-prod").unwrap();
        let (account, app) = ids("acme", "gw:plant:1");
        let thing = stack.thing(&account, &app);
        assert_eq!(thing.as_str(), "fieldcloud-prod:acme:gw:plant:1");
        assert_eq!(stack.app_of(thing.as_str()), Some((account, app)));
    }

    #[test]
    fn things_of_another_stack_or_of_no_app_are_not_ours() {
        let stack = Stack::parse("prod").unwrap();
        assert_eq!(stack.app_of("staging:acme:gw-1"), None);
        assert_eq!(stack.app_of("production:acme:gw-1"), None);
        assert_eq!(stack.app_of("prod:acme"), None);
        assert_eq!(stack.app_of("prod:ACME:gw-1"), None);
        assert_eq!(stack.app_of("prod:acme:"), None);
    }

    #[test]
    fn the_longest_names_fit_iot_cores_limit() {
        let stack = Stack::parse(&format!("a{}", "b".repeat(Stack::MAX_CHARS - 1))).unwrap();
        let (account, app) = ids(&"c".repeat(32), &"d".repeat(64));
        assert_eq!(stack.thing(&account, &app).as_str().len(), MAX_THING_NAME);
        assert!(Stack::parse(&"a".repeat(Stack::MAX_CHARS + 1)).is_err());
        assert!(Stack::parse("1abc").is_err());
        assert!(Stack::parse("my_stack").is_err());
    }
}
