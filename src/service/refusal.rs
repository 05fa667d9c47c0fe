//! `ServiceError`: why the service did not do what it was asked — the user's request was
//! refused, our side failed, or the input was handled before — and what each means for the
//! user (the text shown, if any) and for a retrying caller.

use crate::store::StoreError;

/// Why something could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The user asked for something invalid or not allowed; the text says why and what to do.
    /// Shown to the user; retrying the same request cannot help.
    #[error("{0}")]
    Refused(String),
    /// Our side failed (the store); logged with `context` when it happens. The user sees a
    /// generic apology; a caller may retry.
    #[error("{}", fault_text(*.committed, .source))]
    Fault {
        /// What the service was doing.
        context: &'static str,
        source: StoreError,
        /// The change was committed but could not be confirmed on disk: the user is told to
        /// check before repeating it.
        committed: bool,
    },
    /// The input was handled before (a redelivery); nothing changed and nothing is said.
    #[error("already handled")]
    AlreadyHandled,
}

fn fault_text(committed: bool, e: &StoreError) -> String {
    if committed {
        format!(
            "⚠ recorded, but not confirmed on disk ({e}). Check with `timeline list` or `incident show` before repeating it."
        )
    } else {
        format!("⚠ could not save: {e}. Nothing was recorded; please try again.")
    }
}

impl ServiceError {
    /// The store failed while the service was doing `context`; nothing was written.
    pub fn fault(context: &'static str, source: StoreError) -> Self {
        tracing::error!(context, error = %source, "store error");
        ServiceError::Fault {
            context,
            source,
            committed: false,
        }
    }

    /// A write was committed but could not be confirmed on disk.
    pub fn not_durable(context: &'static str, source: StoreError) -> Self {
        tracing::error!(context, error = %source, "write committed but not confirmed durable");
        ServiceError::Fault {
            context,
            source,
            committed: true,
        }
    }

    /// What the user is told, if anything.
    pub fn user_text(&self) -> Option<String> {
        match self {
            ServiceError::AlreadyHandled => None,
            e => Some(e.to_string()),
        }
    }

    /// May the same request succeed if tried again? Only when our side failed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ServiceError::Fault { .. })
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::fault("store", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_what_it_did_before() {
        let refused = ServiceError::Refused("INC-3 does not exist".into());
        assert_eq!(refused.user_text().as_deref(), Some("INC-3 does not exist"));
        assert!(!refused.is_retryable());
        let fault = ServiceError::fault("test", StoreError::Poisoned);
        let text = fault.user_text().unwrap();
        assert!(
            text.starts_with("⚠ could not save: ") && text.ends_with(". Nothing was recorded; please try again."),
            "{text}"
        );
        assert!(fault.is_retryable());
        let late = ServiceError::not_durable("test", StoreError::Poisoned);
        assert!(
            late.user_text()
                .unwrap()
                .starts_with("⚠ recorded, but not confirmed on disk (")
        );
        assert_eq!(ServiceError::AlreadyHandled.user_text(), None);
        assert!(!ServiceError::AlreadyHandled.is_retryable());
    }
}
