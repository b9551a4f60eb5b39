//! The demo tenant the local cloud starts with.

use fieldcloud::adapters::dynamodb::DynamoRegistry;
use fieldcloud::domain::ids::{AccountId, GroupId, ThingName};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::registry::{Account, App, Group};

/// A seeded account with one measurement group and its apps.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub account: Account,
    pub group: Group,
    pub apps: Vec<App>,
}

/// Creates an account on `plan` with group `group` and apps `things` (idempotent: an
/// app that exists is left as it is).
pub async fn tenant(
    registry: &DynamoRegistry,
    account: &str,
    plan: Plan,
    group: &str,
    things: &[&str],
) -> anyhow::Result<Tenant> {
    let account = Account {
        id: AccountId::parse(account)?,
        name: format!("{account} (local)"),
        plan,
    };
    registry.put_account(&account).await?;
    let group = Group {
        account: account.id.clone(),
        id: GroupId::parse(group)?,
        name: group.replace('-', " "),
    };
    registry.put_group(&group).await?;
    let mut apps = Vec::new();
    for thing in things {
        let app = App {
            thing: ThingName::parse(*thing)?,
            account: account.id.clone(),
            group: group.id.clone(),
            name: format!("Gateway {thing}"),
            enabled: true,
            last_seen: None,
        };
        registry.create_app(&app).await?;
        apps.push(app);
    }
    Ok(Tenant {
        account,
        group,
        apps,
    })
}
