//! The IoT rule emulator: subscribes to the records topic like the rule in
//! `template.yaml`, takes the topics of its stack's things as the rule's `WHERE` does,
//! builds the same event its SQL would ([`fieldcloud::domain::protocol::rule_sql`]) and
//! invokes the `ingest` handler in process — concurrently, and with Lambda's two retries
//! of an asynchronous invocation, as AWS would. The local broker authenticates no one,
//! so its events carry no `principal` (IoT Core's always name the certificate).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoStore};
use fieldcloud::adapters::sqs::SqsNotifyQueue;
use fieldcloud::domain::iot_thing::Stack;
use fieldcloud::domain::protocol::{thing_of_topic, RuleEvent, RECORDS_TOPIC_FILTER};
use fieldcloud::usecases::ingest::{self, IngestReport};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::{broadcast, Semaphore};

/// Lambda retries a failed asynchronous invocation twice.
const RETRIES: u32 = 2;
/// Lambda waits a minute or more between retries; locally a second keeps tests short.
const RETRY_DELAY: Duration = Duration::from_secs(1);
/// Concurrent `ingest` invocations, like Lambda's concurrency for one function.
const CONCURRENCY: usize = 8;

/// What became of one message: its thing and the handler's report, or the error it
/// still failed with after the retries (in AWS, the message would go to the error queue).
#[derive(Debug, Clone)]
pub struct RuleOutcome {
    pub thing: String,
    pub result: Result<Arc<IngestReport>, String>,
}

/// The rule of one stack, with what its Lambda is invoked with.
#[derive(Clone)]
pub struct Rule {
    pub stack: Stack,
    pub store: DynamoStore,
    pub records: DynamoRecords,
    pub notify_queue: SqsNotifyQueue,
}

impl Rule {
    /// Invokes `ingest` with `event`, retrying as Lambda does.
    pub async fn invoke(&self, event: &RuleEvent) -> RuleOutcome {
        RuleOutcome {
            thing: event.thing.clone(),
            result: invoke_with_retries(event, self).await,
        }
    }
}

/// Runs the rule until the process ends; outcomes are broadcast to `outcomes`.
pub async fn run(
    broker: SocketAddr,
    rule: Rule,
    outcomes: broadcast::Sender<RuleOutcome>,
) -> anyhow::Result<()> {
    let mut options = MqttOptions::new(
        "fieldcloud-iot-rule",
        broker.ip().to_string(),
        broker.port(),
    );
    options.set_max_packet_size(512 * 1024, 512 * 1024);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 100);
    client
        .subscribe(RECORDS_TOPIC_FILTER, QoS::AtLeastOnce)
        .await?;
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    loop {
        let publish = match events.poll().await {
            Ok(Event::Incoming(Packet::Publish(publish))) => publish,
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                // Resubscribe after a reconnect; the broker forgets clean sessions.
                client
                    .subscribe(RECORDS_TOPIC_FILTER, QoS::AtLeastOnce)
                    .await?;
                continue;
            }
            Ok(_) => continue,
            Err(error) => {
                tracing::warn!(%error, "rule subscription lost; reconnecting");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Some(thing) = thing_of_topic(&publish.topic) else {
            continue;
        };
        // The rule's `WHERE startswith(topic(3), '{stack}:')`.
        if !thing.starts_with(&format!("{}:", rule.stack.as_str())) {
            continue;
        }
        let received_at = crate::wall_clock();
        let event = RuleEvent::new(thing, None, &publish.payload, received_at);
        let permit = slots.clone().acquire_owned().await?;
        let (rule, outcomes) = (rule.clone(), outcomes.clone());
        tokio::spawn(async move {
            let outcome = rule.invoke(&event).await;
            // Nobody listening is fine: outcomes are for tests and the console.
            let _ = outcomes.send(outcome);
            drop(permit);
        });
    }
}

async fn invoke_with_retries(event: &RuleEvent, rule: &Rule) -> Result<Arc<IngestReport>, String> {
    let mut attempt = 0;
    loop {
        match ingest::handle(
            event,
            &rule.stack,
            &rule.store,
            &rule.records,
            &rule.notify_queue,
            &::ingest::random_instance,
        )
        .await
        {
            Ok(report) => return Ok(Arc::new(report)),
            Err(error) if attempt < RETRIES => {
                attempt += 1;
                tracing::warn!(%error, attempt, "ingest failed; retrying as Lambda would");
                tokio::time::sleep(RETRY_DELAY).await;
            }
            Err(error) => {
                tracing::error!(%error, thing = %event.thing, "ingest failed after retries; message goes to the error queue");
                return Err(error.to_string());
            }
        }
    }
}
