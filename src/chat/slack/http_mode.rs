//! HTTP mode: Slack calls us at `POST /slack/commands`, `/slack/events` and
//! `/slack/interactivity` on the `http.listen` server. Every request is verified first:
//! HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the signing secret, a 5-minute window and
//! a constant-time compare; a bad, stale or missing signature gets 401 and changes nothing.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde_json::json;
use slack_morphism::prelude::*;

use super::bot::SlackBot;
use super::inbound::SlashCommand;
use crate::http::Signed;

#[derive(Clone)]
struct Ctx {
    bot: Arc<SlackBot>,
    secret: Arc<String>,
}

/// Slack's request signature: `X-Slack-Signature: v0=hex(HMAC-SHA256(secret,
/// "v0:{timestamp}:{raw body}"))` with `X-Slack-Request-Timestamp` within 5 minutes.
const SLACK_SIGNATURE: Signed<'static> = Signed {
    timestamp_header: "X-Slack-Request-Timestamp",
    signature_header: "X-Slack-Signature",
    prefix: "v0=",
    before: "v0:",
    between: ":",
};

/// Check Slack's request signature; `Err` says why (without repeating the signature).
pub fn verify(secret: &str, headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), String> {
    SLACK_SIGNATURE.verify(secret, headers, body, now)
}

fn unauthorized(why: &str) -> Response {
    tracing::warn!(reason = why, "slack: rejected an HTTP request");
    (StatusCode::UNAUTHORIZED, Json(json!({"ok": false, "error": why}))).into_response()
}

/// `None` if the request is Slack's; else the 401 to send.
fn refused(ctx: &Ctx, headers: &HeaderMap, body: &Bytes) -> Option<Response> {
    verify(&ctx.secret, headers, body, chrono::Utc::now().timestamp())
        .err()
        .map(|why| unauthorized(&why))
}

fn bad_request(what: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error": what}))).into_response()
}

async fn commands(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = refused(&ctx, &headers, &body) {
        return r;
    }
    let cmd: SlashCommand = match serde_urlencoded::from_bytes(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(format!("not a slash command payload: {e}")),
    };
    let reply = ctx.bot.on_command(cmd).await;
    Json(json!({"response_type": "in_channel", "text": reply.into_string()})).into_response()
}

async fn events(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = refused(&ctx, &headers, &body) {
        return r;
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("body is not JSON: {e}")),
    };
    match value["type"].as_str() {
        Some("url_verification") => Json(json!({"challenge": value["challenge"]})).into_response(),
        Some("event_callback") => match serde_json::from_value::<SlackPushEventCallback>(value) {
            Ok(ev) => {
                ctx.bot.on_event(ev).await;
                StatusCode::OK.into_response()
            }
            Err(e) => bad_request(format!("not an event callback: {e}")),
        },
        _ => StatusCode::OK.into_response(),
    }
}

async fn interactivity(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = refused(&ctx, &headers, &body) {
        return r;
    }
    // No interactive components yet; acknowledge so Slack does not show an error.
    StatusCode::OK.into_response()
}

/// The Slack routes, for the `http.listen` server.
pub fn router(bot: Arc<SlackBot>, signing_secret: String) -> Router {
    let ctx = Ctx {
        bot,
        secret: Arc::new(signing_secret),
    };
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/events", post(events))
        .route("/slack/interactivity", post(interactivity))
        .with_state(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ts: &str, sig: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-slack-request-timestamp", ts.parse().unwrap());
        h.insert("x-slack-signature", sig.parse().unwrap());
        h
    }

    /// The example from Slack's "Verifying requests from Slack" documentation.
    #[test]
    fn slack_documentation_example_verifies() {
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let h = headers(
            "1531420618",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        );
        assert_eq!(verify(secret, &h, body, 1531420618 + 10), Ok(()));
        // Stale, tampered, or unsigned: refused.
        assert!(verify(secret, &h, body, 1531420618 + 301).is_err());
        assert!(verify(secret, &h, b"token=changed", 1531420618).is_err());
        assert!(verify(secret, &HeaderMap::new(), body, 1531420618).is_err());
        assert!(verify("other-secret", &h, body, 1531420618).is_err());
    }
}
