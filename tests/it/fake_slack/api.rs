//! The fake's HTTP side: `/api/{method}` (GET query, POST form or JSON, bearer token), the
//! upload URL, `response_url`, and the Socket Mode WebSocket route.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{APP_TOKEN, BOT_ID, BOT_TOKEN, BOT_USER, Call, Channel, Fault, File, Message, State};

#[derive(Clone)]
pub struct Shared {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    pub envelopes: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Value>>>,
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/api/{method}", any(method))
        .route("/upload/{id}", post(upload))
        .route("/respond/{trigger}", post(respond))
        .route("/socket", get(socket))
        .with_state(shared)
}

fn ok(v: Value) -> Response {
    let mut v = v;
    v["ok"] = json!(true);
    axum::Json(v).into_response()
}

fn err(code: &str) -> Response {
    axum::Json(json!({"ok": false, "error": code})).into_response()
}

/// Parameters from the query string, a form body or a JSON body, as JSON.
fn params(headers: &HeaderMap, query: Option<String>, body: &Bytes) -> Value {
    let mut out = serde_json::Map::new();
    let mut form = |text: &str| {
        for (k, v) in form_urlencoded_pairs(text) {
            out.insert(k, Value::String(v));
        }
    };
    if let Some(q) = query {
        form(&q);
    }
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if ct.starts_with("application/json") {
        if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
            out.extend(m);
        }
    } else if !body.is_empty() {
        form(&String::from_utf8_lossy(body));
    }
    Value::Object(out)
}

fn form_urlencoded_pairs(text: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(text).unwrap_or_default()
}

fn channel_json(c: &Channel) -> Value {
    json!({
        "id": c.id, "name": c.name, "name_normalized": c.name, "is_channel": !c.private, "is_group": c.private,
        "is_private": c.private,
        "created": c.created, "creator": c.creator, "is_member": c.members.iter().any(|m| m == BOT_USER),
        "is_archived": false, "num_members": c.members.len(),
        "topic": {"value": c.topic, "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0}
    })
}

fn str_param<'a>(p: &'a Value, k: &str) -> &'a str {
    p[k].as_str().unwrap_or("")
}

async fn method(
    AxState(sh): AxState<Shared>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = params(&headers, query, &body);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_start_matches("Bearer ")
        .to_string();
    let (fault, down) = {
        let mut s = sh.state.lock().unwrap();
        s.calls.push(Call {
            method: method.clone(),
            params: p.clone(),
            at: Instant::now(),
        });
        let fault = match s.faults.get(&method).cloned() {
            Some(f @ (Fault::RateLimit(_) | Fault::LoseAnswer | Fault::Answer { .. })) => {
                s.faults.remove(&method);
                Some(f)
            }
            other => other,
        };
        (fault, s.down)
    };
    if down {
        return (StatusCode::SERVICE_UNAVAILABLE, "Slack is down (fake)").into_response();
    }
    match fault {
        Some(Fault::RateLimit(secs)) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                axum::Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response();
        }
        Some(Fault::Hang(d)) => tokio::time::sleep(d).await,
        Some(Fault::Answer { status, body, perform }) => {
            if perform {
                let _ = answer(&sh, &method, &p);
            }
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let ct = if body.starts_with('<') {
                "text/html"
            } else {
                "application/json"
            };
            return (status, [("content-type", ct)], body).into_response();
        }
        Some(Fault::LoseAnswer) | None => {}
    }
    let lose = matches!(fault, Some(Fault::LoseAnswer));
    let want = if method == "apps.connections.open" {
        APP_TOKEN
    } else {
        BOT_TOKEN
    };
    if auth != want {
        return err(if auth.is_empty() { "not_authed" } else { "invalid_auth" });
    }
    let answer = answer(&sh, &method, &p);
    if lose {
        return (StatusCode::INTERNAL_SERVER_ERROR, "lost (fake)").into_response();
    }
    answer
}

