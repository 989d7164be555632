//! The SQLite database file and its `-wal` and `-shm` companions hold the token signing secret
//! (unless `--jwt-secret` replaces it) and every user: whoever can read them can mint tokens.
//! scimd creates the database file readable and writable by its owner only (0600) before SQLite
//! opens it; SQLite gives `-wal` and `-shm` the database file's permissions. Files that already
//! grant anyone else access are narrowed to 0600, with a warning.

use std::path::{Path, PathBuf};

use super::StoreError;

/// Prepares the database at `path` (not an in-memory one): creates it empty with mode 0600 if
/// missing, and narrows the modes of it and its `-wal` and `-shm` files to 0600.
pub fn protect(path: &Path) -> Result<(), StoreError> {
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |source| StoreError::File { path, source }
    };
    create_private(path).map_err(fail(path))?;
    for file in [
        path.to_owned(),
        companion(path, "-wal"),
        companion(path, "-shm"),
    ] {
        narrow(&file).map_err(fail(&file))?;
    }
    Ok(())
}

/// `scimd.db` → `scimd.db-wal`.
fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn narrow(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        tracing::warn!(
            file = %path.display(),
            was = format!("{:o}", mode & 0o777),
            "the database file was readable by others; its mode is now 600"
        );
    }
    Ok(())
}

/// Elsewhere file modes do not apply: SQLite creates the file.
#[cfg(not(unix))]
fn create_private(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn narrow(_: &Path) -> std::io::Result<()> {
    Ok(())
}
