//! The data-directory lock: one warroom process per data dir. The lock file names its holder
//! (pid, command, start time) so a second process can say who holds it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::StoreError;

/// Held for as long as the process uses the data dir; the kernel releases it if the process dies.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    pub path: PathBuf,
}

pub const LOCK_FILE: &str = "warroom.lock";

impl DirLock {
    pub fn acquire(data_dir: &Path, holder: &str) -> Result<DirLock, StoreError> {
        let path = data_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        // SAFETY: flock on a valid, owned file descriptor; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut who = String::new();
                let _ = file.read_to_string(&mut who);
                let who = who.trim();
                return Err(StoreError::Locked {
                    dir: data_dir.to_path_buf(),
                    holder: if who.is_empty() {
                        "another warroom process".to_string()
                    } else {
                        who.to_string()
                    },
                });
            }
            return Err(StoreError::io(&path, err));
        }
        let info = format!(
            "pid {} (`{holder}`, started {})\n",
            std::process::id(),
            crate::domain::fmt_second_utc(chrono::Utc::now())
        );
        file.set_len(0).map_err(|e| StoreError::io(&path, e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| StoreError::io(&path, e))?;
        file.write_all(info.as_bytes()).map_err(|e| StoreError::io(&path, e))?;
        Ok(DirLock { _file: file, path })
    }
}
