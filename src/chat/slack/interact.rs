//! Slack interactivity: the incident card's buttons (`block_actions`) and the declare dialog
//! (`view_submission`). A button runs the command it stands for through the slash command path
//! (same access rules, same de-duplication by trigger id, recorded with the presser); the
//! dialog declares through the same gate as `incident declare`. Payloads are read as JSON, the
//! same from Socket Mode and from HTTP mode.

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;

use super::bot::{Lane, SlackBot, room_key};
use super::inbound::SlashCommand;
use super::origin::{AppClaim, Refused};
use super::text::{self, BUTTONS, DECLARE_CALLBACK};
use crate::chat::Inbound;
use crate::domain::{Person, Source};
use crate::service::Standing;

/// The command a card button stands for (the text after `/incident`); `user`: the presser as
/// roles name them (`@handle`, else `<@U…>`).
fn button_command(action_id: &str, user: &str) -> Option<String> {
    match action_id {
        "warroom.ack" => Some("milestone acknowledged".into()),
        "warroom.lead" => Some(format!("lead {user}")),
        "warroom.resolve" => Some("resolve".into()),
        "warroom.close" => Some("close".into()),
        _ => None,
    }
}

fn label(action_id: &str) -> &'static str {
    BUTTONS
        .iter()
        .find(|(id, _, _)| *id == action_id)
        .map_or("a button", |(_, l, _)| l)
}

