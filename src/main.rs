//! The `scimd` binary: parse configuration, start logging, run the command.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's allocator: a list page builds and drops thousands of small JSON
/// values across threads, and glibc's arenas spent a quarter of the page's CPU time in
/// malloc/free (measured with perf; see README "Performance"). Its version 2 (Cargo feature
/// `v2`): version 3 keeps freed pages for a second before returning them to the system, which
/// raised peak RSS by 12–35 MiB under the benchmark at no gain in CPU time. Built without
/// transparent huge pages (feature `no_thp`): mimalloc asks the kernel for them on its 1 GiB
/// arena, and each 2 MiB page the heap touches then counts whole, about 20 MiB more RSS for an
/// idle server and under the benchmark (README "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = scimd::config::Cli::parse();
    scimd::telemetry::init(cli.log_format);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.worker_threads {
        runtime.worker_threads(threads.into());
    }
    let result = match runtime.enable_all().build() {
        Ok(runtime) => runtime.block_on(scimd::cli::run(cli)),
        Err(e) => {
            eprintln!("scimd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scimd: {e}");
            e.exit_code()
        }
    }
}
