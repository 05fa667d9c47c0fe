//! The deployment files under `deploy/` agree with each other and with the code: every YAML file
//! parses, ports and probe paths line up, every warroom config loads with the real loader, every
//! `WARROOM_*` variable is one warroom knows, and every file they reference exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml_ng::Value;
use warroom::config::{Config, NON_CONFIG_ENV};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn deploy(rel: &str) -> PathBuf {
    root().join("deploy").join(rel)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let is_yaml = |p: &PathBuf| p.extension().is_some_and(|e| e == "yml" || e == "yaml");
    files(dir).into_iter().filter(is_yaml).collect()
}

/// Every document of a YAML file (Kubernetes files may hold several).
fn docs(path: &Path) -> Vec<Value> {
    let text = crate::support::read(path);
    let parse = |d: serde_yaml_ng::Deserializer<'_>| {
        Value::deserialize(d).unwrap_or_else(|e| panic!("{}: invalid YAML: {e}", path.display()))
    };
    serde_yaml_ng::Deserializer::from_str(&text).map(parse).collect()
}

fn seq(v: &Value) -> &[Value] {
    v.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

fn strs(v: &Value) -> Vec<&str> {
    seq(v).iter().filter_map(Value::as_str).collect()
}

/// Load a warroom config the way `warroom run` does, alert rules and time zone included.
fn load(text: &str, origin: &str, env: Vec<(String, String)>) -> Config {
    let c = Config::from_parts(text, origin, env).unwrap_or_else(|e| panic!("{origin} does not load: {e}"));
    c.rules().unwrap_or_else(|e| panic!("{origin}: {e}"));
    c.tz().unwrap_or_else(|e| panic!("{origin}: {e}"));
    c
}

fn listen_port(c: &Config, origin: &str) -> u64 {
    let l = &c.http.listen;
    assert!(!l.starts_with("127."), "{origin}: http.listen {l} is loopback-only");
    let port = l.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
    port.unwrap_or_else(|| panic!("{origin}: http.listen {l} has no port"))
}

#[test]
fn every_yaml_file_parses() {
    let all = yaml_files(&deploy(""));
    assert!(all.len() >= 10, "expected the deploy YAML files, found {all:?}");
    for p in all {
        assert!(docs(&p).iter().any(|d| !d.is_null()), "{}: empty", p.display());
    }
}

#[test]
fn kubernetes_ports_probes_and_config_agree() {
    let all: Vec<Value> = yaml_files(&deploy("k8s"))
        .iter()
        .flat_map(|p| docs(p.as_path()))
        .collect();
    let one = |kind: &str| {
        let found: Vec<&Value> = all.iter().filter(|d| d["kind"].as_str() == Some(kind)).collect();
        assert_eq!(found.len(), 1, "deploy/k8s: expected exactly one {kind}");
        found[0]
    };
    for r in strs(&one("Kustomization")["resources"]) {
        assert!(deploy("k8s").join(r).is_file(), "kustomization.yaml: no {r}");
    }
    let spec = &one("Deployment")["spec"];
    // sled allows one process per data dir: one replica, and the old pod stops first.
    assert_eq!(spec["replicas"].as_u64(), Some(1), "replicas");
    assert_eq!(spec["strategy"]["type"].as_str(), Some("Recreate"));
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"].as_u64(), Some(65532), "nonroot");
    let c = &pod["containers"][0];
    let ports = seq(&c["ports"]);
    let container_port = ports[0]["containerPort"].as_u64().expect("containerPort");
    // A port may be a number or the name of a container port.
    let resolve = |p: &Value| {
        let named = ports
            .iter()
            .find(|q| q["name"] == *p)
            .and_then(|q| q["containerPort"].as_u64());
        p.as_u64()
            .or(named)
            .unwrap_or_else(|| panic!("port {p:?} is not a container port"))
    };
    // Readiness checks the store only: a chat outage must not take the webhook receiver out.
    let probes = [
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz?only=store"),
        ("startupProbe", "/healthz"),
    ];
    for (probe, path) in probes {
        let get = &c[probe]["httpGet"];
        if probe == "startupProbe" && c[probe].is_null() {
            continue;
        }
        assert_eq!(get["path"].as_str(), Some(path), "{probe} path");
        assert_eq!(resolve(&get["port"]), container_port, "{probe} port vs containerPort");
    }
    let target = resolve(&one("Service")["spec"]["ports"][0]["targetPort"]);
    assert_eq!(target, container_port, "Service targetPort vs containerPort");

    // What the pod loads: the generated ConfigMap's warroom.toml plus the container's env
    // (secrets as "x"). The Secret and the ConfigMap are made by kustomize's generators from
    // secrets.env (git-ignored; its example is in the repository) and warroom.toml.
    let kust = one("Kustomization");
    let generated = |list: &str, name: &str| {
        seq(&kust[list])
            .iter()
            .find(|g| g["name"].as_str() == Some(name))
            .cloned()
            .unwrap_or_else(|| panic!("kustomization.yaml: no {list} named {name}"))
    };
    let secret = generated("secretGenerator", "warroom");
    let env_file = strs(&secret["envs"])[0].to_string();
    assert!(
        deploy("k8s").join(format!("{env_file}.example")).is_file(),
        "no {env_file}.example"
    );
    let example = crate::support::read(&deploy("k8s").join(format!("{env_file}.example")));
    let keys: Vec<&str> = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let mut env = Vec::new();
    for e in seq(&c["env"]) {
        let name = e["name"].as_str().expect("env name");
        let r = &e["valueFrom"]["secretKeyRef"];
        if !r.is_null() {
            assert_eq!(r["name"].as_str(), Some("warroom"), "{name}: not our Secret");
            let key = r["key"].as_str().expect("secret key");
            assert!(keys.contains(&key), "{name}: {env_file}.example has no key {key}");
        }
        env.push((name.to_string(), e["value"].as_str().unwrap_or("x").to_string()));
    }
    let config_map = generated("configMapGenerator", "warroom-config");
    let file = strs(&config_map["files"])[0].to_string();
    let mounted = seq(&pod["volumes"])
        .iter()
        .any(|v| v["configMap"]["name"].as_str() == Some("warroom-config"));
    assert!(mounted, "the pod does not mount the ConfigMap warroom-config");
    let toml = crate::support::read(&deploy("k8s").join(&file));
    let config = load(&toml, "deploy/k8s/warroom.toml", env);
    let listen = listen_port(&config, "ConfigMap");
    assert_eq!(listen, container_port, "ConfigMap http.listen vs containerPort");
}

#[test]
fn compose_stack_is_wired_together() {
    let compose = docs(&deploy("docker-compose.yml")).remove(0);
    let svc = |name: &str| &compose["services"][name];
    for (name, s) in compose["services"].as_mapping().expect("services") {
        let name = name.as_str().unwrap_or_default();
        for v in strs(&s["volumes"]) {
            let host = v.split(':').next().unwrap();
            let ok = if host.starts_with('.') {
                deploy(host).exists()
            } else {
                compose["volumes"].get(host).is_some()
            };
            assert!(ok, "compose service {name}: volume source {host} does not exist");
        }
    }
    for (name, s) in compose["secrets"].as_mapping().expect("secrets") {
        let name = name.as_str().unwrap_or_default();
        let file = deploy(s["file"].as_str().expect("secret file"));
        let example = PathBuf::from(format!("{}.example", file.display()));
        assert!(file.exists() || example.exists(), "secret {name}: no file, no .example");
    }
    let build = &svc("warroom")["build"];
    let dockerfile = deploy(build["context"].as_str().unwrap()).join(build["dockerfile"].as_str().unwrap());
    assert!(dockerfile.is_file(), "compose: no {}", dockerfile.display());

    // The warroom config mounted at WARROOM_CONFIG, and the secret files it names.
    let w = svc("warroom");
    let at = w["environment"]["WARROOM_CONFIG"].as_str().expect("WARROOM_CONFIG");
    let at = format!(":{at}");
    let mounted = strs(&w["volumes"])
        .into_iter()
        .find_map(|v| v.trim_end_matches(":ro").strip_suffix(at.as_str()));
    let host = mounted.expect("warroom: no config file mounted at WARROOM_CONFIG");
    let config = load(&crate::support::read(&deploy(host)), host, Vec::new());
    let port = listen_port(&config, host);
    let published = strs(&w["ports"]).iter().any(|p| p.ends_with(&format!(":{port}")));
    assert!(published, "warroom does not publish {port}");
    let secret_of = |service: &str, file: &Path| {
        let name = file.strip_prefix("/run/secrets").ok().and_then(Path::to_str);
        let name = name.unwrap_or_default().to_string();
        let mounted = strs(&svc(service)["secrets"]).contains(&name.as_str());
        assert!(mounted, "{service}: {file:?} is not a mounted secret");
        name
    };
    let matrix = config.matrix.as_ref().expect("compose config has [matrix]");
    assert_eq!(matrix.homeserver, "http://synapse:8008");
    secret_of("warroom", matrix.password_file.as_deref().expect("password_file"));
    let hook = config.hooks.alertmanager.as_ref().expect("[hooks.alertmanager]");
    let token = secret_of("warroom", hook.bearer_token_file.as_deref().expect("bearer_token_file"));

    // Alertmanager posts to warroom's receiver, with the same token.
    let am = docs(&deploy("compose/alertmanager/alertmanager.yml")).remove(0);
    let hooks: Vec<&Value> = seq(&am["receivers"])
        .iter()
        .flat_map(|r| seq(&r["webhook_configs"]))
        .collect();
    assert!(!hooks.is_empty(), "alertmanager.yml has no webhook receiver");
    for h in hooks {
        let url = h["url"].as_str().expect("webhook url");
        let (hostport, path) = url.strip_prefix("http://").and_then(|r| r.split_once('/')).expect(url);
        assert_eq!(hostport, format!("warroom:{port}"), "{url} vs warroom's http.listen");
        assert_eq!(path, "hooks/alertmanager", "{url}: path");
        assert_eq!(h["send_resolved"].as_bool(), Some(true), "{url}: send_resolved");
        let cred = &h["http_config"]["authorization"]["credentials_file"];
        let cred = secret_of("alertmanager", Path::new(cred.as_str().expect("credentials_file")));
        assert_eq!(cred, token, "Alertmanager must send warroom's bearer token");
    }
    let prom = crate::support::read(&deploy("compose/prometheus/prometheus.yml"));
    assert!(prom.contains("alertmanager:9093") && prom.contains(&format!("warroom:{port}")));
}

/// Every `WARROOM_*` name in deploy/ is a CLI variable or a config key the loader accepts.
#[test]
fn every_warroom_variable_is_known() {
    let mut unknown = Vec::new();
    for f in files(&deploy("")) {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let mut names = BTreeSet::new();
        for (i, _) in text.match_indices("WARROOM_") {
            let tail = &text[i..];
            let end = tail.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
            names.insert(&tail[..end.unwrap_or(tail.len())]);
        }
        for name in names
            .into_iter()
            .filter(|n| !n.ends_with('_') && !NON_CONFIG_ENV.contains(n))
        {
            let value = match name.rsplit('_').next().unwrap() {
                "FILE" => "/run/secrets/x",
                "ROOMS" | "RESPONDERS" | "CHANNELS" => "[]",
                "LISTEN" => "127.0.0.1:8080",
                "MODE" => "socket",
                "TIMEZONE" => "UTC",
                "HOMESERVER" | "URL" => "http://127.0.0.1:8008",
                "USER" => "@warroom:localhost",
                "SECONDS" => "30",
                _ => "x",
            };
            let mut env = vec![(name.to_string(), value.to_string())];
            // [matrix] requires these two; the variable under test must be accepted beside them.
            for (k, v) in [
                ("WARROOM_MATRIX__HOMESERVER", "http://x"),
                ("WARROOM_MATRIX__USER", "@w:x"),
            ] {
                if name.starts_with("WARROOM_MATRIX__") && k != name {
                    env.push((k.to_string(), v.to_string()));
                }
            }
            if let Err(e) = Config::from_parts("", "env", env) {
                unknown.push(format!("{name} in {}: {e}", f.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "unknown WARROOM_* variables:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn dockerfile_is_multi_stage_non_root_and_copies_what_exists() {
    let df = crate::support::read(&deploy("Dockerfile"));
    let lines: Vec<&str> = df.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    let froms: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2, "Dockerfile: not multi-stage: {froms:?}");
    let user = lines.iter().rev().find_map(|l| l.strip_prefix("USER "));
    let non_root = user.is_some_and(|u| !matches!(u.trim(), "root" | "0" | "0:0"));
    assert!(non_root || froms.last().unwrap().contains(":nonroot"), "runs as root");
    assert!(lines.iter().any(|l| l.starts_with("VOLUME") && l.contains("/data")));
    assert!(
        df.contains("cargo build --profile dist --locked"),
        "build with Cargo.lock"
    );
    // The profile it builds with exists, and is the release profile with LTO.
    let cargo: toml::Table = crate::support::read(&root().join("Cargo.toml")).parse().unwrap();
    let dist = &cargo["profile"]["dist"];
    assert_eq!(dist["inherits"].as_str(), Some("release"));
    assert_eq!(dist["lto"].as_str(), Some("fat"));
    let copies = lines
        .iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from="));
    for l in copies {
        let args: Vec<&str> = l.split_whitespace().skip(1).filter(|a| !a.starts_with("--")).collect();
        for src in &args[..args.len() - 1] {
            assert!(root().join(src).exists(), "Dockerfile `{l}`: no {src} in the repo");
        }
    }
    // The image's default config is the shipped one with exactly this line rewritten by `sed`.
    let shipped = crate::support::read(&root().join("config/warroom.toml"));
    let line = shipped.lines().any(|l| l == r#"listen = "127.0.0.1:8080""#);
    assert!(line, "Dockerfile: the sed of `listen` no longer matches");
}

#[test]
fn systemd_unit_runs_warroom_with_state_and_clean_stop() {
    let unit = crate::support::read(&deploy("systemd/warroom.service"));
    let lines: Vec<&str> = unit.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    let values = |key: &str| -> Vec<String> {
        let kv = lines.iter().filter_map(|l| l.split_once('='));
        kv.filter(|(k, _)| *k == key).map(|(_, v)| v.to_string()).collect()
    };
    let exec = values("ExecStart");
    let words: Vec<&str> = exec.iter().flat_map(|e| e.split_whitespace()).collect();
    let ok = exec.len() == 1 && words[0].ends_with("/warroom") && words.contains(&"run");
    assert!(ok, "ExecStart {exec:?}");
    assert_eq!(values("Restart"), ["on-failure"]);
    assert_eq!(values("KillSignal"), ["SIGTERM"]);
    let state = values("StateDirectory");
    assert_eq!(state.len(), 1, "StateDirectory=");
    let data_dir = format!("WARROOM_DATA_DIR=/var/lib/{}", state[0]);
    assert!(values("Environment").contains(&data_dir), "no {data_dir}");
    let stop = values("TimeoutStopSec");
    let stop = stop.iter().any(|s| s.parse::<u32>().is_ok_and(|s| s > 10));
    assert!(stop, "TimeoutStopSec must exceed warroom's 10 s");
}

/// The binary's path in the image: the destination of the `COPY` of the `dist` build.
fn image_binary(df: &str) -> String {
    df.lines()
        .map(str::trim)
        .find(|l| l.starts_with("COPY --from=build") && l.contains("target/dist/warroom"))
        .and_then(|l| l.split_whitespace().last())
        .expect("Dockerfile: no COPY of target/dist/warroom")
        .to_string()
}

/// The image checks itself with `warroom probe` (no shell in a distroless image), at the path the
/// binary is copied to; compose runs the same check and caps every container's log.
#[test]
fn containers_check_their_health_with_warroom_probe_and_rotate_logs() {
    let df = crate::support::read(&deploy("Dockerfile"));
    let bin = image_binary(&df);
    let joined = df.replace("\\\n", " ");
    let check = joined
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("HEALTHCHECK"))
        .expect("Dockerfile: no HEALTHCHECK");
    let cmd = check
        .split_once(" CMD ")
        .map(|(_, c)| c.trim())
        .expect("HEALTHCHECK CMD");
    let exec: Vec<String> = serde_json::from_str(cmd).expect("HEALTHCHECK CMD in exec form (JSON array)");
    assert_eq!(exec, [bin.as_str(), "probe"], "HEALTHCHECK must run the image's binary");
    assert!(
        joined.contains(&format!("ENTRYPOINT [\"{bin}\"]")),
        "ENTRYPOINT vs {bin}"
    );

    let compose = docs(&deploy("docker-compose.yml")).remove(0);
    let test = strs(&compose["services"]["warroom"]["healthcheck"]["test"]);
    assert_eq!(test, ["CMD", bin.as_str(), "probe"], "compose warroom healthcheck");
    for (name, s) in compose["services"].as_mapping().expect("services") {
        let opts = &s["logging"]["options"];
        let capped = opts["max-size"].as_str().is_some() && opts["max-file"].as_str().is_some();
        assert!(capped, "compose service {name:?}: no logging max-size/max-file");
    }
}

/// The Kubernetes CronJob takes daily backups from the running pod (by `kubectl exec`, as the
/// backup socket is inside the data dir) onto its own volume and keeps the newest N; the
/// systemd timer does the same as the bot's own dynamic user.
#[test]
fn daily_backups_with_retention_for_kubernetes_and_systemd() {
    let kust = docs(&deploy("k8s/kustomization.yaml")).remove(0);
    assert!(strs(&kust["resources"]).contains(&"backup-cronjob.yaml"));
    let all = docs(&deploy("k8s/backup-cronjob.yaml"));
    let kind = |k: &str| {
        all.iter()
            .find(|d| d["kind"].as_str() == Some(k))
            .unwrap_or_else(|| panic!("no {k}"))
    };
    let cron = kind("CronJob");
    let fields: Vec<&str> = cron["spec"]["schedule"]
        .as_str()
        .expect("schedule")
        .split(' ')
        .collect();
    assert_eq!(fields.len(), 5, "schedule");
    assert!(fields[2..].iter().all(|f| *f == "*"), "daily: {fields:?}");
    assert_eq!(cron["spec"]["concurrencyPolicy"].as_str(), Some("Forbid"));
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], kind("ServiceAccount")["metadata"]["name"]);
    let c = &pod["containers"][0];
    let keep = seq(&c["env"]).iter().find(|e| e["name"] == "KEEP").expect("KEEP");
    assert!(
        keep["value"]
            .as_str()
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|k| k > 0)
    );
    let script = strs(&c["args"]).concat();
    let deployment = docs(&deploy("k8s/deployment.yaml")).remove(0);
    let target = format!(
        "kubectl exec deploy/{} -c {} -- {} backup -",
        deployment["metadata"]["name"].as_str().unwrap(),
        deployment["spec"]["template"]["spec"]["containers"][0]["name"]
            .as_str()
            .unwrap(),
        image_binary(&crate::support::read(&deploy("Dockerfile")))
    );
    assert!(script.contains(&target), "the CronJob must run `{target}`:\n{script}");
    assert!(
        script.contains("\"type\":\"end\"") && script.contains("KEEP"),
        "{script}"
    );
    let claim = &pod["volumes"][0]["persistentVolumeClaim"]["claimName"];
    assert_eq!(*claim, kind("PersistentVolumeClaim")["metadata"]["name"]);
    let rules = seq(&kind("Role")["rules"]);
    assert!(rules.iter().any(|r| strs(&r["resources"]).contains(&"pods/exec")));

    let unit = |name: &str| -> Vec<(String, String)> {
        crate::support::read(&deploy(&format!("systemd/{name}")))
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let get = |u: &[(String, String)], k: &str| -> Vec<String> {
        u.iter().filter(|(key, _)| key == k).map(|(_, v)| v.clone()).collect()
    };
    let timer = unit("warroom-backup.timer");
    assert_eq!(get(&timer, "OnCalendar").len(), 1, "OnCalendar");
    assert_eq!(get(&timer, "Persistent"), ["true"]);
    let svc = unit("warroom-backup.service");
    let bot = unit("warroom.service");
    assert_eq!(get(&svc, "Type"), ["oneshot"]);
    // The bot's dynamic user is named after its unit: the backup runs as that user.
    assert_eq!(get(&bot, "DynamicUser"), ["yes"]);
    assert_eq!(get(&svc, "User"), ["warroom"]);
    assert!(
        get(&svc, "StateDirectory")[0]
            .split(' ')
            .any(|d| get(&bot, "StateDirectory").contains(&d.to_string()))
    );
    let exec = get(&svc, "ExecStart").concat();
    assert!(
        exec.contains("/usr/local/bin/warroom") && exec.contains(" backup "),
        "{exec}"
    );
    assert!(get(&svc, "Environment").iter().any(|e| e.starts_with("KEEP=")));
    assert!(get(&svc, "ExecStartPost").concat().contains("KEEP"), "retention");
}

/// The series names /metrics can show: each family's samples (`_total` for a counter,
/// `_bucket`/`_sum`/`_count` for a histogram), rendered with an adapter, an outbox and each
/// counter counted once (a family with no series yet shows nothing).
fn exported_series() -> BTreeSet<String> {
    let m = warroom::telemetry::Metrics::default();
    m.alert("generic", "opened");
    m.storm_alert("generic", "hook:generic");
    m.hook_request("generic", 400);
    m.chat_error("slack", "transient");
    m.command_refused("command_rate");
    let scrape = warroom::telemetry::Scrape {
        adapters: vec![("slack".into(), true)],
        outbox: vec![warroom::telemetry::Outbox::of("slack", &[])],
        ..Default::default()
    };
    let text = m.render_scrape(&scrape);
    let mut names = BTreeSet::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# TYPE ") {
            let (family, kind) = t.split_once(' ').expect("TYPE family kind");
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            names.extend(suffixes.iter().map(|s| format!("{family}{s}")));
        }
    }
    names
}

/// The example alert rules for warroom itself use only series warroom exports.
#[test]
fn prometheus_alert_rules_for_warroom_use_existing_metrics() {
    let rules = docs(&deploy("prometheus/warroom-alerts.yml")).remove(0);
    let exported = exported_series();
    assert!(exported.contains("warroom_adapter_up"), "{exported:?}");
    let mut alerts = Vec::new();
    for g in seq(&rules["groups"]) {
        for r in seq(&g["rules"]) {
            let name = r["alert"].as_str().expect("alert name");
            let expr = r["expr"].as_str().expect("expr");
            assert!(
                !r["labels"]["severity"].is_null() && !r["annotations"]["summary"].is_null(),
                "{name}"
            );
            for (i, _) in expr.match_indices("warroom_") {
                let metric: String = expr[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(exported.contains(&metric), "{name}: {metric} is not exported");
            }
            alerts.push(expr.to_string());
        }
    }
    for want in ["warroom_adapter_up == 0", "warroom_outbox_oldest_job_age_seconds"] {
        assert!(alerts.iter().any(|e| e.contains(want)), "no rule with {want}");
    }
    assert!(
        alerts.iter().any(|e| e.contains("up{job=\"warroom\"} == 0")),
        "no rule for warroom down"
    );
}
