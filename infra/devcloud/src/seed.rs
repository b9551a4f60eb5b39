//! The demo tenant the local cloud starts with.

use anyhow::Context;
use fieldcloud::adapters::dynamodb::DynamoStore;
use fieldcloud::domain::access::{Grant, Grantee, GroupRole, Team};
use fieldcloud::domain::alarm::{Alarm, Condition, Join, Limit, Rule};
use fieldcloud::domain::auth::{check_password_policy, hash_password, Role, User};
use fieldcloud::domain::channel::SeriesRef;
use fieldcloud::domain::ids::AlarmId;
use fieldcloud::domain::ids::UserId;
use fieldcloud::domain::ids::{AccountId, AppId, GroupId, TeamId};
use fieldcloud::domain::notify::{Destinations, WebhookUrl};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::registry::{Account, App, AppKind, Group, RegistrationId};
use fieldcloud::ports::{
    Accounts, Alarms, Apps, Created, GroupKey, Groups, NotificationDestinations, Teams, Users,
};

/// A seeded account with one measurement group and its apps.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub account: Account,
    pub group: Group,
    pub apps: Vec<App>,
}

/// Creates an account on `plan` with group `group` and apps `app_ids`, through the same
/// limit-checked paths as the API (idempotent: what exists is left as it is).
pub async fn tenant(
    store: &DynamoStore,
    account: &str,
    plan: Plan,
    group: &str,
    app_ids: &[&str],
) -> anyhow::Result<Tenant> {
    let account = Account::new(
        AccountId::parse(account)?,
        format!("{account} (local)"),
        plan,
        crate::wall_clock(),
    );
    store.create_account(&account).await?;
    let group = Group {
        account: account.id.clone(),
        id: GroupId::parse(group)?,
        name: group.replace('-', " "),
        grants: Vec::new(),
    };
    let limits = plan.limits();
    match store.create_group(&group, limits.groups).await? {
        Created::Created | Created::Exists => {}
        Created::LimitReached => anyhow::bail!("plan {plan} allows {} groups", limits.groups),
    }
    let mut apps = Vec::new();
    for app_id in app_ids {
        let app = App {
            id: AppId::parse(*app_id)?,
            account: account.id.clone(),
            group: group.id.clone(),
            kind: AppKind::Gateway,
            name: format!("Gateway {app_id}"),
            enabled: true,
            // The simulated fleet connects to the local broker, which asks for none.
            certificate: None,
            last_seen: None,
            status: Default::default(),
            registration: RegistrationId::from_random(rand::random()),
            registered: crate::wall_clock(),
        };
        let app = match store.register_app(&app, limits.apps).await? {
            Created::Created => app,
            Created::Exists => store
                .app(&app.account, &app.id)
                .await?
                .context("an app that exists can be read")?,
            Created::LimitReached => anyhow::bail!("plan {plan} allows {} apps", limits.apps),
        };
        apps.push(app);
    }
    Ok(Tenant {
        account,
        group,
        apps,
    })
}

/// Creates an admin user with `password` and the address `{user}@{account}.example` on
/// `account` (idempotent: an existing user is left as it is).
pub async fn admin(
    store: &DynamoStore,
    account: &Account,
    user: &str,
    password: &str,
) -> anyhow::Result<()> {
    self::user(store, account, user, Role::Admin, password).await
}

/// A member who sees group `group` as a viewer through team `team`: what an admin would
/// set up for a colleague who only watches the measurements.
pub async fn viewer_through_team(
    store: &DynamoStore,
    account: &Account,
    group: &Group,
    (user, password): (&str, &str),
    team: &str,
) -> anyhow::Result<()> {
    self::user(store, account, user, Role::Member, password).await?;
    let team = Team {
        account: account.id.clone(),
        id: TeamId::parse(team)?,
        name: team.replace('-', " "),
        members: vec![UserId::parse(user)?],
    };
    if store
        .create_team(&team, account.plan.limits().teams)
        .await?
        == Created::LimitReached
    {
        anyhow::bail!("plan {} allows no teams", account.plan);
    }
    let mut group = group.clone();
    group.grants = vec![Grant {
        to: Grantee::Team(team.id),
        role: GroupRole::Viewer,
    }];
    store.set_grants(&group).await?;
    Ok(())
}

