//! Adapters: the ports of [`crate::ports`] implemented on AWS services.

pub mod context;
pub mod dynamodb;
pub mod history_bucket;
pub mod iot;
pub mod s3;
pub mod ses;
pub mod sqs;
pub mod ssm;
pub mod webhooks;
