//! The languages of the postmortem draft: one Project Fluent catalogue (`locales/<code>.ftl`)
//! per language, with every heading, label, prompt, note and duration unit the drafts show.
//! Adding a language is one new `.ftl` file and one line in `LANGUAGES`.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The catalogues built in: language code (BCP 47) and its Fluent source. English is the
/// reference every other catalogue is checked against (tests) and the fallback for a key a
/// catalogue lacks.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", include_str!("locales/en.ftl")),
    ("fr", include_str!("locales/fr.ftl")),
    ("sk", include_str!("locales/sk.ftl")),
];

/// One language's catalogue.
pub struct Catalog {
    code: &'static str,
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Catalog({})", self.code)
    }
}

fn build(code: &'static str, source: &str) -> Result<Catalog, String> {
    let lang = code
        .parse()
        .map_err(|_| format!("`{code}` is not a language identifier"))?;
    let resource = FluentResource::try_new(source.to_string())
        .map_err(|(_, errs)| format!("locales/{code}.ftl does not parse: {errs:?}"))?;
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // No Unicode isolation marks around values: the drafts are plain text files.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|e| format!("locales/{code}.ftl: {e:?}"))?;
    Ok(Catalog { code, bundle })
}

fn catalogs() -> &'static [Catalog] {
    static ALL: OnceLock<Vec<Catalog>> = OnceLock::new();
    ALL.get_or_init(|| {
        LANGUAGES
            .iter()
            .filter_map(|(code, src)| match build(code, src) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!("{e}");
                    None
                }
            })
            .collect()
    })
}

/// The language codes built in, e.g. for an error message.
pub fn codes() -> Vec<&'static str> {
    LANGUAGES.iter().map(|(c, _)| *c).collect()
}

/// A language of the drafts, known to be built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(&'static str);

impl Default for Lang {
    fn default() -> Self {
        Lang("en")
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim().to_ascii_lowercase();
        LANGUAGES
            .iter()
            .find(|(c, _)| *c == want)
            .map(|(c, _)| Lang(c))
            .ok_or_else(|| format!("`{s}` is not a postmortem language; use one of {}", codes().join(", ")))
    }
}

impl Lang {
    pub const EN: Lang = Lang("en");

    pub fn code(self) -> &'static str {
        self.0
    }

    pub fn catalog(self) -> &'static Catalog {
        let all = catalogs();
        all.iter()
            .find(|c| c.code == self.0)
            .or_else(|| all.first())
            .unwrap_or_else(|| unreachable_catalog())
    }

    /// The label `key` in this language (English when this catalogue lacks it, the key itself
    /// when no catalogue has it).
    pub fn t(self, key: &str) -> String {
        self.fmt(key, &[])
    }

    /// The message `key` with its `{ $name }` placeables filled from `args`.
    pub fn fmt(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, FluentValue::from(*v));
        }
        [self.catalog(), Lang::EN.catalog()]
            .into_iter()
            .find_map(|c| c.format(key, &fargs))
            .unwrap_or_else(|| key.to_string())
    }

    /// An automatic entry's words (`Phrase`) in this language: its terms are catalogue
    /// messages said in this language first, then the message is filled in.
    pub fn phrase(self, p: &crate::domain::Phrase) -> String {
        let terms: Vec<(String, String)> = p.terms.iter().map(|(k, key)| (k.clone(), self.t(key))).collect();
        let args: Vec<(&str, &str)> = p
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(terms.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        self.fmt(&p.key, &args)
    }

    /// A duration in this language's units: `2d 03h 10m`, `16 j 10 h 17 min`.
    pub fn duration(self, secs: i64) -> String {
        let sign = if secs < 0 { "-" } else { "" };
        let s = secs.abs();
        let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
        let (hh, mm) = (format!("{h:02}"), format!("{m:02}"));
        let (d, h, m, s) = (d.to_string(), h.to_string(), m.to_string(), s.to_string());
        let args: [(&str, &str); 6] = [("d", &d), ("h", &h), ("m", &m), ("s", &s), ("hh", &hh), ("mm", &mm)];
        let key = match secs.abs() {
            x if x < 60 => "duration-s",
            x if x < 3600 => "duration-m",
            x if x < 86_400 => "duration-hm",
            _ => "duration-dhm",
        };
        format!("{sign}{}", self.fmt(key, &args))
    }
}

/// Only reached if no built-in catalogue parses, which the tests rule out.
fn unreachable_catalog() -> &'static Catalog {
    static EMPTY: OnceLock<Catalog> = OnceLock::new();
    EMPTY.get_or_init(|| Catalog {
        code: "en",
        bundle: FluentBundle::new_concurrent(vec![]),
    })
}

impl Catalog {
    fn format(&self, key: &str, args: &FluentArgs) -> Option<String> {
        let pattern = self.bundle.get_message(key)?.value()?;
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, Some(args), &mut errors);
        Some(text.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `key = value` lines of a catalogue.
    pub(crate) fn entries(src: &str) -> Vec<(&str, &str)> {
        src.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
            .filter_map(|l| l.split_once(" = "))
            .collect()
    }

    #[test]
    fn every_catalogue_parses_and_has_every_english_key() {
        assert_eq!(catalogs().len(), LANGUAGES.len());
        let en: Vec<&str> = entries(LANGUAGES[0].1).into_iter().map(|(k, _)| k).collect();
        assert!(en.len() > 60, "{}", en.len());
        for (code, src) in LANGUAGES {
            build(code, src).unwrap();
            let keys: Vec<&str> = entries(src).into_iter().map(|(k, _)| k).collect();
            let missing: Vec<_> = en.iter().filter(|k| !keys.contains(k)).collect();
            assert!(missing.is_empty(), "{code} lacks {missing:?}");
        }
    }

    #[test]
    fn durations_use_each_language_units() {
        let fr: Lang = "fr".parse().unwrap();
        let sk: Lang = "SK".parse().unwrap();
        let secs = 16 * 86_400 + 10 * 3600 + 17 * 60;
        assert_eq!(Lang::EN.duration(secs), crate::postmortem::format_duration(secs));
        assert_eq!(fr.duration(secs), "16 j 10 h 17 min");
        assert_eq!(sk.duration(secs), "16 d 10 h 17 min");
        for s in [0, 45, 60, 720, 3900, 90_000, -3900] {
            assert_eq!(Lang::EN.duration(s), crate::postmortem::format_duration(s), "{s}");
        }
        assert_eq!(fr.duration(3900), "1 h 05 min");
        assert!("de".parse::<Lang>().unwrap_err().contains("en, fr, sk"));
        assert_eq!(
            fr.fmt("times-in", &[("zone", "Europe/Paris")]),
            "Heures exprimées dans le fuseau Europe/Paris."
        );
    }
}
