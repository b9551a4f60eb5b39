//! The API's one route table: method, path pattern, who may call it, and what runs.
//!
//! The table is data, so the tenant-isolation tests walk it and no route escapes them;
//! what runs is named by a variant of [`Handler`], and `dispatch` matches on it, so the
//! compiler checks that every route has its code. Which kind of handler a route has also
//! says what it is given: nothing for a public route, the caller for an account route,
//! and the caller with the group (found and checked once) for a group route.

use crate::auth::Access;

/// One route. `{…}` in a pattern is one path segment, read by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub pattern: &'static str,
    pub access: Access,
    pub handler: Handler,
}

/// What a route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// Runs without a caller.
    Public(PublicRoute),
    /// Runs for an authenticated caller the route's access lets in.
    Signed(SignedRoute),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedRoute {
    /// Runs on the caller's account.
    Account(AccountRoute),
    /// Runs on one measurement group of the caller's account, found and checked before
    /// it runs: the pattern starts `/v1/groups/{group}`.
    Group(GroupRoute),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicRoute {
    Health,
    OpenApi,
    Login,
    LoginTwoStep,
    RequestTrial,
    ConfirmTrial,
    RequestReset,
    CompleteReset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRoute {
    Logout,
    EnrollMailedCode,
    ConfirmMailedCode,
    DisableMailedCode,
    EnrollTotp,
    ConfirmTotp,
    DisableTotp,
    ListUsers,
    CreateUser,
    UserDetail,
    UpdateUser,
    DeleteUser,
    Me,
    ChangePassword,
    AuditLog,
    AccountDetail,
    PlanDetail,
    ChangePlan,
    RequestQuote,
    UpdateSettings,
    SetLoginAlias,
    Logo,
    SetLogo,
    DeleteLogo,
    TemporaryLogin,
    ListApiTokens,
    IssueApiToken,
    RevokeApiToken,
    SetAllowList,
    ListTeams,
    CreateTeam,
    TeamDetail,
    UpdateTeam,
    DeleteTeam,
    ListGroups,
    CreateGroup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRoute {
    Detail,
    Rename,
    Delete,
    Grants,
    SetGrants,
    Latest,
    Series,
    ListApps,
    RegisterApp,
    AppDetail,
    UpdateApp,
    DeleteApp,
    InstrumentDetail,
    UpdateInstrument,
    DeleteInstrument,
    ListCalculated,
    CreateCalculated,
    CalculatedDetail,
    EditCalculated,
    DeleteCalculated,
    CopyCalculated,
    ListAlarms,
    CreateAlarm,
    BacktestAlarm,
    AlarmDetail,
    EditAlarm,
    DeleteAlarm,
    TestAlarm,
    ListFileAlarms,
    CreateFileAlarm,
    FileAlarmDetail,
    ReplaceFileAlarm,
    DeleteFileAlarm,
    Inbox,
    Destinations,
    SetDestinations,
    RequestUpload,
    ListFiles,
    FileDetail,
    PlaceFile,
    SignParts,
    CompleteParts,
    DeleteFile,
    MakeFolder,
    MoveFolder,
    DeleteFolder,
    RequestExport,
    ExportDetail,
    RequestImport,
    ImportDetail,
    UnreadCount,
    MarkAllRead,
    MarkRead,
}

const fn public(method: &'static str, pattern: &'static str, handler: PublicRoute) -> Route {
    Route {
        method,
        pattern,
        access: Access::Public,
        handler: Handler::Public(handler),
    }
}

const fn account(
    method: &'static str,
    pattern: &'static str,
    access: Access,
    handler: AccountRoute,
) -> Route {
    Route {
        method,
        pattern,
        access,
        handler: Handler::Signed(SignedRoute::Account(handler)),
    }
}

const fn group(
    method: &'static str,
    pattern: &'static str,
    access: Access,
    handler: GroupRoute,
) -> Route {
    Route {
        method,
        pattern,
        access,
        handler: Handler::Signed(SignedRoute::Group(handler)),
    }
}

use AccountRoute as A;
use GroupRoute as G;
use PublicRoute as P;

/// Every route. Only these are answered: a path that fits a pattern under another
/// method gets 405, and any other path 404. A literal segment wins over a placeholder:
/// `/alarms/backtest` is never the alarm `backtest`.
pub const ROUTES: &[Route] = &[
    public("GET", "/health", P::Health),
    public("GET", "/openapi.json", P::OpenApi),
    public("POST", "/v1/login", P::Login),
    public("POST", "/v1/login/two-step", P::LoginTwoStep),
    public("POST", "/v1/trial", P::RequestTrial),
    public("POST", "/v1/trial/confirm", P::ConfirmTrial),
    public("POST", "/v1/password-reset", P::RequestReset),
    public("POST", "/v1/password-reset/complete", P::CompleteReset),
    account(
        "POST",
        "/v1/two-step/email",
        Access::Member,
        A::EnrollMailedCode,
    ),
    account(
        "POST",
        "/v1/two-step/email/confirm",
        Access::Member,
        A::ConfirmMailedCode,
    ),
    account(
        "POST",
        "/v1/two-step/email/disable",
        Access::Member,
        A::DisableMailedCode,
    ),
    account("POST", "/v1/two-step/totp", Access::Member, A::EnrollTotp),
    account(
        "POST",
        "/v1/two-step/totp/confirm",
        Access::Member,
        A::ConfirmTotp,
    ),
    account(
        "POST",
        "/v1/two-step/totp/disable",
        Access::Member,
        A::DisableTotp,
    ),
    account("POST", "/v1/logout", Access::Member, A::Logout),
    account("GET", "/v1/users", Access::Admin, A::ListUsers),
    account("POST", "/v1/users", Access::Admin, A::CreateUser),
    account("GET", "/v1/users/{user}", Access::Admin, A::UserDetail),
    account("PUT", "/v1/users/{user}", Access::Admin, A::UpdateUser),
    account("DELETE", "/v1/users/{user}", Access::Admin, A::DeleteUser),
    account("GET", "/v1/me", Access::Member, A::Me),
    account("PUT", "/v1/me/password", Access::Member, A::ChangePassword),
    account("GET", "/v1/audit", Access::Admin, A::AuditLog),
    account("GET", "/v1/account", Access::Member, A::AccountDetail),
    account("PUT", "/v1/account", Access::Admin, A::UpdateSettings),
    account("GET", "/v1/account/plan", Access::Member, A::PlanDetail),
    account("POST", "/v1/account/plan", Access::Admin, A::ChangePlan),
    account("POST", "/v1/account/quote", Access::Admin, A::RequestQuote),
    account(
        "PUT",
        "/v1/account/login-alias",
        Access::Admin,
        A::SetLoginAlias,
    ),
    account("GET", "/v1/account/logo", Access::Member, A::Logo),
    account("PUT", "/v1/account/logo", Access::Admin, A::SetLogo),
    account("DELETE", "/v1/account/logo", Access::Admin, A::DeleteLogo),
    account(
        "POST",
        "/v1/temporary-logins",
        Access::Member,
        A::TemporaryLogin,
    ),
    account("GET", "/v1/api-tokens", Access::Member, A::ListApiTokens),
    account("POST", "/v1/api-tokens", Access::Member, A::IssueApiToken),
    account(
        "DELETE",
        "/v1/api-tokens/{token}",
        Access::Member,
        A::RevokeApiToken,
    ),
    account(
        "PUT",
        "/v1/account/allow-list",
        Access::Admin,
        A::SetAllowList,
    ),
    account("GET", "/v1/teams", Access::Admin, A::ListTeams),
    account("POST", "/v1/teams", Access::Admin, A::CreateTeam),
    account("GET", "/v1/teams/{team}", Access::Admin, A::TeamDetail),
    account("PUT", "/v1/teams/{team}", Access::Admin, A::UpdateTeam),
    account("DELETE", "/v1/teams/{team}", Access::Admin, A::DeleteTeam),
    account("GET", "/v1/groups", Access::Member, A::ListGroups),
    account("POST", "/v1/groups", Access::Admin, A::CreateGroup),
    group("GET", "/v1/groups/{group}", Access::GroupViewer, G::Detail),
    group("PUT", "/v1/groups/{group}", Access::Admin, G::Rename),
    group("DELETE", "/v1/groups/{group}", Access::Admin, G::Delete),
    group("GET", "/v1/groups/{group}/grants", Access::Admin, G::Grants),
    group(
        "PUT",
        "/v1/groups/{group}/grants",
        Access::Admin,
        G::SetGrants,
    ),
    group(
        "GET",
        "/v1/groups/{group}/latest",
        Access::GroupViewer,
        G::Latest,
    ),
    group(
        "GET",
        "/v1/groups/{group}/series",
        Access::GroupViewer,
        G::Series,
    ),
    group(
        "GET",
        "/v1/groups/{group}/apps",
        Access::GroupViewer,
        G::ListApps,
    ),
    group(
        "POST",
        "/v1/groups/{group}/apps",
        Access::Admin,
        G::RegisterApp,
    ),
    group(
        "GET",
        "/v1/groups/{group}/apps/{app}",
        Access::GroupViewer,
        G::AppDetail,
    ),
    group(
        "PUT",
        "/v1/groups/{group}/apps/{app}",
        Access::Admin,
        G::UpdateApp,
    ),
    group(
        "DELETE",
        "/v1/groups/{group}/apps/{app}",
        Access::Admin,
        G::DeleteApp,
    ),
    group(
        "GET",
        "/v1/groups/{group}/apps/{app}/instruments/{serial}",
        Access::GroupViewer,
        G::InstrumentDetail,
    ),
    group(
        "PUT",
        "/v1/groups/{group}/apps/{app}/instruments/{serial}",
        Access::Admin,
        G::UpdateInstrument,
    ),
    group(
        "DELETE",
        "/v1/groups/{group}/apps/{app}/instruments/{serial}",
        Access::Admin,
        G::DeleteInstrument,
    ),
    group(
        "GET",
        "/v1/groups/{group}/calculated",
        Access::GroupViewer,
        G::ListCalculated,
    ),
    group(
        "POST",
        "/v1/groups/{group}/calculated",
        Access::GroupEditor,
        G::CreateCalculated,
    ),
    group(
        "GET",
        "/v1/groups/{group}/calculated/{id}",
        Access::GroupViewer,
        G::CalculatedDetail,
    ),
    group(
        "PUT",
        "/v1/groups/{group}/calculated/{id}",
        Access::GroupEditor,
        G::EditCalculated,
    ),
    group(
        "DELETE",
        "/v1/groups/{group}/calculated/{id}",
        Access::GroupEditor,
        G::DeleteCalculated,
    ),
    group(
        "POST",
        "/v1/groups/{group}/calculated/{id}/copy",
        Access::GroupEditor,
        G::CopyCalculated,
    ),
    group(
        "GET",
        "/v1/groups/{group}/alarms",
        Access::GroupViewer,
        G::ListAlarms,
    ),
    group(
        "POST",
        "/v1/groups/{group}/alarms",
        Access::GroupEditor,
        G::CreateAlarm,
    ),
    group(
        "POST",
        "/v1/groups/{group}/alarms/backtest",
        Access::GroupViewer,
        G::BacktestAlarm,
    ),
    group(
        "GET",
        "/v1/groups/{group}/alarms/{alarm}",
        Access::GroupViewer,
        G::AlarmDetail,
    ),
    group(
        "PUT",
        "/v1/groups/{group}/alarms/{alarm}",
        Access::GroupEditor,
        G::EditAlarm,
    ),
    group(
        "DELETE",
        "/v1/groups/{group}/alarms/{alarm}",
        Access::GroupEditor,
        G::DeleteAlarm,
    ),
    group(
        "POST",
        "/v1/groups/{group}/alarms/{alarm}/test",
        Access::GroupEditor,
        G::TestAlarm,
    ),
    group(
        "GET",
        "/v1/groups/{group}/file-alarms",
        Access::GroupViewer,
        G::ListFileAlarms,
    ),
    group(
        "POST",
        "/v1/groups/{group}/file-alarms",
        Access::GroupEditor,
        G::CreateFileAlarm,
    ),
    group(
        "GET",
        "/v1/groups/{group}/file-alarms/{rule}",
        Access::GroupViewer,
        G::FileAlarmDetail,
    ),
    group(
        "PUT",
        "/v1/groups/{group}/file-alarms/{rule}",
        Access::GroupEditor,
        G::ReplaceFileAlarm,
    ),
    group(
        "DELETE",
        "/v1/groups/{group}/file-alarms/{rule}",
        Access::GroupEditor,
        G::DeleteFileAlarm,
    ),
    group(
        "GET",
        "/v1/groups/{group}/inbox",
        Access::GroupViewer,
        G::Inbox,
    ),
    group(
        "POST",
        "/v1/groups/{group}/files",
        Access::GroupEditor,
        G::RequestUpload,
    ),
    group(
        "GET",
        "/v1/groups/{group}/files",
        Access::GroupViewer,
        G::ListFiles,
    ),
    group(
        "POST",
        "/v1/groups/{group}/files/{file}/parts",
        Access::GroupEditor,
        G::SignParts,
    ),
    group(
        "POST",
        "/v1/groups/{group}/files/{file}/complete",
        Access::GroupEditor,
        G::CompleteParts,
    ),
    group(
        "GET",
        "/v1/groups/{group}/files/{file}",
        Access::GroupViewer,
        G::FileDetail,
    ),
    group(
        "PUT",
        "/v1/groups/{group}/files/{file}",
        Access::GroupEditor,
        G::PlaceFile,
    ),
    group(
        "DELETE",
        "/v1/groups/{group}/files/{file}",
        Access::GroupEditor,
        G::DeleteFile,
    ),
    group(
        "POST",
        "/v1/groups/{group}/folders",
        Access::GroupEditor,
        G::MakeFolder,
    ),
    group(
        "POST",
        "/v1/groups/{group}/folders/move",
        Access::GroupEditor,
        G::MoveFolder,
    ),
    group(
        "POST",
        "/v1/groups/{group}/folders/delete",
        Access::GroupEditor,
        G::DeleteFolder,
    ),
    group(
        "POST",
        "/v1/groups/{group}/exports",
        Access::GroupViewer,
        G::RequestExport,
    ),
    group(
        "GET",
        "/v1/groups/{group}/exports/{job}",
        Access::GroupViewer,
        G::ExportDetail,
    ),
    group(
        "POST",
        "/v1/groups/{group}/imports",
        Access::GroupEditor,
        G::RequestImport,
    ),
    group(
        "GET",
        "/v1/groups/{group}/imports/{job}",
        Access::GroupViewer,
        G::ImportDetail,
    ),
    group(
        "GET",
        "/v1/groups/{group}/destinations",
        Access::GroupEditor,
        G::Destinations,
    ),
    group(
        "PUT",
        "/v1/groups/{group}/destinations",
        Access::GroupEditor,
        G::SetDestinations,
    ),
    group(
        "GET",
        "/v1/groups/{group}/inbox/unread",
        Access::GroupViewer,
        G::UnreadCount,
    ),
    // Marks are the caller's own, not the group's: a viewer of the group may make them.
    group(
        "POST",
        "/v1/groups/{group}/inbox/read",
        Access::GroupViewer,
        G::MarkAllRead,
    ),
    group(
        "POST",
        "/v1/groups/{group}/inbox/{notification}/read",
        Access::GroupViewer,
        G::MarkRead,
    ),
];

/// A request's path matched against a route's pattern: the values of its placeholders.
#[derive(Debug)]
pub struct PathParams<'a> {
    pairs: Vec<(&'static str, &'a str)>,
}

impl<'a> PathParams<'a> {
    /// The value of placeholder `{name}`. Only the route's own code asks, for names its
    /// pattern has, so a missing name is a mistake in this file.
    pub fn get(&self, name: &str) -> &'a str {
        self.pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
            .unwrap_or_else(|| panic!("route pattern has no `{{{name}}}`"))
    }
}

/// The routes whose patterns `segments` (a path split at `/`) fit, with their
/// placeholders' values; of those, only the ones with the fewest placeholders, the most
/// literal: `GET /alarms/backtest` fits the backtest route under another method, not the
/// read of an alarm of that ID.
pub fn fitting<'a>(segments: &[&'a str]) -> Vec<(&'static Route, PathParams<'a>)> {
    let mut fitting: Vec<(&'static Route, PathParams<'a>)> = ROUTES
        .iter()
        .filter_map(|route| Some((route, route.fit(segments)?)))
        .collect();
    let fewest = fitting.iter().map(|(_, params)| params.pairs.len()).min();
    fitting.retain(|(_, params)| Some(params.pairs.len()) == fewest);
    fitting
}

