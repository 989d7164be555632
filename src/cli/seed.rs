//! `scimd dev seed`: fills a database with generated users, groups and change events for tests
//! and benchmarks (the rules are in `store::seed` and `store::seed_events`). Progress and the
//! final counts go to stderr; stdout gets only one `key=value` summary line, so scripts can
//! capture it.

use super::CliError;
use crate::config::SeedArgs;
use crate::store::Db;
use crate::store::directories::{self, DirectoryRow};
use crate::store::seed::{self, Progress, SeedError, SeedOptions};

/// Seeds `db` as `args` ask; a refusal (non-empty database, a second large group, groups larger
/// than the user count) is a usage error.
pub async fn run(db: &Db, args: &SeedArgs) -> Result<(), CliError> {
    if args.directories == 0 {
        return seed_directory(db, args, &args.directory, args.seed, true).await;
    }
    for n in 1..=args.directories {
        let id = format!("dir-{n:04}");
        // Statistics after the first directory (so that the rest are planned on filled
        // tables) and the last.
        let statistics = n == 1 || n == args.directories;
        seed_directory(db, args, &id, args.seed + u64::from(n), statistics).await?;
    }
    Ok(())
}

/// Seeds one directory, creating it if missing.
async fn seed_directory(
    db: &Db,
    args: &SeedArgs,
    directory: &str,
    seed: u64,
    statistics: bool,
) -> Result<(), CliError> {
    if !directories::exists(db, directory).await? {
        directories::insert(
            db,
            &DirectoryRow {
                id: directory.to_owned(),
                name: directory.to_owned(),
                created: crate::scim::resource::now(),
            },
        )
        .await?;
    }
    let options = SeedOptions {
        statistics,
        tenant: directory.to_owned(),
        users: args.users,
        groups: args.groups,
        group_size: args.group_size,
        large_group_size: args.large_group_size,
        seed,
        append: args.append,
        events: args.events,
    };
    let planned = planned_rows(&options);
    let report = seed::seed(db, &options, &mut |p| {
        eprintln!(
            "seeding: {}, {:.0}% after {:.0} s, {:.0} rows/s",
            counts(p),
            percent(p.rows(), planned),
            p.elapsed.as_secs_f64(),
            p.rows_per_second()
        );
    })
    .await
    .map_err(|e| match e {
        SeedError::Store(e) => CliError::Store(e),
        other => CliError::Usage(other.to_string()),
    })?;
    let t = &report.totals;
    eprintln!(
        "seeded {} in {:.1} s: {:.0} rows/s",
        counts(t),
        t.elapsed.as_secs_f64(),
        t.rows_per_second()
    );
    println!(
        "users={} first_user={} groups={} first_group={} memberships={} events={} first_event={} rows={} seconds={:.3} rows_per_second={:.0}",
        t.users,
        report.first_user,
        t.groups,
        report.first_group,
        t.members,
        t.events,
        report.first_event,
        t.rows(),
        t.elapsed.as_secs_f64(),
        t.rows_per_second()
    );
    Ok(())
}

fn counts(p: &Progress) -> String {
    format!(
        "{} users, {} groups, {} memberships, {} events ({} rows)",
        p.users,
        p.groups,
        p.members,
        p.events,
        p.rows()
    )
}

/// Rows the run will insert: a user and its email, each group, each membership, each event.
fn planned_rows(o: &SeedOptions) -> u64 {
    let large = o.large_group_size.map_or(0, |size| 1 + size);
    2 * o.users + o.groups * (1 + o.group_size) + large + o.events
}

fn percent(done: u64, planned: u64) -> f64 {
    100.0 * done as f64 / planned.max(1) as f64
}
