//! Integration tests: one binary (one link) for the whole suite.

mod auth;
mod channels;
mod duplicates;
mod events;
mod helpers;
mod hostile;
mod http_port;
mod infra;
mod leases;
mod manage;
mod message_edits;
mod message_validation;
mod messaging;
mod messaging_helpers;
mod monitoring;
mod oauth;
mod observability;
mod processes;
mod race;
mod rotation;
mod storage;
mod traces;
mod validation;
