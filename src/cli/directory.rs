//! `scimd directory create|list|show|delete`. `create` prints the SCIM base URL, then the first
//! token, one per line on stdout (scripts take the last line); everything else goes to stderr.

use super::{CliError, Secret, service};
use crate::config::DirectoryCommand;
use crate::scim::resource::format_time;
use crate::service::Context;
use crate::service::directories::Directory;
use crate::store::{DEFAULT_TENANT, Db};

pub async fn run(db: &Db, cmd: DirectoryCommand, secret: Secret<'_>) -> Result<(), CliError> {
    let cli = Context::cli(DEFAULT_TENANT);
    match cmd {
        DirectoryCommand::Create { name, id, url } => {
            let service = service(db, secret, Some(url.base_url)).await?;
            let created = service.create_directory(&cli, &name, id.as_deref()).await?;
            println!(
                "{}\n{}",
                created.directory.scim_base_url, created.token.secret
            );
            eprintln!(
                "directory \"{}\" created; its SCIM token (the last line) is shown only now",
                created.directory.id
            );
        }
        DirectoryCommand::List { url } => {
            let service = service(db, secret, Some(url.base_url)).await?;
            println!(
                "{:<24} {:>8} {:>8} {:>9} {:>8} {:>7} {:>6} {:<25} NAME",
                "ID",
                "ACTIVE",
                "INACTIVE",
                "SUSPENDED",
                "ARCHIVED",
                "GROUPS",
                "TOKENS",
                "LAST SCIM REQUEST"
            );
            for d in service.directories().await? {
                let f = &d.figures;
                println!(
                    "{:<24} {:>8} {:>8} {:>9} {:>8} {:>7} {:>6} {:<25} {}",
                    d.id,
                    f.active_users,
                    f.inactive_users,
                    f.suspended_users,
                    f.archived_users,
                    f.groups,
                    f.tokens,
                    f.last_scim_request
                        .map(format_time)
                        .unwrap_or_else(|| "-".into()),
                    d.name
                );
            }
        }
        DirectoryCommand::Show { id, url } => {
            let service = service(db, secret, Some(url.base_url)).await?;
            show(&service.directory(&id).await?);
        }
        DirectoryCommand::Delete { id, purge } => {
            let service = service(db, secret, None).await?;
            service.delete_directory(&id, purge).await?;
            eprintln!("directory \"{id}\" deleted");
        }
    }
    Ok(())
}

fn show(d: &Directory) {
    let f = &d.figures;
    println!("id:                 {}", d.id);
    println!("name:               {}", d.name);
    println!("created:            {}", format_time(d.created));
    println!("SCIM base URL:      {}", d.scim_base_url);
    println!(
        "users:              {} active, {} inactive, {} suspended, {} archived",
        f.active_users, f.inactive_users, f.suspended_users, f.archived_users
    );
    println!("groups:             {}", f.groups);
    println!("SCIM tokens:        {}", f.tokens);
    println!(
        "last SCIM request:  {}",
        f.last_scim_request
            .map(format_time)
            .unwrap_or_else(|| "never".into())
    );
}
