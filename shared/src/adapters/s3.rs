//! The files bucket in S3: uploads signed for clients to make themselves, objects read
//! through for their digest, deleted.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use sha2::{Digest, Sha256};

use crate::ports::{Bucket, ObjectDigest, SignedRequest, StoreError};

#[derive(Debug, Clone)]
pub struct S3Bucket {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Bucket {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        S3Bucket {
            client,
            bucket: bucket.into(),
        }
    }
}

fn unavailable(error: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(format!("S3: {}", DisplayErrorContext(error)))
}

#[async_trait]
impl Bucket for S3Bucket {
    fn name(&self) -> &str {
        &self.bucket
    }

    async fn sign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        valid_seconds: u64,
    ) -> Result<SignedRequest, StoreError> {
        let config = PresigningConfig::expires_in(Duration::from_secs(valid_seconds))
            .map_err(|e| StoreError::Unavailable(format!("S3 presigning: {e}")))?;
        // The length and type are signed: S3 refuses a body of another size or type.
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(unavailable)?;
        Ok(SignedRequest {
            method: "PUT",
            url: presigned.uri().to_owned(),
            headers: presigned
                .headers()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        })
    }

    async fn digest(&self, key: &str) -> Result<Option<ObjectDigest>, StoreError> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
                return Ok(None)
            }
            Err(error) => return Err(unavailable(error)),
        };
        // Chunk by chunk: a 100 MB file is never in memory whole.
        let mut body = output.body;
        let (mut hash, mut size) = (Sha256::new(), 0u64);
        while let Some(chunk) = body.try_next().await.map_err(unavailable)? {
            size += chunk.len() as u64;
            hash.update(&chunk);
        }
        let sha256 = hash
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(Some(ObjectDigest { size, sha256 }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
