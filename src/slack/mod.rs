//! Slack's Web API and OAuth v2, as seen by switchboard: typed calls, and every failure
//! classified once so callers can decide between retrying, reconnecting and giving up.

mod chat;
mod client;
mod conversations;
mod error;
mod events;
mod interactions;
mod oauth;
mod signature;

pub use chat::{DELIVERY_EVENT_TYPE, PostMessage, ThreadMessage};
pub use client::{AuthTest, SlackClient};
pub use conversations::{Conversation, ConversationText};
pub use error::{ChannelProblem, SlackError, SlackFailure};
pub use events::{EventEnvelope, SlackEvent};
pub use interactions::Interaction;
pub use oauth::{OAuthGrant, RefreshedTokens, SlackOAuth};
pub use signature::{SIGNATURE_WINDOW_SECS, SignatureError, SignatureVerifier};
