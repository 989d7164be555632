//! The `initial` token of a fresh installation, so a first `scimd serve` can be called at once.
//! It must not end up where others read it: a service manager keeps a service's stdout in its
//! journal, so the token is printed only to a terminal, and otherwise written to a file only its
//! owner can read. It expires after a week; `serve --no-initial-token` creates none (the
//! production setting: tokens come from `scimd token create`).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::CliError;
use crate::http::AppState;
use crate::store::{DEFAULT_TENANT, StoreError, tokens};

/// Where the token goes when stdout is not a terminal, relative to the working directory.
pub const FILE: &str = "scimd-initial-token";

/// Days the initial token is valid.
pub const DAYS: i64 = 7;

/// On a database without any token, creates one named `initial` and shows it to the operator:
/// on stdout if that is a terminal, else in [`FILE`] (mode 0600). When the file cannot be
/// written, no token is created.
pub async fn create_if_new(state: &AppState) -> Result<(), CliError> {
    if tokens::any(&state.db, DEFAULT_TENANT).await? {
        return Ok(());
    }
    let to_terminal = std::io::stdout().is_terminal();
    let mut file = None;
    if !to_terminal {
        match open_private(Path::new(FILE)) {
            Ok(f) => file = Some(f),
            Err(e) => {
                tracing::warn!(
                    file = FILE,
                    error = %e,
                    "no API token exists and the initial token cannot be written to a file; \
                     none was created: create one with `scimd token create --name NAME`"
                );
                return Ok(());
            }
        }
    }
    let expires = chrono::Duration::days(DAYS);
    let token = match state.auth.issue("initial", Some(expires)).await {
        Ok(token) => token,
        Err(e) => {
            if file.is_some() {
                let _ = std::fs::remove_file(FILE);
            }
            return match e {
                // Another instance starting on the same database created it first.
                StoreError::Uniqueness(_) => Ok(()),
                e => Err(e.into()),
            };
        }
    };
    match file {
        None => println!(
            "\nNo API token existed, so scimd created one named \"initial\", valid for {DAYS} \
             days. It is shown only now:\n\n    {token}\n\n\
             Use it as:  curl -H 'Authorization: Bearer {token}' {}/Users\n\
             Create lasting tokens with: scimd token create --name NAME\n\
             Revoke this one with: scimd token revoke initial\n",
            state.base_url
        ),
        Some((mut f, path)) => {
            writeln!(f, "{token}").map_err(CliError::Serve)?;
            tracing::warn!(
                file = %path.display(),
                "no API token existed, so scimd created one named \"initial\" (valid for \
                 {DAYS} days) and wrote it to this file, readable by this user only; \
                 delete the file once the token is copied, and run production with \
                 --no-initial-token"
            );
        }
    }
    Ok(())
}

/// Creates (or truncates) `path` with mode 0600; returns it with its absolute path.
fn open_private(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // An existing file keeps its mode on open: narrow it.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok((file, std::path::absolute(path)?))
}
