//! Block Kit checks: Slack's documented limits (`slack-facts.md`), and only values Postgres
//! can store (its `text` and `jsonb` refuse the NUL character).

use serde_json::Value;

use super::FieldViolation;

pub const MAX_BLOCKS: usize = 50;
/// Slack's docs give no figure for a message's blocks as a whole (chat.postMessage only names
/// the error, `msg_blocks_too_long`); its documented limits allow 50 sections of 3,000
/// characters, 150,000 characters of text, so the blocks' JSON is held to that figure plus
/// room for Block Kit's structure: 256 Ki characters.
pub const MAX_BLOCKS_JSON_CHARS: usize = 256 * 1024;
const SECTION_TEXT_CHARS: usize = 3_000;
const SECTION_FIELDS: usize = 10;
const SECTION_FIELD_CHARS: usize = 2_000;
const HEADER_TEXT_CHARS: usize = 150;
const CONTEXT_ELEMENTS: usize = 10;
const BUTTON_TEXT_CHARS: usize = 75;
const BUTTON_VALUE_CHARS: usize = 2_000;
const ID_CHARS: usize = 255;

pub const NUL_FREE: &str = "must not contain the NUL character";

/// Checks a message's blocks; every problem goes to `violations`, each under its field path
/// (`message.blocks[3].text.text`).
pub fn check_blocks(blocks: &[Value], violations: &mut Vec<FieldViolation>) {
    if blocks.len() > MAX_BLOCKS {
        violations.push(FieldViolation::new(
            "message.blocks",
            format!("must hold at most {MAX_BLOCKS} blocks"),
        ));
    }
    let serialized = serde_json::to_string(blocks).map_or(usize::MAX, |json| json.chars().count());
    if serialized > MAX_BLOCKS_JSON_CHARS {
        violations.push(FieldViolation::new(
            "message.blocks",
            format!("must be at most {MAX_BLOCKS_JSON_CHARS} characters as JSON"),
        ));
    }
    for (i, block) in blocks.iter().enumerate() {
        let path = format!("message.blocks[{i}]");
        find_nul(block, &path, violations);
        let Some(kind) = block
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && block.is_object())
        else {
            violations.push(FieldViolation::new(
                path,
                "must be an object with a string `type`",
            ));
            continue;
        };
        let mut limits = Limits {
            block,
            path: &path,
            violations,
        };
        limits.chars("block_id", ID_CHARS);
        match kind {
            "section" => {
                limits.chars("text.text", SECTION_TEXT_CHARS);
                limits.items("fields", SECTION_FIELDS);
                for j in 0..count(block, "fields") {
                    limits.chars(&format!("fields[{j}].text"), SECTION_FIELD_CHARS);
                }
                limits.element("accessory");
            }
            "header" => limits.chars("text.text", HEADER_TEXT_CHARS),
            "context" => limits.items("elements", CONTEXT_ELEMENTS),
            "actions" => {
                for j in 0..count(block, "elements") {
                    limits.element(&format!("elements[{j}]"));
                }
            }
            _ => {}
        }
    }
}

fn count(block: &Value, key: &str) -> usize {
    block.get(key).and_then(Value::as_array).map_or(0, Vec::len)
}

/// The value at a dotted path with `[i]` indexes (`fields[2].text`).
fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(value, |v, step| match step.split_once('[') {
            Some((key, index)) => v
                .get(key)?
                .get(index.strip_suffix(']')?.parse::<usize>().ok()?),
            None => v.get(step),
        })
}

struct Limits<'a> {
    block: &'a Value,
    path: &'a str,
    violations: &'a mut Vec<FieldViolation>,
}

impl Limits<'_> {
    /// A string at `key` of at most `max` characters (absent is fine: Slack judges shape).
    fn chars(&mut self, key: &str, max: usize) {
        if let Some(text) = at(self.block, key).and_then(Value::as_str)
            && text.chars().count() > max
        {
            self.violations.push(FieldViolation::new(
                format!("{}.{key}", self.path),
                format!("must be at most {max} characters"),
            ));
        }
    }

    fn items(&mut self, key: &str, max: usize) {
        if count(self.block, key) > max {
            self.violations.push(FieldViolation::new(
                format!("{}.{key}", self.path),
                format!("must hold at most {max} elements"),
            ));
        }
    }

    /// An interactive element (a section's accessory, an actions block's element).
    fn element(&mut self, key: &str) {
        if at(self.block, key).and_then(|e| e.get("type")) != Some(&Value::from("button")) {
            self.chars(&format!("{key}.action_id"), ID_CHARS);
            return;
        }
        self.chars(&format!("{key}.text.text"), BUTTON_TEXT_CHARS);
        self.chars(&format!("{key}.value"), BUTTON_VALUE_CHARS);
        self.chars(&format!("{key}.action_id"), ID_CHARS);
    }
}

