//! `scimd export users|groups`: streams a directory's users (the columns `scimd import users`
//! reads) or groups as CSV or NDJSON, a page at a time, to stdout or to `--output FILE`. A file
//! is written under a temporary name and renamed when complete, so a failed export never
//! leaves a file that looks whole.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{CliError, Secret, service};
use crate::config::{ExportArgs, ExportCommand};
use crate::service::Context;
use crate::store::{DEFAULT_TENANT, Db};
use crate::userfile::write;

pub async fn run(db: &Db, cmd: ExportCommand, secret: Secret<'_>) -> Result<(), CliError> {
    let service = service(db, secret, None).await?;
    let cli = Context::cli(DEFAULT_TENANT);
    match cmd {
        ExportCommand::Users { common, state } => {
            let ctx = service.enter(&cli, &common.directory).await?;
            let mut export = service.export_users(&ctx, state.as_deref(), None)?;
            let mut out = Output::open(&common)?;
            out.write(&write::user_header(common.format)?)?;
            let mut n = 0;
            while let Some(page) = export.next_page().await? {
                out.write(&write::users(common.format, &page)?)?;
                n += page.len();
            }
            out.finish()?;
            eprintln!("exported {n} users");
        }
        ExportCommand::Groups { common } => {
            let ctx = service.enter(&cli, &common.directory).await?;
            let mut export = service.export_groups(&ctx);
            let mut out = Output::open(&common)?;
            out.write(&write::group_header(common.format)?)?;
            let mut n = 0;
            while let Some(page) = export.next_page().await? {
                out.write(&write::groups(common.format, &page)?)?;
                n += page.len();
            }
            out.finish()?;
            eprintln!("exported {n} groups");
        }
    }
    Ok(())
}

/// Where an export goes: stdout, or a file written under `<FILE>.partial` until complete.
struct Output {
    writer: BufWriter<Box<dyn Write>>,
    file: Option<(PathBuf, PathBuf)>,
}

impl Output {
    fn open(args: &ExportArgs) -> Result<Self, CliError> {
        let Some(path) = &args.output else {
            return Ok(Self {
                writer: BufWriter::new(Box::new(std::io::stdout())),
                file: None,
            });
        };
        let partial = partial_name(path);
        let file = File::create(&partial)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", partial.display())))?;
        Ok(Self {
            writer: BufWriter::new(Box::new(file)),
            file: Some((partial, path.clone())),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        self.writer.write_all(bytes)?;
        Ok(())
    }

    fn finish(mut self) -> Result<(), CliError> {
        self.writer.flush()?;
        if let Some((partial, path)) = self.file.take() {
            drop(self.writer);
            std::fs::rename(&partial, &path)?;
        }
        Ok(())
    }
}

fn partial_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}
