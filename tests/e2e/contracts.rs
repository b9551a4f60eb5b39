//! The DynamoDB adapters keep the same contracts as the in-memory ones
//! (`fieldcloud::contract`): one test per contract, each on a local cloud of its own.

use fieldcloud::domain::plan::Plan;

use crate::helpers::spawn;

#[tokio::test]
async fn dynamodb_records_keep_the_record_store_contract() {
    let app = spawn(Plan::Free).await;
    // Under keys of no account: the local cloud's usage function counts, compacts and
    // keeps raw what the stream brings of every account's keys, and would race the
    // contract's own calls.
    fieldcloud::contract::record_store(&app.cloud.records, "Contract").await;
}

#[tokio::test]
async fn dynamodb_chunks_keep_the_chunk_store_contract() {
    let app = spawn(Plan::Free).await;
    fieldcloud::contract::chunk_store(&app.cloud.records, "dynamodb").await;
}

/// One test per contract on the registry table: `contract` names the function.
macro_rules! store_contract {
    ($($test:ident: $contract:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $test() {
            let app = spawn(Plan::Free).await;
            fieldcloud::contract::$contract(&app.cloud.store, "dynamodb").await;
        }
    )*};
}

store_contract!(
    dynamodb_keeps_the_accounts_contract: accounts,
    dynamodb_keeps_the_groups_contract: groups,
    dynamodb_keeps_the_apps_contract: apps,
    dynamodb_keeps_the_app_statuses_contract: app_statuses,
    dynamodb_keeps_the_files_contract: files,
    dynamodb_keeps_the_data_jobs_contract: data_jobs,
    dynamodb_keeps_the_data_usage_contract: data_usage,
    dynamodb_keeps_the_instruments_contract: instruments,
    dynamodb_keeps_the_license_reminders_contract: license_reminders,
    dynamodb_keeps_the_quota_sweep_contract: quota_sweep,
    dynamodb_keeps_the_calculated_channels_contract: calculated_channels,
    dynamodb_keeps_the_alarms_contract: alarms,
    dynamodb_keeps_the_file_alarms_contract: file_alarms,
    dynamodb_keeps_the_alarm_states_contract: alarm_states,
    dynamodb_keeps_the_inbox_contract: inbox,
    dynamodb_keeps_the_notify_contract: notify,
    dynamodb_keeps_the_users_contract: users,
    dynamodb_keeps_the_sessions_contract: sessions,
    dynamodb_keeps_the_throttle_contract: throttle,
    dynamodb_keeps_the_mailed_codes_contract: mailed_codes,
    dynamodb_keeps_the_resets_and_signups_contract: resets_and_signups,
    dynamodb_keeps_the_api_tokens_contract: api_tokens,
    dynamodb_keeps_the_teams_contract: teams,
    dynamodb_keeps_the_audit_log_contract: audit_log,
);

#[tokio::test]
async fn iot_core_keeps_the_things_contract() {
    let app = spawn(Plan::Free).await;
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let things = fieldcloud::adapters::iot::IotThings::with_endpoint(
        aws_sdk_iot::Client::new(&config),
        devcloud::APP_POLICY,
        app.cloud.mqtt.to_string(),
    );
    // A stack of its own: the local cloud's apps are things of `local`.
    fieldcloud::contract::things(&things, "contract").await;
}
