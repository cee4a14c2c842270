//! `conversations.*`: listing, inspecting and joining channels.

use secrecy::SecretString;
use serde::Deserialize;

use super::{
    SlackClient, SlackError,
    client::{ResponseMetadata, next_cursor},
};

/// The largest page `conversations.list` allows: a Tier 2 method (about 20 calls a
/// minute), so fewer, larger pages list a large workspace sooner.
const LIST_PAGE: &str = "1000";

#[derive(Debug, Clone, Deserialize)]
pub struct ConversationText {
    #[serde(default)]
    pub value: String,
}

/// A channel as `conversations.list` / `conversations.info` describe it.
#[derive(Debug, Clone, Deserialize)]
pub struct Conversation {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    #[serde(default)]
    pub is_member: bool,
    #[serde(default)]
    pub num_members: i32,
    #[serde(default)]
    pub purpose: Option<ConversationText>,
    #[serde(default)]
    pub topic: Option<ConversationText>,
}

#[derive(Deserialize)]
struct ListPage {
    channels: Vec<Conversation>,
    #[serde(default)]
    response_metadata: Option<ResponseMetadata>,
}

#[derive(Deserialize)]
struct InfoAnswer {
    channel: Conversation,
}

impl SlackClient {
    /// One page of public, non-archived channels; the cursor of the next page, if any.
    pub async fn conversations_list_page(
        &self,
        token: &SecretString,
        cursor: Option<&str>,
    ) -> Result<(Vec<Conversation>, Option<String>), SlackError> {
        let mut form = vec![
            ("types", "public_channel"),
            ("exclude_archived", "true"),
            ("limit", LIST_PAGE),
        ];
        if let Some(cursor) = cursor {
            form.push(("cursor", cursor));
        }
        let page: ListPage = self.call("conversations.list", token, &form).await?;
        let next = next_cursor(page.response_metadata);
        Ok((page.channels, next))
    }

    pub async fn conversations_info(
        &self,
        token: &SecretString,
        channel: &str,
    ) -> Result<Conversation, SlackError> {
        let answer: InfoAnswer = self
            .call("conversations.info", token, &[("channel", channel)])
            .await?;
        Ok(answer.channel)
    }

    pub async fn conversations_join(
        &self,
        token: &SecretString,
        channel: &str,
    ) -> Result<(), SlackError> {
        self.call::<serde_json::Value>("conversations.join", token, &[("channel", channel)])
            .await
            .map(|_| ())
    }
}
