//! Slack's Web API and OAuth v2, as seen by switchboard: typed calls, and every failure
//! classified once so callers can decide between retrying, reconnecting and giving up.

mod chat;
mod client;
mod conversations;
mod error;
mod oauth;

pub use chat::{DELIVERY_EVENT_TYPE, PostMessage, ThreadMessage};
pub use client::{AuthTest, SlackClient};
pub use conversations::Conversation;
pub use error::{SlackError, SlackErrorClass};
pub use oauth::{OAuthGrant, SlackOAuth};
