//! Webhook subscriptions as a resource. A team caller creates, sees and changes only its
//! own team's subscriptions; one for every team (no team) needs a service key.

use secrecy::SecretString;
use uuid::Uuid;

use super::{Core, CoreError, Resource, integrations::RESOURCE_PAGE, page_token::TimeCursor};
use crate::{
    domain::{
        Caller, FieldViolation, TeamId, WebhookState, WebhookSubscription, WebhookUrl,
        webhook::{new_signing_secret, secret_binding},
    },
    store::{NewWebhook, WebhookChanges},
};

pub struct NewSubscription {
    /// `None`: the caller's own team (team tokens) or every team (service keys).
    pub team_id: Option<TeamId>,
    pub url: WebhookUrl,
    /// Known type names, sorted and deduplicated; empty means all.
    pub event_types: Vec<String>,
}

/// Fields an update changes; `None` leaves one as it is.
#[derive(Default)]
pub struct SubscriptionChanges {
    pub url: Option<WebhookUrl>,
    pub event_types: Option<Vec<String>>,
    pub state: Option<WebhookState>,
}

pub struct SubscriptionPage {
    pub subscriptions: Vec<WebhookSubscription>,
    pub next_page_token: Option<String>,
}

impl Core {
    /// A subscriber's URL under this service's private-address setting.
    pub fn parse_webhook_url(&self, field: &str, raw: &str) -> Result<WebhookUrl, FieldViolation> {
        WebhookUrl::parse(field, raw, self.allow_private_webhooks)
    }

    async fn visible_webhook(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<WebhookSubscription, CoreError> {
        let found = self.store.get_webhook(id).await?;
        match (caller, found) {
            (Caller::Service, Some(found)) => Ok(found),
            (Caller::Team(own), Some(found)) if found.team_id.as_ref() == Some(own) => Ok(found),
            // A team is never told whether another team's subscription exists.
            (Caller::Team(_), _) => Err(CoreError::PermissionDenied),
            (Caller::Service, None) => Err(not_found(id)),
        }
    }

    pub async fn create_webhook(
        &self,
        caller: &Caller,
        new: NewSubscription,
    ) -> Result<(WebhookSubscription, SecretString), CoreError> {
        let team_id = caller
            .scope(new.team_id)
            .map_err(|_| CoreError::PermissionDenied)?;
        let id = Uuid::new_v4();
        let secret = new_signing_secret();
        let created = self
            .store
            .create_webhook(&NewWebhook {
                id,
                team_id,
                url: new.url.as_str().to_owned(),
                event_types: new.event_types,
                secret_ciphertext: self.cipher.encrypt(&secret, &secret_binding(id)),
            })
            .await?;
        Ok((created, secret))
    }

    pub async fn get_webhook(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<WebhookSubscription, CoreError> {
        self.visible_webhook(caller, id).await
    }

    pub async fn list_webhooks(
        &self,
        caller: &Caller,
        team_id: Option<TeamId>,
        page_size: i32,
        page_token: &str,
    ) -> Result<SubscriptionPage, CoreError> {
        let team_id = caller
            .scope(team_id)
            .map_err(|_| CoreError::PermissionDenied)?;
        let size = RESOURCE_PAGE
            .resolve(page_size)
            .map_err(CoreError::invalid)?;
        let fingerprint = format!("webhooks;team={:?}", team_id.as_ref().map(TeamId::as_str));
        let after = self
            .pages
            .position::<TimeCursor>(page_token, &fingerprint)
            .map_err(CoreError::invalid)?
            .map(|c| (c.time, c.id));
        let mut subscriptions = self
            .store
            .list_webhooks(team_id.as_ref(), after, size as i64 + 1)
            .await?;
        let next_page_token =
            self.pages
                .next_page(&mut subscriptions, size, &fingerprint, |last| TimeCursor {
                    time: last.create_time,
                    id: last.id,
                });
        Ok(SubscriptionPage {
            subscriptions,
            next_page_token,
        })
    }

    pub async fn update_webhook(
        &self,
        caller: &Caller,
        id: Uuid,
        changes: SubscriptionChanges,
    ) -> Result<WebhookSubscription, CoreError> {
        self.visible_webhook(caller, id).await?;
        let changes = WebhookChanges {
            url: changes.url.map(|url| url.as_str().to_owned()),
            event_types: changes.event_types,
            state: changes.state,
        };
        self.store
            .update_webhook(id, &changes)
            .await?
            .ok_or_else(|| not_found(id))
    }

    pub async fn delete_webhook(&self, caller: &Caller, id: Uuid) -> Result<(), CoreError> {
        self.visible_webhook(caller, id).await?;
        match self.store.delete_webhook(id).await? {
            true => Ok(()),
            false => Err(not_found(id)),
        }
    }

    /// A new secret, answered once; deliveries from now on are signed with it.
    pub async fn rotate_webhook_secret(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<(WebhookSubscription, SecretString), CoreError> {
        self.visible_webhook(caller, id).await?;
        let secret = new_signing_secret();
        let sealed = self.cipher.encrypt(&secret, &secret_binding(id));
        let updated = self
            .store
            .set_webhook_secret(id, &sealed)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok((updated, secret))
    }
}

fn not_found(id: Uuid) -> CoreError {
    CoreError::NotFound {
        resource: Resource::WebhookSubscription,
        id: id.to_string(),
    }
}
