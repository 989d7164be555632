//! `scimd webhook add|list|remove`: the webhook use cases from the command line, acting as the
//! operator. `add` prints the id and then the secret, one per line on stdout, so scripts can
//! capture both; everything else goes to stderr.

use super::{CliError, Secret, service};
use crate::config::WebhookCommand;
use crate::scim::resource::format_time;
use crate::service::Context;
use crate::store::{DEFAULT_TENANT, Db};

pub async fn run(db: &Db, cmd: WebhookCommand, secret: Secret<'_>) -> Result<(), CliError> {
    let service = service(db, secret, None).await?;
    let ctx = Context::cli(DEFAULT_TENANT);
    match cmd {
        WebhookCommand::Add {
            url,
            types,
            directory,
        } => {
            let created = service
                .create_webhook(&ctx, &url, Some(&types), directory.as_deref())
                .await?;
            println!("{}\n{}", created.webhook.id, created.secret);
            eprintln!(
                "webhook {} registered for events from {} on; keep the secret (the second line): it is shown only now",
                created.webhook.id, created.webhook.delivered_through
            );
        }
        WebhookCommand::List => {
            println!(
                "{:<35} {:<7} {:>8} {:<20} {:<25} URL / TYPES / LAST ERROR",
                "ID", "STATE", "FAILURES", "DELIVERED THROUGH", "NEXT ATTEMPT"
            );
            for w in service.webhooks(&ctx).await? {
                let mut types = w.types.map_or_else(|| "all".to_owned(), |t| t.join(","));
                if let Some(d) = &w.directory {
                    types = format!("{types} (directory {d})");
                }
                println!(
                    "{:<35} {:<7} {:>8} {:<20} {:<25} {} {types}{}",
                    w.id,
                    w.state,
                    w.failures,
                    w.delivered_through,
                    w.next_attempt.map_or_else(|| "-".into(), format_time),
                    w.url,
                    w.last_error.map(|e| format!(" {e}")).unwrap_or_default()
                );
            }
        }
        WebhookCommand::Remove { id } => {
            service.delete_webhook(&ctx, &id).await?;
            eprintln!("webhook {id} removed");
        }
    }
    Ok(())
}
