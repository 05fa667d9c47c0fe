//! The data-directory lock: one warroom process per data dir. The lock file names its holder
//! (pid, command, start time) so a second process can say who holds it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
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
        // An exclusive advisory lock (flock on Linux), released by the kernel when the process ends.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
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
            Err(std::fs::TryLockError::Error(err)) => return Err(StoreError::io(&path, err)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder_and_the_first_release_frees_the_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = DirLock::acquire(dir.path(), "warroom console").expect("first lock");
        // flock locks belong to the open file, so a second open in this process is refused too.
        match DirLock::acquire(dir.path(), "warroom incidents") {
            Err(StoreError::Locked { dir: d, holder }) => {
                assert_eq!(d, dir.path());
                assert!(
                    holder.starts_with(&format!("pid {} (`warroom console`", std::process::id())),
                    "{holder}"
                );
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        DirLock::acquire(dir.path(), "warroom incidents").expect("free again after release");
    }
}
