//! warroom: a self-hosted incident-response bot. The library holds the whole application;
//! `main.rs` is a thin CLI over it. `docs/ARCHITECTURE.md` describes the modules and layering.
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
pub mod limits;
pub mod postmortem;
pub mod sanitize;
pub mod service;
pub mod settings;
pub mod shutdown;
pub mod signing;
pub mod store;
pub mod telemetry;
