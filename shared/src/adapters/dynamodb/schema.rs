//! The key attributes the adapters rely on. `template.yaml` declares the same, and a
//! test in the local cloud fails if the two drift apart.

/// Registry table key: partition `pk`, sort `sk`.
pub const REGISTRY_KEY: [&str; 2] = ["pk", "sk"];
/// The GSI listing a measurement group's apps and instruments.
pub const BY_GROUP_INDEX: &str = "byGroup";
/// Key of [`BY_GROUP_INDEX`]: partition `gpk`, sort `gsk`.
pub const BY_GROUP_KEY: [&str; 2] = ["gpk", "gsk"];
/// Records table key: partition `i` (instrument key, string), sort `t` (milliseconds).
pub const RECORDS_KEY: [&str; 2] = ["i", "t"];
/// The registry's Time to Live attribute (epoch seconds) on short-lived items.
pub const TTL_ATTRIBUTE: &str = "ttl";
/// The records table's Time to Live attribute (epoch seconds) on records, when they
/// expire once compacted.
pub const RECORD_EXPIRY_ATTRIBUTE: &str = "e";
