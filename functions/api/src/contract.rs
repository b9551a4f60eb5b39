//! What each route takes and answers, for the OpenAPI document ([`crate::openapi`]): the
//! JSON body it reads (if any), the query parameters its parser accepts, the status of a
//! success and the type of its answer.
//!
//! The types are the ones `dispatch` reads and answers with: a body is the parameter type
//! of the use case the route calls (what `json_body` infers), an answer its `Ok` type.
//! There is one exhaustive `match` per kind of handler, as in `dispatch`, so a route added
//! to the table does not compile until its contract is written here.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::routes::{AccountRoute, GroupRoute, Handler, PublicRoute, SignedRoute};

/// A schema of one type, made by a generator.
pub type SchemaOf = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// A query parameter a route reads.
pub struct QueryParam {
    pub name: &'static str,
    pub required: bool,
    pub description: &'static str,
    pub kind: ParamKind,
}

/// What a query parameter's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Text,
    /// A whole number.
    Integer,
    /// Text, given as many times as there are values (`?channel=a&channel=b`).
    Repeated,
}

/// `GET /v1/groups/{group}/series`: what [`crate::series_query`] reads.
const SERIES_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "channel",
        required: true,
        description: "A channel to read, as `app/instrument/channel` or `calc:{id}`; \
            give it once per channel, 1 to 32 times (a repeat counts once).",
        kind: ParamKind::Repeated,
    },
    QueryParam {
        name: "from",
        required: true,
        description: "Start of the range, included: milliseconds since the epoch or an \
            RFC 3339 time with its offset, such as 2026-11-21T09:00:00+08:00.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "to",
        required: true,
        description: "End of the range, excluded (after `from`): milliseconds since the \
            epoch or an RFC 3339 time with its offset.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "buckets",
        required: false,
        description: "How many buckets to downsample into: a whole number from 1 to 5000; \
            500 when left out.",
        kind: ParamKind::Integer,
    },
];

/// `GET /v1/audit`: what [`crate::audit`] reads.
const AUDIT_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "limit",
        required: false,
        description: "Events a page holds at most: a whole number from 1 to 500; 100 when \
            left out.",
        kind: ParamKind::Integer,
    },
    QueryParam {
        name: "cursor",
        required: false,
        description: "Where the page starts: the `next` of the page before it.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "kind",
        required: false,
        description: "Only events of this action, such as `login` or `login_failed`.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "user",
        required: false,
        description: "Only events of this user (a user ID).",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "from",
        required: false,
        description: "Only events at or after this time: milliseconds since the epoch or \
            an RFC 3339 time with its offset.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "to",
        required: false,
        description: "Only events before this time (after `from`): milliseconds since the \
            epoch or an RFC 3339 time with its offset.",
        kind: ParamKind::Text,
    },
];

/// `GET /v1/groups/{group}/files`: what [`crate::files_query`] reads.
const FILES_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "folder",
        required: false,
        description: "Only the files of this folder (empty for the top folder); left out, \
            every file of the group.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "sort",
        required: false,
        description: "What the files are sorted by: `name` (the default), `size` or `time`.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "order",
        required: false,
        description: "`asc` (the default) or `desc`.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "limit",
        required: false,
        description: "Files a page holds at most: a whole number from 1 to 500; 100 when \
            left out.",
        kind: ParamKind::Integer,
    },
    QueryParam {
        name: "cursor",
        required: false,
        description: "Where the page starts: the `next` of the page before it, listed with \
            the same sort and order.",
        kind: ParamKind::Text,
    },
];

/// `GET /v1/groups/{group}/inbox`: what [`crate::inbox`] reads.
const INBOX_QUERY: &[QueryParam] = &[
    QueryParam {
        name: "filter",
        required: false,
        description: "`all` (the default) or `unread`: only those the caller has not read.",
        kind: ParamKind::Text,
    },
    QueryParam {
        name: "limit",
        required: false,
        description: "Notifications a page holds at most: a whole number from 1 to 100; \
            100 when left out.",
        kind: ParamKind::Integer,
    },
    QueryParam {
        name: "cursor",
        required: false,
        description: "Where the page starts: the `next` of the page before it.",
        kind: ParamKind::Text,
    },
];

