//! Adapters: the ports of [`crate::ports`] implemented on AWS services.

pub mod aws;
pub mod dynamodb;
pub mod iot;
pub mod ses;
pub mod sqs;
pub mod ssm;
