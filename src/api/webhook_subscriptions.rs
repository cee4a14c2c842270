//! The webhook subscription RPCs of EventService: requests to domain values and back.
//! `EventApi` answers each of them by calling the function of the same name here.

use secrecy::{ExposeSecret, SecretString};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Violations, caller, convert::timestamp, optional};
use crate::{
    core::{Core, CoreError, NewSubscription, SubscriptionChanges},
    domain::{FieldViolation, TeamId, WebhookState, WebhookSubscription, event::parse_event_types},
    proto::v1,
};

fn to_proto(sub: WebhookSubscription, secret: Option<SecretString>) -> v1::WebhookSubscription {
    let state = match sub.state {
        WebhookState::Active => v1::WebhookSubscriptionState::Active,
        WebhookState::Disabled => v1::WebhookSubscriptionState::Disabled,
    };
    v1::WebhookSubscription {
        id: sub.id.to_string(),
        team_id: sub
            .team_id
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        url: sub.url,
        event_types: sub.event_types,
        state: state as i32,
        create_time: Some(timestamp(sub.create_time)),
        update_time: Some(timestamp(sub.update_time)),
        signing_secret: secret
            .map(|s| s.expose_secret().to_owned())
            .unwrap_or_default(),
        last_error: sub.last_error.unwrap_or_default(),
        delivered_cursor: sub.delivered_cursor.encode(),
    }
}

fn subscription_id(field: &str, raw: &str) -> Result<Uuid, FieldViolation> {
    if raw.is_empty() {
        return Err(FieldViolation::new(field, "is required"));
    }
    Uuid::parse_str(raw).map_err(|_| FieldViolation::new(field, "is not a subscription id"))
}

fn id_only(raw: &str) -> Result<Uuid, Status> {
    subscription_id("subscription_id", raw).map_err(|v| CoreError::invalid(v).into())
}

fn required(
    subscription: Option<v1::WebhookSubscription>,
) -> Result<v1::WebhookSubscription, Status> {
    subscription.ok_or_else(|| {
        CoreError::invalid(FieldViolation::new("subscription", "is required")).into()
    })
}

/// `None` for UNSPECIFIED; an unknown number is a violation.
fn state(violations: &mut Violations, raw: i32) -> Option<WebhookState> {
    match v1::WebhookSubscriptionState::try_from(raw) {
        Ok(v1::WebhookSubscriptionState::Active) => Some(WebhookState::Active),
        Ok(v1::WebhookSubscriptionState::Disabled) => Some(WebhookState::Disabled),
        Ok(v1::WebhookSubscriptionState::Unspecified) => None,
        Err(_) => {
            violations.add("subscription.state", "is not a subscription state");
            None
        }
    }
}

fn event_types(violations: &mut Violations, raw: &[String]) -> Option<Vec<String>> {
    parse_event_types("subscription.event_types", raw)
        .map_err(|found| violations.0.extend(found))
        .ok()
}

pub async fn create(
    core: &Core,
    request: Request<v1::CreateWebhookSubscriptionRequest>,
) -> Result<Response<v1::WebhookSubscription>, Status> {
    let caller = caller(&request)?;
    let sub = required(request.into_inner().subscription)?;
    let mut violations = Violations::default();
    let team_id = violations.check(optional(
        "subscription.team_id",
        &sub.team_id,
        TeamId::parse,
    ));
    let url = violations.check(core.parse_webhook_url("subscription.url", &sub.url));
    let types = event_types(&mut violations, &sub.event_types);
    if state(&mut violations, sub.state) == Some(WebhookState::Disabled) {
        violations.add("subscription.state", "a subscription starts ACTIVE");
    }
    violations.into_result()?;
    let (Some(team_id), Some(url), Some(event_types)) = (team_id, url, types) else {
        unreachable!("violations checked above")
    };
    let new = NewSubscription {
        team_id,
        url,
        event_types,
    };
    let (created, secret) = core.create_webhook(&caller, new).await?;
    Ok(Response::new(to_proto(created, Some(secret))))
}