/// What one route takes and answers.
pub struct Contract {
    /// The JSON body's type, for routes that read one.
    pub body: Option<SchemaOf>,
    pub query: &'static [QueryParam],
    /// The status of a success.
    pub status: u16,
    /// The success answer's type.
    pub answer: SchemaOf,
}

/// A route that answers a `T` with `status`, and reads no body and no query.
fn answers<T: JsonSchema>(status: u16) -> Contract {
    Contract {
        body: None,
        query: &[],
        status,
        answer: schema_of::<T> as SchemaOf,
    }
}

impl Contract {
    /// The route reads a JSON body of type `B`.
    fn taking<B: JsonSchema>(self) -> Contract {
        Contract {
            body: Some(schema_of::<B> as SchemaOf),
            ..self
        }
    }

    /// The route reads these query parameters.
    fn with_query(self, query: &'static [QueryParam]) -> Contract {
        Contract { query, ..self }
    }
}

/// What the route `handler` names takes and answers.
pub fn contract(handler: Handler) -> Contract {
    match handler {
        Handler::Public(route) => public(route),
        Handler::Signed(SignedRoute::Account(route)) => account(route),
        Handler::Signed(SignedRoute::Group(route)) => group(route),
    }
}

fn public(route: PublicRoute) -> Contract {
    use fieldcloud::usecases::{login, password, trial};
    use PublicRoute as P;
    match route {
        P::Health => answers::<crate::dispatch::Health>(200),
        P::OpenApi => answers::<crate::openapi::Document>(200),
        P::Login => answers::<login::LoginOutcome>(200).taking::<login::LoginRequest>(),
        P::LoginTwoStep => answers::<login::SessionView>(200).taking::<login::TwoStepLogin>(),
        P::RequestTrial => answers::<trial::SignupRequested>(202).taking::<trial::TrialRequest>(),
        P::ConfirmTrial => answers::<login::SessionView>(201).taking::<trial::TrialConfirmation>(),
        P::RequestReset => {
            answers::<password::ResetRequested>(202).taking::<password::ResetRequest>()
        }
        P::CompleteReset => {
            answers::<password::PasswordChanged>(200).taking::<password::ResetCompletion>()
        }
    }
}

fn account(route: AccountRoute) -> Contract {
    use fieldcloud::domain::ids::{TeamId, UserId};
    use fieldcloud::usecases::{
        access, account, api_tokens, audit, groups, login, mailed_code, password, plan, quote,
        temporary_login, totp, users, Deleted,
    };
    use AccountRoute as A;
    match route {
        A::Logout => answers::<login::LoggedOut>(200),
        A::EnrollMailedCode => answers::<mailed_code::CodeSent>(202),
        A::ConfirmMailedCode => {
            answers::<mailed_code::TwoStepView>(200).taking::<mailed_code::Code>()
        }
        A::DisableMailedCode => {
            answers::<mailed_code::TwoStepView>(200).taking::<mailed_code::PasswordAndCode>()
        }
        A::EnrollTotp => answers::<totp::TotpEnrollment>(200).taking::<mailed_code::Password>(),
        A::ConfirmTotp => answers::<mailed_code::TwoStepView>(200).taking::<mailed_code::Code>(),
        A::DisableTotp => answers::<mailed_code::TwoStepView>(200).taking::<mailed_code::Code>(),
        A::ListUsers => answers::<users::UserList>(200),
        A::CreateUser => answers::<users::CreatedUser>(201).taking::<users::NewUser>(),
        A::UserDetail => answers::<users::UserView>(200),
        A::UpdateUser => answers::<users::UserView>(200).taking::<users::UserDraft>(),
        A::DeleteUser => answers::<Deleted<UserId>>(200),
        A::Me => answers::<users::UserView>(200),
        A::ChangePassword => {
            answers::<password::PasswordChanged>(200).taking::<password::PasswordChange>()
        }
        A::AuditLog => answers::<audit::AuditLogPage>(200).with_query(AUDIT_QUERY),
        A::AccountDetail => answers::<account::AccountDetail>(200),
        A::PlanDetail => answers::<plan::PlanView>(200),
        A::ChangePlan => answers::<plan::PlanChanged>(200).taking::<plan::PlanDraft>(),
        A::RequestQuote => answers::<quote::QuoteRequested>(202).taking::<quote::QuoteDraft>(),
        A::UpdateSettings => {
            answers::<account::AccountView>(200).taking::<account::SettingsDraft>()
        }
        A::SetLoginAlias => answers::<account::AccountView>(200).taking::<account::AliasDraft>(),
        A::Logo => answers::<account::LogoView>(200),
        // Read with `json_body_up_to(request, account::MAX_LOGO_BODY_BYTES)`: still JSON.
        A::SetLogo => answers::<account::LogoView>(200).taking::<account::LogoDraft>(),
        A::DeleteLogo => answers::<Deleted<&'static str>>(200),
        A::TemporaryLogin => answers::<temporary_login::TemporaryLogin>(201),
        A::ListApiTokens => answers::<api_tokens::ApiTokenList>(200),
        A::IssueApiToken => {
            answers::<api_tokens::IssuedApiToken>(201).taking::<api_tokens::NewApiToken>()
        }
        A::RevokeApiToken => answers::<api_tokens::Revoked>(200),
        A::SetAllowList => {
            answers::<account::AccountView>(200).taking::<account::AllowListRequest>()
        }
        A::ListTeams => answers::<access::TeamList>(200),
        A::CreateTeam => answers::<access::TeamView>(201).taking::<access::TeamDraft>(),
        A::TeamDetail => answers::<access::TeamView>(200),
        A::UpdateTeam => answers::<access::TeamView>(200).taking::<access::TeamDraft>(),
        A::DeleteTeam => answers::<Deleted<TeamId>>(200),
        A::ListGroups => answers::<groups::GroupList>(200),
        A::CreateGroup => answers::<groups::GroupView>(201).taking::<groups::GroupDraft>(),
    }
}

