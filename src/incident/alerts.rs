//! The alert path, shared by chat alerts and webhooks: a normalised `Alert` goes through the
//! rules, then opens an incident, joins the open incident with the same fingerprint (counted,
//! re-sent notifications changing nothing), or marks one of its alerts resolved, proposing
//! `incident resolve` once all have.

use super::{Inbound, IncidentService, Notice, Refusal, text};
use crate::alert::{Alert, AlertStatus, RuleSet};
use crate::domain::{AlertEffect, AlertInfo, Incident, Opening, Person, Source};
use crate::store::OpenOrAttach;

/// What one alert did; the `outcome` label of `warroom_alerts_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Opened,
    Attached,
    Resolved,
    /// A notification about an alert already known in that state (re-sent, retried).
    Duplicate,
    /// No rule wanted it, a rule said `ignore`, or a "resolved" for no open incident.
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Opened => "opened",
            Outcome::Attached => "attached",
            Outcome::Resolved => "resolved",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
        }
    }
}

/// The chat platform of a source, if it is one.
pub fn platform_of(source: Source) -> Option<&'static str> {
    (source != Source::Webhook).then(|| source.as_str())
}

impl IncidentService {
    pub(super) async fn handle_alert(&self, msg: &Inbound) -> Result<Vec<Notice>, Refusal> {
        let alert = Alert::from_chat(
            &msg.text,
            msg.author.clone(),
            &msg.room,
            msg.room_names.clone(),
            msg.at,
            msg.source,
        );
        let (outcome, notices) = self.ingest(&alert, msg.event_id.as_deref()).await?;
        crate::telemetry::metrics().alert(msg.source.as_str(), outcome.as_str());
        Ok(notices)
    }

    /// Apply one alert. `event_id`: the delivery's id, when the platform gives one.
    pub async fn ingest(&self, alert: &Alert, event_id: Option<&str>) -> Result<(Outcome, Vec<Notice>), Refusal> {
        let m = match self.rules.decide(alert) {
            Some(m) => m,
            None if alert.source == Source::Webhook => RuleSet::default_for_webhook(alert),
            None => {
                tracing::debug!(room = %alert.room, "alert matched no alert rule");
                return Ok((Outcome::Ignored, Vec::new()));
            }
        };
        if m.ignore {
            tracing::debug!(rule = %m.rule, "alert ignored by rule");
            return Ok((Outcome::Ignored, Vec::new()));
        }
        let now = self.now();
        // The source's time, but never in the future nor outside the years warroom keeps.
        let at = crate::domain::clamp_time(alert.at.min(now));
        let line = alert.line();
        if alert.status == AlertStatus::Resolved {
            let Some(key) = alert.key.as_deref() else {
                return Ok((Outcome::Ignored, Vec::new()));
            };
            let done = self
                .store
                .attach_open::<_, std::convert::Infallible>(&m.fingerprint, now, |inc| {
                    inc.alert_resolved(key, &line, &alert.sender, at, alert.source)
                })
                .await
                .map_err(|e| self.refusal(e))?;
            return Ok(match done {
                None => {
                    tracing::info!(fingerprint = %m.fingerprint, "resolved alert for no open incident; ignored");
                    (Outcome::Ignored, Vec::new())
                }
                Some(c) => match c.value {
                    AlertEffect::Resolved { all } => {
                        let id = c.incident.id;
                        let mut notices = vec![Notice::AlertNews {
                            incident: id,
                            line: format!("✅ resolved: {line}"),
                        }];
                        if all {
                            notices.push(Notice::ProposeResolve {
                                incident: id,
                                alerts: c.incident.alerts.len(),
                            });
                        }
                        (Outcome::Resolved, notices)
                    }
                    _ => (Outcome::Duplicate, Vec::new()),
                },
            });
        }
        let info = AlertInfo {
            rule: m.rule.clone(),
            text: line.clone(),
            sender: alert.sender.clone(),
            room: alert.room_names.first().cloned().unwrap_or_else(|| alert.room.clone()),
            at,
            source: alert.source,
        };
        let open_in = if !m.open_in.is_empty() {
            m.open_in.clone()
        } else if let Some(p) = platform_of(alert.source) {
            vec![p.to_string()]
        } else {
            self.platforms.clone()
        };
        let outcome = self
            .store
            .open_or_attach::<_, crate::domain::TransitionError>(
                &m.fingerprint,
                event_id,
                now,
                |id| {
                    let (mut inc, entries) = Incident::open(Opening {
                        id,
                        title: m.title.clone(),
                        severity: m.severity,
                        by: Person::warroom(),
                        at: now,
                        source: alert.source,
                        fingerprint: Some(m.fingerprint.clone()),
                        trigger: Some(info.clone()),
                    })?;
                    inc.open_in = open_in.clone();
                    inc.track_first_alert(alert.key.as_deref());
                    Ok((inc, entries))
                },
                |inc| inc.alert_fired(alert.key.as_deref(), &line, &alert.sender, at, alert.source),
            )
            .await
            .map_err(|e| self.refusal(e))?;
        Ok(match outcome {
            OpenOrAttach::Opened(c) => {
                tracing::info!(incident = %c.incident.id, rule = %m.rule, "incident opened from alert");
                let announcement = text::announcement(&c.incident, alert.source, self.tz);
                (
                    Outcome::Opened,
                    vec![Notice::Opened {
                        incident: Box::new(c.incident),
                        announcement,
                        origin_room: alert.room.clone(),
                    }],
                )
            }
            OpenOrAttach::Attached(c) if c.value == AlertEffect::Duplicate => {
                tracing::debug!(incident = %c.incident.id, "alert already known; nothing changed");
                (Outcome::Duplicate, Vec::new())
            }
            OpenOrAttach::Attached(c) => {
                tracing::info!(incident = %c.incident.id, count = c.incident.alert_count, "alert attached");
                let line = c.entries.last().map_or_else(|| line.clone(), |e| e.text.clone());
                (
                    Outcome::Attached,
                    vec![Notice::AlertNews {
                        incident: c.incident.id,
                        line,
                    }],
                )
            }
        })
    }
}
