//! The alert path, shared by chat alerts and webhooks: a normalised `Alert` (or a webhook
//! notification's alerts, up to `ALERTS_PER_TRANSACTION` per transaction) goes through the
//! rules, then opens an incident, joins the open incident with the same fingerprint (counted,
//! re-sent notifications changing nothing), or marks one of its alerts resolved, proposing
//! `incident resolve` once all have. Beyond `max_openings_per_minute` openings of one rule
//! (alert storm), alerts that would open an incident join that rule's alert-storm incident.

use chrono::{DateTime, Utc};

use super::storm::Decision;
use super::{Inbound, IncidentService, Notice, ServiceError, text};
use crate::alert::payload::HookKind;
use crate::alert::{Alert, AlertStatus, Match, RuleSet};
use crate::domain::{
    AlertEffect, AlertInfo, Incident, IncidentId, NewEntry, Opening, Person, Platform, Source, TransitionError,
    storm_fingerprint, storm_subject,
};
use crate::store::{Committed, OpenOrAttach, Stormed};

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
    /// It would have opened an incident, but its rule (or source) had opened
    /// `max_openings_per_minute` already: it joined the rule's alert-storm incident.
    Storm,
    /// The domain refused what it would have done (it could not open an incident); nothing
    /// changed.
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Opened => "opened",
            Outcome::Attached => "attached",
            Outcome::Resolved => "resolved",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
            Outcome::Storm => "storm",
            Outcome::Refused => "refused",
        }
    }
}

