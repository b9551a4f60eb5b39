//! The local cloud: everything fieldcloud runs on in AWS, on one machine.
//!
//! moto stands in for DynamoDB (tables created from `template.yaml`), S3 and SQS, rumqttd
//! for IoT Core's broker, [`rule`] for the IoT rule that invokes `ingest`, [`http`] for
//! API Gateway in front of `api`, [`worker`] for the SQS triggers of `recompute`,
//! `notify` and `files`, [`stream`] for the records table's stream that `usage` reads, and [`capture`] for the Slack and WeCom webhooks notifications go to. The handlers are the very ones the Lambdas run. Tests
//! start one per test on free ports; `cargo run -p devcloud` starts one with a simulated
//! fleet ([`fleet`]).

pub mod broker;
mod bucket;
pub mod capture;
mod command;
pub mod fleet;
pub mod http;
pub mod iam;
pub mod jobs;
pub mod moto;
pub mod portal;
pub mod presence;
pub mod python;
pub mod recordings;
pub mod rule;
pub mod seed;
pub mod stream;
pub mod tables;
pub mod template;
pub mod worker;
pub mod write_log;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};

use ::presence::Invocation;
use anyhow::Context;
use aws_sdk_dynamodb::config::{Credentials, Region};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoStore};
use fieldcloud::adapters::history_bucket::HistoryBucket;
use fieldcloud::adapters::iot::IotThings;
use fieldcloud::adapters::s3::S3Bucket;
use fieldcloud::adapters::ses::SesMailer;
use fieldcloud::adapters::sqs::{SqsDataJobQueue, SqsJobQueue, SqsNotifyQueue, SqsQueues};
use fieldcloud::adapters::webhooks::HttpWebhooks;
use fieldcloud::domain::app_status::PresenceEvent;
use fieldcloud::domain::auth::{Role, Session};
use fieldcloud::domain::ids::{AccountId, UserId};
use fieldcloud::domain::iot_thing::Stack;
use fieldcloud::domain::protocol::RuleEvent;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::{Principal, TokenKey};
use fieldcloud::ports::{Sessions, Users};
use tokio::sync::broadcast;

pub use rule::RuleOutcome;

/// Table and bucket names in the emulator (in AWS, CloudFormation names them).
pub const REGISTRY_TABLE: &str = "fieldcloud-registry";
pub const RECORDS_TABLE: &str = "fieldcloud-records";
pub const FILES_BUCKET: &str = "fieldcloud-files";
/// Where the records table's big chunks keep their bytes.
pub const HISTORY_BUCKET: &str = "fieldcloud-history";
pub const RECOMPUTE_QUEUE: &str = "fieldcloud-recompute";
pub const NOTIFY_QUEUE: &str = "fieldcloud-notify";
pub const NOTIFY_DEAD_LETTER_QUEUE: &str = "fieldcloud-notify-dead-letters";
pub const FILES_QUEUE: &str = "fieldcloud-files";
pub const FILES_DEAD_LETTER_QUEUE: &str = "fieldcloud-files-dead-letters";
pub const JOBS_QUEUE: &str = "fieldcloud-jobs";
pub const JOBS_DEAD_LETTER_QUEUE: &str = "fieldcloud-jobs-dead-letters";
/// Attempts at a notification or an upload's report before it moves to its
/// dead-letter queue, as in the template.
pub const MAX_RECEIVES: u32 = 5;
/// The local cloud's stack name: the prefix of its apps' IoT thing names.
pub const STACK: &str = "local";
/// The sender of the local cloud's mail, verified in the emulator's SES.
pub const MAIL_FROM: &str = "noreply@fieldcloud.example";
/// Where the local cloud mails quote requests.
pub const OPERATOR_EMAIL: &str = "sales@fieldcloud.example";

/// Where the local cloud listens; 0 picks a free port.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub moto: u16,
    pub mqtt: u16,
    pub api: u16,
    /// The webhook capture server ([`capture`]), on loopback.
    pub capture: u16,
    /// The address the API and the MQTT broker listen on: loopback by default, a LAN
    /// address (or `0.0.0.0`) so that a real gateway can connect. moto stays on loopback:
    /// only the local cloud itself talks to it.
    pub bind: IpAddr,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            moto: 0,
            mqtt: 0,
            api: 0,
            capture: 0,
            bind: Ipv4Addr::LOCALHOST.into(),
        }
    }
}

