//! The fake's Socket Mode connection: `hello` first, then envelopes from the test (each to one
//! connection), and every ack the client sends is recorded for the test to check.

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};

use super::api::Shared;

pub async fn serve(mut socket: WebSocket, sh: Shared) {
    let hello = json!({
        "type": "hello",
        "num_connections": 2,
        "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": super::APP_ID}
    });
    if socket.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    sh.state.lock().unwrap().sockets += 1;
    loop {
        // Take the shared envelope queue only while waiting on it, so other connections keep
        // reading their sockets (acks) meanwhile.
        let next = async { sh.envelopes.lock().await.recv().await };
        tokio::select! {
            env = next => {
                let Some(env) = env else { return };
                if socket.send(Message::Text(env.to_string().into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => {
                match incoming {
                    Some(Ok(Message::Text(t))) => {
                        if let Ok(v) = serde_json::from_str::<Value>(&t) {
                            sh.state.lock().unwrap().acks.push(v);
                        }
                    }
                    Some(Ok(Message::Ping(p))) => {
                        let _ = socket.send(Message::Pong(p)).await;
                    }
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
        }
    }
}
