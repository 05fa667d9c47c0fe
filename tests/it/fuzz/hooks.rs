//! Fuzzing the webhook decoders (Alertmanager, Grafana, generic): mutated fixtures, as JSON
//! and as bytes, and random bytes; accepted alerts go through the shipped rules.

use super::json::*;

use super::*;

fn webhook_body() -> impl Strategy<Value = Vec<u8>> {
    let fx = fixtures();
    let values: Vec<Value> = fx.iter().map(|b| serde_json::from_slice(b).unwrap()).collect();
    prop_oneof![
        4 => (select(values), proptest::collection::vec(json_edit(), 1..5)).prop_map(|(mut v, edits)| {
            for e in &edits {
                edit_json(&mut v, e);
            }
            serde_json::to_vec(&v).unwrap()
        }),
        2 => (select(fx), proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), any::<usize>()).prop_map(
            |(mut b, flips, cut)| {
                for (at, byte) in flips {
                    let n = b.len();
                    b[at % n] = byte;
                }
                if cut % 4 == 0 {
                    b.truncate(cut % (b.len() + 1));
                }
                b
            }
        ),
        1 => proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

fn shipped_rules() -> RuleSet {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/warroom.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let config = warroom::config::Config::from_parts(&text, "config/warroom.toml", Vec::new()).unwrap();
    config.rules().unwrap()
}

fn check_webhook(rules: &RuleSet, body: &[u8], accepted: &Cell<u64>) -> Result<(), TestCaseError> {
    for kind in HookKind::ALL {
        match kind.decode(body, now()) {
            Ok(alerts) => {
                accepted.set(accepted.get() + 1);
                prop_assert!(!alerts.is_empty(), "{} accepted a payload with no alert", kind.name());
                for a in &alerts {
                    let line = a.line();
                    prop_assert!(!line.contains('\n'), "an alert line spans lines: {line:?}");
                    let m = rules.decide(a).unwrap_or_else(|| RuleSet::default_for_webhook(a));
                    prop_assert!(!m.fingerprint.is_empty() || m.ignore);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
    Ok(())
}

fn fuzz_webhook_decoders_n(cases: u32) {
    let (rules, accepted) = (shipped_rules(), Cell::new(0));
    fuzz("webhook decoders (x3 kinds)", cases, webhook_body(), |b| {
        check_webhook(&rules, &b, &accepted)
    });
    eprintln!("fuzz webhook decoders: {} decodes accepted", accepted.get());
}

#[test]
fn fuzz_webhook_decoders() {
    fuzz_webhook_decoders_n(3_000);
}

#[test]
#[ignore = "long run: WARROOM_FUZZ_CASES inputs (default 1,000,000)"]
fn fuzz_webhook_decoders_long() {
    fuzz_webhook_decoders_n(long_cases(1_000_000));
}