/// A running local cloud. Dropping it stops moto; the broker thread ends with the process.
pub struct LocalCloud {
    pub moto: moto::Moto,
    /// Where this machine reaches the MQTT broker (loopback when it listens on every
    /// address).
    pub mqtt: SocketAddr,
    /// Where this machine reaches the API, likewise.
    pub api_url: String,
    /// The same API on the IPv6 loopback, where the machine has one and the API listens
    /// on an IPv4 address.
    pub api_url_v6: Option<String>,
    pub store: DynamoStore,
    pub records: DynamoRecords,
    pub key: TokenKey,
    /// Names the apps' things (`local:{account}:{app}`) and so their topics.
    pub stack: Stack,
    rule: rule::Rule,
    /// The calls a function made that its policy in the template does not allow.
    denied: iam::Denials,
    /// Every DynamoDB write the functions sent.
    writes: write_log::Writes,
    /// The time the API sees.
    pub clock: ApiClock,
    /// Where the webhook capture server listens, and what it received.
    pub capture_url: String,
    pub captures: capture::Captures,
    /// The notify queue and its dead letters.
    pub notify_queue_url: String,
    pub notify_dead_letters_url: String,
    /// The presence function, as the relay and the schedule invoke it.
    presence: Arc<presence::PresenceFunction>,
    /// The records table's stream, as the usage function is handed it.
    usage: stream::StreamReader,
    outcomes: broadcast::Sender<RuleOutcome>,
    /// The portal the API's origin serves, once built ([`LocalCloud::serve_portal`]).
    portal: Arc<OnceLock<portal::Portal>>,
}

impl LocalCloud {
    /// Starts moto, creates the tables and bucket, starts the broker, the IoT rule
    /// emulator and the API server. A fresh random token key is made for each start and
    /// kept where the deployed API keeps it: an SSM SecureString.
    pub async fn start(ports: Ports) -> anyhow::Result<LocalCloud> {
        Self::start_with(ports, api::ReadLimits::default()).await
    }

