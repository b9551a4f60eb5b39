//! fieldcloud's shared crate: the domain (pure, see [`domain`]), the ports the Lambda
//! handlers depend on ([`ports`]), the adapters that implement them on AWS
//! ([`adapters`]) and in memory ([`memory`]), and [`usecases`], what the functions do.

#[cfg(feature = "aws")]
pub mod adapters;
#[cfg(any(test, feature = "contract"))]
pub mod contract;
pub mod domain;
pub mod memory;
pub mod ports;
pub mod usecases;

#[cfg(test)]
mod docs;
