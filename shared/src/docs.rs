//! The figures of `docs/` are the code's: each test here fails when a constant changes
//! and the page a client programmer reads does not.

use crate::domain::ids::{
    AccountId, AlarmId, AppId, CalcId, ChannelName, GroupId, IdError, InstrumentSerial, TeamId,
    UserId,
};
use crate::domain::iot_thing::Stack;
use crate::domain::latest::LATEST_LOOKBACK;
use crate::domain::plan::{Limits, Plan};
use crate::domain::presence::{
    CONNECTED_WITHIN_MILLIS, LAST_SEEN_RESOLUTION_MILLIS, RECORDS_SHOW_PRESENCE_MILLIS,
};
use crate::domain::protocol::{EARLIEST_RECORD, MAX_FUTURE_SKEW_MILLIS, MAX_PAYLOAD_BYTES};
use crate::domain::registry::TRIAL_DAYS;

const API: &str = include_str!("../../docs/api.md");
const PRODUCT: &str = include_str!("../../docs/product.md");

fn assert_says(doc: &str, name: &str, text: &str) {
    assert!(doc.contains(text), "docs/{name} should say `{text}`");
}

#[test]
fn docs_api_gives_each_id_rule_as_the_code_checks_it() {
    let rule = |refused: Result<(), IdError>| refused.expect_err("empty is refused").rule;
    let rows = [
        ("account ID", rule(AccountId::parse("").map(drop))),
        ("measurement group ID", rule(GroupId::parse("").map(drop))),
        ("team ID", rule(TeamId::parse("").map(drop))),
        ("user ID", rule(UserId::parse("").map(drop))),
        ("calculated channel ID", rule(CalcId::parse("").map(drop))),
        ("alarm ID", rule(AlarmId::parse("").map(drop))),
        ("app ID", rule(AppId::parse("").map(drop))),
        (
            "instrument serial",
            rule(InstrumentSerial::parse("").map(drop)),
        ),
        ("channel name", rule(ChannelName::parse("").map(drop))),
    ];
    for (label, rule) in rows {
        let row = API
            .lines()
            .find(|line| line.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("docs/api.md has no row for {label}"));
        assert!(row.ends_with(&format!("| {rule} |")), "{label}: `{row}`");
    }
    assert_says(
        API,
        "api.md",
        &format!("up to {} letters, digits and `-`", Stack::MAX_CHARS - 1),
    );
}

#[test]
fn docs_api_gives_the_device_protocol_limits() {
    assert_says(
        API,
        "api.md",
        &format!("Payload limit: {MAX_PAYLOAD_BYTES} bytes"),
    );
    assert_says(API, "api.md", &format!("from {} (", EARLIEST_RECORD.0));
    assert_says(API, "api.md", &format!("to {MAX_FUTURE_SKEW_MILLIS} ms"));
    assert_says(
        API,
        "api.md",
        &format!("within the last {CONNECTED_WITHIN_MILLIS} ms"),
    );
}

#[test]
fn docs_api_says_where_latest_values_come_from() {
    assert_says(
        API,
        "api.md",
        &format!("within {RECORDS_SHOW_PRESENCE_MILLIS} ms of its arrival"),
    );
    assert_says(
        API,
        "api.md",
        &format!("only once every\n  {LAST_SEEN_RESOLUTION_MILLIS} ms"),
    );
    assert_says(
        API,
        "api.md",
        &format!("beyond {RECORDS_SHOW_PRESENCE_MILLIS} ms ahead"),
    );
    assert_says(
        API,
        "api.md",
        &format!("newest {LATEST_LOOKBACK} records: the value"),
    );
}

#[test]
fn docs_product_plan_table_is_the_plans_of_the_code() {
    // Naming every field makes a new limit fail to compile here until it is documented.
    let cell = |limits: Limits, row: &str| -> String {
        let Limits {
            storage_bytes,
            apps,
            users,
            teams,
            groups,
            data_alarms_per_group,
            calculated_channels_per_group,
            dashboards_per_group,
            channels_per_instrument,
            channels_per_direct_logger,
            instruments_per_app,
            report_templates_per_group,
            shared_app_documents_each,
            shared_equipment_lists,
            web_api_tokens,
            ip_allow_list,
            alternate_login_id,
            import_from_files,
            own_logo,
        } = limits;
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        match row {
            "cloud storage" if storage_bytes % 1_000_000_000 == 0 => {
                format!("{} GB", storage_bytes / 1_000_000_000)
            }
            "cloud storage" => format!("{} MB", storage_bytes / 1_000_000),
            "registered apps" => apps.to_string(),
            "users" => users.to_string(),
            "teams" => teams.to_string(),
            "measurement groups" => groups.to_string(),
            "data alarms per group" => data_alarms_per_group.to_string(),
            "calculated channels per group" => calculated_channels_per_group.to_string(),
            "dashboards per group" => dashboards_per_group.to_string(),
            "acquired channels per instrument" => channels_per_instrument.to_string(),
            "acquired channels of a direct-connected logger" => {
                channels_per_direct_logger.map_or_else(|| "–".to_string(), |n| n.to_string())
            }
            "instruments per app" => instruments_per_app.to_string(),
            "auto-report templates per group" => report_templates_per_group.to_string(),
            "shared app documents, of each kind" => shared_app_documents_each.to_string(),
            "shared equipment lists" => shared_equipment_lists.to_string(),
            "Web API tokens" => yes_no(web_api_tokens),
            "IP address allow-list" => yes_no(ip_allow_list),
            "alternate login account ID" => yes_no(alternate_login_id),
            "import measurement values from files" => yes_no(import_from_files),
            "own logo" => yes_no(own_logo),
            other => panic!("docs/product.md has a plan row the code lacks: {other}"),
        }
    };
    let header = "| limit | Trial | Free | Standard | Pro |\n|---|---|---|---|---|\n";
    let table = PRODUCT
        .split_once(header)
        .expect("docs/product.md has the plan table")
        .1
        .lines()
        .take_while(|line| line.starts_with('|'))
        .collect::<Vec<_>>();
    assert_eq!(table.len(), 19, "one row per limit of the code");
    for line in table {
        let label = line
            .trim_start_matches("| ")
            .split(" |")
            .next()
            .expect("a row starts with its label");
        let cells: Vec<String> = Plan::ALL.iter().map(|p| cell(p.limits(), label)).collect();
        assert_eq!(line, format!("| {label} | {} |", cells.join(" | ")));
    }
    assert_says(
        PRODUCT,
        "product.md",
        &format!("it ends {TRIAL_DAYS} days after"),
    );
}