    /// [`LocalCloud::start`] with other read limits for the API's series, so that tests
    /// can reach them without storing a hundred thousand records.
    pub async fn start_with(
        ports: Ports,
        read_limits: api::ReadLimits,
    ) -> anyhow::Result<LocalCloud> {
        let moto = start_moto(ports.moto).await?;
        let config = sdk_config(&moto.endpoint).await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        tables::create_table(&dynamodb, "RegistryTable", REGISTRY_TABLE).await?;
        let records_stream = tables::create_table(&dynamodb, "RecordsTable", RECORDS_TABLE)
            .await?
            .context("the records table has a stream in the template")?;
        bucket::create(&moto.endpoint, FILES_BUCKET).await?;
        bucket::create(&moto.endpoint, HISTORY_BUCKET).await?;
        // The local cloud's own clients (tables, seeds, tests) may do anything; each
        // function gets clients limited to its policy in the template.
        let store = DynamoStore::new(dynamodb.clone(), REGISTRY_TABLE);
        let records = DynamoRecords::new(
            dynamodb,
            RECORDS_TABLE,
            HistoryBucket::new(aws_sdk_s3::Client::new(&config), HISTORY_BUCKET),
        );
        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = worker::create_queue(&sqs, RECOMPUTE_QUEUE).await?;
        let notify_dead_letters_url = worker::create_queue(&sqs, NOTIFY_DEAD_LETTER_QUEUE).await?;
        let notify_queue_url = worker::create_queue_with_dead_letters(
            &sqs,
            NOTIFY_QUEUE,
            &queue_arn(NOTIFY_DEAD_LETTER_QUEUE),
            MAX_RECEIVES,
        )
        .await?;
        worker::create_queue(&sqs, FILES_DEAD_LETTER_QUEUE).await?;
        let files_queue_url = worker::create_queue_with_dead_letters(
            &sqs,
            FILES_QUEUE,
            &queue_arn(FILES_DEAD_LETTER_QUEUE),
            MAX_RECEIVES,
        )
        .await?;
        bucket::notify_queue(&config, FILES_BUCKET, &queue_arn(FILES_QUEUE)).await?;
        worker::create_queue(&sqs, JOBS_DEAD_LETTER_QUEUE).await?;
        let jobs_queue_url = worker::create_queue_with_dead_letters(
            &sqs,
            JOBS_QUEUE,
            &queue_arn(JOBS_DEAD_LETTER_QUEUE),
            MAX_RECEIVES,
        )
        .await?;
        let names = iam_names(
            &queue_url,
            &notify_queue_url,
            &files_queue_url,
            &jobs_queue_url,
        );
        let denied = iam::Denials::default();
        let writes = write_log::Writes::default();
        let table_keys = Arc::new(table_keys()?);
        let function = |name| {
            let log = write_log::WriteLog::new(name, table_keys.clone(), writes.clone());
            iam::FunctionClients::new(name, &config, &names, &denied, log)
        };
        let (ingest, recompute, api_clients, notify, presence_clients, files_clients) = (
            function("IngestFunction")?,
            function("RecomputeFunction")?,
            function("ApiFunction")?,
            function("NotifyFunction")?,
            function("PresenceFunction")?,
            function("FilesFunction")?,
        );
        let function_tables = |clients: &iam::FunctionClients| {
            (
                DynamoStore::new(clients.dynamodb.clone(), REGISTRY_TABLE),
                function_records(clients),
            )
        };
        let (recompute_store, recompute_records) = function_tables(&recompute);
        let clock = ApiClock::default();
        let usage = stream::StreamReader::new(
            &moto.endpoint,
            records_stream,
            function_tables(&function("UsageFunction")?),
            clock.clone(),
            iam::Policy::of_function("UsageFunction", &names)?,
            denied.clone(),
        );
        tokio::spawn(usage.clone().run());
        let (files_store, files_records) = function_tables(&files_clients);
        let files_consumer = || FilesConsumer {
            store: files_store.clone(),
            records: files_records.clone(),
            bucket: S3Bucket::new(files_clients.s3.clone(), FILES_BUCKET),
            notify_queue: SqsNotifyQueue::new(files_clients.sqs.clone(), notify_queue_url.clone()),
        };
        // The files function's two event sources: S3's reports and the jobs.
        tokio::spawn(worker::run(
            sqs.clone(),
            files_queue_url.clone(),
            files_consumer(),
        ));
        tokio::spawn(worker::run(
            sqs.clone(),
            jobs_queue_url.clone(),
            files_consumer(),
        ));
        // Receiving and deleting messages is Lambda's event source mapping, not the
        // function's code: the worker polls with the local cloud's own client.
        tokio::spawn(worker::run(
            sqs.clone(),
            queue_url.clone(),
            RecomputeConsumer {
                store: recompute_store,
                records: recompute_records,
                queue: SqsJobQueue::new(recompute.sqs.clone(), queue_url.clone()),
            },
        ));

        // The broker listens on loopback; apps reach it through the relay that plays
        // IoT Core's lifecycle events (see `presence`), the rule emulator directly.
        let broker = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), free_port(0)?);
        broker::start(broker).await?;
        let mqtt_listen = SocketAddr::new(ports.bind, free_port(ports.mqtt)?);
        let mqtt = reachable(mqtt_listen);
        let (outcomes, _) = broadcast::channel(1024);
        let stack = Stack::parse(STACK).map_err(anyhow::Error::msg)?;
        let (presence_store, presence_records) = function_tables(&presence_clients);
        let presence = Arc::new(presence::PresenceFunction {
            stack: stack.clone(),
            store: presence_store,
            records: presence_records,
            notify_queue: SqsNotifyQueue::new(
                presence_clients.sqs.clone(),
                notify_queue_url.clone(),
            ),
            silence: fieldcloud::domain::app_status::DEFAULT_SILENCE_MILLIS,
        });
        let relay = tokio::net::TcpListener::bind(mqtt_listen)
            .await
            .with_context(|| format!("the MQTT relay cannot listen on {mqtt_listen}"))?;
        tokio::spawn(presence::run_relay(
            relay,
            broker,
            presence.clone(),
            clock.clone(),
        ));
        tokio::spawn(presence::run_schedule(presence.clone(), clock.clone()));
        let (ingest_store, ingest_records) = function_tables(&ingest);
        let rule = rule::Rule {
            stack: stack.clone(),
            store: ingest_store,
            records: ingest_records,
            notify_queue: SqsNotifyQueue::new(ingest.sqs.clone(), notify_queue_url.clone()),
        };
        tokio::spawn({
            let (rule, outcomes) = (rule.clone(), outcomes.clone());
            async move {
                if let Err(error) = rule::run(broker, rule, outcomes).await {
                    tracing::error!(%error, "IoT rule emulator stopped");
                }
            }
        });

        let key = token_key(&aws_sdk_ssm::Client::new(&config), &api_clients.ssm).await?;
        let api_listen = SocketAddr::new(ports.bind, ports.api);
        let listener = tokio::net::TcpListener::bind(api_listen)
            .await
            .with_context(|| format!("binding the API to {api_listen}"))?;
        let api_url = format!("http://{}", reachable(listener.local_addr()?));
        bucket::allow_portal(&config, FILES_BUCKET, &api_url).await?;
        let ses = aws_sdk_sesv2::Client::new(&config);
        ses.create_email_identity()
            .email_identity(MAIL_FROM)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!(aws_sdk_sesv2::error::DisplayErrorContext(e).to_string()))
            .context("verifying the mail sender in SES")?;
        let (api_store, api_records) = function_tables(&api_clients);
        let portal = Arc::new(OnceLock::new());
        let api = Arc::new(api::Api {
            store: api_store,
            records: api_records,
            queues: SqsQueues {
                jobs: SqsJobQueue::new(api_clients.sqs.clone(), queue_url),
                notify: SqsNotifyQueue::new(api_clients.sqs.clone(), notify_queue_url.clone()),
                data_jobs: SqsDataJobQueue::new(api_clients.sqs.clone(), jobs_queue_url.clone()),
            },
            mailer: SesMailer::new(api_clients.ses.clone(), MAIL_FROM),
            things: app_identities(&config, &api_clients.iot, mqtt).await?,
            bucket: S3Bucket::new(api_clients.s3.clone(), FILES_BUCKET),
            stack: stack.clone(),
            read_limits,
            key: key.clone(),
            // No portal yet: links point at the API's host, where a portal would be.
            portal_url: api_url.clone(),
            operator_email: OPERATOR_EMAIL.into(),
            // No distribution in front: the API sees each caller's own address.
            edge: None,
        });
        let (capture_url, captures) = start_capture(ports.capture).await?;
        let (notify_store, _) = function_tables(&notify);
        tokio::spawn(worker::run(
            sqs.clone(),
            notify_queue_url.clone(),
            NotifyConsumer {
                notifier: notify::Notifier {
                    store: notify_store,
                    mailer: SesMailer::new(notify.ses.clone(), MAIL_FROM),
                    webhooks: HttpWebhooks::capturing(Some(capture_url.clone())),
                    // Read as the deployed function reads it, with its own client.
                    key: TokenKey::new(
                        fieldcloud::adapters::ssm::secure_parameter(
                            &notify.ssm,
                            TOKEN_KEY_PARAMETER,
                        )
                        .await
                        .map_err(anyhow::Error::msg)?,
                    )
                    .map_err(anyhow::Error::msg)?,
                    portal_url: api_url.clone(),
                },
                clock: clock.clone(),
            },
        ));
        let port = listener.local_addr()?.port();
        // Where the API listens on IPv4, it also listens on [::1] so that `localhost`
        // works whichever family it resolves to; an IPv6 address to listen on is either
        // [::1] (or `::`, covering it) already or no loopback at all.
        let api_url_v6 = match ports.bind {
            IpAddr::V6(_) => None,
            IpAddr::V4(_) => match tokio::net::TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await
            {
                Ok(listener_v6) => {
                    let url = format!("http://{}", listener_v6.local_addr()?);
                    tokio::spawn(http::serve(
                        listener_v6,
                        api.clone(),
                        clock.clone(),
                        portal.clone(),
                    ));
                    Some(url)
                }
                Err(error) => {
                    tracing::warn!(%error, "no IPv6 loopback: the API listens on IPv4 only");
                    None
                }
            },
        };
        tokio::spawn(http::serve(listener, api, clock.clone(), portal.clone()));
        Ok(LocalCloud {
            portal,
            moto,
            mqtt,
            api_url,
            api_url_v6,
            store,
            records,
            key,
            stack,
            rule,
            denied,
            writes,
            clock,
            outcomes,
            capture_url,
            captures,
            notify_queue_url,
            notify_dead_letters_url,
            presence,
            usage,
        })
    }

    /// A bearer token for `user` of `account` with `role`, valid for `ttl_millis`, on a
    /// new session — what a login gives, without a password (for tests and the demo).
    pub async fn session_token(
        &self,
        account: &AccountId,
        user: &str,
        role: Role,
        ttl_millis: i64,
    ) -> anyhow::Result<String> {
        let now = self.clock.now();
        let user = UserId::parse(user)?;
        let session = Session {
            id: format!("{:032x}", rand::random::<u128>()),
            account: account.clone(),
            generation: self.store.session_generation(account, &user).await?,
            user,
            role,
            last_active: now,
        };
        self.store.create_session(&session).await?;
        Ok(self.key.sign(&Principal {
            account: account.clone(),
            user: session.user,
            role,
            session: session.id,
            expires: now.plus(ttl_millis),
        }))
    }

    /// Hands `event` to `ingest` as the IoT rule does, retries included: for events the
    /// local broker cannot make, such as one sent with a certificate (`principal`).
    pub async fn deliver(&self, event: &RuleEvent) -> RuleOutcome {
        self.rule.invoke(event).await
    }

    /// Waits until the usage function has had every change of the records table made
    /// so far, and the changes it made itself.
    pub async fn records_stream_settled(&self) {
        self.usage.settled().await
    }

    /// Hands the records table's whole stream to the usage function again, as a
    /// redelivery would; what each batch counted.
    pub async fn redeliver_records_stream(
        &self,
    ) -> anyhow::Result<Vec<fieldcloud::usecases::usage::UsageReport>> {
        self.usage.redeliver_all().await
    }

    /// Hands `event` to `presence` as the presence rule does, retries included: for
    /// lifecycle events a test chooses (redelivered, reordered).
    pub async fn lifecycle(&self, event: &PresenceEvent) -> Result<presence::Report, String> {
        presence::invoke(&self.presence, &Invocation::Lifecycle(event.clone())).await
    }

    /// Runs the schedule's sweep as EventBridge would at `at` (the minute's own sweep
    /// runs at the API's time).
    pub async fn sweep_apps(&self, at: Millis) -> Result<presence::Report, String> {
        presence::invoke(&self.presence, &presence::scheduled(at)).await
    }

    /// Serves `portal` from the API's origin from now on (once: a later call keeps the
    /// first), its pages allowed to upload to the emulator's files bucket.
    pub fn serve_portal(&self, portal: portal::Portal) {
        let _ = self.portal.set(portal.uploading_to(&self.moto.endpoint));
    }

    /// Every call a function made that IAM would have refused, as `AccessDenied: …`
    /// lines; empty when the template allows all that the functions do.
    pub fn denied(&self) -> Vec<String> {
        self.denied
            .lock()
            .expect("no panic while holding the lock")
            .clone()
    }

    /// Every DynamoDB write the functions sent since the last call, in order: what the
    /// cost model prices (moto's consumed capacity is made up).
    pub fn take_writes(&self) -> Vec<write_log::Write> {
        std::mem::take(&mut *self.writes.lock().expect("no panic while holding the lock"))
    }

    /// Outcomes of the IoT rule from now on, one per message.
    pub fn outcomes(&self) -> broadcast::Receiver<RuleOutcome> {
        self.outcomes.subscribe()
    }
}

