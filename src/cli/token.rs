//! `scimd token create [--admin]|list|revoke`. `create` prints only the token on stdout, so scripts can
//! capture it; everything else goes to stderr.

use chrono::Duration;

use super::{CliError, Secret};
use crate::auth::{Scope, TokenAuthority};
use crate::config::TokenCommand;
use crate::scim::resource::format_time;
use crate::store::{DEFAULT_TENANT, Db, tokens};

pub async fn run(db: &Db, cmd: TokenCommand, secret: Secret<'_>) -> Result<(), CliError> {
    match cmd {
        TokenCommand::Create {
            name,
            expires_in,
            admin,
        } => {
            if name.trim().is_empty() {
                return Err(CliError::Usage("the token name must not be empty".into()));
            }
            let authority = TokenAuthority::load(db, DEFAULT_TENANT, secret).await?;
            let scope = if admin { Scope::Admin } else { Scope::Scim };
            let token = authority
                .issue_scoped(&name, scope, expires_in.map(Duration::days))
                .await?;
            println!("{token}");
        }
        TokenCommand::List => {
            let all = tokens::list(db, DEFAULT_TENANT).await?;
            println!(
                "{:<24} {:<6} {:<25} {:<25} {:<25} REVOKED",
                "NAME", "SCOPE", "CREATED", "EXPIRES", "LAST USED"
            );
            let show = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(format_time).unwrap_or_else(|| "-".into())
            };
            for t in all {
                println!(
                    "{:<24} {:<6} {:<25} {:<25} {:<25} {}",
                    t.name,
                    t.scope,
                    format_time(t.created),
                    show(t.expires),
                    show(t.last_used),
                    show(t.revoked)
                );
            }
        }
        TokenCommand::Revoke { name } => {
            if tokens::revoke(db, DEFAULT_TENANT, &name).await? {
                eprintln!("token \"{name}\" revoked");
            } else {
                return Err(CliError::Usage(format!("no active token named \"{name}\"")));
            }
        }
    }
    Ok(())
}
