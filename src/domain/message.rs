//! Messages: validation against Slack's limits, and the built-in templates.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FieldViolation;

pub const MAX_TEXT_CHARS: usize = 40_000;
pub const MAX_BLOCKS: usize = 50;
const MAX_ID_CHARS: usize = 255;
const MAX_TYPE_CHARS: usize = 64;

/// A message as the caller gave it, before validation.
pub struct MessageInput {
    pub text: String,
    pub blocks: Option<Vec<Value>>,
    pub template: Option<(String, HashMap<String, String>)>,
    pub unfurl_links: bool,
    pub unfurl_media: bool,
}

/// A message ready for `chat.postMessage`: validated, templates rendered. Serializes to
/// the stored payload (field order fixed, so equal messages hash equally).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub text: Option<String>,
    pub blocks: Option<Vec<Value>>,
    pub unfurl_links: bool,
    pub unfurl_media: bool,
    #[serde(default)]
    pub reply_broadcast: bool,
}

struct Template {
    name: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
    body: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        name: "simple",
        required: &["title", "body"],
        optional: &["level"],
        body: "{{level_icon}} *{{title}}*\n{{body}}",
    },
    Template {
        name: "deployment",
        required: &["project", "environment", "version"],
        optional: &["duration", "url"],
        body: ":rocket: *{{project}}* {{version}} deployed to *{{environment}}*{{duration_part}}{{url_part}}",
    },
    Template {
        name: "alert",
        required: &["message", "severity", "source"],
        optional: &[],
        body: ":rotating_light: *[{{severity}}]* {{message}}\n_source: {{source}}_",
    },
    Template {
        name: "error",
        required: &["service", "message", "code"],
        optional: &[],
        body: ":x: *{{service}}* error `{{code}}`: {{message}}",
    },
    Template {
        name: "update",
        required: &["message"],
        optional: &[],
        body: ":information_source: {{message}}",
    },
];