/// The SDK configuration for the emulator: its endpoint, a fixed region and test
/// credentials (moto checks no signature). Passed explicitly rather than through the
/// environment, so several local clouds can run in one test process.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "devcloud"))
        .load()
        .await
}

/// The API's clock: the wall clock plus an offset that tests move forward, so rules of
/// time (a session idle for 24 hours) can be checked over HTTP without waiting.
#[derive(Clone, Default)]
pub struct ApiClock(Arc<std::sync::atomic::AtomicI64>);

impl ApiClock {
    pub fn now(&self) -> Millis {
        wall_clock().plus(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Moves the API's time forward by `millis`.
    pub fn advance(&self, millis: i64) {
        self.0
            .fetch_add(millis, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The IoT policy every app's certificate gets, as the template names it in AWS.
pub const APP_POLICY: &str = "fieldcloud-apps";

/// Apps' things and certificates in the emulator's IoT control plane, with the policy the
/// template deploys; apps are told to connect to the local broker.
async fn app_identities(
    config: &aws_config::SdkConfig,
    api_iot: &aws_sdk_iot::Client,
    mqtt: SocketAddr,
) -> anyhow::Result<IotThings> {
    let iot = aws_sdk_iot::Client::new(config);
    let publish_own_topic = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "iot:Publish",
            "Resource": "arn:aws:iot:*:*:topic/fieldcloud/v1/${iot:Connection.Thing.ThingName}/records"
        }]
    });
    iot.create_policy()
        .policy_name(APP_POLICY)
        .policy_document(publish_own_topic.to_string())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(aws_sdk_iot::error::DisplayErrorContext(e).to_string()))
        .context("creating the apps' IoT policy")?;
    Ok(IotThings::with_endpoint(
        api_iot.clone(),
        APP_POLICY,
        mqtt.to_string(),
    ))
}

