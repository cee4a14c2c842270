//! switchboard: connects a product's teams to Slack workspaces and delivers their
//! notifications reliably. See `README.md` and the contract in `proto/`.

pub mod api;
pub mod config;
pub mod core;
pub mod crypto;
pub mod deadline;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod proto;
pub mod slack;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod webhooks;
