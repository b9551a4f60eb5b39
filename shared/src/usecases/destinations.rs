//! A group's notification destinations over the API: read with the webhooks masked,
//! replaced whole by an editor.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::access::may_see_group;
use super::Refused;
use crate::domain::ids::UserId;
use crate::domain::notify::{Destinations, WebhookUrl};
use crate::domain::registry::Group;
use crate::domain::settings::Language;
use crate::domain::token::Principal;
use crate::ports::{GroupKey, NotificationDestinations, Teams, Users};

/// The destinations as shown: webhook addresses masked (they are secrets).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DestinationsView {
    pub mail: Vec<UserId>,
    pub slack: Option<String>,
    pub wecom: Option<String>,
    /// `null`: the account's language.
    pub language: Option<Language>,
    /// Whether apps' "connected" and "disconnected" are sent too (the inbox has them
    /// either way).
    pub app_status: bool,
}

impl DestinationsView {
    fn of(destinations: &Destinations) -> DestinationsView {
        DestinationsView {
            mail: destinations.mail.clone(),
            slack: destinations.slack.as_ref().map(WebhookUrl::masked),
            wecom: destinations.wecom.as_ref().map(WebhookUrl::masked),
            language: destinations.language,
            app_status: destinations.app_status,
        }
    }
}

/// What a `PUT` carries: all of it (left out is none). A webhook sent back as it was
/// shown (masked) keeps the address stored, so a client may send back what it read.
// No `Debug`: the webhooks in it are secrets.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationsDraft {
    #[serde(default)]
    pub mail: Vec<UserId>,
    #[serde(default)]
    pub slack: Option<String>,
    #[serde(default)]
    pub wecom: Option<String>,
    #[serde(default)]
    pub language: Option<Language>,
    /// On when left out.
    #[serde(default = "app_status_on")]
    pub app_status: bool,
}

fn app_status_on() -> bool {
    Destinations::default().app_status
}

fn key<'a>(principal: &'a Principal, group: &'a Group) -> GroupKey<'a> {
    GroupKey {
        account: &principal.account,
        group: &group.id,
    }
}

pub async fn get(
    store: &impl NotificationDestinations,
    principal: &Principal,
    group: &Group,
) -> Result<DestinationsView, Refused> {
    let destinations = store
        .destinations(key(principal, group))
        .await?
        .ok_or_else(|| Refused::not_found(format!("measurement group `{}` not found", group.id)))?;
    Ok(DestinationsView::of(&destinations))
}

pub async fn set(
    store: &(impl NotificationDestinations + Users + Teams),
    principal: &Principal,
    group: &Group,
    draft: DestinationsDraft,
) -> Result<DestinationsView, Refused> {
    let not_found = || Refused::not_found(format!("measurement group `{}` not found", group.id));
    let current = store
        .destinations(key(principal, group))
        .await?
        .ok_or_else(not_found)?;
    let kept = |sent: Option<String>, stored: &Option<WebhookUrl>| {
        sent.map(|sent| match stored {
            Some(stored) if stored.masked() == sent => stored.clone(),
            _ => WebhookUrl::new(sent),
        })
    };
    let destinations = Destinations {
        slack: kept(draft.slack, &current.slack),
        wecom: kept(draft.wecom, &current.wecom),
        mail: draft.mail,
        language: draft.language,
        app_status: draft.app_status,
    };
    destinations.check().map_err(Refused::invalid)?;
    for user_id in &destinations.mail {
        let user = store
            .user(&principal.account, user_id)
            .await?
            .ok_or_else(|| Refused::invalid(format!("`mail`: no user `{user_id}`")))?;
        if !may_see_group(store, &user, group).await? {
            return Err(Refused::invalid(format!(
                "`mail`: user `{user_id}` may not see group `{}`; grant it first",
                group.id
            )));
        }
    }
    if !store
        .set_destinations(key(principal, group), &destinations)
        .await?
    {
        return Err(not_found());
    }
    Ok(DestinationsView::of(&destinations))
}
