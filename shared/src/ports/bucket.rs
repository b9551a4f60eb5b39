//! The [`Bucket`] port.

use async_trait::async_trait;
use schemars::JsonSchema;

use super::StoreError;

/// A request a client makes itself, signed by the cloud: a URL and the headers it must
/// send as they are (they are part of the signature).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, JsonSchema)]
pub struct SignedRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// What an object holds, read through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDigest {
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// The files bucket.
#[async_trait]
pub trait Bucket: Send + Sync {
    /// Its name, as S3's events give it.
    fn name(&self) -> &str;
    /// A PUT of exactly `size` bytes of `content_type` to `key`, valid `valid_seconds`,
    /// taken only while nothing is at `key`.
    async fn sign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        valid_seconds: u64,
    ) -> Result<SignedRequest, StoreError>;
    /// A GET of the object at `key`, answered with `disposition` as its
    /// `Content-Disposition`, valid `valid_seconds`.
    async fn sign_get(
        &self,
        key: &str,
        disposition: &str,
        valid_seconds: u64,
    ) -> Result<SignedRequest, StoreError>;
    /// Starts an upload in parts of an object of `content_type` at `key`: its ID.
    async fn start_multipart(&self, key: &str, content_type: &str) -> Result<String, StoreError>;
    /// A PUT of part `number` of upload `upload_id`, exactly `size` bytes long.
    async fn sign_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        size: u64,
        valid_seconds: u64,
    ) -> Result<SignedRequest, StoreError>;
    /// Completes upload `upload_id` of its `parts` (number and ETag, in order): the
    /// object is there, and S3 reports it. `Ok(false)` if S3 refused the parts (one
    /// missing, too small or not as its ETag says), or knows no such upload.
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<bool, StoreError>;
    /// Uploads `bytes` as part `number` of upload `upload_id` (the cloud's own
    /// uploads: exports); the part's ETag, for completing it.
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, StoreError>;
    /// Drops upload `upload_id` and the parts it has (none there is fine).
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), StoreError>;
    /// The size and SHA-256 of the object at `key`, read in bounded memory; none if
    /// there is no such object.
    async fn digest(&self, key: &str) -> Result<Option<ObjectDigest>, StoreError>;
    /// Bytes `offset` to `offset + length` (fewer at its end) of the object at `key`;
    /// none if there is no such object.
    async fn read_range(
        &self,
        key: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes the object at `key` (none there is fine).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}
