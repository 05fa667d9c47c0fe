//! Command execution: each command becomes one durable write (or a read), then a reply.
//! Times users give are resolved here, against the incident they concern (see `moment`);
//! what a person did without giving a time (a close, an edit, an action) is stamped with the
//! platform's time for their message (`Inbound::at`), not when warroom got round to it.

use chrono::{DateTime, Utc};

use super::text::{self, show_time};
use super::{Inbound, IncidentService, Notice, ServiceError};
use crate::command::{
    ActionCmd, ActionSpec, Command, IncidentCmd, PostmortemCmd, Resolved, TimeContext, TimelineCmd, When, help_text,
};
use crate::domain::{
    ActionFields, EntryKind, FUTURE_SLACK_SECS, Incident, IncidentId, Milestone, Moment, NewEntry, Opening, People,
    RelatedRef, Severity, TimelineEntry, TransitionError, action_line, check_text, fmt_moment,
};
use crate::postmortem::ExportFormat;

pub(super) type Reply = Result<Vec<Notice>, ServiceError>;

fn reply(text: impl Into<String>) -> Reply {
    Ok(vec![Notice::Reply(text.into())])
}

fn refused(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Refused(e.to_string())
}

/// How far before the note recorded just before it a new note may land before the reply
/// warns (a wrong day is the usual cause).
const OUT_OF_ORDER_WARN_SECS: i64 = 12 * 3600;

/// A written time was a date: later bare times of a reconstruction take that date. An event
/// recorded at a live time after it marks the incident as run live (see `live_since_anchor`).
fn move_anchor(i: &mut Incident, r: &Resolved) {
    if r.dated {
        i.dated_anchor = Some(r.moment.at);
        i.live_since_anchor = false;
    } else if !r.anchored && i.dated_anchor.is_some() {
        i.live_since_anchor = true;
    }
}

impl IncidentService {
    /// The moment a `WHEN` names for incident `inc` (the message's time when there is none).
    /// A bare time is read in the incident's context: while its latest dated entry is more
    /// than a day old (a reconstruction) it takes that entry's date.
    fn moment(
        &self,
        inc: Option<&Incident>,
        when: &Option<When>,
        default: DateTime<Utc>,
    ) -> Result<Resolved, ServiceError> {
        let Some(w) = when else {
            return Ok(Resolved {
                moment: Moment::exact(default),
                dated: false,
                anchored: false,
            });
        };
        let ctx = TimeContext {
            now: self.now().max(default),
            tz: self.tz,
            date_order: self.date_order,
            anchor: inc.and_then(|i| i.dated_anchor.filter(|_| !i.live_since_anchor)),
        };
        let r = w.resolve_in(&ctx).map_err(|e| ServiceError::Refused(e.0))?;
        let last = r.moment.end.unwrap_or(r.moment.at);
        if (last - ctx.now).num_seconds() > FUTURE_SLACK_SECS {
            return Err(ServiceError::Refused(format!(
                "{} is in the future; the record holds what already happened",
                self.show(&r.moment)
            )));
        }
        Ok(r)
    }

    /// A single time (not a range) for a command that records one event.
    fn point(
        &self,
        inc: &Incident,
        when: &Option<When>,
        default: DateTime<Utc>,
        what: &str,
    ) -> Result<Resolved, ServiceError> {
        let r = self.moment(Some(inc), when, default)?;
        if r.moment.end.is_some() {
            return Err(ServiceError::Refused(format!(
                "{what} takes one time, not a range; ranges are for `timeline` entries and `incident impact`"
            )));
        }
        Ok(r)
    }

    fn show(&self, m: &Moment) -> String {
        fmt_moment(m, &self.tz)
    }

    /// A resolved time for a reply; when a time without a date took the date of the latest
    /// dated entry (a reconstruction), the reply says so.
    fn shown(&self, r: &Resolved) -> String {
        let t = self.show(&r.moment);
        if r.anchored {
            format!("{t}, on the day of the latest dated entry")
        } else {
            t
        }
    }

