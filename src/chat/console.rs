//! The console adapter: `warroom console` chats with the bot on stdin/stdout, no account
//! needed. Each input line is a message from one user in the current room; bot lines are
//! prefixed with their room (`[inc-1-ndw-etl-failed] ...`).

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::{ChatAdapter, ChatError, ExportFile, Inbound, Notice, dispatch};
use crate::command::{Command, Parsed};
use crate::domain::{IncidentId, Person, Platform, RoomKey, Source};
use crate::postmortem::ExportFormat;
use crate::service::{IncidentService, resolve_proposal};
use crate::shutdown::Shutdown;

/// The console's own commands, added to the reply to `/help`: the shared help lists only the
/// commands every platform has.
const CONSOLE_HELP: &str = "Console only: /room NAME moves to another room (/room alone lists them), /quit ends the session (as does Ctrl-D or the end of input).";

pub struct Console<R, W> {
    input: R,
    out: W,
    user: Person,
    alert_rooms: Vec<String>,
    room: String,
    postmortem_dir: PathBuf,
    interactive: bool,
}

impl<R, W> Console<R, W>
where
    R: AsyncBufRead + Unpin + Send + 'static,
    W: Write + Send + 'static,
{
    /// `alert_rooms` must not be empty; the console starts in the first one.
    pub fn new(input: R, out: W, user: &str, alert_rooms: Vec<String>, data_dir: &Path, interactive: bool) -> Self {
        let room = alert_rooms.first().cloned().unwrap_or_else(|| "alerts".into());
        Console {
            input,
            out,
            user: Person::new(user, user),
            alert_rooms,
            room,
            postmortem_dir: data_dir.join("postmortems"),
            interactive,
        }
    }

    fn say(&mut self, room: &str, text: &str) {
        for line in text.lines() {
            let line = crate::sanitize::for_terminal(line);
            let _ = writeln!(self.out, "[{room}] {line}");
        }
        let _ = self.out.flush();
    }

    fn prompt(&mut self) {
        if self.interactive {
            let _ = write!(self.out, "{}@{}> ", self.user.name, self.room);
            let _ = self.out.flush();
        }
    }

    fn incident_room(&self, service: &IncidentService, id: IncidentId) -> String {
        match service.store().incident(id) {
            Ok(Some(inc)) => inc.room_on(Platform::Console).map_or(inc.slug.clone(), str::to_string),
            _ => self.room.clone(),
        }
    }

    /// Write an export next to the others: atomically, durably, readable by this user only.
    fn save(&self, incident: IncidentId, format: ExportFormat, content: &str) -> std::io::Result<PathBuf> {
        crate::files::create_private_dir(&self.postmortem_dir)?;
        let path = self.postmortem_dir.join(format!("{incident}.{}", format.extension()));
        crate::files::write_atomically(&path, content.as_bytes())?;
        Ok(std::path::absolute(&path).unwrap_or(path))
    }

    fn save_and_report(&mut self, room: &str, file: &ExportFile) {
        match self.save(file.incident, file.format, &file.content) {
            Ok(p) => self.say(room, &format!("Postmortem written to {}", p.display())),
            Err(e) => self.say(room, &format!("⚠ could not write the postmortem file: {e}")),
        }
    }

    async fn apply(&mut self, service: &Arc<IncidentService>, notices: Vec<Notice>) {
        for n in notices {
            match n {
                Notice::Reply(t) => {
                    let room = self.room.clone();
                    self.say(&room, &t);
                }
                Notice::Opened {
                    incident,
                    announcement,
                    origin_room,
                } => {
                    let room = incident.slug.clone();
                    if let Err(e) = service
                        .bind_room(incident.id, &RoomKey::new(Platform::Console, &room))
                        .await
                        && let Some(t) = e.user_text()
                    {
                        let here = self.room.clone();
                        self.say(&here, &t);
                    }
                    let origin = match origin_room.parse::<RoomKey>() {
                        Ok(k) if k.platform == Platform::Console => k.room,
                        _ => origin_room,
                    };
                    self.say(
                        &origin,
                        &format!("{} opened: {} — now in room {room}", incident.id, incident.title),
                    );
                    self.say(&room, &announcement);
                    self.room = room;
                }
                Notice::AlertNews { incident, line: text } => {
                    let room = self.incident_room(service, incident);
                    self.say(&room, &text);
                }
                Notice::ProposeResolve { incident, alerts } => {
                    let room = self.incident_room(service, incident);
                    let lang = service.lang_of(incident);
                    self.say(&room, &resolve_proposal(incident, alerts, Source::Console, lang));
                }
                // The console is one platform: nobody elsewhere to tell.
                Notice::Changed { .. } => {}
                Notice::Remind { incident, text } => {
                    let room = self.incident_room(service, incident);
                    self.say(&room, &text);
                }
                // A status update: in the incident's room, and in the console's updates room.
                Notice::Update { incident, text } => {
                    let room = self.incident_room(service, incident);
                    self.say(&room, &text);
                    self.say("updates", &text);
                }
                Notice::Postmortem {
                    incident,
                    markdown,
                    file,
                } => {
                    let room = self.incident_room(service, incident);
                    self.say(&room, &markdown);
                    self.save_and_report(&room, &file);
                }
                Notice::File(file) => {
                    let room = self.incident_room(service, file.incident);
                    self.save_and_report(&room, &file);
                }
            }
        }
    }

    /// Console-only commands; returns false to stop.
    fn local_command(&mut self, service: &IncidentService, line: &str) -> Option<bool> {
        let mut words = line.split_whitespace();
        let first = words.next()?;
        let cmd = first.strip_prefix('/').or_else(|| first.strip_prefix('!'))?;
        match cmd {
            "room" => {
                match words.next() {
                    Some(name) => {
                        self.room = name.trim_start_matches('#').to_string();
                        let room = self.room.clone();
                        self.say(&room, &format!("you are now in {room}"));
                    }
                    None => {
                        let rooms = service
                            .store()
                            .incidents(false)
                            .map(|v| {
                                v.iter()
                                    .map(|i| format!("{} ({})", i.slug, i.id))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default();
                        let room = self.room.clone();
                        self.say(
                            &room,
                            &format!(
                                "you are in {room}; alert rooms: {}; open incident rooms: {}",
                                self.alert_rooms.join(", "),
                                if rooms.is_empty() { "none".into() } else { rooms }
                            ),
                        );
                    }
                }
                Some(true)
            }
            "quit" | "exit" => Some(false),
            _ => None,
        }
    }

    async fn run_loop(mut self, service: Arc<IncidentService>, mut shutdown: Shutdown) -> Result<(), ChatError> {
        let fail = |msg: String| ChatError::Failed {
            adapter: Platform::Console.as_str(),
            msg,
        };
        if self.interactive {
            let room = self.room.clone();
            self.say(
                &room,
                "warroom console: paste alert lines here, or type /help. `/room NAME` switches rooms; Ctrl-D ends.",
            );
        }
        let mut buf = Vec::new();
        // Reminders (`[reminders]`) are checked between lines; a line half read when the
        // check comes stays in `buf` and is completed by the next read.
        let reminders = service.reminder_tick();
        let mut tick = tokio::time::interval(reminders.unwrap_or(std::time::Duration::from_secs(3600)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            if buf.is_empty() {
                self.prompt();
            }
            let read = tokio::select! {
                r = self.input.read_until(b'\n', &mut buf) => Some(r),
                _ = tick.tick(), if reminders.is_some() => None,
                _ = shutdown.wait_for(|stop| *stop) => break,
            };
            let Some(read) = read else {
                // Only incidents with a room here: the others are reminded by `run` in theirs.
                let notices = service
                    .remind_matching(|i| i.room_on(Platform::Console).is_some())
                    .await;
                self.apply(&service, notices).await;
                continue;
            };
            match read {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(fail(format!(
                        "reading input failed ({e}); everything acknowledged so far is saved, start `warroom console` again to continue"
                    )));
                }
            }
            let owned = String::from_utf8_lossy(&buf).into_owned();
            buf.clear();
            let line = owned.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            match self.local_command(&service, line) {
                Some(true) => continue,
                Some(false) => break,
                None => {}
            }
            let msg = Inbound {
                source: Source::Console,
                room: RoomKey::new(Platform::Console, &self.room).to_string(),
                room_names: vec![self.room.clone()],
                alert_room: self.alert_rooms.contains(&self.room),
                author: self.user.clone(),
                text: line.to_string(),
                event_id: None,
                at: service.now(),
                standing: Default::default(),
            };
            let notices = dispatch(&service, msg).await;
            self.apply(&service, notices).await;
            if matches!(crate::command::parse(line), Parsed::Command(Command::Help(None))) {
                let room = self.room.clone();
                self.say(&room, CONSOLE_HELP);
            }
        }
        service
            .store()
            .sync()
            .await
            .map_err(|e| fail(format!("final sync: {e}")))?;
        Ok(())
    }
}

impl<R, W> ChatAdapter for Console<R, W>
where
    R: AsyncBufRead + Unpin + Send + 'static,
    W: Write + Send + 'static,
{
    fn name(&self) -> &'static str {
        Platform::Console.as_str()
    }

    fn run(
        self: Box<Self>,
        service: Arc<IncidentService>,
        shutdown: Shutdown,
    ) -> Pin<Box<dyn Future<Output = Result<(), ChatError>> + Send>> {
        Box::pin((*self).run_loop(service, shutdown))
    }
}