/// The recompute function as its queue's consumer, with its own clients.
struct RecomputeConsumer {
    store: DynamoStore,
    records: DynamoRecords,
    queue: SqsJobQueue,
}

impl worker::Consumer for RecomputeConsumer {
    async fn handle_message(&self, body: &str) -> Result<(), String> {
        recompute::handle_message(body, &self.store, &self.records, &self.queue)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The files function as its queue's consumer, with its own clients.
struct FilesConsumer {
    store: DynamoStore,
    records: DynamoRecords,
    bucket: S3Bucket,
    notify_queue: SqsNotifyQueue,
}

impl worker::Consumer for FilesConsumer {
    async fn handle_message(&self, body: &str) -> Result<(), String> {
        files::handle_message(
            (body, 1),
            &self.store,
            &self.records,
            &self.bucket,
            &self.notify_queue,
            &wall_clock,
        )
        .await
        .map(drop)
        .map_err(|failure| failure.0)
    }
}

/// The notify function as its queue's consumer, at the API's time (so the mails'
/// temporary logins work as the API reckons time).
struct NotifyConsumer {
    notifier: notify::Notifier<DynamoStore, SesMailer, HttpWebhooks>,
    clock: ApiClock,
}

impl worker::Consumer for NotifyConsumer {
    async fn handle_message(&self, body: &str) -> Result<(), String> {
        self.notifier
            .handle_message(body, &|| self.clock.now())
            .await
            .map(drop)
            .map_err(|failure| failure.0.to_string())
    }
}

/// Starts the webhook capture server on loopback, whatever `--bind` says: what it
/// captures (the posts, the webhooks' paths) is for this machine only, as moto is.
async fn start_capture(port: u16) -> anyhow::Result<(String, capture::Captures)> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .context("binding the webhook capture server")?;
    let url = format!("http://{}", listener.local_addr()?);
    let captures = capture::Captures::default();
    tokio::spawn(capture::serve(listener, captures.clone()));
    Ok((url, captures))
}

/// A queue's ARN in the emulator.
fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
}

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// The records table as a function reaches it: with its own clients, limited to its
/// policy.
pub fn function_records(clients: &iam::FunctionClients) -> DynamoRecords {
    DynamoRecords::new(
        clients.dynamodb.clone(),
        RECORDS_TABLE,
        HistoryBucket::new(clients.s3.clone(), HISTORY_BUCKET),
    )
}

