use super::*;
use crate::config::Config;

const TOKEN: &str = "0a6c2f5e9b8d4f7a1c3e5b7d";

/// The bot runs in-process: a webhook posted to `App::serve` on a port-0 listener is applied
/// durably before the 200, and a shutdown through the channel stops it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_accepts_a_webhook_and_stops_on_the_shutdown_channel() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("WARROOM_HOOKS__GENERIC__BEARER_TOKEN".to_string(), TOKEN.to_string())];
    let config = Config::from_parts("[hooks.generic]\n", "test", env).unwrap();
    let settings = Settings::from_config(config).unwrap_or_else(|p| panic!("{p:?}"));
    let app = App::build(settings, dir.path(), "app test", Arc::new(crate::service::SystemClock)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(app.serve(listener, shutdown));

    let body = include_str!("../tests/fixtures/hooks/generic-firing.json");
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/hooks/generic"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap_or_default());

    stop.send(true).unwrap();
    let stopped = tokio::time::timeout(STOP_BUDGET + FLUSH_BUDGET, running).await;
    stopped.expect("serve stops within its budgets").unwrap().unwrap();
    let store = Store::open(dir.path(), "app test check").unwrap();
    let incidents = store.incidents(true).unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].title, "Disk full on db-1");
}