    fn incident_here(&self, msg: &Inbound) -> Result<Incident, ServiceError> {
        self.store.incident_by_room(&msg.room)?.ok_or_else(|| {
            let p = super::prefix_for(msg.source);
            ServiceError::Refused(format!(
                "This room is not an incident room. Open one with `{p}incident declare <title>`, or run this command in the incident's room."
            ))
        })
    }

    /// The incident of this room for a read-only command, once what was read is durable
    /// (`settle_seen`: a commit it saw in the instant before its writer's ticket included), so
    /// nothing shown can disappear in a crash. What the command reads after this (entries, the
    /// draft) is covered in Slack and Matrix by the end of the input's batch, before anything is
    /// sent; the console prints at once (it is its store's only writer besides reminders).
    async fn read_here(&self, msg: &Inbound) -> Result<Incident, ServiceError> {
        let inc = self.incident_here(msg)?;
        self.store.settle_seen().await?;
        Ok(inc)
    }

    /// Apply a domain transition to the incident of this room; returns the updated incident.
    pub(super) async fn change<T>(
        &self,
        msg: &Inbound,
        f: impl Fn(&mut Incident) -> Result<(T, Vec<NewEntry>), TransitionError>,
    ) -> Result<(T, Incident), ServiceError> {
        let id = self.incident_here(msg)?.id;
        self.change_id(id, msg, f).await
    }

    pub(super) async fn change_id<T>(
        &self,
        id: IncidentId,
        msg: &Inbound,
        f: impl Fn(&mut Incident) -> Result<(T, Vec<NewEntry>), TransitionError>,
    ) -> Result<(T, Incident), ServiceError> {
        let tz = self.tz;
        let c = self
            .store
            .update_incident(id, msg.event_id.as_deref(), self.now(), |i| {
                f(i).map_err(|e| super::Shown(e.message(&tz)))
            })
            .await
            .map_err(|e| self.refusal(e))?;
        Ok((c.value, c.incident))
    }

    /// Apply a transition that records an event at `r`, moving the incident's date anchor.
    async fn change_at(
        &self,
        inc: &Incident,
        msg: &Inbound,
        r: Resolved,
        f: impl Fn(&mut Incident, Moment) -> Result<Vec<NewEntry>, TransitionError>,
    ) -> Result<Incident, ServiceError> {
        let (_, inc) = self
            .change_id(inc.id, msg, |i| {
                let entries = f(i, r.moment)?;
                move_anchor(i, &r);
                Ok(((), entries))
            })
            .await?;
        Ok(inc)
    }

    pub(super) async fn run(&self, cmd: Command, msg: &Inbound) -> Reply {
        let p = super::prefix_for(msg.source);
        match cmd {
            Command::Help(family) => reply(help_text(p, family)),
            Command::Incident(c) => self.run_incident(c, msg).await,
            Command::Timeline(c) => self.run_timeline(c, msg).await,
            Command::Action(c) => self.run_action(c, msg).await,
            Command::Postmortem(c) => self.run_postmortem(c, msg).await,
        }
    }