/// The key attribute names of the local tables, as the template declares them.
pub fn table_keys() -> anyhow::Result<std::collections::HashMap<String, Vec<String>>> {
    [
        ("RegistryTable", REGISTRY_TABLE),
        ("RecordsTable", RECORDS_TABLE),
    ]
    .into_iter()
    .map(|(logical_id, name)| {
        let spec = tables::table_spec(logical_id)?;
        let keys = spec.key_schema.into_iter().map(|k| k.attribute_name);
        Ok((name.to_owned(), keys.collect()))
    })
    .collect()
}

/// The names the template's policies refer to, as the local cloud has them.
fn iam_names(
    recompute_queue_url: &str,
    notify_queue_url: &str,
    files_queue_url: &str,
    jobs_queue_url: &str,
) -> iam::Names {
    let (region, account) = (REGION, ACCOUNT);
    let arn =
        |service: &str, resource: &str| format!("arn:aws:{service}:{region}:{account}:{resource}");
    iam::Names {
        region: region.into(),
        account: account.into(),
        stack: STACK.into(),
        refs: vec![
            ("RegistryTable", REGISTRY_TABLE.into()),
            ("RecordsTable", RECORDS_TABLE.into()),
            ("RecomputeQueue", recompute_queue_url.into()),
            ("NotifyQueue", notify_queue_url.into()),
            ("FilesQueue", files_queue_url.into()),
            ("JobsQueue", jobs_queue_url.into()),
            ("FilesBucket", FILES_BUCKET.into()),
            ("HistoryBucket", HISTORY_BUCKET.into()),
            ("TokenKeyParameter", TOKEN_KEY_PARAMETER.into()),
            ("AppPolicy", APP_POLICY.into()),
            ("MailFrom", MAIL_FROM.into()),
        ],
        arns: vec![
            (
                "RegistryTable",
                arn("dynamodb", &format!("table/{REGISTRY_TABLE}")),
            ),
            (
                "RecordsTable",
                arn("dynamodb", &format!("table/{RECORDS_TABLE}")),
            ),
            ("RecomputeQueue", arn("sqs", RECOMPUTE_QUEUE)),
            ("NotifyQueue", arn("sqs", NOTIFY_QUEUE)),
            ("FilesQueue", arn("sqs", FILES_QUEUE)),
            ("JobsQueue", arn("sqs", JOBS_QUEUE)),
            ("FilesBucket", format!("arn:aws:s3:::{FILES_BUCKET}")),
            ("HistoryBucket", format!("arn:aws:s3:::{HISTORY_BUCKET}")),
            ("IngestErrorQueue", arn("sqs", "fieldcloud-ingest-errors")),
            // Where AWS's mapping reports a batch it gave up on; the local reader never
            // gives up (see `stream`), so the queue is named, not made.
            ("UsageFailureQueue", arn("sqs", "fieldcloud-usage-failures")),
        ],
    }
}

