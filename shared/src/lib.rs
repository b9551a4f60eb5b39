//! fieldcloud's shared crate: the domain (pure, see [`domain`]), the ports the Lambda
//! handlers depend on ([`ports`]), the adapters that implement them on AWS
//! ([`adapters`]) and in memory ([`memory`]), and [`calculation`], the part of channel
//! math that two handlers share.

#[cfg(feature = "aws")]
pub mod adapters;
pub mod calculation;
#[cfg(any(test, feature = "contract"))]
pub mod contract;
pub mod domain;
pub mod memory;
pub mod ports;
pub mod usecases;

#[cfg(test)]
mod docs;
