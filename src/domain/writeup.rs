//! The postmortem's record around its sections, written from chat: supporting links, related
//! incidents, authors, reviewers, the review status (each change kept), and the template and
//! language chosen for the incident. Each transition returns one bookkeeping entry per change.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::incident::{Incident, TransitionError, single_line};
use super::timeline::{EntryKind, NewEntry, Person, Source};
use super::types::{IncidentId, ParseError};

/// Links, related incidents, authors, reviewers and review changes: at most this many each.
pub const MAX_WRITEUP_ITEMS: usize = 100;
/// Longest URL of a link or a related incident, in characters.
pub const MAX_URL_CHARS: usize = 2_000;
/// Longest title of a link, in characters.
pub const MAX_LINK_TITLE_CHARS: usize = 300;
/// Longest author or reviewer (`@alice`, `<@U123|alice>`, `@alice:example.org`), in characters.
pub const MAX_HANDLE_CHARS: usize = 200;
/// Languages a postmortem may be written in (`postmortem language`).
pub const LANGUAGES: [&str; 3] = ["en", "fr", "sk"];
/// The templates shipped with warroom; others may be configured (`postmortem template`).
pub const BUILTIN_TEMPLATES: [&str; 4] = ["warroom", "google-sre", "atlassian", "pagerduty"];

/// A supporting link (dashboard, graph, ticket, log search) with an optional title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub by: Person,
    pub at: DateTime<Utc>,
}

/// What a related incident is: another warroom incident, or a page elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelatedRef {
    Incident(IncidentId),
    Url(String),
}

impl fmt::Display for RelatedRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelatedRef::Incident(id) => write!(f, "{id}"),
            RelatedRef::Url(u) => f.write_str(u),
        }
    }
}

impl FromStr for RelatedRef {
    type Err = ParseError;
    /// `INC-4` (also `#4`, `4`) or an http(s) URL.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if is_http(t) {
            return Ok(RelatedRef::Url(t.to_string()));
        }
        t.parse::<IncidentId>()
            .map(RelatedRef::Incident)
            .map_err(|_| ParseError {
                what: "related incident",
                got: s.to_string(),
                expected: "an incident id (INC-4) or an http(s) URL",
            })
    }
}

/// A related incident, with who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    pub to: RelatedRef,
    pub by: Person,
    pub at: DateTime<Utc>,
}

/// Where the postmortem document is in its review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewStatus {
    #[default]
    Draft,
    InReview,
    Final,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Draft => "draft",
            ReviewStatus::InReview => "in-review",
            ReviewStatus::Final => "final",
        }
    }
}

impl fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReviewStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "draft" => Ok(ReviewStatus::Draft),
            "in-review" | "inreview" | "review" | "reviewing" => Ok(ReviewStatus::InReview),
            "final" | "done" | "approved" => Ok(ReviewStatus::Final),
            _ => Err(ParseError {
                what: "review status",
                got: s.to_string(),
                expected: "draft, in-review, final",
            }),
        }
    }
}

/// A change of the review status: to what, who, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewChange {
    pub status: ReviewStatus,
    pub by: Person,
    pub at: DateTime<Utc>,
}

/// The two lists of people a postmortem names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum People {
    Authors,
    Reviewers,
}

impl People {
    /// `author`, `reviewer`.
    pub fn one(self) -> &'static str {
        match self {
            People::Authors => "author",
            People::Reviewers => "reviewer",
        }
    }
}

fn is_http(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (l.starts_with("https://") && s.len() > 8) || (l.starts_with("http://") && s.len() > 7)
}

fn invalid(message: String) -> TransitionError {
    TransitionError::Invalid(message)
}

/// An http(s) URL that can be shown as a link: no whitespace, controls, `<`, `>`, quotes,
/// backslashes, `|` or backticks, at most `MAX_URL_CHARS`.
pub fn check_url(url: &str) -> Result<(), TransitionError> {
    let n = url.chars().count();
    if !is_http(url) {
        return Err(invalid(format!("`{url}` is not an http(s) URL; give it as https://…")));
    }
    if n > MAX_URL_CHARS {
        return Err(invalid(format!(
            "the URL is {n} characters long; at most {MAX_URL_CHARS}"
        )));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\'' | '\\' | '|' | '`'))
    {
        return Err(invalid(format!(
            "`{url}` holds a space, a quote or a character a link cannot hold; percent-encode it"
        )));
    }
    Ok(())
}

/// An author or reviewer as written: one word, not empty, at most `MAX_HANDLE_CHARS`.
pub fn check_handle(who: &str) -> Result<(), TransitionError> {
    let n = who.chars().count();
    if who.is_empty() || n > MAX_HANDLE_CHARS || who.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!(
            "`{who}` is not a user; give a mention like @alice (at most {MAX_HANDLE_CHARS} characters)"
        )));
    }
    Ok(())
}

