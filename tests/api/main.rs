//! Integration tests: one binary (one link) for the whole suite.

mod auth;
mod channels;
mod duplicates;
mod helpers;
mod infra;
mod manage;
mod messaging;
mod oauth;
mod race;
mod storage;
mod validation;