    async fn run_incident(&self, cmd: IncidentCmd, msg: &Inbound) -> Reply {
        let (who, src) = (&msg.author, msg.source);
        match cmd {
            IncidentCmd::Declare { title, severity, at } => self.declare(title, severity, at, msg).await,
            IncidentCmd::Update(text) => self.post_update(text, msg).await,
            IncidentCmd::Snooze(d) => self.snooze(d, msg).await,
            IncidentCmd::Severity { severity, when } => {
                let inc = self.incident_here(msg)?;
                let r = self.point(&inc, &when, msg.at, "a severity change")?;
                self.change_at(&inc, msg, r, |i, m| i.set_severity(severity, who, m, src))
                    .await?;
                reply(format!(
                    "Severity is now {} (since {}).",
                    severity.label(),
                    self.shown(&r)
                ))
            }
            IncidentCmd::Status { status, when, note } => {
                let inc = self.incident_here(msg)?;
                let r = self.point(&inc, &when, msg.at, "a status change")?;
                self.change_at(&inc, msg, r, |i, m| i.set_status(status, note.as_deref(), who, m, src))
                    .await?;
                reply(format!("Status is now {status} (since {}).", self.shown(&r)))
            }
            IncidentCmd::Role { role, user, when } => {
                let inc = self.incident_here(msg)?;
                let r = self.point(&inc, &when, msg.at, "a role change")?;
                self.change_at(&inc, msg, r, |i, m| i.assign_role(role.clone(), &user, who, m, src))
                    .await?;
                reply(format!("{user} is now {role} (since {}).", self.shown(&r)))
            }
            IncidentCmd::Milestone { milestone, when } => self.milestone(milestone, when, msg).await,
            IncidentCmd::Impact { range, note } => self.add_impact(range, note, msg).await,
            IncidentCmd::ImpactList => {
                let inc = self.read_here(msg).await?;
                reply(text::impact_list(&inc, self.tz))
            }
            IncidentCmd::ImpactDelete(n) => {
                let at = msg.at;
                let (w, _) = self.change(msg, |i| i.delete_impact(n, who, at, src)).await?;
                reply(format!(
                    "Impact window #{n} ({}) deleted; it is kept in the record.",
                    self.show(&w.moment())
                ))
            }
            IncidentCmd::Affects { services, when } => self.affects(services, when, msg).await,
            IncidentCmd::Title(title) => {
                let at = msg.at;
                let (_, inc) = self
                    .change(msg, |i| Ok(((), i.set_title(&title, who, at, src)?)))
                    .await?;
                reply(format!("{} is now titled: {}", inc.id, inc.title))
            }
            IncidentCmd::Resolve { when, note } => self.resolve(when, note, msg).await,
            IncidentCmd::Close => self.close(msg).await,
            IncidentCmd::Reopen => {
                let at = msg.at;
                let (_, inc) = self.change(msg, |i| Ok(((), i.reopen(who, at, src)?))).await?;
                reply(format!("{} reopened; status is {}.", inc.id, inc.status))
            }
            IncidentCmd::Show => {
                let inc = self.read_here(msg).await?;
                reply(text::summary(&inc, self.tz))
            }
        }
    }

    async fn declare(&self, title: String, severity: Option<Severity>, at: Option<When>, msg: &Inbound) -> Reply {
        check_text(&title).map_err(refused)?;
        let r = self.moment(None, &at, msg.at)?;
        if r.moment.end.is_some() {
            return Err(refused("--at takes one time, not a range"));
        }
        let (who, src, tz) = (&msg.author, msg.source, self.tz);
        let c = self
            .store
            .create_incident(msg.event_id.as_deref(), self.now(), |id| {
                let (mut inc, entries) = Incident::open(Opening {
                    id,
                    title: title.clone(),
                    severity: severity.unwrap_or(Severity::Sev3),
                    by: who.clone(),
                    at: r.moment.at,
                    source: src,
                    fingerprint: None,
                    trigger: None,
                })?;
                if !r.moment.precision.is_minute() {
                    inc.milestone_precision.insert(Milestone::Detected, r.moment.precision);
                }
                move_anchor(&mut inc, &r);
                let entries = entries.into_iter().map(|e| e.at_moment(r.moment)).collect();
                Ok::<_, TransitionError>((inc, entries))
            })
            .await
            .map_err(|e| self.refusal(e))?;
        let announcement = text::announcement(&c.incident, src, tz, self.lang(&c.incident));
        Ok(vec![Notice::Opened {
            incident: Box::new(c.incident),
            announcement,
            origin_room: msg.room.clone(),
        }])
    }

    async fn milestone(&self, milestone: Milestone, when: Option<When>, msg: &Inbound) -> Reply {
        let inc = self.incident_here(msg)?;
        let r = self.point(&inc, &when, msg.at, "a milestone")?;
        let now = self.now().max(msg.at);
        let (who, src) = (&msg.author, msg.source);
        self.change_at(&inc, msg, r, |i, m| i.set_milestone(milestone, m, who, now, src))
            .await?;
        reply(format!("Milestone {milestone} recorded at {}.", self.shown(&r)))
    }

