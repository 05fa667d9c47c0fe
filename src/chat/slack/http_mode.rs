//! HTTP mode: Slack calls us at `POST /slack/commands`, `/slack/events` and
//! `/slack/interactivity` on the `http.listen` server. Every request is verified first:
//! HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the signing secret, a 5-minute window and
//! a constant-time compare; a bad, stale or missing signature gets 401 and changes nothing.
//! Before that check a request holds only its declared bytes (at most 512 KiB, within the
//! server's body budget and deadline), and a signed request is accepted once.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use axum::{Extension, Router};
use serde_json::json;
use slack_morphism::prelude::*;

use super::bot::SlackBot;
use super::inbound::SlashCommand;
use super::origin::Refused;
use crate::limits::{BodyBudget, Peer, Sender};
use crate::signing::{SeenSignature, Signed};

/// Largest request body taken from Slack (slash commands and events are a few KiB).
pub const MAX_BODY: usize = 512 * 1024;

#[derive(Clone)]
struct Ctx {
    bot: Arc<SlackBot>,
    secret: Arc<String>,
    budget: BodyBudget,
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
pub fn verify(secret: &str, headers: &HeaderMap, body: &[u8], now: i64) -> Result<SeenSignature, String> {
    SLACK_SIGNATURE.verify(secret, headers, body, now)
}

fn unauthorized(why: &str) -> Response {
    // Anyone can cause this line: at most one WARN a minute, the others at debug.
    static REFUSALS: crate::telemetry::Throttle = crate::telemetry::Throttle::new(std::time::Duration::from_secs(60));
    match REFUSALS.allow() {
        Some(left_out) => tracing::warn!(
            reason = why,
            left_out,
            "slack: rejected an HTTP request (at most one such line a minute; left_out: rejections not logged since the last)"
        ),
        None => tracing::debug!(reason = why, "slack: rejected an HTTP request"),
    }
    (StatusCode::UNAUTHORIZED, Json(json!({"ok": false, "error": why}))).into_response()
}

/// The request's body if it is Slack's and new; else the refusal to send. Slack sends every
/// request (retries included) with a fresh signature, so the same signature twice is a replay.
async fn accepted(
    ctx: &Ctx,
    peer: Option<Extension<Peer>>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Response> {
    let from = Sender::Anonymous(peer.map(|Extension(Peer(ip))| ip));
    let body = ctx
        .budget
        .read(headers, body, MAX_BODY, from)
        .await
        .map_err(|e| e.response(MAX_BODY))?;
    let now = chrono::Utc::now().timestamp();
    let sig = verify(&ctx.secret, headers, &body.bytes, now).map_err(|why| unauthorized(&why))?;
    // Remembered before it is handled, in one atomic step with the check (of concurrent copies
    // of a request, one is new); the command's own durable write commits it too.
    match ctx.bot.service.store().claim_signature(sig.timestamp, &sig.mac, now) {
        Ok(true) => {}
        Ok(false) => return Err(unauthorized("this signed request was already received (replay)")),
        Err(e) => {
            tracing::error!(error = %e, "slack: cannot check for replayed requests");
            return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
        }
    }
    Ok(body.bytes.clone())
}

/// The answer to a request that is signed but not for this warroom (or not yet).
fn not_ours(r: Refused) -> Response {
    match r {
        Refused::Foreign(why) => (StatusCode::FORBIDDEN, Json(json!({"ok": false, "error": why}))).into_response(),
        Refused::NotDurable(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "5")],
            Json(json!({"ok": false, "error": format!("not saved ({why}); deliver it again")})),
        )
            .into_response(),
        Refused::NotYet => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "5")],
            Json(json!({"ok": false, "error": "warroom is still asking Slack which workspace and app it serves; try again in a moment"})),
        )
            .into_response(),
    }
}

fn bad_request(what: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error": what}))).into_response()
}

async fn commands(State(ctx): State<Ctx>, peer: Option<Extension<Peer>>, headers: HeaderMap, body: Body) -> Response {
    let body = match accepted(&ctx, peer, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let cmd: SlashCommand = match serde_urlencoded::from_bytes(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(format!("not a slash command payload: {e}")),
    };
    match ctx.bot.on_command(cmd, false).await {
        Ok(reply) => Json(json!({"response_type": "in_channel", "text": reply.into_string()})).into_response(),
        Err(r) => not_ours(r),
    }
}

async fn events(State(ctx): State<Ctx>, peer: Option<Extension<Peer>>, headers: HeaderMap, body: Body) -> Response {
    let body = match accepted(&ctx, peer, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("body is not JSON: {e}")),
    };
    match value["type"].as_str() {
        Some("url_verification") => Json(json!({"challenge": value["challenge"]})).into_response(),
        Some("event_callback") => match serde_json::from_value::<SlackPushEventCallback>(value) {
            Ok(ev) => match ctx.bot.on_event(ev).await {
                Ok(()) => StatusCode::OK.into_response(),
                Err(r) => not_ours(r),
            },
            Err(e) => bad_request(format!("not an event callback: {e}")),
        },
        _ => StatusCode::OK.into_response(),
    }
}

async fn interactivity(
    State(ctx): State<Ctx>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match accepted(&ctx, peer, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    // Slack posts `payload=<JSON>` as a form.
    let payload = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "payload"))
        .and_then(|(_, p)| serde_json::from_str::<serde_json::Value>(&p).ok());
    let Some(payload) = payload else {
        return bad_request("not an interaction payload (a form with `payload`)".into());
    };
    match ctx.bot.on_interaction(payload, false).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(r) => not_ours(r),
    }
}

/// The Slack routes, for the `http.listen` server.
pub fn router(bot: Arc<SlackBot>, signing_secret: String, budget: BodyBudget) -> Router {
    let ctx = Ctx {
        bot,
        secret: Arc::new(signing_secret),
        budget,
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
        assert!(verify(secret, &h, body, 1531420618 + 10).is_ok());
        // Timestamps far from now, however extreme, are stale (no overflow).
        let extreme = headers(&i64::MIN.to_string(), "v0=00");
        assert!(
            verify(secret, &extreme, body, 1531420618)
                .unwrap_err()
                .contains("stale")
        );
        let extreme = headers(&i64::MAX.to_string(), "v0=00");
        assert!(verify(secret, &extreme, body, -1).unwrap_err().contains("stale"));
        // Stale, tampered, or unsigned: refused.
        assert!(verify(secret, &h, body, 1531420618 + 301).is_err());
        assert!(verify(secret, &h, b"token=changed", 1531420618).is_err());
        assert!(verify(secret, &HeaderMap::new(), body, 1531420618).is_err());
        assert!(verify("other-secret", &h, body, 1531420618).is_err());
    }
}