fn group(route: GroupRoute) -> Contract {
    use fieldcloud::domain::ids::{
        AlarmId, AppId, CalcId, FileAlarmId, FileId, GroupId, InstrumentSerial,
    };
    use fieldcloud::domain::{data_job, file_alarm, files as drive};
    use fieldcloud::usecases::{
        access, alarms, apps, backtest, calculated, data_jobs, destinations, file_alarms, files,
        folders, groups, inbox, instruments, latest, series, Deleted,
    };
    use GroupRoute as G;
    match route {
        G::Detail => answers::<groups::GroupView>(200),
        G::Rename => answers::<groups::GroupView>(200).taking::<groups::GroupDraft>(),
        G::Delete => answers::<Deleted<GroupId>>(200),
        G::Grants => answers::<access::GrantsView>(200),
        G::SetGrants => answers::<access::GrantsView>(200).taking::<access::GrantsDraft>(),
        G::Latest => answers::<latest::GroupLatest>(200),
        G::Series => answers::<series::Series>(200).with_query(SERIES_QUERY),
        G::ListApps => answers::<apps::AppList>(200),
        G::RegisterApp => answers::<apps::Registered>(201).taking::<apps::AppDraft>(),
        G::AppDetail => answers::<apps::AppDetail>(200),
        G::UpdateApp => answers::<apps::AppView>(200).taking::<apps::AppDraft>(),
        G::DeleteApp => answers::<Deleted<AppId>>(200),
        G::InstrumentDetail => answers::<instruments::InstrumentView>(200),
        G::UpdateInstrument => {
            answers::<instruments::InstrumentView>(200).taking::<instruments::InstrumentDraft>()
        }
        G::DeleteInstrument => answers::<Deleted<InstrumentSerial>>(200),
        G::ListCalculated => answers::<calculated::CalculatedList>(200),
        G::CreateCalculated => {
            answers::<calculated::CalculatedView>(201).taking::<calculated::Draft>()
        }
        G::CalculatedDetail => answers::<calculated::CalculatedView>(200),
        G::EditCalculated => {
            answers::<calculated::CalculatedView>(200).taking::<calculated::Draft>()
        }
        G::DeleteCalculated => answers::<Deleted<CalcId>>(200),
        G::CopyCalculated => answers::<calculated::CalculatedView>(201),
        G::ListAlarms => answers::<alarms::AlarmList>(200),
        G::CreateAlarm => answers::<alarms::AlarmView>(201).taking::<alarms::Draft>(),
        G::BacktestAlarm => {
            answers::<backtest::Backtest>(200).taking::<backtest::BacktestRequest>()
        }
        G::AlarmDetail => answers::<alarms::AlarmView>(200),
        G::EditAlarm => answers::<alarms::AlarmView>(200).taking::<alarms::Draft>(),
        G::DeleteAlarm => answers::<Deleted<AlarmId>>(200),
        G::TestAlarm => answers::<alarms::TestQueued>(202),
        G::ListFileAlarms => answers::<file_alarms::FileAlarmList>(200),
        G::CreateFileAlarm => {
            answers::<file_alarms::FileAlarmView>(201).taking::<file_alarm::FileAlarmDraft>()
        }
        G::FileAlarmDetail => answers::<file_alarms::FileAlarmView>(200),
        G::ReplaceFileAlarm => {
            answers::<file_alarms::FileAlarmView>(200).taking::<file_alarm::FileAlarmDraft>()
        }
        G::DeleteFileAlarm => answers::<Deleted<FileAlarmId>>(200),
        G::Inbox => answers::<inbox::InboxPage>(200).with_query(INBOX_QUERY),
        G::Destinations => answers::<destinations::DestinationsView>(200),
        G::SetDestinations => answers::<destinations::DestinationsView>(200)
            .taking::<destinations::DestinationsDraft>(),
        G::RequestUpload => answers::<files::UploadView>(201).taking::<drive::UploadDraft>(),
        G::ListFiles => answers::<drive::FilesPage>(200).with_query(FILES_QUERY),
        G::FileDetail => answers::<files::FileView>(200),
        G::PlaceFile => answers::<drive::FileEntry>(200).taking::<drive::FilePlacement>(),
        G::SignParts => answers::<files::PartsView>(200).taking::<drive::PartsAsked>(),
        // Read with `json_body_up_to(request, MAX_COMPLETION_BYTES)`: still JSON.
        G::CompleteParts => answers::<files::CompletedView>(202).taking::<drive::Completion>(),
        G::DeleteFile => answers::<Deleted<FileId>>(200),
        G::MakeFolder => answers::<folders::FolderMade>(201).taking::<drive::FolderPath>(),
        G::MoveFolder => answers::<folders::FolderMoved>(200).taking::<drive::FolderMove>(),
        G::DeleteFolder => answers::<folders::FolderDeleted>(200).taking::<drive::FolderPath>(),
        G::RequestExport => answers::<data_jobs::JobView>(202).taking::<data_job::ExportDraft>(),
        G::ExportDetail => answers::<data_jobs::JobView>(200),
        G::RequestImport => answers::<data_jobs::JobView>(202).taking::<data_job::ImportDraft>(),
        G::ImportDetail => answers::<data_jobs::JobView>(200),
        G::UnreadCount => answers::<inbox::UnreadCount>(200),
        G::MarkAllRead => answers::<inbox::MarkedAllRead>(200),
        G::MarkRead => answers::<inbox::MarkedRead>(200),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::audit_query;
    use crate::files_query::files_query;
    use crate::inbox::inbox_query;
    use crate::series_query::FromQuery;
    use fieldcloud::usecases::series::SeriesQuery;

    /// Each parser refuses an unknown parameter naming the ones it takes, in order: the
    /// lists here are those.
    #[test]
    fn the_query_lists_are_what_the_parsers_take() {
        let unknown = "unknown-parameter=1";
        for (message, query) in [
            (
                SeriesQuery::parse(unknown).unwrap_err().message,
                SERIES_QUERY,
            ),
            (audit_query(unknown).unwrap_err().message, AUDIT_QUERY),
            (files_query(unknown).unwrap_err().message, FILES_QUERY),
            (inbox_query(unknown).unwrap_err().message, INBOX_QUERY),
        ] {
            let names: Vec<&str> = query.iter().map(|param| param.name).collect();
            let expected = format!("; use {}", names.join(", "));
            assert!(
                message.ends_with(&expected),
                "{message:?} should end {expected:?}"
            );
        }
    }
}
