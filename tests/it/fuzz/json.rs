//! Structure-aware JSON mutation, shared by the webhook and restore targets.

use super::*;

#[rustfmt::skip]
const KEYS: &[&str] = &[
    "version", "groupKey", "status", "receiver", "alerts", "truncatedAlerts", "commonLabels",
    "commonAnnotations", "labels", "annotations", "startsAt", "endsAt", "fingerprint", "generatorURL",
    "dashboardURL", "valueString", "ruleName", "evalMatches", "title", "text", "severity", "url", "at", "id",
    "last_seq", "seq", "incident", "milestones", "rooms", "next_incident_id", "type", "data", "alertname",
    "summary", "description", "detected", "closed", "resolved", "kind", "edits", "deleted", "n", "actions",
];

#[rustfmt::skip]
const STRINGS: &[&str] = &[
    "", " ", "firing", "resolved", "FIRING", "4", "1", "3", "0001-01-01T00:00:00Z", "2026-11-20T13:20:00Z",
    "2026-11-20T13:20:00+25:00", "-262143-01-01T00:00:00Z", "+262142-12-31T23:59:59Z", "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z", "not a time", "sev1", "warning", "page", "nonsense", "INC-1", "console:x",
    "inc-1-x", "closed", "note", "alert_received", "incident", "entry", "seen", "end", "meta", "header",
    "<!channel>", "<@U1>", "\u{0}", "\u{1b}]8;;x\u{7}", "a\nb", "\u{202e}", "💥", "{}", "[]",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        select(vec![0u64, 1, 2, u32::MAX as u64, u64::MAX, 1 << 53]).prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
        (select(STRINGS), 1..3000usize).prop_map(|(s, n)| Value::from(s.repeat(n))),
        proptest::collection::vec(any::<char>(), 0..40).prop_map(|c| Value::from(c.into_iter().collect::<String>())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::vec((select(KEYS), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// One change to a JSON document: at the node reached by following `path` (indices taken
/// modulo the children at each level), replace the value, delete it, add a key, or repeat it.
#[derive(Debug, Clone)]
pub(super) enum JsonEdit {
    Replace(Vec<usize>, Value),
    Remove(Vec<usize>),
    AddKey(Vec<usize>, &'static str, Value),
    Repeat(Vec<usize>, usize),
}

pub(super) fn json_edit() -> impl Strategy<Value = JsonEdit> {
    let path = proptest::collection::vec(any::<usize>(), 0..6);
    prop_oneof![
        4 => (path.clone(), json_value()).prop_map(|(p, v)| JsonEdit::Replace(p, v)),
        2 => path.clone().prop_map(JsonEdit::Remove),
        2 => (path.clone(), select(KEYS), json_value()).prop_map(|(p, k, v)| JsonEdit::AddKey(p, k, v)),
        1 => (path, 2..50usize).prop_map(|(p, n)| JsonEdit::Repeat(p, n)),
    ]
}

fn child_count(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    }
}

/// The parent of the node `path` leads to, and that node's index in it (`None`: the root).
fn walk<'a>(root: &'a mut Value, path: &[usize]) -> (&'a mut Value, Option<usize>) {
    let mut node = root;
    let mut at = None;
    for (depth, step) in path.iter().enumerate() {
        let n = child_count(node);
        if n == 0 {
            break;
        }
        let i = step % n;
        let descend = depth + 1 < path.len() && {
            let child = match &*node {
                Value::Array(a) => &a[i],
                Value::Object(o) => o.values().nth(i).unwrap_or(&Value::Null),
                _ => &Value::Null,
            };
            child_count(child) > 0
        };
        if !descend {
            at = Some(i);
            break;
        }
        node = match node {
            Value::Array(a) => &mut a[i],
            Value::Object(o) => o.values_mut().nth(i).unwrap(),
            _ => unreachable!(),
        };
    }
    (node, at)
}

pub(super) fn edit_json(root: &mut Value, e: &JsonEdit) {
    let (path, op) = match e {
        JsonEdit::Replace(p, _) | JsonEdit::Remove(p) | JsonEdit::AddKey(p, ..) | JsonEdit::Repeat(p, _) => (p, e),
    };
    let (parent, at) = walk(root, path);
    match (op, at) {
        (JsonEdit::Replace(_, v), None) => *parent = v.clone(),
        (JsonEdit::Replace(_, v), Some(i)) => match parent {
            Value::Array(a) => a[i] = v.clone(),
            Value::Object(o) => {
                if let Some(slot) = o.values_mut().nth(i) {
                    *slot = v.clone();
                }
            }
            _ => {}
        },
        (JsonEdit::Remove(_), Some(i)) => match parent {
            Value::Array(a) => {
                a.remove(i);
            }
            Value::Object(o) => {
                let k = o.keys().nth(i).cloned().unwrap_or_default();
                o.remove(&k);
            }
            _ => {}
        },
        (JsonEdit::AddKey(_, k, v), _) => {
            if let Value::Object(o) = parent {
                o.insert(k.to_string(), v.clone());
            }
        }
        (JsonEdit::Repeat(_, n), Some(i)) => {
            if let Value::Array(a) = parent {
                let item = a[i].clone();
                a.extend(std::iter::repeat_n(item, *n));
            }
        }
        _ => {}
    }
}