    async fn add_impact(&self, range: When, note: Option<String>, msg: &Inbound) -> Reply {
        let inc = self.incident_here(msg)?;
        let r = self.moment(Some(&inc), &Some(range), msg.at)?;
        let now = self.now().max(msg.at);
        let (who, src) = (&msg.author, msg.source);
        let (n, inc) = self
            .change_id(inc.id, msg, |i| {
                let out = i.add_impact(r.moment, note.as_deref(), who, now, src)?;
                move_anchor(i, &r);
                Ok(out)
            })
            .await?;
        let total = text::impact_total(&inc);
        reply(format!(
            "Impact window #{n} recorded: {}. Total impact: {total}.",
            self.shown(&r)
        ))
    }

    async fn affects(&self, services: Vec<String>, when: Option<When>, msg: &Inbound) -> Reply {
        let inc = self.incident_here(msg)?;
        let r = self.point(&inc, &when, msg.at, "`incident affects`")?;
        let (who, src) = (&msg.author, msg.source);
        let (added, inc) = self
            .change_id(inc.id, msg, |i| {
                let e = i.add_services(&services, who, r.moment, src)?;
                if !e.is_empty() {
                    move_anchor(i, &r);
                }
                Ok((!e.is_empty(), e))
            })
            .await?;
        let verb = if added {
            "Affected services"
        } else {
            "Already recorded; affected services"
        };
        reply(format!("{verb}: {}.", inc.services.join(", ")))
    }

    async fn resolve(&self, when: Option<When>, note: Option<String>, msg: &Inbound) -> Reply {
        let inc = self.incident_here(msg)?;
        let r = self.point(&inc, &when, msg.at, "`incident resolve`")?;
        let now = self.now().max(msg.at);
        let (who, src) = (&msg.author, msg.source);
        let inc = self
            .change_at(&inc, msg, r, |i, m| i.resolve(m, note.as_deref(), who, now, src))
            .await?;
        reply(format!(
            "{} resolved at {}. Fill in the postmortem (`{p}postmortem <section> <text>`), then `{p}incident close`.",
            inc.id,
            self.shown(&r),
            p = super::prefix_for(src)
        ))
    }

    async fn close(&self, msg: &Inbound) -> Reply {
        let at = msg.at;
        let (who, src) = (&msg.author, msg.source);
        let (_, inc) = self.change(msg, |i| Ok(((), i.close(who, at, src)?))).await?;
        let file = self.export(inc.id, ExportFormat::Markdown)?;
        let mut out = vec![Notice::Reply(
            self.lang(&inc).fmt("closed-with-draft", &[("id", &inc.id.to_string())]),
        )];
        if let Some(n) = &file.notice {
            out.push(Notice::Reply(n.clone()));
        }
        out.push(Notice::Postmortem {
            incident: inc.id,
            markdown: file.body().to_string(),
            file,
        });
        Ok(out)
    }

    async fn run_timeline(&self, cmd: TimelineCmd, msg: &Inbound) -> Reply {
        let who = &msg.author;
        match cmd {
            TimelineCmd::Add { when, text } => self.add_entry(when, text, msg).await,
            TimelineCmd::List { all } => {
                let inc = self.read_here(msg).await?;
                let entries = self.store.entries(inc.id)?;
                reply(text::timeline_list(&inc, &entries, self.tz, all))
            }
            TimelineCmd::Edit { seq, when, text } => self.edit(seq, when, text, msg).await,
            TimelineCmd::Delete { seq } => {
                let id = self.incident_here(msg)?.id;
                let e = self.edit_entry(id, seq, msg, |e| e.delete(who, msg.at)).await?;
                reply(format!(
                    "Entry #{seq} ({}: {}) removed from the timeline; it is kept in the record (`timeline restore {seq}` brings it back).",
                    self.show(&e.moment()),
                    e.text
                ))
            }
            TimelineCmd::Restore { seq } => {
                let id = self.incident_here(msg)?.id;
                let e = self.edit_entry(id, seq, msg, |e| e.restore(who, msg.at)).await?;
                reply(format!("Entry #{seq} is back: {}: {}", self.show(&e.moment()), e.text))
            }
        }
    }