fn answer(sh: &Shared, method: &str, p: &Value) -> Response {
    let p = p.clone();
    let mut s = sh.state.lock().unwrap();
    match method {
        "auth.test" => ok(
            json!({"url": "https://fake.slack.com/", "team": "Fake", "user": "warroom",
                                  "team_id": super::TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}),
        ),
        "apps.connections.open" => ok(json!({"url": format!("{}/socket", sh.url.replace("http://", "ws://"))})),
        "conversations.create" => {
            let name = str_param(&p, "name").to_string();
            if name.is_empty() {
                return err("invalid_name_required");
            }
            if name.chars().count() > 80 {
                return err("invalid_name_maxlength");
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            {
                return err("invalid_name_specials");
            }
            if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
                return err("invalid_name_punctuation");
            }
            if s.channels.iter().any(|c| c.name == name) {
                return err("name_taken");
            }
            let id = s.id("C");
            let created = chrono::Utc::now().timestamp();
            let c = Channel {
                id,
                name,
                creator: BOT_USER.into(),
                created,
                topic: String::new(),
                members: vec![BOT_USER.into()],
                // Slack sends booleans as JSON or as form text.
                private: matches!(&p["is_private"], Value::Bool(true)) || str_param(&p, "is_private") == "true",
            };
            let v = channel_json(&c);
            s.channels.push(c);
            ok(json!({"channel": v}))
        }
        "conversations.list" => {
            let chans: Vec<Value> = s.channels.iter().map(channel_json).collect();
            ok(json!({"channels": chans, "response_metadata": {"next_cursor": ""}}))
        }
        "conversations.join" => {
            let id = str_param(&p, "channel").to_string();
            match s.channels.iter_mut().find(|c| c.id == id) {
                None => err("channel_not_found"),
                Some(c) => {
                    if !c.members.iter().any(|m| m == BOT_USER) {
                        c.members.push(BOT_USER.into());
                    }
                    let v = channel_json(c);
                    ok(json!({"channel": v}))
                }
            }
        }
        "conversations.invite" => {
            let id = str_param(&p, "channel").to_string();
            let users: Vec<String> = match &p["users"] {
                Value::Array(a) => a.iter().filter_map(|u| u.as_str().map(String::from)).collect(),
                Value::String(csv) => csv.split(',').map(|u| u.trim().to_string()).collect(),
                _ => Vec::new(),
            };
            let known: Vec<String> = s.users.keys().cloned().collect();
            let Some(c) = s.channels.iter_mut().find(|c| c.id == id) else {
                return err("channel_not_found");
            };
            if users.iter().any(|u| !known.contains(u)) {
                return err("user_not_found");
            }
            if users.iter().all(|u| c.members.contains(u)) {
                return err("already_in_channel");
            }
            for u in users {
                if !c.members.contains(&u) {
                    c.members.push(u);
                }
            }
            let v = channel_json(c);
            ok(json!({"channel": v}))
        }
        "conversations.setTopic" => {
            let id = str_param(&p, "channel").to_string();
            let topic = str_param(&p, "topic").to_string();
            if topic.chars().count() > 250 {
                return err("too_long");
            }
            match s.channels.iter_mut().find(|c| c.id == id) {
                None => err("channel_not_found"),
                Some(c) => {
                    c.topic = topic;
                    let v = channel_json(c);
                    ok(json!({"channel": v}))
                }
            }
        }
        "chat.postMessage" => {
            let channel = str_param(&p, "channel").to_string();
            let text = str_param(&p, "text").to_string();
            let blocks = match &p["blocks"] {
                Value::String(b) => serde_json::from_str(b).ok(),
                Value::Array(_) => Some(p["blocks"].clone()),
                _ => None,
            };
            let Some(c) = s.channels.iter().find(|c| c.id == channel) else {
                return err("channel_not_found");
            };
            if !c.members.iter().any(|m| m == BOT_USER) {
                return err("not_in_channel");
            }
            if text.is_empty() && blocks.is_none() {
                return err("no_text");
            }
            if text.chars().count() > 40_000 {
                return err("msg_too_long");
            }
            if blocks.as_ref().and_then(Value::as_array).is_some_and(|b| b.len() > 50) {
                return err("invalid_blocks");
            }
            let ts = s.ts();
            s.messages.push(Message {
                channel: channel.clone(),
                text: text.clone(),
                blocks,
                thread_ts: p["thread_ts"].as_str().map(String::from),
                ts: ts.clone(),
                updates: 0,
            });
            ok(json!({"channel": channel, "ts": ts,
                      "message": {"type": "message", "text": text, "user": BOT_USER, "bot_id": BOT_ID, "ts": ts}}))
        }
        "users.info" => {
            let id = str_param(&p, "user").to_string();
            match s.users.get(&id) {
                None => err("user_not_found"),
                Some(name) => ok(
                    json!({"user": {"id": id, "team_id": super::TEAM, "name": name, "real_name": name,
                                                  "profile": {"display_name": name, "real_name": name}}}),
                ),
            }
        }
        "files.getUploadURLExternal" => {
            let name = str_param(&p, "filename").to_string();
            let length: usize = p["length"]
                .as_u64()
                .map(|n| n as usize)
                .or_else(|| str_param(&p, "length").parse().ok())
                .unwrap_or(0);
            if name.is_empty() || length == 0 {
                return err("invalid_arguments");
            }
            let id = s.id("F");
            s.files.push(File {
                id: id.clone(),
                name,
                ..File::default()
            });
            ok(json!({"upload_url": format!("{}/upload/{id}", sh.url), "file_id": id}))
        }
        "files.completeUploadExternal" => {
            let files: Vec<Value> = match &p["files"] {
                Value::String(j) => serde_json::from_str(j).unwrap_or_default(),
                Value::Array(a) => a.clone(),
                _ => Vec::new(),
            };
            let channel = str_param(&p, "channel_id").to_string();
            let mut out = Vec::new();
            for f in &files {
                let id = f["id"].as_str().unwrap_or("");
                match s.files.iter_mut().find(|x| x.id == id) {
                    Some(x) if !x.content.is_empty() => {
                        x.channel = Some(channel.clone());
                        out.push(json!({"id": id, "title": f["title"]}));
                    }
                    _ => return err("file_not_found"),
                }
            }
            ok(json!({"files": out}))
        }
        "bots.info" => {
            if str_param(&p, "bot") != BOT_ID {
                return err("bot_not_found");
            }
            ok(
                json!({"bot": {"id": BOT_ID, "deleted": false, "name": "warroom", "updated": 1_600_000_000,
                              "app_id": super::APP_ID, "user_id": BOT_USER,
                              "icons": {"image_36": "https://fake.slack.com/36.png"}}}),
            )
        }
        "usergroups.users.list" => match s.groups.get(str_param(&p, "usergroup")) {
            Some(users) => ok(json!({"users": users})),
            None => err("no_such_subteam"),
        },
        "conversations.history" => history(&s, &p),
        "chat.update" => {
            let (channel, ts) = (str_param(&p, "channel").to_string(), str_param(&p, "ts").to_string());
            let blocks = match &p["blocks"] {
                Value::String(b) => serde_json::from_str(b).ok(),
                Value::Array(_) => Some(p["blocks"].clone()),
                _ => None,
            };
            let text = str_param(&p, "text").to_string();
            match s.messages.iter_mut().find(|m| m.channel == channel && m.ts == ts) {
                None => err("message_not_found"),
                Some(m) => {
                    m.text = text.clone();
                    m.blocks = blocks;
                    m.updates += 1;
                    ok(json!({"channel": channel, "ts": ts, "text": text}))
                }
            }
        }
        "views.open" => {
            let trigger = str_param(&p, "trigger_id").to_string();
            let view = match &p["view"] {
                Value::String(v) => serde_json::from_str(v).unwrap_or(Value::Null),
                v => v.clone(),
            };
            if trigger.is_empty() || view["type"] != "modal" || view["blocks"].as_array().is_none_or(|b| b.is_empty()) {
                return err("invalid_arguments");
            }
            let id = s.id("V");
            s.views.push((trigger, view.clone()));
            // The view as Slack returns it (views.open docs): the submitted fields and its own.
            let mut v = view;
            for (k, val) in [
                ("id", json!(id)),
                ("team_id", json!(super::TEAM)),
                ("state", json!({"values": {}})),
                ("hash", json!("1700000000.abcdef12")),
                ("clear_on_close", json!(false)),
                ("notify_on_close", json!(false)),
                ("root_view_id", json!(id)),
                ("app_id", json!(super::APP_ID)),
                ("external_id", json!("")),
                ("bot_id", json!(BOT_ID)),
            ] {
                v[k] = val;
            }
            ok(json!({"view": v}))
        }
        "conversations.replies" => replies(&s, &p),
        "chat.getPermalink" => {
            let (channel, ts) = (str_param(&p, "channel"), str_param(&p, "message_ts"));
            match s.people.iter().find(|(c, m)| c == channel && m["ts"] == ts) {
                None => err("message_not_found"),
                Some((_, m)) => {
                    let mut link = format!("https://fake.slack.com/archives/{channel}/p{}", ts.replace('.', ""));
                    if let Some(t) = m["thread_ts"].as_str().filter(|t| *t != ts) {
                        link.push_str(&format!("?thread_ts={t}&cid={channel}"));
                    }
                    ok(json!({"channel": channel, "permalink": link}))
                }
            }
        }
        "files.upload" => err("method_deprecated"),
        _ => err("unknown_method"),
    }
}