impl IncidentService {
    pub(super) async fn handle_alert(&self, msg: &Inbound) -> Result<Vec<Notice>, ServiceError> {
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
    pub async fn ingest(&self, alert: &Alert, event_id: Option<&str>) -> Result<(Outcome, Vec<Notice>), ServiceError> {
        match self.apply(&[(alert, event_id)]).await?.pop() {
            Some(Applied { refused: Some(why), .. }) => Err(ServiceError::Refused(why)),
            Some(a) => Ok((a.outcome, a.notices)),
            None => Ok((Outcome::Ignored, Vec::new())),
        }
    }

    /// Apply a webhook notification's alerts, in order, in transactions of up to
    /// `ALERTS_PER_TRANSACTION` alerts: all of them are stored or none, and an incident several
    /// of them join is read and written once. Each alert has the outcome it would have had
    /// alone after the ones before it. An alert the domain refuses (it could not open an
    /// incident) is reported as refused, with why, and changes nothing; the others are applied.
    /// A larger notification is applied a chunk at a time, so that no transaction holds the
    /// store for long. On an error, what the chunks before it did comes with it (they are
    /// stored: their incidents must still be announced).
    pub async fn ingest_all(&self, alerts: &[Alert]) -> Result<Vec<Applied>, (Vec<Applied>, ServiceError)> {
        let mut out = Vec::with_capacity(alerts.len());
        for chunk in alerts.chunks(ALERTS_PER_TRANSACTION) {
            let pairs: Vec<(&Alert, Option<&str>)> = chunk.iter().map(|a| (a, None)).collect();
            match self.apply(&pairs).await {
                Ok(done) => out.extend(done),
                Err(e) => return Err((out, e)),
            }
        }
        Ok(out)
    }

    async fn apply(&self, alerts: &[(&Alert, Option<&str>)]) -> Result<Vec<Applied>, ServiceError> {
        let now = self.now();
        let matches: Vec<Option<Match>> = alerts.iter().map(|(a, _)| self.rule_for(a)).collect();
        let steps = self.plan(alerts, &matches, now)?;
        let storm_limit = self.limiter.limit();
        let done = self
            .store
            .transaction::<_, TransitionError>(|t| {
                let mut out = Vec::with_capacity(steps.len());
                for s in &steps {
                    out.push(match s {
                        Step::Skip => Ok(Effect::Nothing),
                        Step::Resolve {
                            alert,
                            key,
                            fingerprint,
                            line,
                            at,
                        } => Ok(Effect::Resolved(t.attach_open(
                            fingerprint,
                            now,
                            &|inc: &mut Incident| inc.alert_resolved(key, line, &alert.sender, *at, alert.source),
                        )?)),
                        Step::Fire {
                            f,
                            decision: Decision::Open { .. },
                        } => t
                            .refusable(
                                f.event_id,
                                t.open_or_attach(
                                    &f.m.fingerprint,
                                    f.event_id,
                                    now,
                                    &|id| f.build(id, None),
                                    &|inc: &mut Incident| f.fired(inc),
                                ),
                            )?
                            .map(Effect::Fired),
                        Step::Fire {
                            f,
                            decision: Decision::Storm,
                        } => t
                            .refusable(
                                f.event_id,
                                t.attach_or_storm(
                                    &f.m.fingerprint,
                                    &storm_fingerprint(&f.m.rule),
                                    f.event_id,
                                    now,
                                    &|id| f.build(id, Some(storm_limit)),
                                    &|inc: &mut Incident, storm: bool| {
                                        if storm {
                                            inc.group_fingerprint(&f.m.fingerprint);
                                        }
                                        f.fired(inc)
                                    },
                                ),
                            )?
                            .map(Effect::Stormed),
                    });
                }
                Ok(out)
            })
            .await
            .map_err(|e| {
                release(&self.limiter, &steps);
                self.refusal(e)
            })?;
        Ok(steps.iter().zip(done).map(|(s, d)| self.outcome(s, d)).collect())
    }

    /// The rule an alert matches (webhook alerts without one get the default grouping); `None`:
    /// no rule wanted it, or its rule ignores it.
    fn rule_for(&self, alert: &Alert) -> Option<Match> {
        let m = match self.rules.decide(alert) {
            Some(m) => m,
            None if alert.source == Source::Webhook => RuleSet::default_for_webhook(alert),
            None => {
                tracing::debug!(room = %alert.room, "alert matched no alert rule");
                return None;
            }
        };
        if m.ignore {
            tracing::debug!(rule = %m.rule, "alert ignored by rule");
            return None;
        }
        Some(m)
    }

    /// What each alert will do, decided before the transaction: an alert that would open an
    /// incident takes its opening from the per-rule limit (or joins the alert storm), unless
    /// an earlier alert of the same notification already opens or joins for its fingerprint;
    /// then it joins what that one did, as it would have sent alone after it.
    fn plan<'a>(
        &self,
        alerts: &[(&'a Alert, Option<&'a str>)],
        matches: &'a [Option<Match>],
        now: DateTime<Utc>,
    ) -> Result<Vec<Step<'a>>, ServiceError> {
        let mut steps = Vec::with_capacity(alerts.len());
        // Fingerprints an earlier alert of this notification opens or joins, and whether it
        // joins the alert storm.
        let mut placed: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
        for (&(alert, event_id), m) in alerts.iter().zip(matches) {
            let Some(m) = m else {
                steps.push(Step::Skip);
                continue;
            };
            if alert.status == AlertStatus::Resolved {
                steps.push(match alert.key.as_deref() {
                    None => Step::Skip,
                    Some(key) => Step::Resolve {
                        alert,
                        key,
                        fingerprint: &m.fingerprint,
                        line: alert.line(),
                        at: crate::domain::clamp_time(alert.at.min(now)),
                    },
                });
                continue;
            }
            let decision = match placed.get(m.fingerprint.as_str()) {
                // Joins what the earlier one opened; or, in a storm, what it joined (even when
                // the storm incident tracks too many fingerprints to index this one).
                Some(false) => Decision::Open {
                    reserved: None,
                    ended: None,
                },
                Some(true) => Decision::Storm,
                None => match self.opening_decision(m, now) {
                    Ok(d) => d,
                    Err(e) => {
                        release(&self.limiter, &steps);
                        return Err(e);
                    }
                },
            };
            if let Decision::Open { ended: Some(n), .. } = decision {
                tracing::info!(rule = %m.rule, alerts = n, "alert storm over: alerts open incidents again");
            }
            placed.insert(&m.fingerprint, matches!(decision, Decision::Storm));
            steps.push(Step::Fire {
                f: Box::new(self.firing(alert, m, event_id, now)),
                decision,
            });
        }
        Ok(steps)
    }

    /// An applied step's outcome and the notices it causes; gives back an opening reserved
    /// for an alert that joined an incident instead, or that was refused. A storm is logged
    /// with the first of its alerts that is stored (`OpeningLimiter::announce`).
    fn outcome(&self, step: &Step<'_>, effect: Result<Effect, TransitionError>) -> Applied {
        let (outcome, notices) = match (step, effect) {
            (Step::Fire { f, decision }, Err(why)) => {
                give_back(&self.limiter, &f.m.rule, decision);
                let why = format!("the alert could not open an incident: {why}");
                tracing::warn!(rule = %f.m.rule, alert = %f.line, "{why}; it changed nothing");
                return Applied {
                    outcome: Outcome::Refused,
                    notices: Vec::new(),
                    refused: Some(why),
                };
            }
            (_, Err(_)) => (Outcome::Ignored, Vec::new()),
            (Step::Resolve { fingerprint, line, .. }, Ok(Effect::Resolved(done))) => {
                self.resolved(done, fingerprint, line)
            }
            (Step::Fire { f, decision }, Ok(Effect::Fired(outcome))) => match outcome {
                OpenOrAttach::Opened(c) => {
                    tracing::info!(incident = %c.incident.id, rule = %f.m.rule, "incident opened from alert");
                    (Outcome::Opened, vec![self.opened(c.incident, f.alert)])
                }
                OpenOrAttach::Attached(c) => {
                    if let Decision::Open { reserved: Some(t), .. } = decision {
                        self.limiter.release(&f.m.rule, *t);
                    }
                    self.attached(c, &f.line)
                }
            },
            (Step::Fire { f, .. }, Ok(Effect::Stormed(stormed))) => self.stormed(stormed, f),
            _ => (Outcome::Ignored, Vec::new()),
        };
        Applied {
            outcome,
            notices,
            refused: None,
        }
    }

    /// A "resolved" notification's effect: the alert marked resolved in its open incident,
    /// proposing `incident resolve` once all of its alerts are.
    fn resolved(&self, done: Option<Committed<AlertEffect>>, fingerprint: &str, line: &str) -> (Outcome, Vec<Notice>) {
        match done {
            None => {
                tracing::info!(fingerprint, "resolved alert for no open incident; ignored");
                (Outcome::Ignored, Vec::new())
            }
            Some(c) => match c.value {
                AlertEffect::Resolved { all } => {
                    let id = c.incident.id;
                    let mut notices = vec![Notice::AlertNews {
                        incident: id,
                        line: self.lang(&c.incident).fmt("alert-news-resolved", &[("line", line)]),
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
        }
    }

    fn firing<'a>(&self, alert: &'a Alert, m: &'a Match, event_id: Option<&'a str>, now: DateTime<Utc>) -> Firing<'a> {
        let at = crate::domain::clamp_time(alert.at.min(now));
        let line = alert.line();
        let trigger = AlertInfo {
            rule: m.rule.clone(),
            text: line.clone(),
            sender: alert.sender.clone(),
            room: alert.room_names.first().cloned().unwrap_or_else(|| alert.room.clone()),
            at,
            source: alert.source,
        };
        let open_in = if !m.open_in.is_empty() {
            m.open_in.clone()
        } else if let Some(p) = Platform::of(alert.source) {
            vec![p]
        } else {
            self.platforms.clone()
        };
        Firing {
            alert,
            m,
            event_id,
            at,
            line,
            opening: Opening {
                id: IncidentId(0),
                title: m.title.clone(),
                severity: m.severity,
                by: Person::warroom(),
                at: now,
                source: alert.source,
                fingerprint: Some(m.fingerprint.clone()),
                trigger: Some(trigger),
            },
            open_in,
        }
    }

    /// Would this alert open an incident, and may it? An alert whose fingerprint has an open
    /// incident joins it whatever the limit.
    fn opening_decision(&self, m: &Match, now: DateTime<Utc>) -> Result<Decision, ServiceError> {
        if !self.limiter.is_seeded() {
            self.limiter.seed(&self.store.incidents(false)?, now);
        }
        if self.store.fingerprint_is_open(&m.fingerprint)? {
            return Ok(Decision::Open {
                reserved: None,
                ended: None,
            });
        }
        Ok(self.limiter.reserve(&m.rule, now))
    }

    /// The outcome of an alert routed during an alert storm; the storm is logged once, with
    /// the first of its alerts that is stored.
    fn stormed(&self, stormed: Stormed<AlertEffect>, f: &Firing<'_>) -> (Outcome, Vec<Notice>) {
        let (alert, m) = (f.alert, f.m);
        let (storm, result) = match stormed {
            // Its own fingerprint's incident opened meanwhile: an ordinary attached alert.
            Stormed::Attached(c) => (None, self.attached(c, &f.line)),
            Stormed::Joined(c) if c.value == AlertEffect::Duplicate => (None, (Outcome::Duplicate, Vec::new())),
            Stormed::Joined(c) => (Some(c.incident.id), (Outcome::Storm, self.attached(c, &f.line).1)),
            Stormed::Opened(c) => (
                Some(c.incident.id),
                (Outcome::Storm, vec![self.opened(c.incident, alert)]),
            ),
        };
        let source = alert.hook.map_or(alert.source.as_str(), HookKind::name);
        if storm.is_some() {
            crate::telemetry::metrics().storm_alert(source, &m.rule);
        }
        if self.limiter.announce(&m.rule) {
            let into = storm.map_or_else(|| "its alert-storm incident".to_string(), |id| id.to_string());
            tracing::warn!(
                rule = %m.rule,
                source,
                limit = self.limiter.limit(),
                "alert storm: {} opened {} incidents within a minute; further alerts that would open an incident join {into} instead",
                storm_subject(&m.rule),
                self.limiter.limit()
            );
        }
        result
    }

    fn opened(&self, incident: Incident, alert: &Alert) -> Notice {
        let announcement = text::announcement(&incident, alert.source, self.tz, self.lang(&incident));
        Notice::Opened {
            incident: Box::new(incident),
            announcement,
            origin_room: alert.room.clone(),
        }
    }
}

/// What one alert of a notification will do in the transaction.
enum Step<'a> {
    /// Nothing: no rule, ignored, or a "resolved" without a key to match.
    Skip,
    Resolve {
        alert: &'a Alert,
        key: &'a str,
        fingerprint: &'a str,
        line: String,
        at: DateTime<Utc>,
    },
    Fire {
        f: Box<Firing<'a>>,
        decision: Decision,
    },
}