impl Route {
    /// The placeholders' values if `segments` (the path split at `/`) fit the pattern.
    pub fn fit<'a>(&self, segments: &[&'a str]) -> Option<PathParams<'a>> {
        let parts: Vec<&'static str> = self.pattern.trim_matches('/').split('/').collect();
        if parts.len() != segments.len() {
            return None;
        }
        let mut pairs = Vec::new();
        for (part, segment) in parts.into_iter().zip(segments) {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => pairs.push((name, *segment)),
                None if part == *segment => {}
                None => return None,
            }
        }
        Some(PathParams { pairs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_a_group_route_exactly_when_its_pattern_names_a_group() {
        for route in ROUTES {
            let scoped = route.pattern.starts_with("/v1/groups/{group}");
            let group_handler = matches!(route.handler, Handler::Signed(SignedRoute::Group(_)));
            assert_eq!(scoped, group_handler, "{} {}", route.method, route.pattern);
            let public = route.access == Access::Public;
            let public_handler = matches!(route.handler, Handler::Public(_));
            assert_eq!(public, public_handler, "{} {}", route.method, route.pattern);
        }
    }

    /// `events/api.json`, what `sam local invoke ApiFunction` is given: API Gateway's
    /// HTTP API (payload 2.0) event of a login.
    #[test]
    fn the_sample_event_is_a_login_through_the_http_api() {
        let request =
            lambda_http::request::from_str(include_str!("../../../events/api.json")).unwrap();
        let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
        let routes = fitting(&segments);
        assert_eq!(routes.len(), 1);
        assert_eq!(
            (routes[0].0.method, request.method().as_str()),
            ("POST", "POST")
        );
        assert_eq!(routes[0].0.handler, Handler::Public(PublicRoute::Login));
    }

    #[test]
    fn no_two_routes_share_a_method_and_pattern_or_a_handler() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    (a.method, a.pattern) != (b.method, b.pattern),
                    "{} {}",
                    a.method,
                    a.pattern
                );
                assert_ne!(a.handler, b.handler, "{} {}", a.method, a.pattern);
            }
        }
    }

    #[test]
    fn a_literal_segment_wins_over_a_placeholder() {
        let handlers = |path: &str| -> Vec<(&str, Handler)> {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            fitting(&segments)
                .into_iter()
                .map(|(route, _)| (route.method, route.handler))
                .collect()
        };
        let backtest = Handler::Signed(SignedRoute::Group(GroupRoute::BacktestAlarm));
        assert_eq!(
            handlers("/v1/groups/plant/alarms/backtest"),
            vec![("POST", backtest)]
        );
        let alarm = handlers("/v1/groups/plant/alarms/0123456789ab");
        assert_eq!(alarm.len(), 3, "{alarm:?}");
        assert!(alarm.iter().all(|(_, handler)| *handler != backtest));
    }

    #[test]
    fn the_inbox_words_are_never_notification_ids() {
        let handlers = |path: &str| -> Vec<(&str, Handler)> {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            fitting(&segments)
                .into_iter()
                .map(|(route, _)| (route.method, route.handler))
                .collect()
        };
        let group = |route| Handler::Signed(SignedRoute::Group(route));
        assert_eq!(
            handlers("/v1/groups/plant/inbox/unread"),
            vec![("GET", group(GroupRoute::UnreadCount))]
        );
        assert_eq!(
            handlers("/v1/groups/plant/inbox/read"),
            vec![("POST", group(GroupRoute::MarkAllRead))]
        );
        assert_eq!(
            handlers("/v1/groups/plant/inbox/001700000000000.hot.1.raised/read"),
            vec![("POST", group(GroupRoute::MarkRead))]
        );
        assert!(handlers("/v1/groups/plant/inbox/001700000000000.hot.1.raised").is_empty());
    }

    #[test]
    fn placeholders_are_read_by_name() {
        let route = ROUTES
            .iter()
            .find(|r| {
                r.handler == Handler::Signed(SignedRoute::Group(GroupRoute::InstrumentDetail))
            })
            .unwrap();
        let segments = [
            "v1",
            "groups",
            "plant",
            "apps",
            "gw-a",
            "instruments",
            "LR-1",
        ];
        let params = route.fit(&segments).unwrap();
        assert_eq!(
            (params.get("group"), params.get("app"), params.get("serial")),
            ("plant", "gw-a", "LR-1")
        );
        assert!(route
            .fit(&["v1", "groups", "plant", "apps", "gw-a"])
            .is_none());
        let other = [
            "v1",
            "groups",
            "plant",
            "files",
            "gw-a",
            "instruments",
            "LR-1",
        ];
        assert!(route.fit(&other).is_none());
    }
}
