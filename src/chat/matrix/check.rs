//! `warroom check-config` for Matrix: logs in the way the bot would, and reports in plain
//! words a login failure, an alert room the bot cannot join, or a responder who does not exist.

use std::path::Path;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::ruma::api::client::membership::joined_rooms::v3::Request as JoinedRooms;
use matrix_sdk::ruma::api::client::profile::get_profile::v3::Request as GetProfile;
use matrix_sdk::ruma::{OwnedRoomId, UserId};

use super::client::{self, Credentials, RoomRefError};
use crate::config::MatrixConfig;

/// One line of the report: `Ok` is fine, `Err` is a problem to fix.
pub type Finding = Result<String, String>;

/// Check the Matrix section against the homeserver. Uses the saved session when there is one;
/// otherwise logs in with a throwaway device that is logged out again at the end.
pub async fn check(cfg: &MatrixConfig, credentials: &Credentials, data_dir: &Path) -> Vec<Finding> {
    let user = match client::user_id(cfg) {
        Ok(u) => u,
        Err(e) => return vec![Err(e.to_string())],
    };
    let probe = match client::build(cfg, None).await {
        Ok(c) => c,
        Err(e) => return vec![Err(e.to_string())],
    };
    let saved = client::load_session(&data_dir.join(client::STATE_DIR))
        .ok()
        .flatten()
        .filter(|s| s.meta.user_id == user);
    let (login, log_out) = match saved {
        Some(session) => (login_saved(cfg, &probe, &user, session).await, false),
        None => login_fresh(cfg, credentials, &probe, &user).await,
    };
    let ok = login.is_ok();
    let mut out = vec![login];
    if !ok {
        return out;
    }
    let joined: Vec<OwnedRoomId> = probe
        .send(JoinedRooms::new())
        .await
        .map(|r| r.joined_rooms)
        .unwrap_or_default();
    for name in &cfg.alert_rooms {
        out.push(check_room(&probe, name, &joined, &user).await);
    }
    for r in &cfg.responders {
        out.push(check_responder(&probe, r).await);
    }
    if log_out && let Err(e) = probe.matrix_auth().logout().await {
        tracing::warn!(error = %e, "could not log the check-config device out");
    }
    out
}

/// Whether the session the bot saved still works.
async fn login_saved(cfg: &MatrixConfig, probe: &matrix_sdk::Client, user: &UserId, session: MatrixSession) -> Finding {
    let device = session.meta.device_id.clone();
    match client::whoami(cfg, &session.tokens.access_token).await {
        Ok(_) => probe
            .restore_session(session)
            .await
            .map(|_| format!("Matrix: the saved session of {user} (device {device}) works"))
            .map_err(|e| e.to_string()),
        Err(e) => Err(format!(
            "Matrix: the saved session of {user} no longer works: {e}; stop warroom and move DATA_DIR/matrix aside so the next start logs in again"
        )),
    }
}

/// Logs in with the configured token or password; the `bool` says a throwaway device was made
/// (to be logged out at the end).
async fn login_fresh(
    cfg: &MatrixConfig,
    credentials: &Credentials,
    probe: &matrix_sdk::Client,
    user: &UserId,
) -> (Finding, bool) {
    match credentials {
        Credentials::Token(t) => {
            let login = match client::whoami(cfg, t).await {
                Ok((u, d)) => probe
                    .restore_session(client::token_session(u, d, t))
                    .await
                    .map(|_| format!("Matrix: the access token of {user} works"))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            (login, false)
        }
        Credentials::Password(p) => {
            match probe
                .matrix_auth()
                .login_username(user.as_str(), p)
                .initial_device_display_name("warroom check-config")
                .send()
                .await
            {
                Ok(_) => (Ok(format!("Matrix: logged in as {user} at {}", cfg.homeserver)), true),
                Err(e) => (
                    Err(format!(
                        "Matrix login as {user} at {} failed: {e}. Check matrix.user, the password and matrix.homeserver.",
                        cfg.homeserver
                    )),
                    false,
                ),
            }
        }
    }
}

/// Whether a configured responder is a Matrix user that exists.
async fn check_responder(probe: &matrix_sdk::Client, r: &str) -> Finding {
    match UserId::parse(r) {
        Err(e) => Err(format!(
            "responder {r:?} is not a Matrix user id like @alice:example.org ({e})"
        )),
        Ok(u) => match probe.send(GetProfile::new(u.clone())).await {
            Ok(_) => Ok(format!("responder {u} exists")),
            Err(e) if e.as_client_api_error().is_some_and(|a| a.status_code.as_u16() == 404) => Err(format!(
                "responder {u} does not exist on its homeserver; fix matrix.responders"
            )),
            Err(e) => Err(format!("responder {u} could not be checked: {e}")),
        },
    }
}

async fn check_room(probe: &matrix_sdk::Client, name: &str, joined: &[OwnedRoomId], me: &UserId) -> Finding {
    let (target, room_id) = match client::resolve_room(probe, name).await {
        Ok(r) => r,
        Err(RoomRefError::Invalid(m) | RoomRefError::Unresolved(m)) => return Err(m),
    };
    if joined.contains(&room_id) {
        return Ok(format!("alert room {name}: the bot is in it"));
    }
    match probe.join_room_by_id_or_alias(&target, &[]).await {
        Ok(_) => Ok(format!("alert room {name}: joined")),
        Err(e) => Err(format!(
            "the bot cannot join alert room {name} ({e}); invite {me} to it, or make it joinable"
        )),
    }
}