/// What a step did in the store.
enum Effect {
    Nothing,
    Resolved(Option<Committed<AlertEffect>>),
    Fired(OpenOrAttach<AlertEffect>),
    Stormed(Stormed<AlertEffect>),
}

/// What one alert of a notification did.
#[derive(Debug)]
pub struct Applied {
    pub outcome: Outcome,
    /// What to post about it.
    pub notices: Vec<Notice>,
    /// Why it changed nothing, when the domain refused it (`outcome` is `Refused`).
    pub refused: Option<String>,
}

/// Alerts of one notification applied in one transaction: a notification of up to this many is
/// applied whole or not at all; a larger one a chunk at a time (a crash between two chunks
/// keeps the first, and the sender's retry finds those alerts known). Bounds how long one
/// transaction holds the store (sled serialises transactions).
pub const ALERTS_PER_TRANSACTION: usize = 100;

/// Give back the openings reserved for `steps` (nothing of them was stored).
fn release(limiter: &super::storm::OpeningLimiter, steps: &[Step<'_>]) {
    for s in steps {
        if let Step::Fire { decision, f } = s {
            give_back(limiter, &f.m.rule, decision);
        }
    }
}

/// Give back the opening `decision` reserved, for an alert that stored nothing.
fn give_back(limiter: &super::storm::OpeningLimiter, rule: &str, decision: &Decision) {
    if let Decision::Open { reserved: Some(t), .. } = decision {
        limiter.release(rule, *t);
    }
}

/// A firing alert on its way into the store: what it would open, and how it joins.
struct Firing<'a> {
    alert: &'a Alert,
    m: &'a Match,
    event_id: Option<&'a str>,
    /// When it fired (never later than now).
    at: DateTime<Utc>,
    line: String,
    /// The incident it would open (the id is set when allocated).
    opening: Opening,
    open_in: Vec<Platform>,
}

