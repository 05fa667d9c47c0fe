//! Socket Mode (the default: no public URL needed): slack-morphism's listener opens the
//! connection with the app token (`apps.connections.open`) and acknowledges each envelope
//! after our callback returns, that is, after the change is durable. A slash command's reply
//! travels in its acknowledgement.

use std::sync::Arc;
use std::time::Duration;

use slack_morphism::prelude::*;

use super::api::{Client, Connector};
use super::bot::SlackBot;
use super::text::Mrkdwn;
use crate::chat::{ChatError, pause};
use crate::shutdown::Shutdown;

async fn bot_of(state: &SlackClientEventsUserState) -> Option<Arc<SlackBot>> {
    state.read().await.get_user_state::<Arc<SlackBot>>().cloned()
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Arc<SlackClient<Connector>>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let reply = match bot_of(&state).await {
        Some(bot) => bot.on_command(ev.into(), true).await,
        None => Ok(Mrkdwn::from_plain("warroom is starting; try again in a moment.")),
    };
    Ok(match reply {
        Ok(text) => SlackCommandEventResponse::new(SlackMessageContent::new().with_text(text.into_string()))
            .with_response_type(SlackMessageResponseType::InChannel),
        // Not ours: acknowledged (so Slack does not retry) with nothing to show.
        Err(_) => SlackCommandEventResponse::new(SlackMessageContent::new())
            .with_response_type(SlackMessageResponseType::Ephemeral),
    })
}

async fn on_push(
    ev: SlackPushEventCallback,
    _client: Arc<SlackClient<Connector>>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    if let Some(bot) = bot_of(&state).await {
        // A refused event was logged and counted; it is acknowledged and ignored. One whose
        // changes could not be made durable is reported as failed to the listener.
        if let Err(super::origin::Refused::NotDurable(why)) = bot.on_event(ev).await {
            return Err(Box::new(NotDurable(why)));
        }
    }
    Ok(())
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _client: Arc<SlackClient<Connector>>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    if let Some(bot) = bot_of(&state).await {
        match serde_json::to_value(&ev) {
            // A refused interaction was logged and counted; it is acknowledged and ignored.
            Ok(v) => {
                if let Err(super::origin::Refused::NotDurable(why)) = bot.on_interaction(v, true).await {
                    return Err(Box::new(NotDurable(why)));
                }
            }
            Err(e) => tracing::warn!(error = %e, "slack: an interaction could not be read"),
        }
    }
    Ok(())
}

/// An event whose changes could not be made durable: its envelope is not acknowledged, so
/// Slack delivers it again.
#[derive(Debug)]
struct NotDurable(String);

impl std::fmt::Display for NotDurable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not durable: {}", self.0)
    }
}

impl std::error::Error for NotDurable {}

fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackClient<Connector>>,
    _state: SlackClientEventsUserState,
) -> axum::http::StatusCode {
    if err.is::<NotDurable>() {
        // Not acknowledged: Slack delivers the event again (its id makes that harmless).
        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
    }
    // The error text can quote the envelope (tokens, response URLs, message text): not logged.
    tracing::warn!("slack: a Socket Mode message could not be handled");
    axum::http::StatusCode::OK
}

/// Listen until shutdown; connecting is retried with backoff while Slack is unreachable.
pub async fn run(
    bot: Arc<SlackBot>,
    client: Arc<Client>,
    app_token: String,
    mut shutdown: Shutdown,
) -> Result<(), ChatError> {
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_push_events(on_push)
        .with_interaction_events(on_interaction);
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(client)
            .with_user_state(bot)
            .with_error_handler(on_error),
    );
    let listener = SlackClientSocketModeListener::new(&SlackClientSocketModeConfig::new(), env, callbacks);
    let token = SlackApiToken::new(app_token.into());
    let mut backoff = Duration::from_secs(1);
    loop {
        match listener.listen_for(&token).await {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(error = %e, retry_in_s = backoff.as_secs(), "slack: cannot open a Socket Mode connection yet");
                if !pause(&mut backoff, &mut shutdown).await {
                    return Ok(());
                }
            }
        }
    }
    listener.start().await;
    tracing::info!("slack: ready (socket mode)");
    crate::telemetry::health().set(crate::domain::Platform::Slack.as_str(), true, "connected (socket mode)");
    let _ = shutdown.wait_for(|s| *s).await;
    listener.shutdown().await;
    Ok(())
}