/// A Trial account `account` whose owner logs in with `email` and `password`, made the
/// way confirming a sign-up makes it.
pub async fn trial(
    store: &DynamoStore,
    account: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let mut account = Account::new(
        AccountId::parse(account)?,
        email.to_owned(),
        Plan::Trial,
        crate::wall_clock(),
    );
    account.contract_email = Some(email.to_owned());
    let owner = User {
        account: account.id.clone(),
        id: UserId::parse("owner")?,
        role: Role::Admin,
        password_hash: hash_password(password),
        totp: None,
        email_two_step: false,
        email: Some(email.to_owned()),
    };
    if !store.create_trial(&account, &owner).await? {
        anyhow::bail!("{email} has a trial already");
    }
    Ok(())
}

async fn user(
    store: &DynamoStore,
    account: &Account,
    user: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<()> {
    let user = User {
        account: account.id.clone(),
        id: UserId::parse(user)?,
        role,
        password_hash: hash_password(password),
        totp: None,
        email_two_step: false,
        email: Some(format!("{user}@{}.example", account.id)),
    };
    check_password_policy(password, &user.id).map_err(anyhow::Error::msg)?;
    if store
        .create_user(&user, account.plan.limits().users)
        .await?
        == Created::LimitReached
    {
        anyhow::bail!("plan {} allows no more users", account.plan);
    }
    Ok(())
}

/// A password that meets the policy, new on every start.
pub fn generated_password() -> String {
    format!("Fc-{:010x}-7q", rand::random::<u64>() & 0xff_ffff_ffff)
}

/// The demo alarm: the power meter's current `I1` (a load cycling every three minutes
/// between 16 and 22.4 A) above 18 A raises it, at or below 17 A clears it, so it fires
/// within two minutes of the fleet's start and every three minutes after; mailed to
/// `mail_to` and posted to Slack and WeCom (the capture server, locally).
pub async fn demo_alarm(store: &DynamoStore, tenant: &Tenant, mail_to: &str) -> anyhow::Result<()> {
    let app = tenant
        .apps
        .get(1)
        .context("the demo alarm watches the second app's power meter")?;
    let alarm = Alarm {
        account: tenant.account.id.clone(),
        group: tenant.group.id.clone(),
        id: AlarmId::parse("demo-overload")?,
        name: "Line 1 overload".into(),
        rule: Rule {
            conditions: vec![Condition {
                channel: SeriesRef::parse(&format!("{}/PW3390-0001/I1", app.id))
                    .map_err(anyhow::Error::msg)?,
                raise: Limit::Above { value: 18.0 },
                clear: Some(Limit::Above { value: 17.0 }),
            }],
            join: Join::And,
            window: None,
            hold_millis: 0,
            recovery: true,
            special_values: false,
        },
        enabled: true,
        version: 1,
    };
    // Created as stored, ahead of the fleet's first record (the API would first want
    // the channel acquired).
    store
        .create_alarm(&alarm, tenant.account.plan.limits().data_alarms_per_group)
        .await?;
    let key = GroupKey {
        account: &tenant.account.id,
        group: &tenant.group.id,
    };
    let destinations = Destinations {
        mail: vec![UserId::parse(mail_to)?],
        slack: Some(WebhookUrl::new(
            "https://hooks.slack.com/services/T0DEMO/B0DEMO/demo-hook",
        )),
        wecom: Some(WebhookUrl::new(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo-key",
        )),
        language: None,
        app_status: true,
    };
    store.set_destinations(key, &destinations).await?;
    Ok(())
}

/// Gives `account` a paid license ending as the China Standard Time day `expiry` begins,
/// and `contract_email` for its license notices: what the license-reminder job works on.
pub async fn license(
    store: &DynamoStore,
    account: &Account,
    expiry: &str,
    contract_email: &str,
) -> anyhow::Result<Account> {
    let day: chrono::NaiveDate = expiry.parse().context("a license expiry date")?;
    let expires = fieldcloud::domain::schedule::china_midnight(day);
    let mut licensed = account.clone();
    licensed.contract_email = Some(contract_email.to_owned());
    anyhow::ensure!(
        store.update_settings(&licensed).await?,
        "no account {}",
        account.id
    );
    if account.license_expires != Some(expires) {
        anyhow::ensure!(
            store.set_license(account, expires).await?,
            "the license of {} changed meanwhile",
            account.id
        );
    }
    licensed.license_expires = Some(expires);
    Ok(licensed)
}
