//! Matrix login and identity: builds the SDK client with its sqlite store in the data dir,
//! logs in once (password or access token) and persists that session, so every later start
//! restores the same device instead of creating a new one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::{
    OwnedDeviceId, OwnedRoomId, OwnedRoomOrAliasId, OwnedUserId, RoomAliasId, RoomId, RoomOrAliasId, UserId,
};
use matrix_sdk::{Client, SessionMeta, SessionTokens};

use crate::config::{MatrixConfig, read_secret};

/// Sub-directory of the data dir holding the Matrix session and the SDK's store.
pub const STATE_DIR: &str = "matrix";
const SESSION_FILE: &str = "session.json";
const SDK_DIR: &str = "sdk";
pub const DEVICE_NAME: &str = "warroom";

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Retrying will not help (bad credentials, bad config, unusable state).
    #[error("{0}")]
    Fatal(String),
    /// The homeserver could not be reached or failed; retry later.
    #[error("{0}")]
    Unavailable(String),
}

fn fatal(s: impl Into<String>) -> ConnectError {
    ConnectError::Fatal(s.into())
}

/// The SDK request settings: few internal retries, our loops own backoff and ordering.
pub fn request_config() -> RequestConfig {
    RequestConfig::new().retry_limit(2).timeout(Duration::from_secs(30))
}

pub fn user_id(cfg: &MatrixConfig) -> Result<OwnedUserId, ConnectError> {
    UserId::parse(cfg.user.as_str()).map_err(|e| {
        fatal(format!(
            "matrix.user {:?} is not a Matrix user id like @warroom:example.org ({e})",
            cfg.user
        ))
    })
}

/// An SDK client for `cfg.homeserver`; with `store` the SDK keeps its state (crypto keys,
/// room state) in that directory, else in memory.
pub async fn build(cfg: &MatrixConfig, store: Option<&Path>) -> Result<Client, ConnectError> {
    let mut b = Client::builder()
        .homeserver_url(&cfg.homeserver)
        .request_config(request_config());
    if let Some(dir) = store {
        b = b.sqlite_store(dir, None);
    }
    b.build().await.map_err(|e| {
        let msg = format!(
            "cannot set up the Matrix client for {} ({e}); check matrix.homeserver (a URL like https://matrix.example.org)",
            cfg.homeserver
        );
        match e {
            matrix_sdk::ClientBuildError::Http(_) | matrix_sdk::ClientBuildError::AutoDiscovery(_) => {
                ConnectError::Unavailable(msg)
            }
            _ => ConnectError::Fatal(msg),
        }
    })
}

/// Classify an SDK error from logging in or restoring.
fn login_error(cfg: &MatrixConfig, e: &matrix_sdk::Error) -> ConnectError {
    match e.as_client_api_error() {
        Some(api) if api.status_code.as_u16() == 403 || api.status_code.as_u16() == 401 => fatal(format!(
            "Matrix login as {} failed: the homeserver refused the credentials ({e}). Check matrix.user and the password or access token.",
            cfg.user
        )),
        Some(api) if api.status_code.is_client_error() && api.status_code.as_u16() != 429 => {
            fatal(format!("Matrix login as {} failed: {e}", cfg.user))
        }
        _ if matches!(e, matrix_sdk::Error::Http(_)) => {
            ConnectError::Unavailable(format!("Matrix homeserver {} unavailable: {e}", cfg.homeserver))
        }
        // Not the network: the local SDK state or the session itself is unusable.
        _ => fatal(format!(
            "Matrix login as {} failed: {e}. If the saved state is the problem, stop warroom and move the matrix directory in the data dir aside to log in afresh.",
            cfg.user
        )),
    }
}

/// The password or access token, from the environment or a `*_file`.
#[derive(Clone)]
pub enum Credentials {
    Password(String),
    Token(String),
}

pub fn credentials(cfg: &MatrixConfig) -> Result<Credentials, ConnectError> {
    let token = read_secret(&cfg.access_token, &cfg.access_token_file, "matrix.access_token").map_err(fatal)?;
    let password = read_secret(&cfg.password, &cfg.password_file, "matrix.password").map_err(fatal)?;
    match (token, password) {
        (Some(t), _) => Ok(Credentials::Token(t.expose().to_string())),
        (None, Some(p)) => Ok(Credentials::Password(p.expose().to_string())),
        (None, None) => Err(fatal(
            "[matrix] needs a password or an access token: set WARROOM_MATRIX__PASSWORD or matrix.password_file, or WARROOM_MATRIX__ACCESS_TOKEN or matrix.access_token_file",
        )),
    }
}

/// Why a configured room name does not lead to a room.
#[derive(Debug)]
pub enum RoomRefError {
    /// Not a room id or alias at all: a config mistake.
    Invalid(String),
    /// An alias the homeserver cannot resolve (yet).
    Unresolved(String),
}

