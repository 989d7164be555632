//! What the wrk scripts need to know about a seeded database, prepared before any load: user
//! ids (from the seed's deterministic generator, not over HTTP), the walk's cursors and the
//! `large` group's id.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::seq::index::sample;

use crate::BenchResult;
use crate::http::Http;
use crate::scenarios::Items;
use crate::wrk::Load;

/// The `--seed` the bench seeds with.
const SEED: u64 = 1;

/// At most this many user ids go to the scripts. Each wrk thread loads them into Lua; a run
/// makes at most tens of thousands of requests, so a uniform sample of 100,000 is as random as
/// all of a million users.
const MAX_IDS: u64 = 100_000;

/// Facts about one seeded database, with their files in the scratch directory.
pub struct Fixtures {
    users: u64,
    token: String,
    ids_file: PathBuf,
    cursors_file: Option<PathBuf>,
    group_id: String,
}

impl Fixtures {
    /// Writes the user ids, looks up the `large` group and, when `cursors` is true, walks the
    /// user list for cursors. `tag` names the files.
    pub fn prepare(
        http: &Http,
        origin: &str,
        token: &str,
        users: u64,
        cursors: bool,
        dir: &Path,
        tag: &str,
    ) -> BenchResult<Self> {
        let ids_file = dir.join(format!("{tag}-user-ids.txt"));
        std::fs::write(&ids_file, user_ids(users))?;
        let cursors_file = if cursors {
            let file = dir.join(format!("{tag}-cursors.txt"));
            std::fs::write(&file, walk_cursors(http, origin, token)?)?;
            Some(file)
        } else {
            None
        };
        Ok(Self {
            users,
            token: token.to_owned(),
            ids_file,
            cursors_file,
            group_id: large_group_id(http, origin, token)?,
        })
    }

    /// The wrk run of `script`, with the environment `common.lua` and the script read.
    pub fn load<'a>(&self, script: &'a str, items: Items) -> BenchResult<Load<'a>> {
        let mut env = vec![
            ("BENCH_TOKEN", self.token.clone()),
            ("BENCH_USERS", self.users.to_string()),
            ("BENCH_GROUP_ID", self.group_id.clone()),
        ];
        let file = match items {
            Items::None => None,
            Items::UserIds => Some(&self.ids_file),
            Items::Cursors => Some(self.cursors_file.as_ref().ok_or("no cursors walked")?),
        };
        if let Some(file) = file {
            env.push(("BENCH_ITEMS", file.display().to_string()));
        }
        Ok(Load { script, env })
    }
}

/// Ids of a uniform sample of the seeded users, one a line.
fn user_ids(users: u64) -> String {
    let picked = sample(
        &mut rand::rng(),
        users as usize,
        users.min(MAX_IDS) as usize,
    );
    picked.iter().fold(String::new(), |mut out, index| {
        let _ = writeln!(
            out,
            "{}",
            scimd::store::seed::user_id(SEED, index as u64 + 1)
        );
        out
    })
}

/// Walks all users 100 at a time with RFC 9865 cursors and returns every `nextCursor`,
/// URL-encoded, one a line. The walk asks only for `id`: a cursor is bound to the resource
/// type, filter and sort order, not to the attributes returned, and the wrk script then asks
/// for whole users.
fn walk_cursors(http: &Http, origin: &str, token: &str) -> BenchResult<String> {
    let started = Instant::now();
    let mut cursors = String::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let url = reqwest::Url::parse_with_params(
            &format!("{origin}/scim/v2/Users"),
            [
                ("cursor", cursor.as_str()),
                ("count", "100"),
                ("attributes", "id"),
            ],
        )?;
        let page = http.get_json(url.as_str(), token)?;
        pages += 1;
        let Some(next) = page["nextCursor"].as_str() else {
            break;
        };
        cursor = next.to_owned();
        let encoded = reqwest::Url::parse_with_params("http://x/", [("c", next)])?;
        let value = encoded.query().and_then(|q| q.strip_prefix("c="));
        writeln!(cursors, "{}", value.ok_or("cannot encode a cursor")?)?;
    }
    eprintln!(
        "walked {pages} cursor pages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(cursors)
}

/// The id of the group named `large`.
fn large_group_id(http: &Http, origin: &str, token: &str) -> BenchResult<String> {
    let url = reqwest::Url::parse_with_params(
        &format!("{origin}/scim/v2/Groups"),
        [
            ("filter", r#"displayName eq "large""#),
            ("excludedAttributes", "members"),
        ],
    )?;
    let list = http.get_json(url.as_str(), token)?;
    Ok(list["Resources"][0]["id"]
        .as_str()
        .ok_or_else(|| format!("no group named large: {list}"))?
        .to_owned())
}
