//! The `api` Lambda: the portal's and Web API's HTTP routes (API Gateway HTTP API,
//! payload v2). Routing is done here, on the path, so the same handler serves API
//! Gateway's `/{proxy+}` route and the local cloud's plain HTTP server. [`ROUTES`] is
//! the one table of them all.

mod audit;
mod auth;
mod contract;
mod dispatch;
pub mod edge;
mod error;
mod files_query;
mod inbox;
mod input;
pub mod openapi;
mod routes;
mod series_query;

use lambda_http::{Body, Request, Response};

use fieldcloud::adapters::context::{required_env, Ctx};
use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoStore};
use fieldcloud::adapters::iot::IotThings;
use fieldcloud::adapters::s3::S3Bucket;
use fieldcloud::adapters::ses::SesMailer;
use fieldcloud::adapters::sqs::SqsQueues;
use fieldcloud::domain::iot_thing::Stack;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::token::TokenKey;
use fieldcloud::ports::{
    Bucket, ChunkStore, DataJobQueue, JobQueue, Mailer, NotifyQueue, RecordStore, Store, Things,
};
use fieldcloud::usecases;

pub use auth::Access;
pub use error::ApiError;
pub use fieldcloud::usecases::series::{ReadLimits, SeriesQuery};
pub use routes::{Handler, Route, SignedRoute, ROUTES};
pub use series_query::FromQuery;

/// What the routes need: the store, the records, the queues (backfills, test
/// notifications), the mailer, the
/// apps' identities in IoT Core and the stack that names them, the token key, and the
/// portal's address (for links in mail).
pub struct Api<R, S, Q, M, T, B> {
    pub store: R,
    pub records: S,
    pub queues: Q,
    pub mailer: M,
    pub things: T,
    /// The files bucket: uploads are signed for it.
    pub bucket: B,
    pub stack: Stack,
    /// How much one series or backtest request may read.
    pub read_limits: ReadLimits,
    pub key: TokenKey,
    pub portal_url: String,
    /// Where quote requests are mailed: the operator, who sells licenses.
    pub operator_email: String,
    /// The portal's distribution's secret, when one stands in front (see [`edge`]).
    pub edge: Option<edge::EdgeSecret>,
}

/// The API as deployed: on DynamoDB, SQS, SES and IoT Core.
pub type DeployedApi = Api<DynamoStore, DynamoRecords, SqsQueues, SesMailer, IotThings, S3Bucket>;

impl DeployedApi {
    /// Builds the API from a function's context and the rest of its environment
    /// (`RECOMPUTE_QUEUE_URL`, `NOTIFY_QUEUE_URL`, `JOBS_QUEUE_URL`, `MAIL_FROM`, `APP_POLICY_NAME`, `PORTAL_URL`, `OPERATOR_EMAIL`, `EDGE_SECRET`,
    /// `FILES_BUCKET`, the token key's parameter).
    pub async fn deployed(ctx: Ctx) -> Result<DeployedApi, String> {
        // Every variable before the one remote call: a missing one fails at once.
        let portal_url = required_env("PORTAL_URL")?;
        let operator_email = required_env("OPERATOR_EMAIL")?;
        let edge = edge::EdgeSecret::from_env()?;
        Ok(Api {
            queues: SqsQueues {
                jobs: ctx.recompute_queue()?,
                notify: ctx.notify_queue()?,
                data_jobs: ctx.jobs_queue()?,
            },
            mailer: ctx.mailer()?,
            things: ctx.things()?,
            bucket: ctx.files_bucket()?,
            portal_url,
            operator_email,
            edge,
            key: ctx.token_key().await?,
            read_limits: ReadLimits::default(),
            store: ctx.store,
            records: ctx.records,
            stack: ctx.stack,
        })
    }
}

/// Handles one request at `now`; every outcome, errors included, is a response.
pub async fn handle<
    R: Store,
    S: RecordStore + ChunkStore,
    Q: JobQueue + NotifyQueue + DataJobQueue,
    M: Mailer,
    T: Things,
    B: Bucket,
>(
    api: &Api<R, S, Q, M, T, B>,
    request: &Request,
    now: Millis,
) -> Response<Body> {
    match route(api, request, now).await {
        Ok(reply) => error::json_response(reply.status, &reply.body),
        Err(error) => error.into_response(),
    }
}

/// Finds the request's route, checks the caller against its access, runs it, and
/// audits what an admin changed.
async fn route<
    R: Store,
    S: RecordStore + ChunkStore,
    Q: JobQueue + NotifyQueue + DataJobQueue,
    M: Mailer,
    T: Things,
    B: Bucket,
>(
    api: &Api<R, S, Q, M, T, B>,
    request: &Request,
    now: Millis,
) -> Result<dispatch::Reply, ApiError> {
    let path = request.uri().path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = request.method().as_str();
    let fitting = routes::fitting(&segments);
    if fitting.is_empty() {
        return Err(ApiError::not_found(format!("no route for {path}")));
    }
    let allowed: Vec<&str> = fitting.iter().map(|(route, _)| route.method).collect();
    let Some((route, params)) = fitting
        .into_iter()
        .find(|(route, _)| route.method == method)
    else {
        return Err(ApiError::method_not_allowed(format!(
            "{method} is not allowed here; use {}",
            allowed.join(" or ")
        )));
    };
    let address = edge::caller_address(request, api.edge.as_ref());
    let call = dispatch::Call {
        api,
        request,
        params,
        address: address.as_deref(),
        now,
    };
    let store = &api.store;
    let signed = match route.handler {
        Handler::Public(handler) => return dispatch::public(&call, handler).await,
        Handler::Signed(signed) => signed,
    };
    let principal = auth::authenticate(request, address.as_deref(), &api.key, store, now).await?;
    auth::permit(&principal, route.access, method == "GET")?;
    let reply = match signed {
        SignedRoute::Account(handler) => dispatch::account(&call, handler, &principal).await?,
        SignedRoute::Group(handler) => {
            // The group is found, and the caller's right to it checked, here once; the
            // handlers take it as found.
            let id = input::group_id(call.params.get("group"))?;
            let edit = route.access == Access::GroupEditor;
            let (group, role) =
                usecases::access::require_group(store, &principal, &id, edit).await?;
            dispatch::group(&call, handler, &principal, (&group, role)).await?
        }
    };
    if route.access == Access::Admin && method != "GET" {
        let action = format!("{method} {}", route.pattern);
        let user = Some(&principal.user);
        let detail = path.to_owned();
        usecases::audit::audit(
            store,
            &principal.account,
            user,
            call.address,
            &action,
            detail,
            now,
        )
        .await?;
    }
    Ok(reply)
}
