//! Chat platforms and the keys of the rooms on them: `Platform` names where a room lives, and
//! `RoomKey` is a room on one platform, stored and printed as `platform:room`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ParseError, Source};

/// A chat platform warroom talks on. Serialises to the lowercase name (`matrix`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Console,
    Matrix,
    Slack,
}

/// What `Platform::from_str` accepts, for its error message.
const EXPECTED: &str = "console, matrix, slack";

impl Platform {
    /// Every platform, in a fixed order.
    pub const ALL: [Platform; 3] = [Platform::Console, Platform::Matrix, Platform::Slack];

    pub const fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Matrix => "matrix",
            Platform::Slack => "slack",
        }
    }

    /// The source of inputs that arrive on this platform.
    pub const fn source(self) -> Source {
        match self {
            Platform::Console => Source::Console,
            Platform::Matrix => Source::Matrix,
            Platform::Slack => Source::Slack,
        }
    }

    /// The platform an input came from; `None` for webhooks.
    pub const fn of(source: Source) -> Option<Platform> {
        match source {
            Source::Console => Some(Platform::Console),
            Source::Matrix => Some(Platform::Matrix),
            Source::Slack => Some(Platform::Slack),
            Source::Webhook => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParseError {
                what: "platform",
                got: s.to_string(),
                expected: EXPECTED,
            })
    }
}

impl PartialEq<&str> for Platform {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A room (Matrix room id, Slack channel id, console room name) on one platform.
/// Parsed and printed as `platform:room`; the room part may itself contain `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey {
    pub platform: Platform,
    pub room: String,
}

impl RoomKey {
    pub fn new(platform: Platform, room: impl Into<String>) -> Self {
        RoomKey {
            platform,
            room: room.into(),
        }
    }
}

impl fmt::Display for RoomKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.room)
    }
}

impl FromStr for RoomKey {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((p, room)) = s.split_once(':') else {
            return Err(ParseError {
                what: "room key",
                got: s.to_string(),
                expected: "platform:room, e.g. matrix:!abc:example.org",
            });
        };
        Ok(RoomKey::new(p.parse()?, room))
    }
}

impl Serialize for RoomKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RoomKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_parses_prints_and_serialises_as_its_lowercase_name() {
        for (p, name) in [
            (Platform::Console, "console"),
            (Platform::Matrix, "matrix"),
            (Platform::Slack, "slack"),
        ] {
            assert_eq!(p.to_string(), name);
            assert_eq!(name.parse::<Platform>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Platform>(&format!("\"{name}\"")).unwrap(), p);
            assert_eq!(Platform::of(p.source()), Some(p));
        }
        assert_eq!(Platform::of(Source::Webhook), None);
        let e = "teams".parse::<Platform>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`teams` is not a valid platform; use one of: console, matrix, slack"
        );
        assert!("Matrix".parse::<Platform>().is_err(), "names are lowercase, as stored");
    }

    #[test]
    fn room_key_round_trips_with_colons_in_the_room() {
        for s in [
            "matrix:!abc:localhost",
            "slack:C0123",
            "console:inc-1-db-down",
            "console:",
        ] {
            let k: RoomKey = s.parse().unwrap();
            assert_eq!(k.to_string(), s);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<RoomKey>(&json).unwrap(), k);
        }
        let k: RoomKey = "matrix:!abc:localhost".parse().unwrap();
        assert_eq!((k.platform, k.room.as_str()), (Platform::Matrix, "!abc:localhost"));
        assert!("nocolon".parse::<RoomKey>().is_err());
        assert!("teams:C1".parse::<RoomKey>().is_err());
        assert!(serde_json::from_str::<RoomKey>("\"teams:C1\"").is_err());
    }
}