    async fn add_entry(&self, when: Option<When>, text: String, msg: &Inbound) -> Reply {
        check_text(&text).map_err(refused)?;
        let inc = self.incident_here(msg)?;
        let r = self.moment(Some(&inc), &when, msg.at)?;
        let (who, src) = (&msg.author, msg.source);
        let (seq, inc) = self
            .change_id(inc.id, msg, |i| {
                let e = NewEntry::new(r.moment.at, who, EntryKind::Note, text.clone(), src).at_moment(r.moment);
                move_anchor(i, &r);
                Ok((i.last_seq.saturating_add(1), vec![e]))
            })
            .await?;
        let mut out = format!("Added #{seq} at {}: {text}", self.shown(&r));
        out.push_str(&self.order_warnings(&inc, seq, &r.moment));
        reply(out)
    }

    async fn edit(&self, seq: u64, when: Option<When>, text: Option<String>, msg: &Inbound) -> Reply {
        if let Some(t) = &text {
            check_text(t).map_err(refused)?;
        }
        let inc = self.incident_here(msg)?;
        // The entry's own time is the default of nothing; a correction needs a WHEN.
        let r = match &when {
            Some(_) => Some(self.moment(Some(&inc), &when, msg.at)?),
            None => None,
        };
        let who = &msg.author;
        let e = self
            .edit_entry(inc.id, seq, msg, |e| {
                e.correct(r.map(|r| r.moment), text.clone(), who, msg.at)
            })
            .await?;
        if let Some(r) = r.filter(|r| r.dated) {
            // Keep the reconstruction's date for the next bare time. A second write of the same
            // message: without its event id, which the edit has already claimed (a redelivery
            // stops at the edit, so this runs once).
            let again = Inbound {
                event_id: None,
                ..msg.clone()
            };
            self.change_id(inc.id, &again, |i| {
                move_anchor(i, &r);
                Ok(((), Vec::new()))
            })
            .await?;
        }
        let mut out = format!("Entry #{seq} now reads: {}: {}", self.show(&e.moment()), e.text);
        if r.is_some() {
            out.push_str(&self.order_warnings(&inc, seq, &e.moment()));
        }
        reply(out)
    }

    /// Warnings for an entry that lands before the incident started, or far before the note
    /// recorded just before it (usually a wrong day).
    fn order_warnings(&self, inc: &Incident, seq: u64, m: &Moment) -> String {
        let mut out = String::new();
        if let Some(&started) = inc.milestones.get(&Milestone::Started)
            && m.at < started
        {
            out.push_str(&format!(
                "\n⚠ This is before the incident started ({}). If the time is wrong, correct it with `timeline edit {seq} WHEN`; if the start is wrong, `incident milestone started WHEN`.",
                show_time(started, self.tz)
            ));
        }
        let previous = (seq.saturating_sub(20).max(1)..seq)
            .rev()
            .filter_map(|s| self.store.entry(inc.id, s).ok().flatten())
            .find(|e| e.kind == EntryKind::Note && e.is_visible());
        if let Some(p) = previous
            && (p.at - m.at).num_seconds() > OUT_OF_ORDER_WARN_SECS
        {
            out.push_str(&format!(
                "\n⚠ This lands well before #{} ({}), the note recorded just before it. If the day is wrong, correct it with `timeline edit {seq} WHEN`.",
                p.seq,
                self.show(&p.moment())
            ));
        }
        out
    }

