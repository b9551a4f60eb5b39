//! The files bucket in S3: uploads signed for clients to make themselves, objects read
//! through for their digest, deleted.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
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

/// The object at `key` of `bucket`; `None` when S3 answers that there is none (a 404,
/// which it gives only to a caller allowed to list the bucket: otherwise a 403, which
/// stays an error).
pub(super) async fn get_if_present(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Option<GetObjectOutput>, SdkError<GetObjectError>> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(output) => Ok(Some(output)),
        Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

fn unavailable(error: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(format!("S3: {}", DisplayErrorContext(error)))
}

fn presigning(valid_seconds: u64) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(Duration::from_secs(valid_seconds))
        .map_err(|e| StoreError::Unavailable(format!("S3 presigning: {e}")))
}

fn signed(method: &'static str, presigned: &PresignedRequest) -> SignedRequest {
    SignedRequest {
        method,
        url: presigned.uri().to_owned(),
        headers: presigned
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
    }
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
        // The length and type are signed: S3 refuses a body of another size or type.
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .content_type(content_type)
            // Once: a replay of the URL cannot replace what arrived (S3 answers 412).
            .if_none_match("*")
            .presigned(presigning(valid_seconds)?)
            .await
            .map_err(unavailable)?;
        Ok(signed("PUT", &presigned))
    }

    async fn sign_get(
        &self,
        key: &str,
        disposition: &str,
        valid_seconds: u64,
    ) -> Result<SignedRequest, StoreError> {
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(disposition)
            .presigned(presigning(valid_seconds)?)
            .await
            .map_err(unavailable)?;
        Ok(signed("GET", &presigned))
    }

    async fn start_multipart(&self, key: &str, content_type: &str) -> Result<String, StoreError> {
        let started = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(unavailable)?;
        started
            .upload_id
            .ok_or_else(|| StoreError::Unavailable("S3 started an upload with no ID".into()))
    }

    async fn sign_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        size: u64,
        valid_seconds: u64,
    ) -> Result<SignedRequest, StoreError> {
        let presigned = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(i32::try_from(number).unwrap_or(i32::MAX))
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .presigned(presigning(valid_seconds)?)
            .await
            .map_err(unavailable)?;
        Ok(signed("PUT", &presigned))
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<bool, StoreError> {
        let parts = parts
            .iter()
            .map(|(number, etag)| {
                CompletedPart::builder()
                    .part_number(i32::try_from(*number).unwrap_or(i32::MAX))
                    .e_tag(etag)
                    .build()
            })
            .collect();
        let completed = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .if_none_match("*")
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        match completed {
            Ok(_) => Ok(true),
            // What the client's parts are answerable for, as opposed to S3 being away.
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err().meta().code(),
                    Some(
                        "InvalidPart"
                            | "InvalidPartOrder"
                            | "EntityTooSmall"
                            | "NoSuchUpload"
                            | "PreconditionFailed"
                    )
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, StoreError> {
        let uploaded = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(i32::try_from(number).unwrap_or(i32::MAX))
            .body(bytes.into())
            .send()
            .await
            .map_err(unavailable)?;
        uploaded
            .e_tag
            .ok_or_else(|| StoreError::Unavailable("S3 stored a part with no ETag".into()))
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), StoreError> {
        let aborted = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await;
        match aborted {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().meta().code() == Some("NoSuchUpload") => {
                Ok(())
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn digest(&self, key: &str) -> Result<Option<ObjectDigest>, StoreError> {
        let Some(output) = get_if_present(&self.client, &self.bucket, key)
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
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

    async fn read_range(
        &self,
        key: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let last = offset + length.max(1) - 1;
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={offset}-{last}"))
            .send()
            .await
        {
            Ok(output) => output,
            Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
                return Ok(None)
            }
            // A range that starts at or past the end: nothing is left to read.
            Err(SdkError::ServiceError(e)) if e.err().meta().code() == Some("InvalidRange") => {
                return Ok(Some(Vec::new()))
            }
            Err(error) => return Err(unavailable(error)),
        };
        let bytes = output.body.collect().await.map_err(unavailable)?;
        Ok(Some(bytes.to_vec()))
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