/// A text field of a submitted view (`state.values.<block>.value`).
fn field<'a>(values: &'a Value, block: &str) -> Option<&'a str> {
    let v = &values[block]["value"];
    v["value"]
        .as_str()
        .or_else(|| v["selected_option"]["value"].as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl SlackBot {
    /// Who pressed or submitted, by name, without waiting on the network (Slack's ack
    /// deadline): the cached display name, else the payload's user name, else the id.
    fn presser_name(self: &Arc<Self>, v: &Value, user: &str) -> String {
        let cached = self.api.user_name(user);
        if cached != user {
            return cached;
        }
        v["user"]["username"]
            .as_str()
            .or_else(|| v["user"]["name"].as_str())
            .filter(|n| !n.is_empty())
            .map_or(cached, str::to_string)
    }

    /// An interaction payload (button or dialog). `Err` (and nothing done) if it is not from
    /// this warroom's workspace and app; `by_connection`: the Socket Mode connection vouches
    /// for the app. Returns once its effect is durable (within the ack budget).
    pub async fn on_interaction(self: &Arc<Self>, v: Value, by_connection: bool) -> Result<(), Refused> {
        let app = if by_connection {
            AppClaim::ByConnection
        } else {
            AppClaim::Claimed(v["api_app_id"].as_str())
        };
        self.check_origin("interaction", v["team"]["id"].as_str(), app)?;
        match v["type"].as_str() {
            Some("block_actions") => self.on_button(&v).await,
            Some("view_submission") if v["view"]["callback_id"] == DECLARE_CALLBACK => {
                self.on_declare_dialog(&v).await?
            }
            _ => {}
        }
        Ok(())
    }

    async fn on_button(self: &Arc<Self>, v: &Value) {
        let channel = v["channel"]["id"]
            .as_str()
            .or_else(|| v["container"]["channel_id"].as_str());
        let (Some(channel), Some(user), Some(action), Some(trigger)) = (
            channel,
            v["user"]["id"].as_str(),
            v["actions"][0]["action_id"].as_str(),
            v["trigger_id"].as_str().filter(|t| !t.is_empty()),
        ) else {
            // Without its channel or trigger id a press can be neither placed nor de-duplicated.
            tracing::warn!("slack: ignored a button press without its channel, user, action or trigger id");
            return;
        };
        let channel = channel.to_string();
        let who = v["user"]["username"]
            .as_str()
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .map_or_else(|| format!("<@{user}>"), |h| format!("@{h}"));
        let Some(text) = button_command(action, &who) else {
            return;
        };
        let cmd = SlashCommand {
            command: "/incident".into(),
            text: text.clone(),
            channel_id: channel.clone(),
            user_id: user.to_string(),
            user_name: v["user"]["username"].as_str().map(str::to_string),
            response_url: v["response_url"].as_str().unwrap_or_default().to_string(),
            trigger_id: trigger.to_string(),
            team_id: v["team"]["id"].as_str().map(str::to_string),
            api_app_id: v["api_app_id"].as_str().map(str::to_string),
            // When it was pressed, as Slack says.
            at: v["actions"][0]["action_ts"].as_str().and_then(super::capture::ts_time),
        };
        let reply = self.acknowledged(cmd).await;
        let name = self.presser_name(v, user);
        let lane = self
            .service
            .incident_in_room(&room_key(&channel).to_string())
            .map_or_else(|| Lane::Channel(channel.clone()), Lane::Incident);
        self.say(
            lane,
            format!("{name} pressed {} (`/incident {text}`):\n{reply}", label(action)),
            None,
        )
        .await;
    }

    /// `Err`: the declaration could not be made durable (not acknowledged: Slack keeps the
    /// dialog open with an error, and the person can submit again).
    async fn on_declare_dialog(self: &Arc<Self>, v: &Value) -> Result<(), Refused> {
        let values = &v["view"]["state"]["values"];
        let (Some(user), Some(title)) = (v["user"]["id"].as_str(), field(values, "title")) else {
            return Ok(());
        };
        let channel = v["view"]["private_metadata"].as_str().unwrap_or_default().to_string();
        let severity = field(values, "severity").and_then(|s| s.parse().ok());
        let description = field(values, "description").map(str::to_string);
        let services: Vec<String> = field(values, "services")
            .unwrap_or_default()
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let name = self.presser_name(v, user);
        let alert_names = self.alert_names(&channel);
        let mut room_names = vec![channel.clone()];
        room_names.extend(alert_names.iter().flatten().filter(|n| **n != channel).cloned());
        let msg = Inbound {
            source: Source::Slack,
            room: room_key(&channel).to_string(),
            room_names,
            alert_room: alert_names.is_some(),
            author: Person::new(user, name),
            text: format!("/incident declare {title}"),
            event_id: v["view"]["id"].as_str().map(|id| format!("slack:view:{id}")),
            at: Utc::now(),
            standing: Standing {
                power_level: None,
                groups: self.groups_of(user),
                handle: self.api.user_handle(user),
            },
        };
        let here = self.service.incident_in_room(&msg.room);
        // The declaration, its details and the jobs they cause: one durability group.
        let store = self.service.store().clone();
        let done = store
            .batch(async {
                let notices = self
                    .service
                    .declare_form(msg, title.to_string(), severity, description, services)
                    .await;
                let reply = self.deliver(&channel, user, None, here, notices).await;
                if !channel.is_empty() && reply != "✓" {
                    let lane = here.map_or_else(|| Lane::Channel(channel.clone()), Lane::Incident);
                    self.say(lane, text::truncate(&reply, 3000).to_string(), None).await;
                }
            })
            .await;
        done.map_err(|e| {
            tracing::error!(error = %e, "slack: a declaration from the dialog could not be made durable");
            Refused::NotDurable(e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_button_stands_for_a_command_that_parses() {
        for (id, _, _) in BUTTONS {
            let text = button_command(id, "@alice").expect(id);
            assert!(
                matches!(
                    crate::command::parse(&format!("/incident {text}")),
                    crate::command::Parsed::Command(_)
                ),
                "{id}: {text}"
            );
        }
        assert!(button_command("warroom.other", "U1").is_none());
    }

    #[test]
    fn dialog_fields_are_read_from_slacks_view_state() {
        let values = serde_json::json!({
            "title": {"value": {"type": "plain_text_input", "value": "  Checkout down "}},
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev1", "text": {"type": "plain_text", "text": "SEV1"}}}},
            "description": {"value": {"type": "plain_text_input", "value": null}}
        });
        assert_eq!(field(&values, "title"), Some("Checkout down"));
        assert_eq!(field(&values, "severity"), Some("sev1"));
        assert_eq!(field(&values, "description"), None);
        assert_eq!(field(&values, "services"), None);
    }
}

#[cfg(test)]
mod view_tests {
    #[test]
    fn the_declare_dialog_is_a_valid_slack_view() {
        // As Slack receives it, it reads back as a modal view (serialised by slack-morphism,
        // parsed by it again), with its callback and four inputs.
        let sent = serde_json::to_string(&super::text::declare_view("C1")).unwrap();
        let parsed: slack_morphism::prelude::SlackView = serde_json::from_str(&sent).unwrap();
        assert!(matches!(parsed, slack_morphism::prelude::SlackView::Modal(_)));
        let back: serde_json::Value = serde_json::from_str(&sent).unwrap();
        assert_eq!(back["type"], "modal");
        assert_eq!(back["private_metadata"], "C1");
        assert_eq!(back["callback_id"], "warroom.declare");
        assert_eq!(back["blocks"].as_array().unwrap().len(), 4);
    }
}