    async fn edit_entry(
        &self,
        id: IncidentId,
        seq: u64,
        msg: &Inbound,
        f: impl Fn(&mut TimelineEntry) -> Result<(), String>,
    ) -> Result<TimelineEntry, ServiceError> {
        self.store
            .update_entry(id, seq, msg.event_id.as_deref(), self.now(), f)
            .await
            .map_err(|e| self.refusal(e))?;
        self.store
            .entry(id, seq)?
            .ok_or_else(|| ServiceError::Refused(format!("entry #{seq} is gone")))
    }

    async fn run_action(&self, cmd: ActionCmd, msg: &Inbound) -> Reply {
        let (who, src) = (&msg.author, msg.source);
        let at = msg.at;
        match cmd {
            ActionCmd::Add(spec) => {
                let mut fields = ActionFields::default();
                apply_spec(&mut fields, &spec);
                let (n, inc) = self.change(msg, |i| i.add_action(fields.clone(), who, at, src)).await?;
                let a = inc.actions.iter().find(|a| a.n == n).map(|a| action_line(&a.fields));
                reply(format!("Action #{n} recorded: {}.", a.unwrap_or_default()))
            }
            ActionCmd::List => {
                let inc = self.read_here(msg).await?;
                reply(text::action_list(&inc))
            }
            ActionCmd::Edit { n, spec } => {
                let (_, inc) = self
                    .change(msg, |i| {
                        Ok(((), i.edit_action(n, |f| apply_spec(f, &spec), who, at, src)?))
                    })
                    .await?;
                let a = inc.actions.iter().find(|a| a.n == n).map(|a| action_line(&a.fields));
                reply(format!("Action #{n} now reads: {}.", a.unwrap_or_default()))
            }
            ActionCmd::Done(n) => {
                self.change(msg, |i| Ok(((), i.action_done(n, who, at, src)?))).await?;
                reply(format!("Action #{n} is done."))
            }
            ActionCmd::Delete(n) => {
                let (text, _) = self.change(msg, |i| i.delete_action(n, who, at, src)).await?;
                reply(format!("Action #{n} ({text}) deleted; it is kept in the record."))
            }
        }
    }

    async fn run_postmortem(&self, cmd: PostmortemCmd, msg: &Inbound) -> Reply {
        match cmd {
            PostmortemCmd::Set { section, text, replace } => {
                let at = msg.at;
                self.change(msg, |i| {
                    i.contribute(section, &text, replace, &msg.author, at)?;
                    Ok(((), Vec::new()))
                })
                .await?;
                reply(format!("{} {section}.", if replace { "Replaced" } else { "Added to" }))
            }
            PostmortemCmd::SetCustom { key, text, replace } => {
                let title = self.check_custom_section(&key)?;
                let at = msg.at;
                self.change(msg, |i| {
                    i.contribute_custom(&key, &text, replace, &msg.author, at)?;
                    Ok(((), Vec::new()))
                })
                .await?;
                reply(format!("{} {title}.", if replace { "Replaced" } else { "Added to" }))
            }
            PostmortemCmd::Show => {
                let inc = self.read_here(msg).await?;
                reply(self.preview(inc.id)?)
            }
            PostmortemCmd::Export(format) => {
                let inc = self.read_here(msg).await?;
                let file = self.export(inc.id, format)?;
                let mut out: Vec<Notice> = file.notice.iter().cloned().map(Notice::Reply).collect();
                out.push(Notice::File(file));
                Ok(out)
            }
            PostmortemCmd::Link { url, title } => self.add_link(url, title, msg).await,
            PostmortemCmd::Related(to) => self.add_related(to, msg).await,
            PostmortemCmd::Author(users) => self.add_people(People::Authors, users, msg).await,
            PostmortemCmd::Reviewer(users) => self.add_people(People::Reviewers, users, msg).await,
            PostmortemCmd::Review(status) => {
                let (who, src, at) = (&msg.author, msg.source, msg.at);
                let (was, _) = self
                    .change(msg, |i| {
                        let was = i.review_status();
                        Ok((was, i.set_review(status, who, at, src)?))
                    })
                    .await?;
                reply(format!("Review status: {status} (was {was})."))
            }
            PostmortemCmd::Template(name) => {
                self.check_template(&name)?;
                let (who, src, at) = (&msg.author, msg.source, msg.at);
                let (_, inc) = self
                    .change(msg, |i| Ok(((), i.set_template(&name, who, at, src)?)))
                    .await?;
                reply(format!(
                    "{}'s postmortem will be rendered with the template {name}.",
                    inc.id
                ))
            }
            PostmortemCmd::Language(lang) => {
                let (who, src, at) = (&msg.author, msg.source, msg.at);
                let (_, inc) = self
                    .change(msg, |i| Ok(((), i.set_language(&lang, who, at, src)?)))
                    .await?;
                reply(format!("{}'s postmortem will be written in {lang}.", inc.id))
            }
        }
    }

