//! Integration tests: the real service on a random port, driven over HTTP, each test on a fresh
//! SQLite database and, when `EVISA_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database too.

mod helpers;

mod access;
mod admin;
mod applications;
mod auth;
mod backup;
mod browser;
mod browser_designer;
mod browser_information;
mod browser_payment;
mod browser_schedules;
mod cli;
mod concurrency;
mod console_queue;
mod console_walk;
mod consular;
mod database;
mod documents;
mod form_designer;
mod four_eyes;
mod fuzz;
mod hardening;
mod health;
mod information;
mod issuance;
mod jobs;
mod languages;
mod nodes;
mod notifications;
mod openapi;
mod payments;
mod portal;
mod process;
mod queue;
mod requests;
mod review;
mod schedules;
mod second_review;
mod shutdown;
mod smtp;
mod upgrade;
mod use_cases;
mod verification;
mod walk;
