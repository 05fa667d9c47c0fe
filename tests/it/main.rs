//! Integration tests: the real `warroom` binary and library against real sled files.

mod backup_restore;
mod console_session;
mod crash;
mod lock;
mod support;