    /// `postmortem link URL [title]`: a bookkeeping change (in `timeline list --all` and the
    /// JSON, not in the draft's timeline).
    async fn add_link(&self, url: String, title: Option<String>, msg: &Inbound) -> Reply {
        let (who, src, at) = (&msg.author, msg.source, msg.at);
        let (_, inc) = self
            .change(msg, |i| Ok(((), i.add_link(&url, title.as_deref(), who, at, src)?)))
            .await?;
        let n = inc.links.len();
        reply(match inc.links.last().and_then(|l| l.title.as_deref()) {
            Some(t) => format!("Supporting link #{n} added: {t} ({url})."),
            None => format!("Supporting link #{n} added: {url}."),
        })
    }

    /// `postmortem related INC-N|URL`. Any incident id is taken; the reply says when there is
    /// no such incident.
    async fn add_related(&self, to: RelatedRef, msg: &Inbound) -> Reply {
        let (who, src, at) = (&msg.author, msg.source, msg.at);
        let (_, inc) = self
            .change(msg, |i| Ok(((), i.add_related(to.clone(), who, at, src)?)))
            .await?;
        let missing = match &to {
            RelatedRef::Incident(id) => self.store.incident(*id)?.is_none(),
            RelatedRef::Url(_) => false,
        };
        reply(if missing {
            format!(
                "Related incident {to} recorded for {}; there is no {to} here, so check the number.",
                inc.id
            )
        } else {
            format!("Related incident {to} recorded for {}.", inc.id)
        })
    }

    /// `postmortem author|reviewer @u ...`: the reply lists everyone now named.
    async fn add_people(&self, which: People, users: Vec<String>, msg: &Inbound) -> Reply {
        let (who, src, at) = (&msg.author, msg.source, msg.at);
        let (added, inc) = self.change(msg, |i| i.add_people(which, &users, who, at, src)).await?;
        let all = match which {
            People::Authors => &inc.authors,
            People::Reviewers => &inc.reviewers,
        };
        let mut kept: Vec<&str> = Vec::new();
        for u in users.iter().map(|u| u.trim()) {
            if !added.iter().any(|a| a == u) && !kept.contains(&u) {
                kept.push(u);
            }
        }
        let already = if kept.is_empty() {
            String::new()
        } else {
            format!(" ({} already listed)", kept.join(", "))
        };
        reply(format!(
            "{}s of {}'s postmortem: {}.{already}",
            capitalized(which.one()),
            inc.id,
            all.join(", ")
        ))
    }
}

/// Apply what an `action` command said to an action's fields: given values replace, `none`
/// clears, owners given replace the owners.
fn apply_spec(f: &mut ActionFields, spec: &ActionSpec) {
    if let Some(t) = &spec.text {
        f.text = t.clone();
    }
    if !spec.owners.is_empty() {
        f.owners = spec.owners.clone();
    }
    if let Some(d) = spec.due {
        f.due = d;
    }
    if let Some(k) = &spec.kind {
        f.kind = k.clone();
    }
    if let Some(t) = &spec.ticket {
        f.ticket = t.clone();
    }
}

/// `Author`, `Reviewer`.
fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
