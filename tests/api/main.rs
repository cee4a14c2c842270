//! Integration tests: one binary (one link) for the whole suite.

mod auth;
mod cancellation;
mod channels;
mod db_proxy;
mod duplicates;
mod events;
mod helpers;
mod idempotency;
mod infra;
mod manage;
mod message_edits;
mod message_validation;
mod messaging;
mod messaging_helpers;
mod monitoring;
mod oauth;
mod observability;
mod outage;
mod processes;
mod race;
mod rotation;
mod storage;
mod traces;
mod validation;
