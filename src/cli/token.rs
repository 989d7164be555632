//! `scimd token create|list|rotate|revoke`. `create` and `rotate` print only the token on
//! stdout, so scripts can capture it; everything else goes to stderr.

use chrono::Duration;

use super::{CliError, Secret, service};
use crate::auth::Scope;
use crate::config::TokenCommand;
use crate::scim::resource::format_time;
use crate::service::Context;
use crate::store::{DEFAULT_TENANT, Db, tokens};

pub async fn run(db: &Db, cmd: TokenCommand, secret: Secret<'_>) -> Result<(), CliError> {
    let service = service(db, secret, None).await?;
    let cli = Context::cli(DEFAULT_TENANT);
    match cmd {
        TokenCommand::Create {
            name,
            directory,
            expires_in,
            admin,
        } => {
            let expires_in = expires_in.map(Duration::days);
            if admin {
                if name.trim().is_empty() {
                    return Err(CliError::Usage("the token name must not be empty".into()));
                }
                let token = service
                    .auth
                    .issue_scoped(&name, Scope::Admin, expires_in)
                    .await?;
                println!("{token}");
            } else {
                let ctx = service.enter(&cli, &directory).await?;
                let issued = service.create_token(&ctx, &name, expires_in).await?;
                println!("{}", issued.secret);
            }
        }
        TokenCommand::List { directory } => {
            let ctx = service.enter(&cli, &directory).await?;
            let all = tokens::list(db, &ctx.directory).await?;
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
        TokenCommand::Rotate {
            name,
            directory,
            grace,
        } => {
            let ctx = service.enter(&cli, &directory).await?;
            let id = service.token_named(&ctx, &name).await?;
            let grace = Duration::from_std(grace)
                .map_err(|_| CliError::Usage("the grace period is too long".into()))?;
            let issued = service.rotate_token(&ctx, &id, grace).await?;
            println!("{}", issued.secret);
            eprintln!(
                "token \"{name}\" rotated; the old token works until {}",
                format_time(ctx.now() + grace)
            );
        }
        TokenCommand::Revoke { name, directory } => {
            let ctx = service.enter(&cli, &directory).await?;
            if tokens::revoke(db, &ctx.directory, &name).await? {
                service.auth.forget(&ctx.directory);
                eprintln!("token \"{name}\" revoked");
            } else {
                return Err(CliError::Usage(format!("no active token named \"{name}\"")));
            }
        }
    }
    Ok(())
}
