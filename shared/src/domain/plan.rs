//! Plans and their limits, in one place, as data: the table of `docs/product.md` (a test
//! holds the two equal).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An account's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Trial,
    Free,
    Standard,
    Pro,
}

/// What a plan allows. `None` where a limit does not apply (no account exists on a
/// Trial, so there is no direct-connected logger either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub storage_bytes: u64,
    pub apps: u32,
    pub users: u32,
    pub teams: u32,
    pub groups: u32,
    pub data_alarms_per_group: u32,
    pub calculated_channels_per_group: u32,
    pub dashboards_per_group: u32,
    pub channels_per_instrument: u32,
    pub channels_per_direct_logger: Option<u32>,
    pub instruments_per_app: u32,
    pub report_templates_per_group: u32,
    pub shared_app_documents_each: u32,
    pub shared_equipment_lists: u32,
    pub web_api_tokens: bool,
    pub ip_allow_list: bool,
    pub alternate_login_id: bool,
    pub import_from_files: bool,
    pub own_logo: bool,
}

const MB: u64 = 1_000_000;
const GB: u64 = 1_000 * MB;

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Trial, Plan::Free, Plan::Standard, Plan::Pro];

    pub fn limits(self) -> Limits {
        match self {
            Plan::Trial => Limits {
                storage_bytes: 500 * MB,
                apps: 2,
                users: 1,
                teams: 0,
                groups: 1,
                data_alarms_per_group: 1,
                calculated_channels_per_group: 0,
                dashboards_per_group: 0,
                channels_per_instrument: 10,
                channels_per_direct_logger: None,
                instruments_per_app: 1,
                report_templates_per_group: 0,
                shared_app_documents_each: 0,
                shared_equipment_lists: 0,
                web_api_tokens: false,
                ip_allow_list: false,
                alternate_login_id: false,
                import_from_files: false,
                own_logo: false,
            },
            Plan::Free => Limits {
                storage_bytes: 5 * GB,
                apps: 3,
                users: 3,
                teams: 3,
                groups: 1,
                data_alarms_per_group: 3,
                calculated_channels_per_group: 3,
                dashboards_per_group: 1,
                channels_per_instrument: 30,
                channels_per_direct_logger: Some(30),
                instruments_per_app: 3,
                report_templates_per_group: 0,
                shared_app_documents_each: 0,
                shared_equipment_lists: 0,
                web_api_tokens: false,
                ip_allow_list: false,
                alternate_login_id: false,
                import_from_files: false,
                own_logo: true,
            },
            Plan::Standard => Limits {
                storage_bytes: 50 * GB,
                apps: 10,
                users: 10,
                teams: 10,
                groups: 10,
                data_alarms_per_group: 30,
                calculated_channels_per_group: 30,
                dashboards_per_group: 3,
                channels_per_instrument: 30,
                channels_per_direct_logger: Some(150),
                instruments_per_app: 8,
                report_templates_per_group: 3,
                shared_app_documents_each: 30,
                shared_equipment_lists: 3,
                web_api_tokens: false,
                ip_allow_list: false,
                alternate_login_id: false,
                import_from_files: false,
                own_logo: true,
            },
            Plan::Pro => Limits {
                storage_bytes: 500 * GB,
                apps: 100,
                users: 100,
                teams: 100,
                groups: 100,
                data_alarms_per_group: 100,
                calculated_channels_per_group: 100,
                dashboards_per_group: 10,
                channels_per_instrument: 100,
                channels_per_direct_logger: Some(1000),
                instruments_per_app: 8,
                report_templates_per_group: 10,
                shared_app_documents_each: 100,
                shared_equipment_lists: 100,
                web_api_tokens: true,
                ip_allow_list: true,
                alternate_login_id: true,
                import_from_files: true,
                own_logo: true,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Trial => "trial",
            Plan::Free => "free",
            Plan::Standard => "standard",
            Plan::Pro => "pro",
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Plan {
    type Err = String;
    fn from_str(text: &str) -> Result<Plan, String> {
        Plan::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| format!("unknown plan `{text}`; plans are trial, free, standard, pro"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_grow_monotonically_where_spec_says_so() {
        // Every countable limit of a higher plan is at least that of the lower one; a
        // regression here would let a downgrade keep more than the plan allows.
        for pair in Plan::ALL.windows(2) {
            let (low, high) = (pair[0].limits(), pair[1].limits());
            assert!(high.storage_bytes > low.storage_bytes);
            assert!(high.apps >= low.apps && high.users >= low.users);
            assert!(high.groups >= low.groups);
            assert!(high.channels_per_instrument >= low.channels_per_instrument);
            assert!(high.instruments_per_app >= low.instruments_per_app);
        }
    }

    #[test]
    fn plan_names_round_trip() {
        for plan in Plan::ALL {
            assert_eq!(plan.as_str().parse::<Plan>(), Ok(plan));
        }
        assert!("gold".parse::<Plan>().unwrap_err().contains("trial, free"));
    }
}
