//! Postmortem templates: the built-in ones shipped in the binary (`warroom`, `google-sre`,
//! `atlassian`, `pagerduty`), a team's own `*.md.j2` file, parsing them once (an error names
//! the file and line), and rendering the Markdown draft through one, with the built-in
//! `warroom` template as the fallback when a template fails at render time.
//!
//! Templates use minijinja (Jinja2 syntax) with `trim_blocks` and `lstrip_blocks` on, as in
//! Ansible, so a line holding only a `{% … %}` tag leaves nothing in the output. Auto-escaping
//! is off: every value of the context is already escaped for Markdown (`context.rs`), and a
//! second escaping would show backslashes; the template's own text is the team's, trusted.

use std::sync::{Arc, OnceLock};

use minijinja::value::{Kwargs, Serde};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

use super::context;
use super::i18n::Lang;
use super::model::Postmortem;

/// The built-in templates: name, what it follows, source.
pub const BUILT_INS: &[(&str, &str, &str)] = &[
    (
        "warroom",
        "warroom's own layout",
        include_str!("templates/warroom.md.j2"),
    ),
    (
        "google-sre",
        "the postmortem template of Google's SRE book and workbook",
        include_str!("templates/google-sre.md.j2"),
    ),
    (
        "atlassian",
        "Atlassian's incident postmortem template",
        include_str!("templates/atlassian.md.j2"),
    ),
    (
        "pagerduty",
        "PagerDuty's postmortem template",
        include_str!("templates/pagerduty.md.j2"),
    ),
];

/// The name of the default built-in template.
pub const DEFAULT: &str = "warroom";

/// A template that does not parse or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "postmortem template {file}, line {line}: {detail}; fix the template (check it with `warroom check-config`), or set [postmortem] template to a built-in one ({builtins})"
    )]
    Parse {
        file: String,
        line: usize,
        detail: String,
        builtins: String,
    },
    #[error(
        "cannot read postmortem template {file}: {detail}; give a readable *.md.j2 file (relative paths are read from the working directory) or a built-in name ({builtins})"
    )]
    Read {
        file: String,
        detail: String,
        builtins: String,
    },
    #[error(
        "`{name}` is not a built-in postmortem template ({builtins}) and has no file extension; for your own template give the path of a *.md.j2 file"
    )]
    Unknown { name: String, builtins: String },
}

fn builtin_names() -> String {
    BUILT_INS.iter().map(|(n, _, _)| *n).collect::<Vec<_>>().join(", ")
}

/// The template the drafts are rendered with, parsed: a built-in one or the team's file.
#[derive(Clone)]
pub struct TemplateChoice {
    name: String,
    /// The team's template in an environment of its own; `None` for a built-in.
    custom: Option<Arc<Environment<'static>>>,
}

impl std::fmt::Debug for TemplateChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TemplateChoice({})", self.name)
    }
}

impl Default for TemplateChoice {
    fn default() -> Self {
        TemplateChoice {
            name: DEFAULT.into(),
            custom: None,
        }
    }
}

impl TemplateChoice {
    /// A built-in template by name.
    pub fn builtin(name: &str) -> Option<TemplateChoice> {
        BUILT_INS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(n, _, _)| TemplateChoice {
                name: (*n).into(),
                custom: None,
            })
    }

    /// `[postmortem] template`: a built-in name, or the path of a template file, read and
    /// parsed now.
    pub fn load(spec: &str) -> Result<TemplateChoice, TemplateError> {
        if let Some(t) = TemplateChoice::builtin(spec.trim()) {
            return Ok(t);
        }
        let path = std::path::Path::new(spec);
        if path.extension().is_none() && !spec.contains(['/', '\\']) {
            return Err(TemplateError::Unknown {
                name: spec.into(),
                builtins: builtin_names(),
            });
        }
        let source = std::fs::read_to_string(path).map_err(|e| TemplateError::Read {
            file: spec.into(),
            detail: e.to_string(),
            builtins: builtin_names(),
        })?;
        TemplateChoice::from_source(spec, source)
    }

    /// A template from its source; `file` names it in errors and notices.
    pub fn from_source(file: &str, source: String) -> Result<TemplateChoice, TemplateError> {
        let mut env = environment();
        env.add_template_owned(file.to_string(), source)
            .map_err(|e| parse_error(file, &e))?;
        Ok(TemplateChoice {
            name: file.into(),
            custom: Some(Arc::new(env)),
        })
    }

    /// The built-in name or the file the template came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Render `pm` in `lang` with this template.
    pub fn render(&self, pm: &Postmortem, lang: Lang) -> Result<String, Error> {
        let env = self.custom.as_deref().unwrap_or_else(|| builtins());
        let ctx = minijinja::Value::from(Serde(context::build(pm, lang)));
        env.get_template(&self.name)?.render(ctx)
    }
}

fn parse_error(file: &str, e: &Error) -> TemplateError {
    TemplateError::Parse {
        file: file.into(),
        line: e.line().unwrap_or(1),
        detail: e.detail().map_or_else(|| e.kind().to_string(), str::to_string),
        builtins: builtin_names(),
    }
}

/// An environment with warroom's syntax settings, no auto-escaping (values are escaped
/// already) and the `t(key, name=value…)` function for labels in the draft's language.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build();
    if let Ok(syntax) = syntax {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.add_function("t", translate);
    env
}

/// `t("label-severity")`, `t("times-in", zone=incident.timezone)`: a label of the catalogue
/// in the draft's language (the context's `lang`).
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, Error> {
    let lang: Lang = state
        .lookup("lang")
        .and_then(|l| l.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_default();
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: minijinja::Value = kwargs.get(name)?;
        args.push((name.to_string(), value.to_string()));
    }
    kwargs.assert_all_used()?;
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let text = lang.fmt(key, &refs);
    if text == key {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("t(\"{key}\"): no such label in the catalogue"),
        ));
    }
    Ok(text)
}

/// The built-in templates, parsed once.
fn builtins() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = environment();
        for (name, _, source) in BUILT_INS {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!("built-in postmortem template {name}: {e}");
            }
        }
        env
    })
}

/// The source of a built-in template (`warroom template show NAME`).
pub fn builtin_source(name: &str) -> Option<&'static str> {
    BUILT_INS.iter().find(|(n, _, _)| *n == name).map(|(_, _, s)| *s)
}

/// What `warroom template show NAME` prints: the context in brief as a template comment, then
/// the built-in's source; saved as a file, it renders exactly as the built-in does.
pub fn show(name: &str) -> Option<String> {
    builtin_source(name).map(|source| format!("{{#\n{}#}}\n{source}", super::context::CONTEXT_DOC))
}
