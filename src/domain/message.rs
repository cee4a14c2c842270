//! Messages: validation against Slack's limits, templates rendered.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    FieldViolation,
    blocks::{NUL_FREE, check_blocks},
    template::render,
};

pub const MAX_TEXT_CHARS: usize = 40_000;

/// A message as the caller gave it, before validation.
#[derive(Debug)]
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

impl OutboundMessage {
    /// Validates the message against Slack's limits and renders its template.
    pub fn parse(input: MessageInput) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let mut text = Some(input.text).filter(|t| !t.is_empty());
        if text.as_ref().is_some_and(|t| t.contains('\0')) {
            violations.push(FieldViolation::new("message.text", NUL_FREE));
        }
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
            check_blocks(blocks, &mut violations);
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
    fn blocks_are_checked_and_kept() {
        let blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}); 50];
        let ok = MessageInput {
            blocks: Some(blocks.clone()),
            ..text("")
        };
        assert_eq!(OutboundMessage::parse(ok).unwrap().blocks, Some(blocks));
        let untyped = MessageInput {
            blocks: Some(vec![json!({"type": "divider"}), json!({"text": "x"})]),
            ..text("")
        };
        assert_eq!(
            fields(OutboundMessage::parse(untyped).unwrap_err()),
            ["message.blocks[1]"]
        );
    }

    #[test]
    fn nul_in_text_is_refused() {
        assert_eq!(
            fields(OutboundMessage::parse(text("a\0b")).unwrap_err()),
            ["message.text"]
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

    mod properties {
        use std::collections::HashMap;

        use proptest::{collection, option, prelude::*};
        use serde_json::{Value, json};

        use super::super::*;
        use crate::domain::{
            MAX_BLOCKS, MAX_BLOCKS_JSON_CHARS, template::escape_mrkdwn, testing::json,
        };

        /// Blocks shaped like Block Kit, with texts and element counts around the limits.
        fn block() -> impl Strategy<Value = Value> {
            let kind = prop_oneof![
                Just("section"),
                Just("header"),
                Just("context"),
                Just("actions"),
                Just("divider"),
                Just(""),
            ];
            (kind, 0usize..3_100, 0usize..12, json()).prop_map(|(kind, len, n, extra)| {
                json!({
                    "type": kind,
                    "text": {"type": "mrkdwn", "text": "t".repeat(len)},
                    "fields": vec![json!({"type": "mrkdwn", "text": "f"}); n],
                    "elements": vec![json!({"type": "button", "text": {"type": "plain_text", "text": "b"}}); n],
                    "extra": extra,
                })
            })
        }

        fn input() -> impl Strategy<Value = MessageInput> {
            let text = prop_oneof![
                any::<String>(),
                (39_990usize..40_010).prop_map(|n| "x".repeat(n)),
            ];
            let blocks = option::of(prop_oneof![
                collection::vec(json(), 0..4),
                collection::vec(block(), 0..55),
            ]);
            let name = prop_oneof![
                Just("simple".to_owned()),
                Just("deployment".to_owned()),
                Just("alert".to_owned()),
                Just("update".to_owned()),
                any::<String>(),
            ];
            let var = prop_oneof![
                Just("title".to_owned()),
                Just("body".to_owned()),
                Just("message".to_owned()),
                Just("url".to_owned()),
                Just("level".to_owned()),
                any::<String>(),
            ];
            let template = option::of((name, collection::hash_map(var, any::<String>(), 0..5)));
            (text, blocks, template, any::<bool>()).prop_map(|(text, blocks, template, unfurl)| {
                MessageInput {
                    text,
                    blocks,
                    template,
                    unfurl_links: unfurl,
                    unfurl_media: !unfurl,
                }
            })
        }

        proptest! {
            #[test]
            fn any_message_is_valid_or_cleanly_refused(input in input()) {
                match OutboundMessage::parse(input) {
                    Ok(message) => {
                        prop_assert!(message.text.is_some() || message.blocks.is_some());
                        if let Some(text) = &message.text {
                            prop_assert!(text.chars().count() <= MAX_TEXT_CHARS);
                            prop_assert!(!text.contains('\0'));
                        }
                        if let Some(blocks) = &message.blocks {
                            prop_assert!(blocks.len() <= MAX_BLOCKS);
                            let stored = serde_json::to_string(blocks).unwrap();
                            prop_assert!(stored.chars().count() <= MAX_BLOCKS_JSON_CHARS);
                            prop_assert!(!stored.contains("\\u0000"));
                        }
                    }
                    Err(violations) => {
                        prop_assert!(!violations.is_empty());
                        for v in violations {
                            prop_assert!(v.field.starts_with("message"), "{}", v.field);
                        }
                    }
                }
            }

            #[test]
            fn variables_render_as_data_never_as_markup(
                message in r"[^\x00]*[^\x00\s][^\x00]*",
                severity in r"[^\x00]*[^\x00\s][^\x00]*",
            ) {
                let variables = HashMap::from([
                    ("message".to_owned(), message.clone()),
                    ("severity".to_owned(), severity),
                    ("source".to_owned(), "<!here>".to_owned()),
                ]);
                let parsed = OutboundMessage::parse(MessageInput {
                    template: Some(("alert".into(), variables)),
                    ..super::text("")
                });
                let rendered = parsed.unwrap().text.unwrap();
                prop_assert!(!rendered.contains('<') && !rendered.contains('>'));
                prop_assert!(rendered.contains(&escape_mrkdwn(&message)));
            }
        }
    }
}
