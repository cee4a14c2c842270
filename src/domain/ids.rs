use super::{
    FieldViolation,
    newtype::{string_newtype, uuid_newtype},
};

const TEAM_ID_MAX_CHARS: usize = 128;
const MESSAGE_ID_MAX_CHARS: usize = 255;
const MESSAGE_TYPE_MAX_CHARS: usize = 64;

/// A caller's opaque name for something: at most `max_chars` characters, none of them
/// control characters, and no surrounding whitespace.
pub(super) fn opaque_text(field: &str, raw: &str, max_chars: usize) -> Result<(), FieldViolation> {
    if raw.chars().count() > max_chars {
        return Err(FieldViolation::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if raw.chars().any(char::is_control) || raw.trim() != raw {
        return Err(FieldViolation::new(
            field,
            "must not contain control characters or surrounding whitespace",
        ));
    }
    Ok(())
}

/// Refuses an empty value, the same way for every id a request must carry.
pub(super) fn required(field: &str, raw: &str) -> Result<(), FieldViolation> {
    if raw.is_empty() {
        return Err(FieldViolation::new(field, "is required"));
    }
    Ok(())
}

/// Slack ids (workspaces, channels) are short upper-case alphanumerics; anything else did
/// not come from Slack.
pub(super) fn is_slack_id(raw: &str) -> bool {
    raw.len() <= 32
        && raw
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

string_newtype! {
    /// The host product's team (tenant): an opaque string of 1-128 printable characters.
    TeamId
}

impl TeamId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        required(field, raw)?;
        opaque_text(field, raw, TEAM_ID_MAX_CHARS)?;
        Ok(Self(raw.to_owned()))
    }
}

string_newtype! {
    /// Slack's workspace id (`T...`), or the enterprise id (`E...`) of an org-wide install.
    WorkspaceId
}

impl WorkspaceId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        if !raw.is_empty() && is_slack_id(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldViolation::new(field, "is not a Slack workspace id"))
        }
    }
}

string_newtype! {
    /// The caller's id for a message (its idempotency key): 1-255 printable characters.
    InternalMessageId
}

impl InternalMessageId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        required(field, raw)?;
        if raw.chars().count() > MESSAGE_ID_MAX_CHARS || raw.chars().any(char::is_control) {
            return Err(FieldViolation::new(
                field,
                format!("must be 1-{MESSAGE_ID_MAX_CHARS} printable characters"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A fresh id, for a message sent without one.
    pub fn generate() -> Self {
        Self::from_uuid(uuid::Uuid::new_v4())
    }

    /// An id we derive: a UUID's canonical form is always a valid message id.
    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id.hyphenated().to_string())
    }
}

string_newtype! {
    /// A statistics label of a message: up to 64 of `a-z 0-9 _ . -`.
    MessageType
}

impl MessageType {
    /// Empty means no label.
    pub fn parse(field: &str, raw: &str) -> Result<Option<Self>, FieldViolation> {
        if raw.is_empty() {
            return Ok(None);
        }
        let valid = raw.len() <= MESSAGE_TYPE_MAX_CHARS
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
        if valid {
            Ok(Some(Self(raw.to_owned())))
        } else {
            Err(FieldViolation::new(
                field,
                format!("must be at most {MESSAGE_TYPE_MAX_CHARS} of a-z, 0-9, '_', '.', '-'"),
            ))
        }
    }
}

uuid_newtype! {
    /// An integration's id: a UUID, accepted only in its canonical hyphenated form.
    IntegrationId
}

uuid_newtype! {
    /// A delivery's id: a UUID, accepted only in its canonical hyphenated form.
    DeliveryId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_id_bounds() {
        assert!(TeamId::parse("team_id", "acme").is_ok());
        assert_eq!(
            TeamId::parse("team_id", "").unwrap_err().description,
            "is required"
        );
        assert!(TeamId::parse("team_id", &"x".repeat(128)).is_ok());
        assert!(TeamId::parse("team_id", &"x".repeat(129)).is_err());
        assert!(TeamId::parse("team_id", "a\nb").is_err());
        assert!(TeamId::parse("team_id", " acme").is_err());
    }

    #[test]
    fn integration_id_must_be_canonical_uuid() {
        let id = IntegrationId::new();
        assert_eq!(IntegrationId::parse("id", &id.to_string()).unwrap(), id);
        assert!(IntegrationId::parse("id", "not-a-uuid").is_err());
        assert!(IntegrationId::parse("id", &id.as_uuid().simple().to_string()).is_err());
        assert!(IntegrationId::parse("id", "").is_err());
    }

    #[test]
    fn delivery_id_must_be_canonical_uuid() {
        let id = DeliveryId::new();
        assert_eq!(
            DeliveryId::parse("delivery_id", &id.to_string()).unwrap(),
            id
        );
        assert!(DeliveryId::parse("delivery_id", &id.as_uuid().simple().to_string()).is_err());
    }

    #[test]
    fn message_ids_and_types() {
        assert!(InternalMessageId::parse("id", "order-42").is_ok());
        assert!(InternalMessageId::parse("id", "").is_err());
        assert!(InternalMessageId::parse("id", &"x".repeat(256)).is_err());
        assert!(InternalMessageId::parse("id", &InternalMessageId::generate().to_string()).is_ok());
        assert_eq!(MessageType::parse("message_type", "").unwrap(), None);
        assert_eq!(
            MessageType::parse("message_type", "deploy.v2")
                .unwrap()
                .map(|t| t.to_string())
                .as_deref(),
            Some("deploy.v2")
        );
        assert!(MessageType::parse("message_type", "Deploy").is_err());
    }

    #[test]
    fn workspace_id_looks_like_slack() {
        assert!(WorkspaceId::parse("w", "T0123ABC").is_ok());
        assert!(WorkspaceId::parse("w", "t0123").is_err());
        assert!(WorkspaceId::parse("w", "").is_err());
    }
}