impl Firing<'_> {
    /// The incident this alert opens: its own, or with `storm_limit`, the alert-storm incident
    /// of its rule.
    fn build(&self, id: IncidentId, storm_limit: Option<u32>) -> Result<(Incident, Vec<NewEntry>), TransitionError> {
        let o = Opening {
            id,
            ..self.opening.clone()
        };
        let (mut inc, entries) = match storm_limit {
            Some(limit) => Incident::open_storm(o, &self.m.rule, limit)?,
            None => Incident::open(o)?,
        };
        inc.open_in = self.open_in.clone();
        inc.track_first_alert(self.alert.key.as_deref());
        Ok((inc, entries))
    }

    /// Count the alert in an open incident.
    fn fired(&self, inc: &mut Incident) -> (AlertEffect, Vec<NewEntry>) {
        let a = self.alert;
        inc.alert_fired(a.key.as_deref(), &self.line, &a.sender, self.at, a.source)
    }
}

impl IncidentService {
    /// An alert that joined an open incident: alert news (in the incident's language), or
    /// nothing for a re-sent notification.
    fn attached(&self, c: Committed<AlertEffect>, line: &str) -> (Outcome, Vec<Notice>) {
        if c.value == AlertEffect::Duplicate {
            tracing::debug!(incident = %c.incident.id, "alert already known; nothing changed");
            return (Outcome::Duplicate, Vec::new());
        }
        tracing::info!(incident = %c.incident.id, count = c.incident.alert_count, "alert attached");
        let line = c
            .entries
            .last()
            .map_or_else(|| line.to_string(), |e| self.said(&c.incident, e));
        (
            Outcome::Attached,
            vec![Notice::AlertNews {
                incident: c.incident.id,
                line,
            }],
        )
    }
}
