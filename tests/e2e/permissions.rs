//! The local IAM: each function's calls are checked against its policy in the template,
//! as AWS would check them (moto checks none).

use devcloud::iam::{FunctionClients, Names};
use devcloud::write_log::WriteLog;
use fieldcloud::domain::plan::Plan;

use crate::helpers::spawn;

#[tokio::test]
async fn a_call_outside_a_functions_policy_is_refused_as_iam_would() {
    let app = spawn(Plan::Standard).await;
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let names = Names {
        region: "us-east-1".into(),
        account: "123456789012".into(),
        stack: devcloud::STACK.into(),
        refs: vec![("RegistryTable", devcloud::REGISTRY_TABLE.into())],
        arns: vec![
            (
                "RegistryTable",
                format!(
                    "arn:aws:dynamodb:us-east-1:123456789012:table/{}",
                    devcloud::REGISTRY_TABLE
                ),
            ),
            (
                "RecordsTable",
                format!(
                    "arn:aws:dynamodb:us-east-1:123456789012:table/{}",
                    devcloud::RECORDS_TABLE
                ),
            ),
            (
                "HistoryBucket",
                format!("arn:aws:s3:::{}", devcloud::HISTORY_BUCKET),
            ),
            (
                "IngestErrorQueue",
                "arn:aws:sqs:us-east-1:123456789012:errors".into(),
            ),
            (
                "NotifyQueue",
                "arn:aws:sqs:us-east-1:123456789012:notify".into(),
            ),
        ],
    };
    let denied = devcloud::iam::Denials::default();
    let writes = WriteLog::new("IngestFunction", Default::default(), Default::default());
    let ingest = FunctionClients::new("IngestFunction", &config, &names, &denied, writes).unwrap();
    let key = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.into());

    // Ingest may read an item of the registry, but not delete one, nor scan it.
    let read = ingest
        .dynamodb
        .get_item()
        .table_name(devcloud::REGISTRY_TABLE)
        .key("pk", key("ACCOUNT#acme"))
        .key("sk", key("ACCOUNT"))
        .send()
        .await;
    assert!(read.is_ok(), "{read:?}");
    let delete = ingest
        .dynamodb
        .delete_item()
        .table_name(devcloud::REGISTRY_TABLE)
        .key("pk", key("ACCOUNT#acme"))
        .key("sk", key("ACCOUNT"))
        .send()
        .await;
    assert!(delete.is_err(), "deleting is not in ingest's policy");
    let scan = ingest
        .dynamodb
        .scan()
        .table_name(devcloud::REGISTRY_TABLE)
        .send()
        .await;
    assert!(scan.is_err());
    // It reads big chunks' bytes from the history bucket, and writes none there.
    let history_write = ingest
        .s3
        .put_object()
        .bucket(devcloud::HISTORY_BUCKET)
        .key("acme/forged")
        .body(vec![1, 2, 3].into())
        .send()
        .await;
    assert!(history_write.is_err(), "writing chunks is not ingest's");
    let refusals = denied.lock().unwrap().clone();
    assert_eq!(refusals.len(), 3, "{refusals:?}");
    assert!(
        refusals[2].contains(
            "IngestFunction may not s3:PutObject on arn:aws:s3:::fieldcloud-history/acme/forged"
        ),
        "{refusals:?}"
    );
    assert!(
        refusals[0].contains("IngestFunction may not dynamodb:DeleteItem on arn:aws:dynamodb:us-east-1:123456789012:table/fieldcloud-registry"),
        "{refusals:?}"
    );
    let (status, _) = app.get("/v1/account").await;
    assert_eq!(status, 200, "the account is still there");
}
