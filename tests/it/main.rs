//! Integration tests: the real `warroom` binary and library against real sled files and a real
//! Synapse homeserver.

mod backup_restore;
mod cli;
mod compat;
mod console_session;
mod crash;
mod deploy;
mod fake_slack;
mod files;
mod fuzz;
mod hooks;
mod limits;
mod lock;
mod matrix;
mod mx;
mod probe;
mod record;
mod slack;
mod support;
mod synapse;