/// Replaces every `{{name}}` with its value; names without a value stay as written.
fn substitute(body: &str, values: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.get(name) {
                    Some(value) => out.push_str(value),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn render(
    name: &str,
    variables: &HashMap<String, String>,
    violations: &mut Vec<FieldViolation>,
) -> Option<String> {
    let Some(template) = TEMPLATES.iter().find(|t| t.name == name) else {
        let known: Vec<_> = TEMPLATES.iter().map(|t| t.name).collect();
        violations.push(FieldViolation::new(
            "message.template.name",
            format!("unknown template; known: {}", known.join(", ")),
        ));
        return None;
    };
    let mut missing = false;
    for var in template.required {
        if variables.get(*var).is_none_or(|v| v.trim().is_empty()) {
            violations.push(FieldViolation::new(
                format!("message.template.variables.{var}"),
                format!("is required by the {name} template"),
            ));
            missing = true;
        }
    }
    for var in variables.keys() {
        if !template.required.contains(&var.as_str()) && !template.optional.contains(&var.as_str())
        {
            violations.push(FieldViolation::new(
                format!("message.template.variables.{var}"),
                format!("is not a variable of the {name} template"),
            ));
            missing = true;
        }
    }
    let mut values = variables.clone();
    if name == "simple" {
        let icon = match variables.get("level").map(String::as_str).unwrap_or("info") {
            "info" => ":information_source:",
            "warning" => ":warning:",
            "error" => ":x:",
            _ => {
                violations.push(FieldViolation::new(
                    "message.template.variables.level",
                    "must be info, warning or error",
                ));
                return None;
            }
        };
        values.insert("level_icon".into(), icon.into());
    }
    if name == "deployment" {
        let part = |key: &str, fmt: &dyn Fn(&str) -> String| {
            variables
                .get(key)
                .filter(|v| !v.is_empty())
                .map(|v| fmt(v))
                .unwrap_or_default()
        };
        values.insert(
            "duration_part".into(),
            part("duration", &|d| format!(" in {d}")),
        );
        values.insert(
            "url_part".into(),
            part("url", &|u| format!("\n<{u}|details>")),
        );
    }
    (!missing).then(|| substitute(template.body, &values))
}

impl OutboundMessage {
    /// Validates the message against Slack's limits and renders its template.
    pub fn parse(input: MessageInput) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let mut text = Some(input.text).filter(|t| !t.is_empty());
        if let Some((name, variables)) = &input.template
            && let Some(rendered) = render(name, variables, &mut violations)
        {
            // A template renders into the text; explicit text follows it.
            text = Some(match text {
                Some(own) => format!("{rendered}\n{own}"),
                None => rendered,
            });
        }
        let blocks = input.blocks.filter(|b| !b.is_empty());
        if text.is_none() && blocks.is_none() && input.template.is_none() {
            violations.push(FieldViolation::new(
                "message",
                "needs at least one of text, blocks, template",
            ));
        }
        if let Some(text) = &text
            && text.chars().count() > MAX_TEXT_CHARS
        {
            violations.push(FieldViolation::new(
                "message.text",
                format!("must be at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        if let Some(blocks) = &blocks {
            if blocks.len() > MAX_BLOCKS {
                violations.push(FieldViolation::new(
                    "message.blocks",
                    format!("must hold at most {MAX_BLOCKS} blocks"),
                ));
            }
            for (i, block) in blocks.iter().enumerate() {
                let typed = block
                    .as_object()
                    .and_then(|b| b.get("type"))
                    .and_then(Value::as_str)
                    .is_some_and(|t| !t.is_empty());
                if !typed {
                    violations.push(FieldViolation::new(
                        format!("message.blocks[{i}]"),
                        "must be an object with a string `type`",
                    ));
                }
            }
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        Ok(Self {
            text,
            blocks,
            unfurl_links: input.unfurl_links,
            unfurl_media: input.unfurl_media,
            reply_broadcast: false,
        })
    }
}

/// The caller's id for a message: 1-255 printable characters.
pub fn parse_internal_message_id(field: &str, raw: &str) -> Result<String, FieldViolation> {
    if raw.is_empty() {
        return Err(FieldViolation::new(field, "is required"));
    }
    if raw.chars().count() > MAX_ID_CHARS || raw.chars().any(char::is_control) {
        return Err(FieldViolation::new(
            field,
            format!("must be 1-{MAX_ID_CHARS} printable characters"),
        ));
    }
    Ok(raw.to_owned())
}

/// A statistics label: empty, or up to 64 of `a-z 0-9 _ . -`.
pub fn parse_message_type(raw: &str) -> Result<Option<String>, FieldViolation> {
    if raw.is_empty() {
        return Ok(None);
    }
    let valid = raw.len() <= MAX_TYPE_CHARS
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if valid {
        Ok(Some(raw.to_owned()))
    } else {
        Err(FieldViolation::new(
            "message_type",
            format!("must be at most {MAX_TYPE_CHARS} of a-z, 0-9, '_', '.', '-'"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(t: &str) -> MessageInput {
        MessageInput {
            text: t.into(),
            blocks: None,
            template: None,
            unfurl_links: false,
            unfurl_media: false,
        }
    }

    fn template(name: &str, vars: &[(&str, &str)]) -> MessageInput {
        MessageInput {
            template: Some((
                name.into(),
                vars.iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
            )),
            ..text("")
        }
    }

    fn fields(err: Vec<FieldViolation>) -> Vec<String> {
        err.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn text_limits() {
        assert!(OutboundMessage::parse(text(&"x".repeat(MAX_TEXT_CHARS))).is_ok());
        let err = OutboundMessage::parse(text(&"x".repeat(MAX_TEXT_CHARS + 1))).unwrap_err();
        assert_eq!(fields(err), ["message.text"]);
        assert_eq!(
            fields(OutboundMessage::parse(text("")).unwrap_err()),
            ["message"]
        );
    }

    #[test]
    fn block_limits() {
        let ok = MessageInput {
            blocks: Some(vec![
                json!({"type": "section", "text": {"type": "mrkdwn", "text": "hi"}});
                50
            ]),
            ..text("")
        };
        assert!(OutboundMessage::parse(ok).is_ok());
        let too_many = MessageInput {
            blocks: Some(vec![json!({"type": "divider"}); 51]),
            ..text("")
        };
        assert_eq!(
            fields(OutboundMessage::parse(too_many).unwrap_err()),
            ["message.blocks"]
        );
        let untyped = MessageInput {
            blocks: Some(vec![
                json!({"type": "divider"}),
                json!({"text": "x"}),
                json!("str"),
            ]),
            ..text("")
        };
        assert_eq!(
            fields(OutboundMessage::parse(untyped).unwrap_err()),
            ["message.blocks[1]", "message.blocks[2]"]
        );
    }

    #[test]
    fn templates_render_and_check_variables() {
        let m = OutboundMessage::parse(template(
            "deployment",
            &[
                ("project", "api"),
                ("environment", "prod"),
                ("version", "1.2.3"),
                ("url", "https://ci/1"),
            ],
        ))
        .unwrap();
        assert_eq!(
            m.text.unwrap(),
            ":rocket: *api* 1.2.3 deployed to *prod*\n<https://ci/1|details>"
        );
        let m = OutboundMessage::parse(template(
            "simple",
            &[("title", "T"), ("body", "B"), ("level", "warning")],
        ))
        .unwrap();
        assert_eq!(m.text.unwrap(), ":warning: *T*\nB");

        let err = OutboundMessage::parse(template("nope", &[])).unwrap_err();
        assert_eq!(fields(err), ["message.template.name"]);
        let err =
            OutboundMessage::parse(template("alert", &[("message", "m"), ("severity", "high")]))
                .unwrap_err();
        assert_eq!(fields(err), ["message.template.variables.source"]);
        let err = OutboundMessage::parse(template(
            "simple",
            &[("title", "T"), ("body", "B"), ("level", "loud")],
        ))
        .unwrap_err();
        assert_eq!(fields(err), ["message.template.variables.level"]);
    }

    #[test]
    fn substitution_leaves_unknown_names() {
        let values = HashMap::from([("a".to_owned(), "1".to_owned())]);
        assert_eq!(substitute("{{a}}-{{ b }}-{{a", &values), "1-{{ b }}-{{a");
    }

    #[test]
    fn ids_and_types() {
        assert!(parse_internal_message_id("id", "order-42").is_ok());
        assert!(parse_internal_message_id("id", "").is_err());
        assert!(parse_internal_message_id("id", &"x".repeat(256)).is_err());
        assert_eq!(parse_message_type("").unwrap(), None);
        assert_eq!(
            parse_message_type("deploy.v2").unwrap().as_deref(),
            Some("deploy.v2")
        );
        assert!(parse_message_type("Deploy").is_err());
    }
}
