//! warroom: a self-hosted incident-response bot. The library holds the whole application;
//! `main.rs` is a thin CLI over it. See DESIGN.md for the architecture.
#![recursion_limit = "256"]

pub mod alert;
pub mod app;
pub mod chat;
pub mod cli;
pub mod command;
pub mod config;
pub mod domain;
pub mod files;
pub mod http;
pub mod incident;
pub mod limits;
pub mod postmortem;
pub mod sanitize;
pub mod settings;
pub mod shutdown;
pub mod signing;
pub mod store;
pub mod telemetry;
