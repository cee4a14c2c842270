//! Every setting the service reads, with its default and what it does: the one list the
//! configuration reference of docs/operations.md is generated from (`switchboard
//! config-reference`, spliced in by `scripts/deploy.sh docs`). The tests hold it to the
//! parsers: each name the section parsers read is listed and each listed name is read,
//! setting a listed default changes nothing, and the document shows what this generates.

use super::{DEFAULT_RETRY_SCHEDULE, DEFAULT_SCOPES, telemetry::DEFAULT_LOG_FILTER};

pub struct Setting {
    pub name: &'static str,
    pub default: Default,
    /// Markdown, one line.
    pub doc: &'static str,
}

pub enum Default {
    /// Start-up stops without it.
    Required,
    /// Unset is a state of its own (off, none); the doc says which.
    Unset,
    /// The value that leaving it unset means.
    Value(&'static str),
}

/// A heading of the reference and the settings under it.
pub type Section = (&'static str, &'static [Setting]);

const fn s(name: &'static str, default: Default, doc: &'static str) -> Setting {
    Setting { name, default, doc }
}

use Default::{Required, Unset, Value};

pub const SETTINGS: &[Section] = &[
    (
        "Database",
        &[
            s(
                "DATABASE_URL",
                Required,
                "Postgres URL (`postgres://` or `postgresql://`).",
            ),
            s(
                "SWITCHBOARD_DB_MAX_CONNECTIONS",
                Value("20"),
                "Connections in this replica's pool; the replicas together must fit the database's `max_connections`.",
            ),
        ],
    ),
    (
        "Listeners",
        &[
            s(
                "SWITCHBOARD_GRPC_ADDR",
                Value("0.0.0.0:50051"),
                "gRPC listen address.",
            ),
            s(
                "SWITCHBOARD_HTTP_ADDR",
                Value("0.0.0.0:8080"),
                "HTTP listen address: `/slack/events`, `/slack/interactions`, and the probes and `/metrics` unless `SWITCHBOARD_ADMIN_ADDR` is set.",
            ),
            s(
                "SWITCHBOARD_ADMIN_ADDR",
                Unset,
                "When set, `/metrics`, `/healthz` and `/readyz` are served here and leave the HTTP port.",
            ),
            s(
                "SWITCHBOARD_HTTP_MAX_CONNECTIONS",
                Value("1024"),
                "Open connections per HTTP listener; more are answered 503 and closed.",
            ),
            s(
                "SWITCHBOARD_HTTP_TIMEOUT_MS",
                Value("10000"),
                "How long an HTTP client may take to send its headers, then its body (408 past it), and stay idle.",
            ),
            s(
                "SWITCHBOARD_REQUEST_TIMEOUT_SECS",
                Value("30"),
                "Upper bound of one RPC (and of a drain on shutdown); with the caller's `grpc-timeout`, the deadline by which a call answers.",
            ),
        ],
    ),
    (
        "Authentication and keys",
        &[
            s(
                "SWITCHBOARD_AUTH",
                Value("enabled"),
                "`disabled` turns authentication off (local development only).",
            ),
            s(
                "SWITCHBOARD_API_KEYS",
                Unset,
                "Comma-separated service keys (full access); this or `SWITCHBOARD_JWT_SECRET` is required while authentication is on.",
            ),
            s(
                "SWITCHBOARD_JWT_SECRET",
                Unset,
                "HS256 secret of team tokens, at least 32 characters.",
            ),
            s(
                "SWITCHBOARD_TOKEN_ENCRYPTION_KEY",
                Required,
                "Base64 of 32 bytes: the AES-256-GCM key of the Slack tokens at rest (key id `k0`); required unless `SWITCHBOARD_TOKEN_ENCRYPTION_KEYS` is set.",
            ),
            s(
                "SWITCHBOARD_TOKEN_ENCRYPTION_KEYS",
                Unset,
                "Instead of the single key, for rotation: `id:base64,id:base64`, ids unique (letters, digits, `-`, `_`), each key 32 bytes; the first seals, every one opens. Unset: the single key.",
            ),
        ],
    ),
    (
        "Slack",
        &[
            s("SLACK_CLIENT_ID", Required, "The Slack app's client id."),
            s(
                "SLACK_CLIENT_SECRET",
                Required,
                "The Slack app's client secret.",
            ),
            s(
                "SLACK_REDIRECT_URI",
                Required,
                "The app's OAuth redirect URL.",
            ),
            s(
                "SLACK_SIGNING_SECRET",
                Unset,
                "Verifies Slack's events and interactivity requests; without it those endpoints answer 503.",
            ),
            s(
                "SLACK_SCOPES",
                Value(DEFAULT_SCOPES),
                "Bot scopes, comma-separated.",
            ),
            s(
                "SLACK_API_BASE_URL",
                Value("https://slack.com/api"),
                "Slack's Web API (point it at slack-sim to simulate).",
            ),
            s(
                "SLACK_AUTHORIZE_URL",
                Value("https://slack.com/oauth/v2/authorize"),
                "Slack's OAuth authorize page.",
            ),
            s(
                "SLACK_REQUEST_TIMEOUT_MS",
                Value("10000"),
                "Timeout of each call to Slack.",
            ),
        ],
    ),
    (
        "Delivery",
        &[
            s(
                "SWITCHBOARD_DELIVERY_WORKERS",
                Value("true"),
                "`false` runs no delivery workers in this replica.",
            ),
            s(
                "SWITCHBOARD_DELIVERY_IN_FLIGHT",
                Value("256"),
                "Most deliveries in flight in this replica.",
            ),
            s(
                "SWITCHBOARD_CHANNEL_PACE_MS",
                Value("1000"),
                "One post per channel per this many milliseconds after a burst (shared by every replica).",
            ),
            s(
                "SWITCHBOARD_CHANNEL_BURST",
                Value("3"),
                "Posts a channel may take at once before the pace applies.",
            ),
            s(
                "SWITCHBOARD_CHANNEL_PACE_MARGIN_MS",
                Value("50"),
                "A channel's new burst counts from this long after the claim, covering the lag before Slack sees the post.",
            ),
            s(
                "SWITCHBOARD_WORKSPACE_PACE_MS",
                Unset,
                "When set, a workspace-wide pace on top of the channels' (off by default).",
            ),
            s(
                "SWITCHBOARD_WORKSPACE_BURST",
                Value("10"),
                "The workspace-wide burst, when `SWITCHBOARD_WORKSPACE_PACE_MS` is set.",
            ),
            s(
                "SWITCHBOARD_DELIVERY_MAX_ATTEMPTS",
                Value("8"),
                "Attempts before a delivery FAILS (429s not counted).",
            ),
            s(
                "SWITCHBOARD_DELIVERY_RETRY_BASE_MS",
                Value("15000"),
                "First retry delay, doubling with jitter to 15 minutes.",
            ),
            s(
                "SWITCHBOARD_DELIVERY_LEASE_MS",
                Value("60000"),
                "How long a worker owns a channel without renewing it (a crashed replica's channels free up after it); at least twice `SLACK_REQUEST_TIMEOUT_MS`.",
            ),
            s(
                "SWITCHBOARD_DELIVERY_SETTLE_GRACE_MS",
                Value("10000"),
                "How long Slack may still act on a call after it ended on our side; a post of unknown outcome is looked up only after it.",
            ),
        ],
    ),
    (
        "Webhooks",
        &[
            s(
                "SWITCHBOARD_WEBHOOK_WORKERS",
                Value("true"),
                "`false` runs no webhook dispatcher in this replica.",
            ),
            s(
                "SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE",
                Value(DEFAULT_RETRY_SCHEDULE),
                "Pauses before each retry of a failed webhook delivery (units `ms`, `s`, `m`, `h`); once spent, the subscription is DISABLED.",
            ),
            s(
                "SWITCHBOARD_WEBHOOK_TIMEOUT_MS",
                Value("10000"),
                "Timeout of each webhook request.",
            ),
            s(
                "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE",
                Value("false"),
                "`true` lets subscriptions point at loopback and private addresses (tests, local runs).",
            ),
        ],
    ),
    (
        "Events and sweeps",
        &[
            s(
                "SWITCHBOARD_EVENT_RETENTION_DAYS",
                Value("30"),
                "How long events stay in the event log; older ones are removed hourly.",
            ),
            s(
                "SWITCHBOARD_DELIVERY_RETENTION_DAYS",
                Value("30"),
                "How long finished deliveries, their attempts and handled Slack event ids are kept (at least 2); also the idempotency window of internal_message_id.",
            ),
            s(
                "SWITCHBOARD_CHANNEL_DIRECTORY_REFRESH_SECS",
                Value("600"),
                "How often each workspace's stored channel listing is refreshed from Slack in the background; 0 turns the refresher off.",
            ),
            s(
                "SWITCHBOARD_HEALTH_CHECK_INTERVAL_SECS",
                Value("900"),
                "Background health check of every integration, one replica at a time (0 turns it off).",
            ),
            s(
                "SWITCHBOARD_TOKEN_REFRESH_SWEEP_SECS",
                Value("60"),
                "How often rotating tokens due within 2 hours are refreshed and expired reconnect tokens revoked (0 turns it off).",
            ),
        ],
    ),
    (
        "Telemetry",
        &[
            s("RUST_LOG", Value(DEFAULT_LOG_FILTER), "Log filter."),
            s(
                "SWITCHBOARD_LOG_FORMAT",
                Value("human"),
                "`human` or `json` (one object a line, for log collectors).",
            ),
            s(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                Unset,
                "OTLP/gRPC endpoint for traces (off when unset).",
            ),
        ],
    ),
];

/// Where docs/operations.md holds the generated reference (`scripts/deploy.sh docs`).
pub const REFERENCE_START: &str = "<!-- configuration reference: generated by `scripts/deploy.sh docs` from src/config/settings.rs -->";
pub const REFERENCE_END: &str = "<!-- end of configuration reference -->";

/// Every setting, in the reference's order.
pub fn all() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().flat_map(|(_, settings)| settings.iter())
}

