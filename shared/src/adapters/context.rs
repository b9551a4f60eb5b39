//! What a function builds once per cold start from its environment: the SDK
//! configuration, the stack it belongs to and the two tables every function works on
//! (with the bucket of the records table's big chunks), with the other clients built
//! from it on demand. A misconfigured function fails at start, naming the variable, not
//! at its first event.

use aws_config::BehaviorVersion;

use super::dynamodb::{DynamoRecords, DynamoStore};
use super::history_bucket::HistoryBucket;
use super::iot::IotThings;
use super::s3::S3Bucket;
use super::ses::SesMailer;
use super::sqs::{SqsDataJobQueue, SqsJobQueue, SqsNotifyQueue};
use super::ssm;
use crate::domain::iot_thing::Stack;
use crate::domain::token::TokenKey;

/// A function's context: build it with [`Ctx::from_env`] in `main`, before serving.
pub struct Ctx {
    /// From the environment: `AWS_ENDPOINT_URL` points every client at a local emulator.
    pub config: aws_config::SdkConfig,
    /// `STACK_NAME` (the template sets it to `AWS::StackName`): the prefix of its apps'
    /// IoT thing names.
    pub stack: Stack,
    /// `REGISTRY_TABLE`: every port but the records.
    pub store: DynamoStore,
    /// `RECORDS_TABLE`, with `HISTORY_BUCKET` for the bytes of its big chunks.
    pub records: DynamoRecords,
}

impl Ctx {
    pub async fn from_env() -> Result<Ctx, String> {
        let stack = Stack::parse(&required_env("STACK_NAME")?)?;
        let (registry, records, history) = (
            required_env("REGISTRY_TABLE")?,
            required_env("RECORDS_TABLE")?,
            required_env("HISTORY_BUCKET")?,
        );
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        Ok(Ctx {
            store: DynamoStore::new(dynamodb.clone(), registry),
            records: DynamoRecords::new(
                dynamodb,
                records,
                HistoryBucket::new(aws_sdk_s3::Client::new(&config), history),
            ),
            stack,
            config,
        })
    }

    /// The queue of calculated channels' recompute steps (`RECOMPUTE_QUEUE_URL`).
    pub fn recompute_queue(&self) -> Result<SqsJobQueue, String> {
        let url = required_env("RECOMPUTE_QUEUE_URL")?;
        Ok(SqsJobQueue::new(
            aws_sdk_sqs::Client::new(&self.config),
            url,
        ))
    }

    /// The queue of exports and imports (`JOBS_QUEUE_URL`).
    pub fn jobs_queue(&self) -> Result<SqsDataJobQueue, String> {
        let url = required_env("JOBS_QUEUE_URL")?;
        Ok(SqsDataJobQueue::new(
            aws_sdk_sqs::Client::new(&self.config),
            url,
        ))
    }

    /// The files bucket (`FILES_BUCKET`).
    pub fn files_bucket(&self) -> Result<S3Bucket, String> {
        let bucket = required_env("FILES_BUCKET")?;
        Ok(S3Bucket::new(aws_sdk_s3::Client::new(&self.config), bucket))
    }

    /// The queue of notifications to deliver (`NOTIFY_QUEUE_URL`).
    pub fn notify_queue(&self) -> Result<SqsNotifyQueue, String> {
        let url = required_env("NOTIFY_QUEUE_URL")?;
        Ok(SqsNotifyQueue::new(
            aws_sdk_sqs::Client::new(&self.config),
            url,
        ))
    }

    /// Mail from the SES-verified address `MAIL_FROM`.
    pub fn mailer(&self) -> Result<SesMailer, String> {
        let from = required_env("MAIL_FROM")?;
        Ok(SesMailer::new(
            aws_sdk_sesv2::Client::new(&self.config),
            from,
        ))
    }

    /// Apps' things and certificates in IoT Core, each given the policy
    /// `APP_POLICY_NAME`. No call to IoT Core here: its data endpoint is asked when an app
    /// is first registered.
    pub fn things(&self) -> Result<IotThings, String> {
        let policy = required_env("APP_POLICY_NAME")?;
        Ok(IotThings::new(
            aws_sdk_iot::Client::new(&self.config),
            policy,
        ))
    }

    /// The key that signs API tokens (see [`ssm::token_key`]): the one remote call a
    /// function makes at start.
    pub async fn token_key(&self) -> Result<TokenKey, String> {
        TokenKey::new(ssm::token_key(&self.config).await?)
    }
}

/// Reads a required environment variable, naming it when missing.
pub fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}
