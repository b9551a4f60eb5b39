//! The [`MailedCodes`] port.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::record::Millis;

/// Open second steps: mailed codes (or an authenticator's) and the codes tried on them.
#[async_trait]
pub trait MailedCodes: Send + Sync {
    /// Opens a second step under `purpose` until `expires` — with the hash of a mailed
    /// code, or none for an authenticator's — replacing an earlier one for the purpose.
    async fn create_mailed_code(
        &self,
        purpose: &str,
        hash: Option<&str>,
        expires: Millis,
    ) -> Result<(), StoreError>;
    /// Counts one code tried on the second step `purpose`: `false` when it has ended or
    /// `limit` codes were tried already. Counted atomically, so parallel guesses cannot
    /// get past it.
    async fn count_attempt(
        &self,
        purpose: &str,
        limit: u32,
        now: Millis,
    ) -> Result<bool, StoreError>;
    /// Spends the code for `purpose` if its hash is `hash` and it has not expired at
    /// `now`: `true` for the one caller that did.
    async fn take_mailed_code(
        &self,
        purpose: &str,
        hash: &str,
        now: Millis,
    ) -> Result<bool, StoreError>;
}
