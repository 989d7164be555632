//! `scimd import users FILE`: reads the file row by row (`userfile`), hands each row to the import
//! use case (`service::transfer`), lists every rejected row with its line and reason in the error
//! report, and prints a summary: human-readable on stderr, one `key=value` line on stdout. A
//! second pass over the file sets managers that named users further down; `--deactivate-missing`
//! runs last. Exits with 3 when rows were rejected or managers stayed unknown.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use super::progress::Progress;
use super::{CliError, Secret, service};
use crate::config::{ImportArgs, ImportKey};
use crate::service::Context;
use crate::service::transfer::{
    Deactivation, Field, ImportOptions, ImportSummary, Outcome, UserImport,
};
use crate::store::users::UserKey;
use crate::store::{DEFAULT_TENANT, Db};
use crate::userfile::{Columns, Format, UserRows};

/// Read buffer of the import file.
const READ_BUFFER: usize = 256 * 1024;

pub async fn run(db: &Db, args: ImportArgs, secret: Secret<'_>) -> Result<(), CliError> {
    let service = service(db, secret, Some(args.url.base_url.clone())).await?;
    let ctx = service
        .enter(&Context::cli(DEFAULT_TENANT), &args.directory)
        .await?;
    let (key, key_field) = match args.key {
        ImportKey::UserName => (UserKey::UserName, Field::UserName),
        ImportKey::ExternalId => (UserKey::ExternalId, Field::ExternalId),
    };
    let file = Input {
        path: args.file.clone(),
        format: args.format.unwrap_or_else(|| Format::of_path(&args.file)),
        columns: Columns::new(&args.map),
        key: key_field,
    };
    let mut rows = file.open()?;
    let ignored = rows.ignored();
    if !ignored.is_empty() {
        eprintln!(
            "not imported (no field takes them; see --map): {}",
            ignored.join(", ")
        );
    }
    let errors_path = args.errors.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".errors.csv");
        PathBuf::from(name)
    });
    let mut report = Report::create(&errors_path)?;
    let options = ImportOptions {
        key,
        dry_run: args.dry_run,
    };
    let mut import = service.import_users(&ctx, options);
    let mut progress = Progress::new("import", file.size());
    let first_pass = apply_rows(&mut rows, &mut import, &mut report, &mut progress).await;
    // What was applied stays applied, also when reading stopped halfway: running the import
    // again then finds those rows unchanged.
    import.commit().await?;
    let rows_read = first_pass?;
    progress.finish();
    let seconds = progress.elapsed();
    if import.has_deferred() {
        second_pass(&file, &mut import, &mut report).await?;
    }
    let mut skipped = None;
    if args.deactivate_missing {
        skipped = deactivate_missing(&mut import).await?;
    }
    report.finish()?;
    let s = import.summary().clone();
    print_summary(&s, rows_read, seconds, args.dry_run, &errors_path);
    let mut undone = Vec::new();
    if s.rejected > 0 {
        undone.push(format!("{} rows rejected", s.rejected));
    }
    if s.managers_unresolved > 0 {
        undone.push(format!("{} managers unknown", s.managers_unresolved));
    }
    if let Some(reason) = skipped {
        undone.push(format!("--deactivate-missing skipped: {reason}"));
    }
    if undone.is_empty() {
        Ok(())
    } else {
        Err(CliError::Incomplete(format!(
            "{} (see {})",
            undone.join("; "),
            errors_path.display()
        )))
    }
}

/// The import file and how to read it.
struct Input {
    path: PathBuf,
    format: Format,
    columns: Columns,
    key: Field,
}

impl Input {
    fn open(&self) -> Result<UserRows<BufReader<File>>, CliError> {
        let file = File::open(&self.path)
            .map_err(|e| CliError::Usage(format!("cannot open {}: {e}", self.path.display())))?;
        let input = BufReader::with_capacity(READ_BUFFER, file);
        UserRows::open(input, self.format, self.columns.clone(), self.key)
            .map_err(|e| CliError::Usage(format!("{}: {e}", self.path.display())))
    }