/// The configuration reference: a table per section.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    for (heading, settings) in SETTINGS {
        out.push_str(&format!(
            "\n#### {heading}\n\n| variable | default | meaning |\n| --- | --- | --- |\n"
        ));
        for setting in *settings {
            let default = match setting.default {
                Required => "required".to_owned(),
                Unset => "unset".to_owned(),
                Value(value) => format!("`{value}`"),
            };
            out.push_str(&format!(
                "| `{}` | {default} | {} |\n",
                setting.name, setting.doc
            ));
        }
    }
    // A blank line before the end marker closes the last table.
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeSet, path::Path};

    use super::*;
    use crate::config::{Config, tests::base};

    /// The whole-word string literals of Rust source that look like setting names, escapes
    /// honoured (so a quote inside a string does not end it).
    fn setting_names(source: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut chars = source.chars().peekable();
        let mut previous = ' ';
        while let Some(c) = chars.next() {
            // A char literal '"' opens no string.
            if c == '"' && previous != '\'' {
                let mut literal = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        c => literal.push(c),
                    }
                }
                let looks_like_name = literal.contains('_')
                    && literal
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_uppercase())
                    && literal
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if looks_like_name {
                    names.insert(literal);
                }
                previous = '"';
                continue;
            }
            previous = c;
        }
        names
    }

    #[test]
    fn the_scanner_finds_whole_literals_only() {
        let source =
            r#"env.parsed("SWITCHBOARD_X", 1, "a \"NUMBER_Y\"")?; let q = '"'; f("SLACK_Z")"#;
        let found: Vec<String> = setting_names(source).into_iter().collect();
        assert_eq!(found, ["SLACK_Z", "SWITCHBOARD_X"]);
    }

    #[test]
    fn the_list_names_every_setting_the_parsers_read_and_no_other() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
        let mut read = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("settings.rs") {
                read.extend(setting_names(&std::fs::read_to_string(&path).unwrap()));
            }
        }
        let listed: BTreeSet<String> = all().map(|s| s.name.to_owned()).collect();
        let unlisted: Vec<_> = read.difference(&listed).collect();
        let unread: Vec<_> = listed.difference(&read).collect();
        assert!(
            unlisted.is_empty() && unread.is_empty(),
            "src/config reads {unlisted:?} which SETTINGS (src/config/settings.rs) does not list, \
             and lists {unread:?} which nothing reads: update SETTINGS, then `scripts/deploy.sh docs`"
        );
        assert_eq!(listed.len(), all().count(), "a setting is listed twice");
    }

    #[test]
    fn setting_a_listed_default_changes_nothing() {
        let env = base();
        let unset = format!(
            "{:?}",
            Config::from_lookup(|k| env.get(k).cloned()).unwrap()
        );
        for setting in all() {
            let (Default::Value(value), false) = (&setting.default, env.contains_key(setting.name))
            else {
                continue;
            };
            let mut with = env.clone();
            with.insert(setting.name, (*value).to_owned());
            let explicit = Config::from_lookup(|k| with.get(k).cloned())
                .unwrap_or_else(|e| panic!("{}={value}: {e}", setting.name));
            assert_eq!(
                format!("{explicit:?}"),
                unset,
                "{} is listed with the default {value:?}, which is not what unset means",
                setting.name
            );
        }
    }

    #[test]
    fn each_required_setting_is_required() {
        for setting in all().filter(|s| matches!(s.default, Default::Required)) {
            let mut env = base();
            env.remove(setting.name);
            let err = Config::from_lookup(|k| env.get(k).cloned()).unwrap_err();
            assert_eq!(err.name, setting.name, "{err}");
        }
    }

    /// docs/operations.md shows the reference between two markers, exactly as generated.
    #[test]
    fn the_operations_guide_shows_the_generated_reference() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operations.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (start, end) = (REFERENCE_START, REFERENCE_END);
        let shown = doc
            .split_once(start)
            .and_then(|(_, rest)| rest.split_once(end))
            .map(|(section, _)| section)
            .unwrap_or_else(|| panic!("docs/operations.md needs the markers {start} and {end}"));
        assert!(
            shown == reference_markdown(),
            "the configuration reference in docs/operations.md is stale: run `scripts/deploy.sh docs`"
        );
    }
}
