//! Where Slack requests may come from: one workspace (`[slack] team_id`) and one app
//! (`[slack] app_id`), each configured or learned from the bot token at start. A slash command
//! or event from anywhere else changes nothing: HTTP mode answers 403, Socket Mode ignores it.

/// The workspace and app this warroom serves; `None` until configured or learned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub team: Option<String>,
    pub app: Option<String>,
}

/// What a request says about the app it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppClaim<'a> {
    /// The payload's `api_app_id` (missing: `None`).
    Claimed(Option<&'a str>),
    /// The connection vouches for it: a Socket Mode connection is opened with our app token
    /// and carries only our app's traffic (slash command envelopes name no app).
    ByConnection,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The workspace or app is not known yet (the bot is still asking Slack who it is).
    NotYet,
    /// From another workspace or for another app: the reason, for the log and the 403.
    Foreign(String),
    /// Ours, but its changes could not be made durable (the store failed): not acknowledged,
    /// so Slack delivers it again.
    NotDurable(String),
}

impl Origin {
    /// May a request from `team` for `app` be handled?
    pub fn check(&self, team: Option<&str>, app: AppClaim<'_>) -> Result<(), Refused> {
        let Some(ours) = self.team.as_deref() else {
            return Err(Refused::NotYet);
        };
        match team {
            None => {
                return Err(Refused::Foreign(
                    "the request names no Slack workspace (team_id)".into(),
                ));
            }
            Some(t) if t != ours => {
                return Err(Refused::Foreign(format!(
                    "the request is from Slack workspace {t:?}, not the one this warroom serves ([slack] team_id)"
                )));
            }
            Some(_) => {}
        }
        let AppClaim::Claimed(claimed) = app else {
            return Ok(());
        };
        let Some(ours) = self.app.as_deref() else {
            return Err(Refused::NotYet);
        };
        match claimed {
            None => Err(Refused::Foreign("the request names no Slack app (api_app_id)".into())),
            Some(a) if a != ours => Err(Refused::Foreign(format!(
                "the request is for Slack app {a:?}, not this warroom's ([slack] app_id)"
            ))),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_workspace_and_app() {
        let o = Origin {
            team: Some("T1".into()),
            app: Some("A1".into()),
        };
        assert_eq!(o.check(Some("T1"), AppClaim::Claimed(Some("A1"))), Ok(()));
        assert_eq!(o.check(Some("T1"), AppClaim::ByConnection), Ok(()));
        for (team, app) in [
            (Some("T2"), AppClaim::Claimed(Some("A1"))),
            (Some("T1"), AppClaim::Claimed(Some("A2"))),
            (None, AppClaim::Claimed(Some("A1"))),
            (Some("T1"), AppClaim::Claimed(None)),
            (Some("t1"), AppClaim::ByConnection),
        ] {
            assert!(
                matches!(o.check(team, app), Err(Refused::Foreign(_))),
                "{team:?} {app:?}"
            );
        }
        // Not learned yet: nothing gets through.
        let unknown = Origin::default();
        assert_eq!(unknown.check(Some("T1"), AppClaim::ByConnection), Err(Refused::NotYet));
        let no_app = Origin {
            team: Some("T1".into()),
            app: None,
        };
        assert_eq!(
            no_app.check(Some("T1"), AppClaim::Claimed(Some("A1"))),
            Err(Refused::NotYet)
        );
        assert_eq!(no_app.check(Some("T1"), AppClaim::ByConnection), Ok(()));
    }
}
