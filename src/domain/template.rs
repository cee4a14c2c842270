//! The built-in message templates. Variables are data: they are escaped before they meet
//! Slack's markup, so a variable can neither mention `<!channel>` nor disguise a link.

use std::collections::HashMap;

use super::{FieldViolation, blocks::NUL_FREE};

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

/// Slack's formatting rule for data in mrkdwn: `&`, `<` and `>` become entities, so they
/// cannot open a mention (`<!channel>`) or a link (`<url|label>`).
pub fn escape_mrkdwn(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A `url` variable as the target of a Slack link: an absolute http(s) URL, written so that
/// it cannot end the link early (`|` would start its label, `>` close it).
fn link_target(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    Some(escape_mrkdwn(url.as_str()).replace('|', "%7C"))
}

/// Replaces every `{{name}}` with its value; names without a value stay as written.
pub(super) fn substitute(body: &str, values: &HashMap<&str, String>) -> String {
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

fn variable_field(name: &str) -> String {
    format!("message.template.variables.{name}")
}

/// The template's text, or `None` with the reasons in `violations`.
pub(super) fn render(
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
    let before = violations.len();
    for var in template.required {
        if variables.get(*var).is_none_or(|v| v.trim().is_empty()) {
            violations.push(FieldViolation::new(
                variable_field(var),
                format!("is required by the {name} template"),
            ));
        }
    }
    let mut values: HashMap<&str, String> = HashMap::with_capacity(variables.len() + 2);
    for (var, value) in variables {
        if !template.required.contains(&var.as_str()) && !template.optional.contains(&var.as_str())
        {
            violations.push(FieldViolation::new(
                variable_field(var),
                format!("is not a variable of the {name} template"),
            ));
        } else if value.contains('\0') {
            violations.push(FieldViolation::new(variable_field(var), NUL_FREE));
        } else {
            values.insert(var, escape_mrkdwn(value));
        }
    }
    if name == "simple" {
        let icon = match variables.get("level").map(String::as_str).unwrap_or("info") {
            "info" => ":information_source:",
            "warning" => ":warning:",
            "error" => ":x:",
            _ => {
                violations.push(FieldViolation::new(
                    variable_field("level"),
                    "must be info, warning or error",
                ));
                ""
            }
        };
        values.insert("level_icon", icon.into());
    }
    if name == "deployment" {
        let given = |key: &str| variables.get(key).filter(|v| !v.is_empty());
        let duration = values
            .get("duration")
            .filter(|d| !d.is_empty())
            .map(|d| format!(" in {d}"));
        let url = match given("url").map(|u| link_target(u)) {
            None => String::new(),
            Some(Some(target)) => format!("\n<{target}|details>"),
            Some(None) => {
                violations.push(FieldViolation::new(
                    variable_field("url"),
                    "must be an absolute http or https URL",
                ));
                String::new()
            }
        };
        values.insert("duration_part", duration.unwrap_or_default());
        values.insert("url_part", url);
    }
    (violations.len() == before).then(|| substitute(template.body, &values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(name: &str, vars: &[(&str, &str)]) -> Result<String, Vec<String>> {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut violations = Vec::new();
        render(name, &vars, &mut violations)
            .ok_or_else(|| violations.into_iter().map(|v| v.field).collect())
    }

    #[test]
    fn substitution_leaves_unknown_names() {
        let values = HashMap::from([("a", "1".to_owned())]);
        assert_eq!(substitute("{{a}}-{{ b }}-{{a", &values), "1-{{ b }}-{{a");
    }

    #[test]
    fn variables_cannot_mention_or_link() {
        let text = rendered(
            "alert",
            &[
                (
                    "message",
                    "<!channel> see <https://evil.example|your bank> & more",
                ),
                ("severity", "<!everyone>"),
                ("source", "<@U123>"),
            ],
        )
        .unwrap();
        assert_eq!(
            text,
            ":rotating_light: *[&lt;!everyone&gt;]* &lt;!channel&gt; see \
             &lt;https://evil.example|your bank&gt; &amp; more\n_source: &lt;@U123&gt;_"
        );
        assert!(!text.contains('<') && !text.contains('>'));
    }

    #[test]
    fn url_must_be_an_http_link_that_cannot_escape_its_brackets() {
        let deploy = |url: &str| {
            rendered(
                "deployment",
                &[
                    ("project", "api"),
                    ("environment", "prod"),
                    ("version", "1"),
                    ("url", url),
                ],
            )
        };
        for bad in [
            "javascript:alert(1)",
            "not a url",
            "ftp://example.com/x",
            "/relative",
        ] {
            assert_eq!(
                deploy(bad).unwrap_err(),
                ["message.template.variables.url"],
                "{bad}"
            );
        }
        let text = deploy("https://ci.example/run?a=1&b=<x>|label").unwrap();
        assert!(
            text.ends_with("\n<https://ci.example/run?a=1&amp;b=%3Cx%3E%7Clabel|details>"),
            "{text}"
        );
    }

    #[test]
    fn nul_in_a_variable_is_refused() {
        assert_eq!(
            rendered("update", &[("message", "a\0b")]).unwrap_err(),
            ["message.template.variables.message"]
        );
    }
}
