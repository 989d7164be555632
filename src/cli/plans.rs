//! `scimd dev plans`: how the database at hand runs each admin listing, one plan after its
//! label (`store::plans`), to check that every listing walks an index on a large database.

use super::CliError;
use crate::config::PlansArgs;
use crate::store::Db;
use crate::store::plans;

/// Prints the plans of `args.directory`'s listings to stdout.
pub async fn run(db: &Db, args: &PlansArgs) -> Result<(), CliError> {
    for plan in plans::listing_plans(db, &args.directory, &args.q).await? {
        println!("{}", plan.label);
        for line in &plan.lines {
            println!("    {line}");
        }
    }
    Ok(())
}