pub async fn get(
    core: &Core,
    request: Request<v1::GetWebhookSubscriptionRequest>,
) -> Result<Response<v1::WebhookSubscription>, Status> {
    let caller = caller(&request)?;
    let id = id_only(&request.into_inner().subscription_id)?;
    let found = core.get_webhook(&caller, id).await?;
    Ok(Response::new(to_proto(found, None)))
}

pub async fn list(
    core: &Core,
    request: Request<v1::ListWebhookSubscriptionsRequest>,
) -> Result<Response<v1::ListWebhookSubscriptionsResponse>, Status> {
    let caller = caller(&request)?;
    let v1::ListWebhookSubscriptionsRequest {
        team_id,
        page_size,
        page_token,
    } = request.into_inner();
    let team_id = optional("team_id", &team_id, TeamId::parse).map_err(CoreError::invalid)?;
    let page = core
        .list_webhooks(&caller, team_id, page_size, &page_token)
        .await?;
    Ok(Response::new(v1::ListWebhookSubscriptionsResponse {
        subscriptions: page
            .subscriptions
            .into_iter()
            .map(|s| to_proto(s, None))
            .collect(),
        next_page_token: page.next_page_token.unwrap_or_default(),
    }))
}

pub async fn update(
    core: &Core,
    request: Request<v1::UpdateWebhookSubscriptionRequest>,
) -> Result<Response<v1::WebhookSubscription>, Status> {
    let caller = caller(&request)?;
    let v1::UpdateWebhookSubscriptionRequest {
        subscription,
        update_mask,
    } = request.into_inner();
    let sub = required(subscription)?;
    let mut violations = Violations::default();
    let id = violations.check(subscription_id("subscription.id", &sub.id));
    let paths = update_mask.map(|m| m.paths).unwrap_or_default();
    // AIP-134: no mask means every mutable field that is populated.
    let (mut set_url, mut set_types, mut set_state) = (
        paths.is_empty() && !sub.url.is_empty(),
        paths.is_empty() && !sub.event_types.is_empty(),
        paths.is_empty() && sub.state != 0,
    );
    for path in &paths {
        match path.as_str() {
            "url" => set_url = true,
            "event_types" => set_types = true,
            "state" => set_state = true,
            "*" => (set_url, set_types, set_state) = (true, true, true),
            _ => violations.add(
                "update_mask.paths",
                "only \"url\", \"event_types\" and \"state\" (or \"*\") can be updated",
            ),
        }
    }
    if !(set_url || set_types || set_state) && paths.is_empty() {
        violations.add("update_mask", "names no field to update");
    }
    let mut changes = SubscriptionChanges::default();
    if set_url {
        changes.url = violations.check(core.parse_webhook_url("subscription.url", &sub.url));
    }
    if set_types {
        changes.event_types = event_types(&mut violations, &sub.event_types);
    }
    if set_state {
        changes.state = state(&mut violations, sub.state);
        if changes.state.is_none() && sub.state == 0 {
            violations.add("subscription.state", "must be ACTIVE or DISABLED");
        }
    }
    violations.into_result()?;
    let id = id.expect("violations checked above");
    let updated = core.update_webhook(&caller, id, changes).await?;
    Ok(Response::new(to_proto(updated, None)))
}

pub async fn delete(
    core: &Core,
    request: Request<v1::DeleteWebhookSubscriptionRequest>,
) -> Result<Response<()>, Status> {
    let caller = caller(&request)?;
    let id = id_only(&request.into_inner().subscription_id)?;
    core.delete_webhook(&caller, id).await?;
    Ok(Response::new(()))
}

pub async fn rotate_secret(
    core: &Core,
    request: Request<v1::RotateWebhookSecretRequest>,
) -> Result<Response<v1::WebhookSubscription>, Status> {
    let caller = caller(&request)?;
    let id = id_only(&request.into_inner().subscription_id)?;
    let (updated, secret) = core.rotate_webhook_secret(&caller, id).await?;
    Ok(Response::new(to_proto(updated, Some(secret))))
}
