//! Runs the handler a route names: reads its input from the request (path placeholders,
//! body, query), makes the one call, and says which status a success answers with.

use lambda_http::Request;
use schemars::JsonSchema;
use serde::Serialize;

use fieldcloud::domain::access::GroupRole;
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::Group;
use fieldcloud::domain::token::Principal;
use fieldcloud::ports::{
    Bucket, ChunkStore, DataJobQueue, JobQueue, Mailer, NotifyQueue, RecordStore, Store, Things,
};

use crate::audit::audit_query;
use crate::error::ApiError;
use crate::files_query::files_query;
use crate::inbox::inbox_query;
use crate::input::{
    alarm_id, app_id, calc_id, file_alarm_id, file_id, job_id, json_body, json_body_up_to,
    notification_id, serial_id, user_id,
};
use crate::openapi;
use crate::routes::{AccountRoute, GroupRoute, PathParams, PublicRoute};
use crate::series_query::FromQuery;
use crate::Api;
use fieldcloud::domain::files::MAX_COMPLETION_BYTES;
use fieldcloud::domain::ids::{AlarmId, CalcId, FileAlarmId, FileId, JobId};
use fieldcloud::domain::registry::RegistrationId;
use fieldcloud::usecases::random::{Random, ThreadRandom};
use fieldcloud::usecases::series::{self, SeriesQuery};
use fieldcloud::usecases::users;
use fieldcloud::usecases::{
    access, account, alarms, api_tokens, apps, backtest, calculated, data_jobs, destinations,
    file_alarms, files, folders, groups, inbox, instruments,
};
use fieldcloud::usecases::{
    latest, login, mailed_code, password, plan, quote, temporary_login, totp, trial,
};

/// A success: the status and the body.
pub struct Reply {
    pub status: u16,
    pub body: serde_json::Value,
}

fn reply(status: u16, body: impl Serialize) -> Result<Reply, ApiError> {
    let body = serde_json::to_value(body)
        .map_err(|e| ApiError::internal(format!("response did not serialize: {e}")))?;
    Ok(Reply { status, body })
}

fn ok(body: impl Serialize) -> Result<Reply, ApiError> {
    reply(200, body)
}

fn created(body: impl Serialize) -> Result<Reply, ApiError> {
    reply(201, body)
}

/// Accepted: something was sent or started that finishes later (a mail, a link).
fn accepted(body: impl Serialize) -> Result<Reply, ApiError> {
    reply(202, body)
}

/// What the health check answers.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Health {
    /// `ok`.
    status: &'static str,
}

/// One request as a handler sees it.
pub struct Call<'a, R, S, Q, M, T, B> {
    pub api: &'a Api<R, S, Q, M, T, B>,
    pub request: &'a Request,
    pub params: PathParams<'a>,
    /// The caller's address (see [`crate::edge`]).
    pub address: Option<&'a str>,
    pub now: Millis,
}

impl<R, S, Q, M, T, B> Call<'_, R, S, Q, M, T, B> {
    fn query(&self) -> &str {
        self.request.uri().query().unwrap_or("")
    }
}

pub async fn public<
    R: Store,
    S: RecordStore + ChunkStore,
    Q: JobQueue + NotifyQueue + DataJobQueue,
    M: Mailer,
    T: Things,
    B: Bucket,
>(
    call: &Call<'_, R, S, Q, M, T, B>,
    route: PublicRoute,
) -> Result<Reply, ApiError> {
    let (api, request, address, now) = (call.api, call.request, call.address, call.now);
    let (store, mailer, key) = (&api.store, &api.mailer, &api.key);
    let random = &mut ThreadRandom;
    match route {
        PublicRoute::Health => ok(Health { status: "ok" }),
        PublicRoute::OpenApi => ok(openapi::document()),
        PublicRoute::Login => {
            let asked = json_body(request)?;
            ok(login::login(store, mailer, key, random, asked, address, now).await?)
        }
        PublicRoute::LoginTwoStep => {
            let second = json_body(request)?;
            ok(login::login_two_step(store, key, random, second, address, now).await?)
        }
        PublicRoute::RequestTrial => {
            let asked = json_body(request)?;
            let portal = &api.portal_url;
            accepted(trial::request_trial(store, mailer, random, portal, asked, now).await?)
        }
        PublicRoute::ConfirmTrial => {
            let confirmation = json_body(request)?;
            created(trial::confirm_trial(store, key, random, confirmation, address, now).await?)
        }
        PublicRoute::RequestReset => {
            let asked = json_body(request)?;
            // Every answer waits as long, mail or none: see `RESET_ANSWER_FLOOR`.
            let started = tokio::time::Instant::now();
            let portal = &api.portal_url;
            let answer = password::request_reset(store, mailer, random, portal, asked, now).await;
            tokio::time::sleep_until(started + password::RESET_ANSWER_FLOOR).await;
            accepted(answer?)
        }
        PublicRoute::CompleteReset => {
            let done = json_body(request)?;
            ok(password::complete_reset(store, done, address, now).await?)
        }
    }
}