/// A template name: 1 to 40 lowercase ASCII letters, digits and dashes.
pub fn check_template_name(name: &str) -> Result<(), TransitionError> {
    let shaped = (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if shaped {
        Ok(())
    } else {
        Err(invalid(format!(
            "`{name}` is not a template name; use {}, or `default` for the configured one",
            BUILTIN_TEMPLATES.join(", ")
        )))
    }
}

/// A language of `LANGUAGES`.
pub fn check_language(lang: &str) -> Result<(), TransitionError> {
    if LANGUAGES.contains(&lang) {
        Ok(())
    } else {
        Err(invalid(format!(
            "`{lang}` is not a postmortem language; use one of: {}",
            LANGUAGES.join(", ")
        )))
    }
}

impl Incident {
    /// The review status now: the last change, or draft.
    pub fn review_status(&self) -> ReviewStatus {
        self.reviews.last().map(|r| r.status).unwrap_or_default()
    }

    fn people_mut(&mut self, which: People) -> &mut Vec<String> {
        match which {
            People::Authors => &mut self.authors,
            People::Reviewers => &mut self.reviewers,
        }
    }

    /// Add a supporting link (`postmortem link URL [title]`).
    pub fn add_link(
        &mut self,
        url: &str,
        title: Option<&str>,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let url = url.trim();
        check_url(url)?;
        let title = title.map(single_line).filter(|t| !t.is_empty());
        if let Some(t) = &title
            && t.chars().count() > MAX_LINK_TITLE_CHARS
        {
            return Err(invalid(format!(
                "the link's title is {} characters long; at most {MAX_LINK_TITLE_CHARS}",
                t.chars().count()
            )));
        }
        if self.links.iter().any(|l| l.url == url) {
            return Err(TransitionError::Unchanged(format!(
                "{url} is already a supporting link"
            )));
        }
        if self.links.len() >= MAX_WRITEUP_ITEMS {
            return Err(TransitionError::Full("supporting links"));
        }
        let text = match &title {
            Some(t) => format!("supporting link added: {t} ({url})"),
            None => format!("supporting link added: {url}"),
        };
        self.links.push(Link {
            url: url.to_string(),
            title,
            by: by.clone(),
            at,
        });
        Ok(vec![NewEntry::new(at, by, EntryKind::Postmortem, text, src)])
    }

    /// Record a related incident (`postmortem related INC-N|URL`).
    pub fn add_related(
        &mut self,
        to: RelatedRef,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        match &to {
            RelatedRef::Incident(id) if *id == self.id => {
                return Err(invalid(format!("{id} is this incident; name another one")));
            }
            RelatedRef::Url(u) => check_url(u)?,
            RelatedRef::Incident(_) => {}
        }
        if self.related.iter().any(|r| r.to == to) {
            return Err(TransitionError::Unchanged(format!("{to} is already related")));
        }
        if self.related.len() >= MAX_WRITEUP_ITEMS {
            return Err(TransitionError::Full("related incidents"));
        }
        let text = format!("related incident added: {to}");
        self.related.push(Related { to, by: by.clone(), at });
        Ok(vec![NewEntry::new(at, by, EntryKind::Postmortem, text, src)])
    }

    /// Add authors or reviewers; returns the ones that were not listed yet (one entry each).
    pub fn add_people(
        &mut self,
        which: People,
        users: &[String],
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<(Vec<String>, Vec<NewEntry>), TransitionError> {
        let mut added: Vec<String> = Vec::new();
        for u in users.iter().map(|u| u.trim()) {
            check_handle(u)?;
            if !self.people_mut(which).iter().any(|x| x == u) && !added.iter().any(|x| x == u) {
                added.push(u.to_string());
            }
        }
        if added.is_empty() {
            return Err(TransitionError::Unchanged(format!(
                "{} already listed as {}s",
                users.join(", "),
                which.one()
            )));
        }
        let list = self.people_mut(which);
        if list.len() + added.len() > MAX_WRITEUP_ITEMS {
            return Err(TransitionError::Full(match which {
                People::Authors => "authors",
                People::Reviewers => "reviewers",
            }));
        }
        list.extend(added.iter().cloned());
        let entries = added
            .iter()
            .map(|u| {
                NewEntry::new(
                    at,
                    by,
                    EntryKind::Postmortem,
                    format!("{} added: {u}", which.one()),
                    src,
                )
            })
            .collect();
        Ok((added, entries))
    }

    /// Change the review status (`postmortem review draft|in-review|final`); every change is kept.
    pub fn set_review(
        &mut self,
        status: ReviewStatus,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        let was = self.review_status();
        if status == was {
            return Err(TransitionError::Unchanged(format!(
                "the review status is already {status}"
            )));
        }
        if self.reviews.len() >= MAX_WRITEUP_ITEMS {
            return Err(TransitionError::Full("review status changes"));
        }
        self.reviews.push(ReviewChange {
            status,
            by: by.clone(),
            at,
        });
        let text = format!("postmortem review status: {status} (was {was})");
        Ok(vec![NewEntry::new(at, by, EntryKind::Postmortem, text, src)])
    }

    /// Choose the template this incident's postmortem is rendered with (`postmortem template`).
    /// Only the name's shape is checked here: which templates exist is configuration.
    pub fn set_template(
        &mut self,
        name: &str,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        check_template_name(name)?;
        if self.template.as_deref() == Some(name) {
            return Err(TransitionError::Unchanged(format!("the template is already {name}")));
        }
        self.template = Some(name.to_string());
        let text = format!("postmortem template: {name}");
        Ok(vec![NewEntry::new(at, by, EntryKind::Postmortem, text, src)])
    }

    /// Choose the language of this incident's postmortem (`postmortem language`).
    pub fn set_language(
        &mut self,
        lang: &str,
        by: &Person,
        at: DateTime<Utc>,
        src: Source,
    ) -> Result<Vec<NewEntry>, TransitionError> {
        check_language(lang)?;
        if self.language.as_deref() == Some(lang) {
            return Err(TransitionError::Unchanged(format!("the language is already {lang}")));
        }
        self.language = Some(lang.to_string());
        let text = format!("postmortem language: {lang}");
        Ok(vec![NewEntry::new(at, by, EntryKind::Postmortem, text, src)])
    }
}

#[cfg(test)]
#[path = "writeup_tests.rs"]
mod tests;
