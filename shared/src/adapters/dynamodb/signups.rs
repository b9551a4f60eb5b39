//! Pending Trial sign-ups, in the registry table.

use async_trait::async_trait;

use super::keys::*;
use super::store::{ttl, DynamoStore};
use super::values::{get_n, get_s, n, s, Item};
use crate::domain::auth::Signup;
use crate::domain::record::Millis;
use crate::ports::{Signups, StoreError};

#[async_trait]
impl Signups for DynamoStore {
    async fn create_signup(&self, hash: &str, signup: &Signup) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(signup_pk(hash))),
            ("sk".into(), s(SIGNUP_SK)),
            ("email".into(), s(&signup.email)),
            ("passwordHash".into(), s(&signup.password_hash)),
            ("expires".into(), n(signup.expires.0)),
            ("ttl".into(), ttl(signup.expires)),
        ]))
        .await
    }

    async fn signup(&self, hash: &str) -> Result<Option<Signup>, StoreError> {
        let Some(item) = self.get(signup_pk(hash), SIGNUP_SK).await? else {
            return Ok(None);
        };
        Ok(Some(Signup {
            email: get_s(&item, "email")?.to_owned(),
            password_hash: get_s(&item, "passwordHash")?.to_owned(),
            expires: Millis(get_n(&item, "expires")?.unwrap_or(0)),
        }))
    }

    async fn take_signup(&self, hash: &str) -> Result<bool, StoreError> {
        self.take(signup_pk(hash), SIGNUP_SK).await
    }
}