/// `ts` parameters compare as numbers (`"1700000000.000100"`).
fn ts_num(v: &str) -> f64 {
    v.parse().unwrap_or(0.0)
}

/// `latest`/`oldest` bounds of `conversations.history` and `.replies` (`inclusive` as
/// documented: bounds excluded unless set).
fn within(p: &Value, ts: &str) -> bool {
    let inclusive = matches!(&p["inclusive"], Value::Bool(true)) || matches!(str_param(p, "inclusive"), "true" | "1");
    let t = ts_num(ts);
    let latest = str_param(p, "latest");
    let oldest = str_param(p, "oldest");
    let below = latest.is_empty()
        || if inclusive {
            t <= ts_num(latest)
        } else {
            t < ts_num(latest)
        };
    let above = oldest.is_empty()
        || if inclusive {
            t >= ts_num(oldest)
        } else {
            t > ts_num(oldest)
        };
    below && above
}

fn limit(p: &Value) -> usize {
    p["limit"]
        .as_u64()
        .map(|n| n as usize)
        .or_else(|| str_param(p, "limit").parse().ok())
        .unwrap_or(100)
}

/// `conversations.history`: the channel's messages (thread replies only in their thread),
/// newest first.
fn history(s: &State, p: &Value) -> Response {
    let channel = str_param(p, "channel");
    if !s.channels.iter().any(|c| c.id == channel) {
        return err("channel_not_found");
    }
    let mut msgs: Vec<Value> = s
        .people
        .iter()
        .filter(|(c, m)| c == channel && m["thread_ts"].as_str().is_none_or(|t| m["ts"] == t))
        .filter(|(_, m)| within(p, m["ts"].as_str().unwrap_or("")))
        .map(|(_, m)| m.clone())
        .collect();
    msgs.sort_by(|a, b| ts_num(b["ts"].as_str().unwrap_or("")).total_cmp(&ts_num(a["ts"].as_str().unwrap_or(""))));
    let more = msgs.len() > limit(p);
    msgs.truncate(limit(p));
    ok(json!({"messages": msgs, "has_more": more, "pin_count": 0, "response_metadata": {"next_cursor": ""}}))
}

