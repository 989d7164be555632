//! The command-line front end: each subcommand opens the database (migrating it), then serves,
//! manages tokens, or seeds test data. Errors here are reported to the operator, not to SCIM
//! clients.

mod directory;
mod export;
mod import;
pub mod initial_token;
mod plans;
mod progress;
mod seed;
pub mod serve;
mod token;
mod webhook;

use secrecy::SecretString;

use crate::config::{Cli, Command, DevCommand};
use crate::service::ServiceError;
use crate::store::{Db, DbOptions, StoreError};

/// A failure of a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The command ran to its end but left work undone (rows an import rejected).
    #[error("{0}")]
    Incomplete(String),
}

impl CliError {
    /// The process's exit status: 3 for [`CliError::Incomplete`], else 1.
    pub fn exit_code(&self) -> std::process::ExitCode {
        match self {
            CliError::Incomplete(_) => std::process::ExitCode::from(3),
            _ => std::process::ExitCode::FAILURE,
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let secret = jwt_secret(&cli)?;
    let secret = secret.as_ref();
    match cli.command {
        Command::Serve(args) => {
            let db = open(&cli.database_url, &serve::db_options(&args)).await?;
            let app = serve::Application::build(db, &args, secret).await?;
            app.create_initial_token_if_new().await?;
            app.run_until(crate::server::shutdown_signal()).await
        }
        Command::Migrate => {
            let db = open(&cli.database_url, &DbOptions::default()).await?;
            db.close().await;
            eprintln!("migrations applied to {}", redact(&cli.database_url));
            Ok(())
        }
        Command::Directory(cmd) => {
            let db = open(&cli.database_url, &DbOptions::default()).await?;
            let result = directory::run(&db, cmd, secret).await;
            db.close().await;
            result
        }
        Command::Token(cmd) => {
            let db = open(&cli.database_url, &DbOptions::default()).await?;
            let result = token::run(&db, cmd, secret).await;
            db.close().await;
            result
        }
        Command::Webhook(cmd) => {
            let db = open(&cli.database_url, &DbOptions::default()).await?;
            let result = webhook::run(&db, cmd, secret).await;
            db.close().await;
            result
        }
        Command::Import(crate::config::ImportCommand::Users(args)) => {
            let db = open(&cli.database_url, &DbOptions::default()).await?;
            let result = import::run(&db, args, cli.jwt_secret.as_ref()).await;
            db.close().await;
            result
        }
        Command::Export(cmd) => {
            let db = open(&cli.database_url, &DbOptions::default()).await?;
            let result = export::run(&db, cmd, cli.jwt_secret.as_ref()).await;
            db.close().await;
            result
        }
        Command::Dev(DevCommand::Seed(args)) => {
            // One connection: seeding is one sequential stream of transactions.
            let options = DbOptions {
                max_connections: Some(1),
                ..DbOptions::default()
            };
            let db = open(&cli.database_url, &options).await?;
            let result = seed::run(&db, &args).await;
            db.close().await;
            result
        }
        Command::Dev(DevCommand::Plans(args)) => {
            let db = open(&cli.database_url, &DbOptions::default()).await?;
            let result = plans::run(&db, &args).await;
            db.close().await;
            result
        }
    }
}

/// Connects and applies pending migrations.
pub async fn open(url: &str, options: &DbOptions) -> Result<Db, StoreError> {
    let db = Db::connect(url, options).await?;
    db.migrate().await?;
    Ok(db)
}

/// The URL without a password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

/// The use cases for a command: the operator's commands need no page size; `base_url` (the
/// default directory's SCIM base) only where they print SCIM URLs.
async fn service(
    db: &Db,
    secret: Secret<'_>,
    base_url: Option<String>,
) -> Result<crate::service::Service, CliError> {
    let authority = crate::auth::TokenAuthority::load(db, secret).await?;
    let base_url = base_url
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_default();
    Ok(crate::service::Service::new(
        db.clone(),
        authority,
        base_url,
        1,
    ))
}

/// The configured token secret, if any.
pub type Secret<'a> = Option<&'a SecretString>;

/// The token signing secret from `--jwt-secret` or `--jwt-secret-file`, if either is given.
fn jwt_secret(cli: &Cli) -> Result<Option<SecretString>, CliError> {
    let Some(path) = &cli.jwt_secret_file else {
        return Ok(cli.jwt_secret.clone());
    };
    let unreadable = |e: std::io::Error| {
        CliError::Usage(format!(
            "cannot read --jwt-secret-file {}: {e}",
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    warn_if_shared(path);
    let secret = crate::config::parse_secret(text.trim_end_matches(['\n', '\r']))
        .map_err(|e| CliError::Usage(format!("--jwt-secret-file {}: {e}", path.display())))?;
    Ok(Some(secret))
}

/// Warns when a secret file grants access to anyone but its owner.
#[cfg(unix)]
fn warn_if_shared(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "the JWT secret file is readable by others; make it mode 600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &std::path::Path) {}
