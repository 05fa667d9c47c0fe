//! Request signing: HMAC-SHA256 over a timestamp and the raw body, as Slack and warroom's
//! webhooks sign requests (`Signed`), the accepted clock window, and what a verified signature
//! leaves to refuse a replay (`SeenSignature`).

/// A signed request, as Slack and warroom's webhooks sign them: which headers carry the
/// timestamp and the signature, the signature's prefix, and how the signed text begins.
pub struct Signed<'a> {
    pub timestamp_header: &'static str,
    pub signature_header: &'static str,
    /// `v0=` (Slack), `sha256=` (warroom).
    pub prefix: &'static str,
    /// The text signed is `before` + timestamp + `between` + raw body.
    pub before: &'a str,
    pub between: &'a str,
}

/// How far a signed request's timestamp may be from now.
pub const SIGNATURE_WINDOW_SECS: i64 = 300;

/// A verified signature: what a replay of the same request would carry again. Remembered
/// for the signature window, so the same signed bytes are accepted once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenSignature {
    /// The signed timestamp (unix seconds).
    pub timestamp: i64,
    pub mac: [u8; 32],
}

impl Signed<'_> {
    /// Check an HMAC-SHA256 signature (constant-time) and its 5-minute timestamp window. `Err`
    /// says why, without repeating what was sent.
    pub fn verify(
        &self,
        secret: &str,
        headers: &axum::http::HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<SeenSignature, String> {
        use hmac::Mac;
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .ok_or_else(|| format!("missing {name} header"))
        };
        let ts = header(self.timestamp_header)?;
        let sig = header(self.signature_header)?;
        let when: i64 = ts
            .parse()
            .map_err(|_| format!("{} is not unix seconds", self.timestamp_header))?;
        // `abs_diff`: any i64 the sender writes is compared without overflow.
        if now.abs_diff(when) > SIGNATURE_WINDOW_SECS as u64 {
            return Err(format!(
                "stale request ({} outside the 5-minute window; check the sender's clock)",
                self.timestamp_header
            ));
        }
        let expected = sig
            .strip_prefix(self.prefix)
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| format!("{} must be {}<hex>", self.signature_header, self.prefix))?;
        self.mac(secret, ts, body)
            .verify_slice(&expected)
            .map_err(|_| "signature does not match (check the shared secret)".to_string())?;
        let mut mac = [0u8; 32];
        mac.copy_from_slice(&expected);
        Ok(SeenSignature { timestamp: when, mac })
    }

    /// The signature header's value for `body` sent at `timestamp` (for senders and tests).
    pub fn sign(&self, secret: &str, timestamp: i64, body: &[u8]) -> String {
        use hmac::Mac;
        let mac = self.mac(secret, &timestamp.to_string(), body);
        format!("{}{}", self.prefix, hex::encode(mac.finalize().into_bytes()))
    }

    fn mac(&self, secret: &str, ts: &str, body: &[u8]) -> hmac::Hmac<sha2::Sha256> {
        use hmac::{KeyInit, Mac};
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(self.before.as_bytes());
        mac.update(ts.as_bytes());
        mac.update(self.between.as_bytes());
        mac.update(body);
        mac
    }
}
