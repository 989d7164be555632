//! An export of users as a stream of CSV chunks, for the HTTP edges (`/api/v1`'s `users.csv`
//! and the console's export): the header row, then one chunk per page of users, pulled as the
//! client reads, so a million users never sit in memory. A database failure halfway ends the
//! stream with an error, so the response is aborted instead of ending as if it were complete.

use std::io;

use futures_util::Stream;

use super::{Format, write};
use crate::service::transfer::UserExport;

/// The chunks of `export` as CSV.
pub fn users_csv(export: UserExport) -> impl Stream<Item = io::Result<Vec<u8>>> + Send + 'static {
    futures_util::stream::unfold(Some((export, true)), |state| async move {
        let (mut export, first) = state?;
        if first {
            let header = write::user_header(Format::Csv);
            return Some((header, Some((export, false))));
        }
        match export.next_page().await {
            Ok(Some(page)) => {
                let rows = write::users(Format::Csv, &page);
                Some((rows, Some((export, false))))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "a users.csv export failed halfway");
                Some((Err(io::Error::other("the export failed")), None))
            }
        }
    })
}
