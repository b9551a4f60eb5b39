//! The history bucket in S3: the bytes of chunks too big for a one-write-unit item
//! ([`super::dynamodb::DynamoRecords`] keeps the item, pointing here; only its chunks
//! ever put an object here, under their record key, which starts with the account). Objects are written
//! once under a key no other version shares and deleted once no item points at them, so
//! none is ever overwritten.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use super::s3::get_if_present;

use crate::ports::StoreError;

#[derive(Debug, Clone)]
pub struct HistoryBucket {
    client: aws_sdk_s3::Client,
    bucket: String,
}

fn unavailable(error: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(format!("S3 history: {}", DisplayErrorContext(error)))
}

impl HistoryBucket {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        HistoryBucket {
            client,
            bucket: bucket.into(),
        }
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The object's bytes; `None` when S3 answers that there is none (404: the functions
    /// that read may list the bucket, without which S3 would answer 403, which stays a
    /// refusal). The reader's answer to `None` is to read the item again (a newer
    /// version may have replaced it meanwhile; see `dynamodb/chunks.rs`).
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(output) = get_if_present(&self.client, &self.bucket, key)
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        let bytes = output.body.collect().await.map_err(unavailable)?;
        Ok(Some(bytes.to_vec()))
    }

    /// Deletes the object; deleting one already gone succeeds, so a redelivered stream
    /// batch deletes again harmlessly.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
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
