use std::fmt;

use uuid::Uuid;

use super::FieldViolation;

const TEAM_ID_MAX_CHARS: usize = 128;

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

/// The host product's team (tenant): an opaque string of 1-128 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TeamId(String);

impl TeamId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        if raw.is_empty() {
            return Err(FieldViolation::new(field, "is required"));
        }
        opaque_text(field, raw, TEAM_ID_MAX_CHARS)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from our own database, which were parsed on the way in.
    pub(crate) fn from_trusted(raw: String) -> Self {
        Self(raw)
    }
}

impl fmt::Display for TeamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Slack's workspace id (`T...`), or the enterprise id (`E...`) of an org-wide install.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkspaceId(String);

impl WorkspaceId {
    /// Slack ids are short upper-case alphanumerics; anything else did not come from Slack.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        let valid = !raw.is_empty()
            && raw.len() <= 32
            && raw
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldViolation::new(field, "is not a Slack workspace id"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_trusted(raw: String) -> Self {
        Self(raw)
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An integration's id: a UUID, accepted only in its canonical hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntegrationId(Uuid);

impl IntegrationId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldViolation> {
        if raw.is_empty() {
            return Err(FieldViolation::new(field, "is required"));
        }
        match Uuid::try_parse(raw) {
            Ok(id) if raw.len() == 36 => Ok(Self(id)),
            _ => Err(FieldViolation::new(field, "must be a UUID")),
        }
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    pub(crate) fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
}

impl Default for IntegrationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for IntegrationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
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
    fn workspace_id_looks_like_slack() {
        assert!(WorkspaceId::parse("w", "T0123ABC").is_ok());
        assert!(WorkspaceId::parse("w", "t0123").is_err());
        assert!(WorkspaceId::parse("w", "").is_err());
    }
}
