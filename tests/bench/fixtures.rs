//! What the wrk scripts need to know about a seeded database, prepared before any load: user
//! ids and event ids (from the seed's deterministic generator, not over HTTP), the walk's
//! cursors and the `large` group's id.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::seq::index::sample;

use crate::BenchResult;
use crate::http::Http;
use crate::scenarios::{Items, Seeding};
use crate::server::Seeded;
use crate::wrk::Load;

/// The `--seed` the bench seeds with.
const SEED: u64 = 1;

/// At most this many user or event ids go to the scripts. Each wrk thread loads them into Lua;
/// a run makes at most tens of thousands of requests, so a uniform sample of 100,000 is as
/// random as all of a million users.
const MAX_IDS: u64 = 100_000;

/// The page size the event scenarios ask for (`limit`), and so the events that must follow
/// every `after` they pass.
const EVENT_PAGE: u64 = 100;

/// Facts about one seeded database, with their files in the scratch directory.
pub struct Fixtures {
    users: u64,
    token: String,
    ids_file: PathBuf,
    cursors_file: Option<PathBuf>,
    event_ids_file: Option<PathBuf>,
    deactivated_ids_file: Option<PathBuf>,
    group_id: Option<String>,
}

impl Fixtures {
    /// Writes the user ids and the event ids that `items` ask for, looks up the `large` group
    /// if `seeding` has one and, when `items` ask for cursors, walks the user list for them.
    /// Files are named by the seeding's tag.
    pub fn prepare(
        http: &Http,
        origin: &str,
        token: &str,
        seeding: &Seeding,
        seeded: &Seeded,
        items: &[Items],
        dir: &Path,
    ) -> BenchResult<Self> {
        let tag = seeding.tag;
        let file = |what: &str, contents: String| -> BenchResult<PathBuf> {
            let path = dir.join(format!("{tag}-{what}.txt"));
            std::fs::write(&path, contents)?;
            Ok(path)
        };
        let ids_file = file("user-ids", user_ids(seeding.users))?;
        let cursors_file = if items.contains(&Items::Cursors) {
            Some(file("cursors", walk_cursors(http, origin, token)?)?)
        } else {
            None
        };
        let event_file = |wanted, types, what| -> BenchResult<Option<PathBuf>> {
            if !items.contains(&wanted) {
                return Ok(None);
            }
            let last_after = last_full_page_after(seeded, types)?;
            check_full_page(http, origin, token, last_after, types)?;
            Ok(Some(file(
                what,
                event_ids(seeded.first_event - 1, last_after),
            )?))
        };
        let event_ids_file = event_file(Items::EventIds, None, "event-ids")?;
        let deactivated_ids_file = event_file(
            Items::DeactivatedEventIds,
            Some("user.deactivated"),
            "deactivated-event-ids",
        )?;
        let group_id = match seeding.large_group {
            Some(_) => Some(large_group_id(http, origin, token)?),
            None => None,
        };
        Ok(Self {
            users: seeding.users,
            token: token.to_owned(),
            ids_file,
            cursors_file,
            event_ids_file,
            deactivated_ids_file,
            group_id,
        })
    }

    /// The wrk run of `script`, with the environment `common.lua` and the script read.
    pub fn load<'a>(&self, script: &'a str, items: Items) -> BenchResult<Load<'a>> {
        let mut env = vec![
            ("BENCH_TOKEN", self.token.clone()),
            ("BENCH_USERS", self.users.to_string()),
        ];
        if let Some(group_id) = &self.group_id {
            env.push(("BENCH_GROUP_ID", group_id.clone()));
        }
        let file = match items {
            Items::None => None,
            Items::UserIds => Some(&self.ids_file),
            Items::Cursors => Some(self.cursors_file.as_ref().ok_or("no cursors walked")?),
            Items::EventIds => Some(self.event_ids_file.as_ref().ok_or("no event ids")?),
            Items::DeactivatedEventIds => Some(
                self.deactivated_ids_file
                    .as_ref()
                    .ok_or("no deactivation event ids")?,
            ),
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

/// The last position after which a full page of seeded events (of type `types`, or of any
/// type) follows: the seed's generator says which type each position has.
fn last_full_page_after(seeded: &Seeded, types: Option<&str>) -> BenchResult<i64> {
    let positions = seeded.first_event..seeded.first_event + seeded.events as i64;
    let matching: Vec<i64> = match types {
        None => positions.collect(),
        Some(t) => positions
            .filter(|p| scimd::store::seed_events::event_type(SEED, *p) == t)
            .collect(),
    };
    let page = EVENT_PAGE as usize;
    if matching.len() < page {
        let what = types.unwrap_or("events");
        return Err(format!("fewer than {page} {what} seeded: {}", matching.len()).into());
    }
    Ok(matching[matching.len() - page] - 1)
}

/// Event ids (`evt_<16 hex>`) of a uniform sample of the positions `first..=last`, one a line;
/// position 0 (before the first event) is the id of the feed's start.
fn event_ids(first: i64, last: i64) -> String {
    let span = (last - first + 1).max(0) as u64;
    let picked = sample(&mut rand::rng(), span as usize, span.min(MAX_IDS) as usize);
    picked.iter().fold(String::new(), |mut out, index| {
        let position = first + index as i64;
        let _ = writeln!(out, "{}", scimd::service::feed::event_id(position));
        out
    })
}

/// Checks that the deepest `after` a script may pass still gets a full page (of `types`).
fn check_full_page(
    http: &Http,
    origin: &str,
    token: &str,
    after: i64,
    types: Option<&str>,
) -> BenchResult<()> {
    let after = scimd::service::feed::event_id(after);
    let limit = EVENT_PAGE.to_string();
    let mut query = vec![("after", after.as_str()), ("limit", limit.as_str())];
    query.extend(types.map(|t| ("types", t)));
    let url = reqwest::Url::parse_with_params(&format!("{origin}/api/v1/events"), query)?;
    let page = http.get_json(url.as_str(), token)?;
    let got = page["data"].as_array().map_or(0, Vec::len);
    if got as u64 != EVENT_PAGE {
        return Err(format!("{url} returned {got} events, not {EVENT_PAGE}").into());
    }
    Ok(())
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
