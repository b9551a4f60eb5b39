//! The records table on DynamoDB keeps the same contract as the in-memory records.

use fieldcloud::domain::plan::Plan;

use crate::helpers::spawn;

#[tokio::test]
async fn dynamodb_records_keep_the_record_store_contract() {
    let app = spawn(Plan::Free).await;
    fieldcloud::contract::record_store(&app.cloud.records, "dynamodb").await;
}