/// Reports the first NUL character in a block's keys or strings (one is enough to refuse it).
fn find_nul(value: &Value, path: &str, violations: &mut Vec<FieldViolation>) -> bool {
    let found = match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => {
            return items
                .iter()
                .enumerate()
                .any(|(i, item)| find_nul(item, &format!("{path}[{i}]"), violations));
        }
        Value::Object(map) => {
            return map.iter().any(|(key, item)| {
                if key.contains('\0') {
                    violations.push(FieldViolation::new(
                        path,
                        "has a key with the NUL character",
                    ));
                    return true;
                }
                find_nul(item, &format!("{path}.{key}"), violations)
            });
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    };
    if found {
        violations.push(FieldViolation::new(path, NUL_FREE));
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(blocks: &[Value]) -> Vec<String> {
        let mut violations = Vec::new();
        check_blocks(blocks, &mut violations);
        violations.into_iter().map(|v| v.field).collect()
    }

    fn section(text: &str) -> Value {
        json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    }

    #[test]
    fn documented_limits_hold_at_the_edge() {
        let mut at_limits = section(&"x".repeat(SECTION_TEXT_CHARS));
        at_limits["fields"] = json!(vec![
            json!({"type": "mrkdwn", "text": "y".repeat(SECTION_FIELD_CHARS)});
            SECTION_FIELDS
        ]);
        at_limits["accessory"] = json!({"type": "button", "text": {"type": "plain_text", "text": "b".repeat(BUTTON_TEXT_CHARS)}, "value": "v".repeat(BUTTON_VALUE_CHARS), "action_id": "a".repeat(ID_CHARS)});
        let header = json!({"type": "header", "text": {"type": "plain_text", "text": "h".repeat(HEADER_TEXT_CHARS)}});
        let context = json!({"type": "context", "elements": vec![json!({"type": "mrkdwn", "text": "c"}); CONTEXT_ELEMENTS]});
        assert!(fields(&[at_limits, header, context]).is_empty());
    }

    #[test]
    fn each_limit_is_named_by_its_path() {
        let mut section_fields = section("ok");
        section_fields["fields"] = json!(vec![
            json!({"type": "mrkdwn", "text": "y"});
            SECTION_FIELDS + 1
        ]);
        section_fields["fields"][3]["text"] = json!("y".repeat(SECTION_FIELD_CHARS + 1));
        let blocks = [
            json!({"type": "divider"}),
            section(&"x".repeat(SECTION_TEXT_CHARS + 1)),
            json!({"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}),
            json!({"type": "context", "elements": vec![json!({"type": "mrkdwn", "text": "c"}); 11]}),
            section_fields,
            json!({"type": "actions", "block_id": "b".repeat(256), "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "b".repeat(76)}, "value": "v".repeat(2001)}
            ]}),
        ];
        assert_eq!(
            fields(&blocks),
            [
                "message.blocks[1].text.text",
                "message.blocks[2].text.text",
                "message.blocks[3].elements",
                "message.blocks[4].fields",
                "message.blocks[4].fields[3].text",
                "message.blocks[5].block_id",
                "message.blocks[5].elements[0].text.text",
                "message.blocks[5].elements[0].value",
            ]
        );
    }

    #[test]
    fn a_two_megabyte_block_is_refused_whatever_its_type() {
        let big = json!({"type": "rich_text", "elements": [{"type": "text", "text": "x".repeat(2 << 20)}]});
        assert_eq!(fields(&[big]), ["message.blocks"]);
    }

    #[test]
    fn nul_anywhere_is_refused_once_per_block() {
        let blocks = [
            json!({"type": "section", "text": {"type": "mrkdwn", "text": "a\0b"}}),
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": "ok"}, {"type": "mrkdwn", "text": "\0", "x": "\0"}]}),
            json!({"type": "divider", "k\0": 1}),
        ];
        assert_eq!(
            fields(&blocks),
            [
                "message.blocks[0].text.text",
                "message.blocks[1].elements[1].text",
                "message.blocks[2]",
            ]
        );
    }

    #[test]
    fn too_many_or_untyped_blocks() {
        assert_eq!(
            fields(&vec![json!({"type": "divider"}); MAX_BLOCKS + 1]),
            ["message.blocks"]
        );
        assert_eq!(
            fields(&[json!({"text": "x"}), json!("str"), json!({"type": ""})]),
            [
                "message.blocks[0]",
                "message.blocks[1]",
                "message.blocks[2]"
            ]
        );
    }
}
