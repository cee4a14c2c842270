//! Everything the simulator remembers: workspaces, tokens, codes, faults, and a log of
//! every call it answered (for test assertions).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use serde::Serialize;

use super::{
    SimConfig,
    chat::{Pacer, SimMessage},
    conversations::SimChannel,
    faults::Fault,
    rate_limit::RateLimiter,
    tick_bucket::TickBuckets,
};

/// Lifetime of a rotating access token, as Slack gives it.
pub const ROTATING_TOKEN_SECS: u64 = 43_200;

#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    /// An org-wide Enterprise Grid install: keyed on the enterprise, no team.
    pub enterprise_install: bool,
    pub token_rotation: bool,
    pub bot_user_id: String,
    pub bot_id: String,
    pub app_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub token: String,
    pub workspace_id: String,
    pub revoked: bool,
    /// Unix seconds; only rotating tokens expire.
    pub expires_at: Option<u64>,
    pub issued_at: u64,
    /// Issue order (several tokens can share a second).
    pub serial: u64,
}

#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub workspace_id: String,
    pub redirect_uri: Option<String>,
    pub scope: String,
    pub issued: Instant,
}

#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub workspace_id: String,
    pub used: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    pub method: String,
    pub workspace_id: Option<String>,
    pub token: Option<String>,
    pub at: u64,
}

/// A post refused with 429 for going over a channel's or workspace's pace, and when.
#[derive(Debug, Clone, Serialize)]
pub struct RateLimitedPost {
    pub channel: String,
    /// Unix microseconds of the simulator's wall clock.
    pub at_us: u64,
    /// The `Retry-After` it answered, in seconds.
    pub retry_after_s: u64,
}

pub struct Inner {
    pub config: SimConfig,
    pub workspaces: HashMap<String, Workspace>,
    pub tokens: HashMap<String, TokenInfo>,
    pub codes: HashMap<String, CodeGrant>,
    /// Refresh tokens of rotating installs: workspace, and whether already used (single use).
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    /// Refreshes answered (`grant_type=refresh_token` that succeeded).
    pub refreshes: u64,
    /// Each workspace's channels in creation order (Slack lists them so).
    pub channels: HashMap<String, Vec<SimChannel>>,
    /// Every message accepted, in order.
    pub messages: Vec<SimMessage>,
    pub post_pacer: Pacer,
    /// The per-channel buckets of the "own clock" pace (`SimConfig::post_clock_offset`).
    pub post_ticks: TickBuckets,
    /// Posts refused with 429 for going over a channel's or workspace's pace.
    pub rate_limited_posts: u64,
    /// Each of those refusals, in order.
    pub rate_limited_post_log: Vec<RateLimitedPost>,
    /// Calls refused with 429 for going over a method's tier.
    pub rate_limited_calls: u64,
    pub ts_counter: u64,
    pub faults: Vec<Fault>,
    pub calls: Vec<CallRecord>,
    pub limiter: RateLimiter,
    next_id: u64,
}

pub struct SimState {
    inner: Mutex<Inner>,
    /// Releases the calls a `hold` fault keeps waiting.
    pub released: tokio::sync::watch::Sender<u64>,
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The wall clock in unix microseconds (receipt times, for latency measurements).
pub fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

impl Inner {
    /// A fresh id with Slack's prefix, e.g. `T0000001A`.
    pub fn next_id(&mut self, prefix: char) -> String {
        self.next_id += 1;
        format!("{prefix}{:08X}", self.next_id)
    }

    /// A random secret-looking suffix for tokens and codes.
    pub fn random_suffix() -> String {
        format!(
            "{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        )
    }

    pub fn issue_token(&mut self, workspace_id: &str, rotating: bool) -> TokenInfo {
        let now = unix_now();
        self.next_id += 1;
        let token = TokenInfo {
            serial: self.next_id,
            token: format!(
                "{}xoxb-{}-{}",
                if rotating { "xoxe." } else { "" },
                workspace_id,
                Self::random_suffix()
            ),
            workspace_id: workspace_id.to_owned(),
            revoked: false,
            expires_at: rotating.then_some(now + ROTATING_TOKEN_SECS),
            issued_at: now,
        };
        self.tokens.insert(token.token.clone(), token.clone());
        token
    }

    /// A single-use refresh token for a rotating install of `workspace_id`.
    pub fn issue_refresh_token(&mut self, workspace_id: &str) -> String {
        let token = format!("xoxe-1-{}", Self::random_suffix());
        self.refresh_tokens.insert(
            token.clone(),
            RefreshGrant {
                workspace_id: workspace_id.to_owned(),
                used: false,
            },
        );
        token
    }

    /// Takes the first fault that hits this call, counting it down.
    pub fn take_fault(&mut self, method: &str, workspace_id: Option<&str>) -> Option<Fault> {
        let mut hit = None;
        for (index, fault) in self.faults.iter_mut().enumerate() {
            if !fault.applies_to(method, workspace_id) {
                continue;
            }
            fault.seen += 1;
            if fault.every.is_none_or(|n| fault.seen % n.max(1) == 0) {
                hit = Some(index);
                break;
            }
        }
        let index = hit?;
        let fault = self.faults[index].clone();
        if let Some(times) = &mut self.faults[index].times {
            *times -= 1;
            if *times == 0 {
                self.faults.remove(index);
            }
        }
        Some(fault)
    }
}

impl SimState {
    pub fn new(config: SimConfig) -> Self {
        Self {
            inner: Mutex::new(Inner {
                config,
                workspaces: HashMap::new(),
                tokens: HashMap::new(),
                codes: HashMap::new(),
                refresh_tokens: HashMap::new(),
                refreshes: 0,
                channels: HashMap::new(),
                messages: Vec::new(),
                post_pacer: Pacer::default(),
                post_ticks: TickBuckets::new(Instant::now()),
                rate_limited_posts: 0,
                rate_limited_post_log: Vec::new(),
                rate_limited_calls: 0,
                ts_counter: 0,
                faults: Vec::new(),
                calls: Vec::new(),
                limiter: RateLimiter::default(),
                next_id: 0,
            }),
            released: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Runs `f` with the state locked. Never held across an await.
    pub fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut inner)
    }
}
