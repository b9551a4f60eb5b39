//! fieldcloud's shared crate: the domain (pure, see [`domain`]), the ports the Lambda
//! handlers depend on ([`ports`]) and the adapters that implement them on AWS
//! ([`adapters`]).

pub mod adapters;
pub mod domain;
pub mod ports;
