//! The process's own metrics in the usual names (`process_resident_memory_bytes`,
//! `process_open_fds`, `process_cpu_seconds_total`), read from `/proc/self` at scrape time.
//! Linux only: elsewhere, or when `/proc` cannot be read, they are left out.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

/// What `/proc/self` says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Usage {
    pub rss_bytes: u64,
    pub open_fds: u64,
    pub cpu_seconds: f64,
}

/// Register the process metrics that can be read now.
pub(super) fn register(r: &mut Registry) {
    let Some(u) = read() else { return };
    let rss: Gauge = Gauge::default();
    rss.set(i64::try_from(u.rss_bytes).unwrap_or(i64::MAX));
    r.register_with_unit("process_resident_memory", "Resident memory size", Unit::Bytes, rss);
    let fds: Gauge = Gauge::default();
    fds.set(i64::try_from(u.open_fds).unwrap_or(i64::MAX));
    r.register("process_open_fds", "Open file descriptors", fds);
    let cpu: Counter<f64, std::sync::atomic::AtomicU64> = Counter::default();
    cpu.inc_by(u.cpu_seconds);
    r.register_with_unit("process_cpu", "User and system CPU time spent", Unit::Seconds, cpu);
}

#[cfg(target_os = "linux")]
pub(super) fn read() -> Option<Usage> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    // SAFETY: sysconf only reads a system constant.
    let (tick, page) = unsafe { (libc::sysconf(libc::_SC_CLK_TCK), libc::sysconf(libc::_SC_PAGESIZE)) };
    parse(
        &stat,
        &statm,
        open_fds,
        u64::try_from(tick).ok()?,
        u64::try_from(page).ok()?,
    )
}

#[cfg(not(target_os = "linux"))]
pub(super) fn read() -> Option<Usage> {
    None
}

/// `stat` and `statm` as `/proc/self` has them; ticks per second and page size from sysconf.
/// The fd count includes the one `read_dir` held open while counting.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse(stat: &str, statm: &str, fds: u64, tick: u64, page: u64) -> Option<Usage> {
    // The command name (field 2) is in parentheses and may hold spaces or ')': fields after the
    // last ')' start with the state (field 3); utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    let rss_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    if tick == 0 {
        return None;
    }
    Some(Usage {
        rss_bytes: rss_pages.saturating_mul(page),
        open_fds: fds.saturating_sub(1),
        cpu_seconds: (utime + stime) as f64 / tick as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_fields_are_read_past_a_tricky_command_name() {
        let stat = "4242 (war room) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 100 123456789 3000 18446744073709551615";
        let u = parse(stat, "30000 3000 500 100 0 2000 0\n", 12, 100, 4096).unwrap();
        assert_eq!(u.rss_bytes, 3000 * 4096);
        assert_eq!(u.open_fds, 11);
        assert!((u.cpu_seconds - 3.0).abs() < 1e-9, "{u:?}");
        assert_eq!(parse("garbage", "", 1, 100, 4096), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_memory_fds_and_cpu() {
        let u = read().unwrap();
        assert!(u.rss_bytes > 1 << 20, "{u:?}");
        assert!(u.open_fds >= 3, "{u:?}");
        assert!(u.cpu_seconds >= 0.0, "{u:?}");
    }
}
