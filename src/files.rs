//! Files warroom writes outside its store (exports, backups, postmortems, the Matrix session)
//! and the permissions of the data dir: every write is atomic and private, and never follows a
//! planted link or replaces something that is not a regular file.

use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

/// Does this output path mean standard output (`-`, `/dev/stdout`)?
pub fn is_stdout(path: &Path) -> bool {
    path == Path::new("-") || path == Path::new("/dev/stdout")
}

/// Refuse an existing `path` that is not a regular file: a rename would replace a device node,
/// a FIFO or a symbolic link (the link, not what it points to) with a regular file.
fn check_target(path: &Path) -> io::Result<()> {
    let kind = match std::fs::symlink_metadata(path) {
        Ok(m) => m.file_type(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    };
    let what = if kind.is_file() {
        return Ok(());
    } else if kind.is_symlink() {
        "a symbolic link (warroom does not write through links; give the path it points to)"
    } else if kind.is_dir() {
        "a directory (give a file name)"
    } else {
        "a device, FIFO or socket, not a regular file (use `-` to write to standard output)"
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} exists and is {what}; nothing was written", path.display()),
    ))
}

/// Write `bytes` to `path` atomically and privately: a new temp file with a random name in the
/// same directory (created exclusively, mode 0600, so nothing planted there is followed), written
/// and fsynced, renamed over `path`, then the directory fsynced. A reader sees the old file or
/// the whole new one, and after a crash the file is either old or new. An existing `path` that
/// is not a regular file is refused and left as it is.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// `write_atomically` for content produced piece by piece (a backup streamed from the running
/// bot): `produce` writes into the temp file through a buffer, so nothing is held in memory. If
/// `produce` fails, the temp file is removed and `path` is left as it was.
pub fn write_atomically_with<T, E: From<io::Error>>(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> Result<T, E>,
) -> Result<T, E> {
    check_target(path)?;
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file name", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let context = |what: &str, e: io::Error| io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()));
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(|e| context("cannot create a temporary file beside", e))?;
    let mut w = io::BufWriter::with_capacity(256 * 1024, tmp);
    let value = produce(&mut w)?;
    let tmp = w.into_inner().map_err(|e| context("cannot write", e.into_error()))?;
    tmp.as_file().sync_all().map_err(|e| context("cannot fsync", e))?;
    tmp.persist(path).map_err(|e| context("cannot replace", e.error))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| context("cannot fsync the directory of", e))?;
    Ok(value)
}

/// Create `dir` (and missing parents) readable by this user only, if it does not exist.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Make files and directories this process creates private (0600 / 0700), including those
/// created by libraries (sled's store files, the Matrix SDK's SQLite files). Call once, early.
pub fn private_umask() {
    // SAFETY: umask only sets the process's file creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// A warning when an existing data dir can be read or entered by group or others; `None` when
/// it is private or does not exist yet.
pub fn data_dir_warning(dir: &Path) -> Option<String> {
    let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the data dir {} is accessible to group or others (mode {mode:04o}); it holds the incident record and chat credentials: run `chmod 700 {}`",
            dir.display(),
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_a_private_file_and_replaces_an_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.md");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomically(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode(&p), 0o600);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["out.md"], "no temporary file is left behind");
    }

    #[test]
    fn a_planted_link_at_the_old_temp_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let p = dir.path().join("out.md");
        // The name the old code used for its temp file, and a variant of ours.
        std::os::unix::fs::symlink(&victim, dir.path().join("out.warroom-tmp")).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".out.md.tmp")).unwrap();
        write_atomically(&p, b"export").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "export");
    }

    #[test]
    fn non_regular_targets_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let link = dir.path().join("link");
        std::fs::write(dir.path().join("target"), "t").unwrap();
        std::os::unix::fs::symlink(dir.path().join("target"), &link).unwrap();
        for (p, says) in [
            (fifo.as_path(), "not a regular file"),
            (link.as_path(), "symbolic link"),
            (dir.path(), "directory"),
        ] {
            let e = write_atomically(p, b"x").unwrap_err();
            assert!(e.to_string().contains(says), "{p:?}: {e}");
            assert!(e.to_string().contains("nothing was written"), "{e}");
        }
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(dir.path().join("target")).unwrap(), "t");
        let e = write_atomically(Path::new("/dev/null"), b"x").unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    }

    #[test]
    fn stdout_names() {
        assert!(is_stdout(Path::new("-")));
        assert!(is_stdout(Path::new("/dev/stdout")));
        assert!(!is_stdout(Path::new("./-x")));
    }

    #[test]
    fn data_dir_warning_only_when_others_may_look() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let w = data_dir_warning(dir.path()).unwrap();
        assert!(w.contains("mode 0755") && w.contains("chmod 700"), "{w}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(data_dir_warning(dir.path()), None);
        assert_eq!(data_dir_warning(&dir.path().join("absent")), None);
    }
}
