//! Pending Trial sign-ups, in the registry table.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::store::{to_item, ttl, DynamoStore, ItemKind};
use crate::domain::auth::Signup;
use crate::domain::record::Millis;
use crate::ports::{Signups, StoreError};

/// A pending Trial sign-up's item, under the hash of its link's secret.
#[derive(Debug, Serialize, Deserialize)]
struct SignupItem {
    pk: String,
    sk: String,
    email: String,
    #[serde(rename = "passwordHash")]
    password_hash: String,
    #[serde(default)]
    expires: i64,
    #[serde(skip_deserializing)]
    ttl: i64,
}

impl ItemKind for SignupItem {
    const KIND: &'static str = "sign-up";
}

impl SignupItem {
    fn new(hash: &str, signup: &Signup) -> Self {
        SignupItem {
            pk: signup_pk(hash),
            sk: SIGNUP_SK.to_owned(),
            email: signup.email.clone(),
            password_hash: signup.password_hash.clone(),
            expires: signup.expires.0,
            ttl: ttl(signup.expires),
        }
    }
}

impl From<SignupItem> for Signup {
    fn from(item: SignupItem) -> Self {
        Signup {
            email: item.email,
            password_hash: item.password_hash,
            expires: Millis(item.expires),
        }
    }
}

#[async_trait]
impl Signups for DynamoStore {
    async fn create_signup(&self, hash: &str, signup: &Signup) -> Result<(), StoreError> {
        self.put(to_item(&SignupItem::new(hash, signup))).await
    }

    async fn signup(&self, hash: &str) -> Result<Option<Signup>, StoreError> {
        let item = self
            .get_as::<SignupItem>(signup_pk(hash), SIGNUP_SK)
            .await?;
        Ok(item.map(Signup::from))
    }

    async fn take_signup(&self, hash: &str) -> Result<bool, StoreError> {
        self.take(signup_pk(hash), SIGNUP_SK).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::dynamodb::store::from_item;
    use crate::adapters::dynamodb::values::{n, s, Item};

    #[test]
    fn a_signup_is_stored_as_before_and_read_back() {
        let signup = Signup {
            email: "ann@example.com".into(),
            password_hash: "$argon2id$hash".into(),
            expires: Millis(1_700_086_400_000),
        };
        let item = to_item(&SignupItem::new("beef", &signup));
        assert_eq!(
            item,
            Item::from([
                ("pk".into(), s("SIGNUP#beef")),
                ("sk".into(), s("SIGNUP")),
                ("email".into(), s("ann@example.com")),
                ("passwordHash".into(), s("$argon2id$hash")),
                ("expires".into(), n(1_700_086_400_000_i64)),
                ("ttl".into(), n(1_700_086_400)),
            ])
        );
        let read = Signup::from(from_item::<SignupItem>(item).unwrap());
        assert_eq!(read, signup);
    }
}