pub async fn account<
    R: Store,
    S: RecordStore + ChunkStore,
    Q: JobQueue + NotifyQueue + DataJobQueue,
    M: Mailer,
    T: Things,
    B: Bucket,
>(
    call: &Call<'_, R, S, Q, M, T, B>,
    route: AccountRoute,
    principal: &Principal,
) -> Result<Reply, ApiError> {
    let (api, request, address, now) = (call.api, call.request, call.address, call.now);
    let store = &api.store;
    let key = &api.key;
    let random = &mut ThreadRandom;
    match route {
        AccountRoute::Logout => ok(login::logout(store, principal, address, now).await?),
        AccountRoute::EnrollMailedCode => {
            accepted(mailed_code::enroll(store, &api.mailer, random, principal, now).await?)
        }
        AccountRoute::ConfirmMailedCode => {
            let code = json_body(request)?;
            ok(mailed_code::confirm(store, principal, code, address, now).await?)
        }
        AccountRoute::DisableMailedCode => {
            let proof = json_body(request)?;
            ok(mailed_code::disable(store, principal, proof, address, now).await?)
        }
        AccountRoute::EnrollTotp => {
            let password = json_body(request)?;
            ok(totp::enroll_totp(store, key, random, principal, password, address, now).await?)
        }
        AccountRoute::ConfirmTotp => {
            let code = json_body(request)?;
            ok(totp::confirm_totp(store, key, principal, code, address, now).await?)
        }
        AccountRoute::DisableTotp => {
            let code = json_body(request)?;
            ok(totp::disable_totp(store, key, principal, code, address, now).await?)
        }
        AccountRoute::ListUsers => ok(users::list_users(store, principal).await?),
        AccountRoute::CreateUser => {
            let new = json_body(request)?;
            created(users::create_user(store, principal, new, address, now).await?)
        }
        AccountRoute::UserDetail => {
            let user = user_id(call.params.get("user"))?;
            ok(users::user_detail(store, principal, &user).await?)
        }
        AccountRoute::UpdateUser => {
            let draft = json_body(request)?;
            let user = user_id(call.params.get("user"))?;
            ok(users::update_user(store, principal, &user, draft, address, now).await?)
        }
        AccountRoute::DeleteUser => {
            let user = user_id(call.params.get("user"))?;
            ok(users::delete_user(store, principal, &user).await?)
        }
        AccountRoute::Me => ok(users::me(store, principal).await?),
        AccountRoute::ChangePassword => {
            let change = json_body(request)?;
            ok(password::change_password(store, principal, change, address, now).await?)
        }
        AccountRoute::AuditLog => {
            let query = audit_query(call.query())?;
            ok(fieldcloud::usecases::audit::audit_log(store, principal, &query).await?)
        }
        AccountRoute::AccountDetail => ok(account::account(store, principal, now).await?),
        AccountRoute::PlanDetail => ok(plan::plan(store, principal, now).await?),
        AccountRoute::ChangePlan => {
            ok(plan::change_plan(store, principal, json_body(request)?, address, now).await?)
        }
        AccountRoute::RequestQuote => {
            let context = quote::QuoteContext {
                operator_email: &api.operator_email,
                address,
            };
            let draft = json_body(request)?;
            accepted(
                quote::request_quote(store, &api.mailer, context, principal, draft, now).await?,
            )
        }
        AccountRoute::UpdateSettings => {
            ok(account::update_settings(store, principal, json_body(request)?).await?)
        }
        AccountRoute::SetLoginAlias => {
            ok(account::set_login_alias(store, principal, json_body(request)?).await?)
        }
        AccountRoute::Logo => ok(account::logo(store, principal).await?),
        AccountRoute::SetLogo => {
            let logo = json_body_up_to(request, account::MAX_LOGO_BODY_BYTES)?;
            ok(account::set_logo(store, principal, logo).await?)
        }
        AccountRoute::DeleteLogo => ok(account::delete_logo(store, principal).await?),
        AccountRoute::TemporaryLogin => {
            let login =
                temporary_login::temporary_login(store, key, random, principal, address, now);
            created(login.await?)
        }
        AccountRoute::ListApiTokens => ok(api_tokens::list_api_tokens(store, principal).await?),
        AccountRoute::IssueApiToken => {
            let new = json_body(request)?;
            let issue = api_tokens::issue_api_token(store, random, principal, new, address, now);
            created(issue.await?)
        }
        AccountRoute::RevokeApiToken => {
            let token = call.params.get("token");
            ok(api_tokens::revoke_api_token(store, principal, token, address, now).await?)
        }
        AccountRoute::SetAllowList => {
            let list = json_body(request)?;
            ok(account::set_allow_list(store, principal, list, address, now).await?)
        }
        AccountRoute::ListTeams => ok(access::list_teams(store, principal).await?),
        AccountRoute::CreateTeam => {
            created(access::create_team(store, principal, json_body(request)?).await?)
        }
        AccountRoute::TeamDetail => {
            ok(access::team_detail(store, principal, call.params.get("team")).await?)
        }
        AccountRoute::UpdateTeam => {
            let draft = json_body(request)?;
            ok(access::update_team(store, principal, call.params.get("team"), draft).await?)
        }
        AccountRoute::DeleteTeam => {
            ok(access::delete_team(store, principal, call.params.get("team")).await?)
        }
        AccountRoute::ListGroups => ok(groups::list_groups(store, principal).await?),
        AccountRoute::CreateGroup => {
            created(groups::create_group(store, principal, json_body(request)?).await?)
        }
    }
}

