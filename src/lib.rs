//! evisa: consular services and e-visas for a foreign ministry.
//!
//! Layers, from the inside out: [`domain`] holds pure types and rules (the state machine, the
//! effects of each transition, the service catalogue's types, MRZ); [`db`] stores them and holds
//! the one job queue; [`app`] holds the use cases and the case engine; [`issuance`] produces what
//! approval gives (the e-visa); [`jobs`] runs background work; [`notify`] renders and sends
//! e-mail; [`web`] is the HTTP surface; [`startup`] wires it together.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

pub mod app;
pub mod auth;
pub mod backup;
pub mod catalogue_cache;
pub mod check_log;
pub mod cli;
pub mod config;
pub mod db;
pub mod decision_pace;
pub mod domain;
pub mod issuance;
pub mod jobs;
pub mod notify;
pub mod payment_providers;
pub mod ratelimit;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod visa_cache;
pub mod web;