/// Where the token key is kept, locally as in the template's default.
pub const TOKEN_KEY_PARAMETER: &str = "/fieldcloud/token-key";

/// Stores a fresh random token key as an SSM SecureString (as an operator would) and reads
/// it back the way the deployed API does at cold start, with the API's client.
async fn token_key(
    ssm: &aws_sdk_ssm::Client,
    api_ssm: &aws_sdk_ssm::Client,
) -> anyhow::Result<TokenKey> {
    let fresh: String = rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    ssm.put_parameter()
        .name(TOKEN_KEY_PARAMETER)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .value(fresh)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(aws_sdk_ssm::error::DisplayErrorContext(e).to_string()))
        .context("storing the token key in SSM")?;
    let stored = fieldcloud::adapters::ssm::secure_parameter(api_ssm, TOKEN_KEY_PARAMETER)
        .await
        .map_err(anyhow::Error::msg)?;
    TokenKey::new(stored).map_err(anyhow::Error::msg)
}

/// The wall clock, read only at the edges (the rule's receive time, the API's `now`).
pub fn wall_clock() -> Millis {
    Millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default(),
    )
}

/// Where this machine connects to a server listening on `listen`: an unspecified address
/// (`0.0.0.0`, `::`) is not one to connect to, and its loopback is always among those it
/// covers.
fn reachable(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, listen.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, listen.port()).into(),
        _ => listen,
    }
}

/// `port`, or a free one when it is 0.
/// Starts moto on `port`, or on a free one when `port` is 0. A free port is free only
/// when it is looked at: a test starting beside this one may take it before moto binds
/// it, so a port found taken is chosen anew, a few times.
async fn start_moto(port: u16) -> anyhow::Result<moto::Moto> {
    const ATTEMPTS: u32 = 3;
    let mut attempt = 1;
    loop {
        match moto::Moto::start(free_port(port)?).await {
            Err(error)
                if port == 0 && attempt < ATTEMPTS && format!("{error:#}").contains("in use") =>
            {
                tracing::warn!(error = %format!("{error:#}"), "moto's port was taken meanwhile; trying another");
                attempt += 1;
            }
            started => return started,
        }
    }
}

fn free_port(port: u16) -> anyhow::Result<u16> {
    if port != 0 {
        return Ok(port);
    }
    let listener =
        std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_on_every_address_is_reached_through_loopback_and_others_as_they_are() {
        let reach = |listen: &str| reachable(listen.parse().expect("an address")).to_string();
        assert_eq!(reach("0.0.0.0:1883"), "127.0.0.1:1883");
        assert_eq!(reach("[::]:1883"), "[::1]:1883");
        assert_eq!(reach("192.168.1.20:1883"), "192.168.1.20:1883");
        assert_eq!(reach("127.0.0.1:1883"), "127.0.0.1:1883");
    }
}