    fn size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

/// Reads the file again and sets the managers the first pass could not resolve.
async fn second_pass(
    file: &Input,
    import: &mut UserImport,
    report: &mut Report,
) -> Result<(), CliError> {
    let mut rows = file.open()?;
    let mut progress = Progress::new("managers", file.size());
    progress.note("setting managers that name users further down the file");
    let mut index = 0;
    while let Some((line, row)) = rows.next_row()? {
        if let Ok(record) = row
            && import.is_deferred(index)
            && let Some(reason) = import.second_pass_row(index, &record).await?
        {
            let name = record.get(Field::UserName).unwrap_or_default();
            report.add(line, name, &reason)?;
        }
        index += 1;
        progress.update(rows.bytes_read(), index, String::new);
    }
    progress.finish();
    Ok(())
}

/// The first pass: every row of the file through the import; how many rows were read.
async fn apply_rows(
    rows: &mut UserRows<BufReader<File>>,
    import: &mut UserImport,
    report: &mut Report,
    progress: &mut Progress,
) -> Result<u64, CliError> {
    let mut index = 0;
    while let Some((line, row)) = rows.next_row()? {
        match row {
            Err(reason) => {
                import.unreadable();
                report.add(line, "", &reason)?;
            }
            Ok(record) => {
                if let Outcome::Rejected(reason) = import.row(index, &record).await? {
                    let name = record.get(Field::UserName).unwrap_or_default();
                    report.add(line, name, &reason)?;
                }
            }
        }
        index += 1;
        progress.update(rows.bytes_read(), index, || counts(import.summary()));
    }
    Ok(index)
}

/// Runs `--deactivate-missing`; the reason when it was skipped.
async fn deactivate_missing(import: &mut UserImport) -> Result<Option<String>, CliError> {
    eprintln!("deactivating the directory's active users that no row names");
    let mut last = std::time::Instant::now();
    let outcome = import
        .deactivate_missing(|n| {
            if last.elapsed().as_secs() >= 5 {
                last = std::time::Instant::now();
                eprintln!("deactivated {n} users so far");
            }
        })
        .await?;
    Ok(match outcome {
        Deactivation::Done(_) => None,
        Deactivation::Skipped(reason) => {
            eprintln!("--deactivate-missing skipped: {reason}; no user was deactivated");
            Some(reason)
        }
    })
}

fn counts(s: &ImportSummary) -> String {
    format!(
        "{} created, {} updated, {} unchanged, {} rejected",
        s.created, s.updated, s.unchanged, s.rejected
    )
}

fn print_summary(s: &ImportSummary, rows: u64, seconds: f64, dry_run: bool, errors: &Path) {
    let rate = rows as f64 / seconds.max(1e-3);
    let verb = if dry_run { "would import" } else { "imported" };
    eprintln!(
        "{verb} {rows} rows in {seconds:.1} s ({rate:.0} rows/s): {}, {} deactivated, {} groups created, {} managers unknown",
        counts(s),
        s.deactivated,
        s.groups_created,
        s.managers_unresolved
    );
    if s.rejected > 0 || s.managers_unresolved > 0 {
        eprintln!("rejected rows and unknown managers: {}", errors.display());
    }
    println!(
        "dry_run={dry_run} rows={rows} created={} updated={} unchanged={} deactivated={} rejected={} groups_created={} managers_unresolved={} seconds={seconds:.3} rows_per_second={rate:.0}",
        s.created,
        s.updated,
        s.unchanged,
        s.deactivated,
        s.rejected,
        s.groups_created,
        s.managers_unresolved
    );
}

/// The error report: a CSV of `line,userName,reason`, one row per rejected row (and per
/// unknown manager). Always written, so an old report never passes for this run's.
struct Report {
    writer: csv::Writer<BufWriter<File>>,
}

impl Report {
    fn create(path: &Path) -> Result<Self, CliError> {
        let file = File::create(path).map_err(|e| {
            CliError::Usage(format!(
                "cannot write the error report {}: {e}",
                path.display()
            ))
        })?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        writer
            .write_record(["line", "userName", "reason"])
            .map_err(std::io::Error::from)?;
        Ok(Self { writer })
    }

    fn add(&mut self, line: u64, user_name: &str, reason: &str) -> Result<(), CliError> {
        self.writer
            .write_record([line.to_string().as_str(), user_name, reason])
            .map_err(std::io::Error::from)?;
        Ok(())
    }

    fn finish(mut self) -> Result<(), CliError> {
        self.writer.flush()?;
        Ok(())
    }
}
