//! evisa: consular services and e-visas for a foreign ministry.
//!
//! Layers: [`domain`] holds pure types and rules; [`db`] stores them; [`workflow`] applies the
//! state machine to stored cases; [`api`] exposes it all over HTTP; [`startup`] wires it together.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

pub mod accounts;
pub mod api;
pub mod auth;
pub mod check_log;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod issuance;
pub mod jobs;
pub mod notify;
pub mod ratelimit;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod workflow;