pub async fn group<
    R: Store,
    S: RecordStore + ChunkStore,
    Q: JobQueue + NotifyQueue + DataJobQueue,
    M: Mailer,
    T: Things,
    B: Bucket,
>(
    call: &Call<'_, R, S, Q, M, T, B>,
    route: GroupRoute,
    principal: &Principal,
    (group, role): (&Group, GroupRole),
) -> Result<Reply, ApiError> {
    let (api, request, now) = (call.api, call.request, call.now);
    let (store, records, jobs, things) = (&api.store, &api.records, &api.queues, &api.things);
    let app = || app_id(call.params.get("app"));
    let serial = || serial_id(call.params.get("serial"));
    let calc = || calc_id(call.params.get("id"));
    let alarm = || alarm_id(call.params.get("alarm"));
    let job = || {
        JobId::from_random(u128::from(ThreadRandom.u64()) << 64 | u128::from(ThreadRandom.u64()))
    };
    match route {
        GroupRoute::Detail => ok(groups::GroupView::of(group, role)),
        GroupRoute::Rename => ok(groups::rename_group(store, group, json_body(request)?).await?),
        GroupRoute::Delete => ok(groups::delete_group(store, principal, group).await?),
        GroupRoute::Grants => ok(access::grants_of(group)),
        GroupRoute::SetGrants => {
            let draft = json_body(request)?;
            ok(access::set_grants(store, principal, group, draft).await?)
        }
        GroupRoute::Latest => ok(latest::latest(store, records, principal, group, now).await?),
        GroupRoute::Series => {
            let query = SeriesQuery::parse(call.query())?;
            let limits = api.read_limits;
            ok(series::series(store, records, principal, group, &query, limits, now).await?)
        }
        GroupRoute::ListApps => ok(apps::list_apps(store, records, principal, group, now).await?),
        GroupRoute::RegisterApp => {
            let draft = json_body(request)?;
            let registration = RegistrationId::from_random(ThreadRandom.u64());
            let stack = &api.stack;
            let register = apps::register_app(
                store,
                things,
                stack,
                principal,
                group,
                draft,
                registration,
                now,
            );
            created(register.await?)
        }
        GroupRoute::AppDetail => {
            ok(apps::app_detail(store, records, principal, group, &app()?, now).await?)
        }
        GroupRoute::UpdateApp => {
            let draft = json_body(request)?;
            let app = app()?;
            let update =
                apps::update_app(store, records, things, principal, group, &app, draft, now);
            ok(update.await?)
        }
        GroupRoute::DeleteApp => {
            let stack = &api.stack;
            ok(apps::delete_app(store, things, stack, principal, group, &app()?).await?)
        }
        GroupRoute::InstrumentDetail => {
            let (app, serial) = (app()?, serial()?);
            let detail = instruments::instrument_detail(
                store, records, principal, group, &app, &serial, now,
            );
            ok(detail.await?)
        }
        GroupRoute::UpdateInstrument => {
            let (app, serial) = (app()?, serial()?);
            let draft = json_body(request)?;
            let update = instruments::update_instrument(
                store, records, principal, group, &app, &serial, draft, now,
            );
            ok(update.await?)
        }
        GroupRoute::DeleteInstrument => {
            let (app, serial) = (app()?, serial()?);
            ok(instruments::delete_instrument(store, principal, group, &app, &serial).await?)
        }
        GroupRoute::ListCalculated => {
            ok(calculated::list(store, records, principal, group, now).await?)
        }
        GroupRoute::CreateCalculated => {
            let draft = json_body(request)?;
            let (id, chain) = (CalcId::from_random(ThreadRandom.u64()), ThreadRandom.u64());
            created(calculated::create(store, jobs, principal, group, draft, id, chain).await?)
        }
        GroupRoute::CalculatedDetail => {
            ok(calculated::detail(store, records, principal, group, &calc()?, now).await?)
        }
        GroupRoute::EditCalculated => {
            let draft = json_body(request)?;
            let (id, chain) = (calc()?, ThreadRandom.u64());
            let edit = calculated::edit(
                store, records, jobs, principal, group, &id, draft, chain, now,
            );
            ok(edit.await?)
        }
        GroupRoute::DeleteCalculated => {
            ok(calculated::delete(store, principal, group, &calc()?).await?)
        }
        GroupRoute::CopyCalculated => {
            let (id, chain) = (calc()?, ThreadRandom.u64());
            let new_id = CalcId::from_random(ThreadRandom.u64());
            created(calculated::copy(store, jobs, principal, group, &id, new_id, chain).await?)
        }
        GroupRoute::ListAlarms => ok(alarms::list(store, principal, group).await?),
        GroupRoute::CreateAlarm => {
            let draft = json_body(request)?;
            let id = AlarmId::from_random(ThreadRandom.u64());
            created(alarms::create(store, principal, group, draft, id).await?)
        }
        GroupRoute::BacktestAlarm => {
            let asked = json_body(request)?;
            let limits = api.read_limits;
            ok(backtest::run(store, records, principal, group, &asked, limits).await?)
        }
        GroupRoute::AlarmDetail => ok(alarms::detail(store, principal, group, &alarm()?).await?),
        GroupRoute::EditAlarm => {
            let draft = json_body(request)?;
            ok(alarms::edit(store, principal, group, &alarm()?, draft).await?)
        }
        GroupRoute::DeleteAlarm => ok(alarms::delete(store, principal, group, &alarm()?).await?),
        GroupRoute::TestAlarm => {
            let (id, test) = (alarm()?, format!("{:016x}", ThreadRandom.u64()));
            let queued = alarms::send_test(store, jobs, principal, group, &id, test, now);
            accepted(queued.await?)
        }
        GroupRoute::ListFileAlarms => ok(file_alarms::list(store, principal, group).await?),
        GroupRoute::CreateFileAlarm => {
            let draft = json_body(request)?;
            let id = FileAlarmId::from_random(ThreadRandom.u64());
            created(file_alarms::create(store, principal, group, draft, id, now).await?)
        }
        GroupRoute::FileAlarmDetail => {
            let id = file_alarm_id(call.params.get("rule"))?;
            ok(file_alarms::detail(store, principal, group, &id).await?)
        }
        GroupRoute::ReplaceFileAlarm => {
            let (id, draft) = (file_alarm_id(call.params.get("rule"))?, json_body(request)?);
            ok(file_alarms::replace(store, principal, group, &id, draft).await?)
        }
        GroupRoute::DeleteFileAlarm => {
            let id = file_alarm_id(call.params.get("rule"))?;
            ok(file_alarms::delete(store, principal, group, &id).await?)
        }
        GroupRoute::RequestUpload => {
            let draft = json_body(request)?;
            let id = FileId::from_random(
                u128::from(ThreadRandom.u64()) << 64 | u128::from(ThreadRandom.u64()),
            );
            let upload =
                files::request_upload(store, &api.bucket, principal, group, draft, id, now);
            created(upload.await?)
        }
        GroupRoute::ListFiles => {
            let query = files_query(call.query())?;
            ok(files::list(store, principal, group, &query).await?)
        }
        GroupRoute::FileDetail => {
            let id = file_id(call.params.get("file"))?;
            ok(files::detail(store, &api.bucket, principal, group, &id, now).await?)
        }
        GroupRoute::SignParts => {
            let (id, asked) = (file_id(call.params.get("file"))?, json_body(request)?);
            let signed = files::sign_parts(store, &api.bucket, principal, group, &id, asked, now);
            ok(signed.await?)
        }
        GroupRoute::CompleteParts => {
            let id = file_id(call.params.get("file"))?;
            let completion = json_body_up_to(request, MAX_COMPLETION_BYTES)?;
            let completed =
                files::complete_parts(store, &api.bucket, principal, group, &id, completion, now);
            accepted(completed.await?)
        }
        GroupRoute::PlaceFile => {
            let (id, placement) = (file_id(call.params.get("file"))?, json_body(request)?);
            ok(files::place(store, principal, group, &id, placement).await?)
        }
        GroupRoute::DeleteFile => {
            let id = file_id(call.params.get("file"))?;
            ok(files::delete(store, &api.bucket, principal, group, &id).await?)
        }
        GroupRoute::MakeFolder => {
            created(folders::make(store, principal, group, json_body(request)?).await?)
        }
        GroupRoute::MoveFolder => {
            ok(folders::relocate(store, principal, group, json_body(request)?).await?)
        }
        GroupRoute::DeleteFolder => {
            let asked = json_body(request)?;
            ok(folders::delete(store, &api.bucket, principal, group, asked).await?)
        }
        GroupRoute::RequestExport => {
            let draft = json_body(request)?;
            let queue = &api.queues;
            let export =
                data_jobs::request_export(store, queue, principal, group, draft, job(), now);
            accepted(export.await?)
        }
        GroupRoute::RequestImport => {
            let draft = json_body(request)?;
            let queue = &api.queues;
            let import =
                data_jobs::request_import(store, queue, principal, group, draft, job(), now);
            accepted(import.await?)
        }
        GroupRoute::ExportDetail | GroupRoute::ImportDetail => {
            let id = job_id(call.params.get("job"))?;
            let kind = if route == GroupRoute::ExportDetail {
                "export"
            } else {
                "import"
            };
            let job = (kind, &id);
            ok(data_jobs::detail(store, &api.bucket, principal, group, job, now).await?)
        }
        GroupRoute::Destinations => ok(destinations::get(store, principal, group).await?),
        GroupRoute::SetDestinations => {
            let draft = json_body(request)?;
            ok(destinations::set(store, principal, group, draft).await?)
        }
        GroupRoute::Inbox => {
            let query = inbox_query(call.query())?;
            ok(inbox::list(store, principal, group, &query).await?)
        }
        GroupRoute::UnreadCount => ok(inbox::unread(store, principal, group).await?),
        GroupRoute::MarkAllRead => ok(inbox::mark_all_read(store, principal, group).await?),
        GroupRoute::MarkRead => {
            let id = notification_id(call.params.get("notification"))?;
            ok(inbox::mark_read(store, principal, group, &id).await?)
        }
    }
}