/// A configured room (`!id:server` or `#alias:server`) and the room id it stands for.
pub async fn resolve_room(client: &Client, name: &str) -> Result<(OwnedRoomOrAliasId, OwnedRoomId), RoomRefError> {
    let target = RoomOrAliasId::parse(name).map_err(|_| {
        RoomRefError::Invalid(format!(
            "alert room {name:?} is not a room id (!id:server) or alias (#name:server); fix matrix.alert_rooms"
        ))
    })?;
    let id = match RoomId::parse(target.as_str()) {
        Ok(id) => id,
        Err(_) => {
            let alias = RoomAliasId::parse(target.as_str())
                .map_err(|e| RoomRefError::Invalid(format!("alert room {name:?} is not a valid alias ({e})")))?;
            client
                .resolve_room_alias(&alias)
                .await
                .map_err(|e| {
                    RoomRefError::Unresolved(format!(
                        "alert room {name}: the alias does not resolve ({e}); create the room or fix matrix.alert_rooms"
                    ))
                })?
                .room_id
        }
    };
    Ok((target, id))
}

/// A session made from an access token (no refresh token).
pub fn token_session(user_id: OwnedUserId, device_id: OwnedDeviceId, token: &str) -> MatrixSession {
    MatrixSession {
        meta: SessionMeta { user_id, device_id },
        tokens: SessionTokens {
            access_token: token.to_string(),
            refresh_token: None,
        },
    }
}

/// Who owns an access token (and its device), asked without touching any store.
pub async fn whoami(cfg: &MatrixConfig, token: &str) -> Result<(OwnedUserId, OwnedDeviceId), ConnectError> {
    let probe = build(cfg, None).await?;
    let user = user_id(cfg)?;
    probe
        .restore_session(token_session(user.clone(), "WARROOM_PROBE".into(), token))
        .await
        .map_err(|e| login_error(cfg, &e))?;
    let who = probe
        .whoami()
        .await
        .map_err(|e| login_error(cfg, &matrix_sdk::Error::Http(Box::new(e))))?;
    let device = who.device_id.ok_or_else(|| {
        fatal("the matrix access token has no device (the homeserver did not say which); use a token from a normal login, or a password")
    })?;
    if who.user_id != user {
        return Err(fatal(format!(
            "the matrix access token belongs to {}, not to matrix.user {user}",
            who.user_id
        )));
    }
    Ok((who.user_id, device))
}

fn session_path(state: &Path) -> PathBuf {
    state.join(SESSION_FILE)
}

pub(super) fn load_session(state: &Path) -> Result<Option<MatrixSession>, ConnectError> {
    let p = session_path(state);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            fatal(format!(
                "{} is damaged ({e}); move the {} directory aside to log in again",
                p.display(),
                state.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fatal(format!("cannot read {}: {e}", p.display()))),
    }
}

/// Write the session (it holds the access token) readable by us only, atomically.
fn save_session(state: &Path, session: &MatrixSession) -> Result<(), ConnectError> {
    let p = session_path(state);
    let bytes = serde_json::to_vec(session).map_err(|e| fatal(format!("cannot encode the session: {e}")))?;
    crate::files::write_atomically(&p, &bytes)
        .map_err(|e| fatal(format!("cannot save the Matrix session to {}: {e}", p.display())))
}

fn create_state_dir(state: &Path) -> Result<(), ConnectError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(state)
        .map_err(|e| fatal(format!("cannot create {}: {e}", state.display())))
}

/// A logged-in client: the saved session restored, or a first login whose session is saved.
pub async fn connect(cfg: &MatrixConfig, credentials: &Credentials, data_dir: &Path) -> Result<Client, ConnectError> {
    let state = data_dir.join(STATE_DIR);
    create_state_dir(&state)?;
    let user = user_id(cfg)?;
    let sdk_dir = state.join(SDK_DIR);
    if let Some(session) = load_session(&state)? {
        if session.meta.user_id != user {
            return Err(fatal(format!(
                "the saved Matrix session in {} is for {}, but matrix.user is {user}; move that directory aside to log in as {user}",
                state.display(),
                session.meta.user_id
            )));
        }
        let client = build(cfg, Some(&sdk_dir)).await?;
        client
            .restore_session(session)
            .await
            .map_err(|e| login_error(cfg, &e))?;
        tracing::info!(user = %user, device = ?client.device_id(), "matrix session restored");
        return Ok(client);
    }
    // No session: SDK state left from an earlier device is useless (and the SDK refuses to
    // reuse it for another device), so move it aside rather than deleting anything.
    if sdk_dir.exists() {
        let aside = state.join(format!(
            "{SDK_DIR}.old-{}",
            crate::domain::fmt_file_stamp(chrono::Utc::now())
        ));
        std::fs::rename(&sdk_dir, &aside)
            .map_err(|e| fatal(format!("cannot move {} aside: {e}", sdk_dir.display())))?;
        tracing::warn!(moved_to = %aside.display(), "matrix: no saved session; old SDK state moved aside");
    }
    let client = build(cfg, Some(&sdk_dir)).await?;
    let session = match credentials {
        Credentials::Token(token) => {
            let (user_id, device_id) = whoami(cfg, token).await?;
            let session = token_session(user_id, device_id, token);
            client
                .restore_session(session.clone())
                .await
                .map_err(|e| login_error(cfg, &e))?;
            session
        }
        Credentials::Password(password) => {
            client
                .matrix_auth()
                .login_username(user.as_str(), password)
                .initial_device_display_name(DEVICE_NAME)
                .send()
                .await
                .map_err(|e| login_error(cfg, &e))?;
            client
                .matrix_auth()
                .session()
                .ok_or_else(|| fatal("Matrix login returned no session"))?
        }
    };
    save_session(&state, &session)?;
    tracing::info!(user = %user, device = ?client.device_id(), "matrix: logged in, session saved");
    Ok(client)
}