/// `conversations.replies`: the thread `ts` belongs to (parent first), within the bounds.
fn replies(s: &State, p: &Value) -> Response {
    let (channel, ts) = (str_param(p, "channel"), str_param(p, "ts"));
    let Some((_, m)) = s.people.iter().find(|(c, m)| c == channel && m["ts"] == ts) else {
        return err("thread_not_found");
    };
    let thread = m["thread_ts"].as_str().unwrap_or(ts).to_string();
    let mut msgs: Vec<Value> = s
        .people
        .iter()
        .filter(|(c, m)| c == channel && (m["ts"] == thread.as_str() || m["thread_ts"] == thread.as_str()))
        .filter(|(_, m)| within(p, m["ts"].as_str().unwrap_or("")))
        .map(|(_, m)| m.clone())
        .collect();
    msgs.sort_by(|a, b| ts_num(a["ts"].as_str().unwrap_or("")).total_cmp(&ts_num(b["ts"].as_str().unwrap_or(""))));
    msgs.truncate(limit(p));
    ok(json!({"messages": msgs, "has_more": false, "response_metadata": {"next_cursor": ""}}))
}

async fn upload(AxState(sh): AxState<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let mut s = sh.state.lock().unwrap();
    match s.files.iter_mut().find(|f| f.id == id) {
        Some(f) => {
            f.content = body.to_vec();
            (StatusCode::OK, format!("OK - {}", body.len())).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such upload").into_response(),
    }
}

async fn respond(AxState(sh): AxState<Shared>, Path(trigger): Path<String>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    sh.state
        .lock()
        .unwrap()
        .responses
        .push(json!({"trigger": trigger, "body": v}));
    (StatusCode::OK, "ok").into_response()
}

async fn socket(AxState(sh): AxState<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| super::socket::serve(socket, sh))
}
