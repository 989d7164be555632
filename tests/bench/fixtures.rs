//! What the wrk scripts need to know about a seeded database, prepared before any load: user
//! ids and event ids (from the seed's deterministic generator, not over HTTP), the walk's
//! cursors and the `large` group's id.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::seq::index::sample;

use crate::BenchResult;
use crate::http::Http;
use crate::scenarios::{Items, Seeding, Token};
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

/// The tokens the scenarios of one database call it with.
pub struct Tokens {
    /// For the SCIM API of the seeding's measured directory, at `scim_base`.
    pub scim: String,
    /// For `/api/v1`, when a scenario calls it.
    pub admin: Option<String>,
    pub scim_base: String,
}

impl Tokens {
    fn admin(&self) -> BenchResult<&str> {
        Ok(self.admin.as_deref().ok_or("no admin token was created")?)
    }
}

/// Facts about one seeded database, with their files in the scratch directory.
pub struct Fixtures {
    users: u64,
    scim_token: String,
    admin_token: Option<String>,
    scim_base: String,
    ids_file: PathBuf,
    cursors_file: Option<PathBuf>,
    event_ids_file: Option<PathBuf>,
    deactivated_ids_file: Option<PathBuf>,
    first_listing_file: Option<PathBuf>,
    last_listing_file: Option<PathBuf>,
    search_few_file: Option<PathBuf>,
    search_family_file: Option<PathBuf>,
    search_given_file: Option<PathBuf>,
    group_id: Option<String>,
}

impl Fixtures {
    /// Writes the user ids and the event ids that `items` ask for, looks up the `large` group
    /// if `seeding` has one and, when `items` ask for cursors, walks the user list for them.
    /// Files are named by the seeding's tag.
    pub fn prepare(
        http: &Http,
        origin: &str,
        tokens: &Tokens,
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
        let seed = seeding.generator_seed(SEED);
        let ids_file = file("user-ids", user_ids(seed, seeding.users))?;
        let scim = format!("{origin}{}", tokens.scim_base);
        let cursors_file = if items.contains(&Items::Cursors) {
            Some(file("cursors", walk_cursors(http, &scim, &tokens.scim)?)?)
        } else {
            None
        };
        let (first_listing_file, last_listing_file) = if items
            .iter()
            .any(|i| matches!(i, Items::FirstListingCursors | Items::LastListingCursors))
        {
            let (first, last) = walk_listing(http, origin, tokens.admin()?)?;
            (
                Some(file("first-listing-cursors", first)?),
                Some(file("last-listing-cursors", last)?),
            )
        } else {
            (None, None)
        };
        let search_file = |wanted, what, prefix: fn(u64, u64, u64) -> String| {
            let wanted = items.contains(&wanted);
            wanted
                .then(|| file(what, search_prefixes(seed, seeding.users, prefix)))
                .transpose()
        };
        let search_few_file = search_file(Items::SearchFew, "search-few", user_name_prefix)?;
        let search_family_file =
            search_file(Items::SearchFamily, "search-family", family_name_prefix)?;
        let search_given_file = search_file(Items::SearchGiven, "search-given", given_name_prefix)?;
        let event_file = |wanted, types, what| -> BenchResult<Option<PathBuf>> {
            if !items.contains(&wanted) {
                return Ok(None);
            }
            let last_after = last_full_page_after(seeded, types)?;
            check_full_page(http, origin, tokens.admin()?, last_after, types)?;
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
            Some(_) => Some(large_group_id(http, &scim, &tokens.scim)?),
            None => None,
        };
        Ok(Self {
            users: seeding.users,
            scim_token: tokens.scim.clone(),
            admin_token: tokens.admin.clone(),
            scim_base: tokens.scim_base.clone(),
            ids_file,
            cursors_file,
            event_ids_file,
            deactivated_ids_file,
            first_listing_file,
            last_listing_file,
            search_few_file,
            search_family_file,
            search_given_file,
            group_id,
        })
    }

    /// The wrk run of `script`, with the environment `common.lua` and the script read.
    pub fn load<'a>(&self, script: &'a str, items: Items, token: Token) -> BenchResult<Load<'a>> {
        let token = match token {
            Token::Scim => self.scim_token.clone(),
            Token::Admin => self.admin_token.clone().ok_or("no admin token")?,
        };
        let mut env = vec![
            ("BENCH_TOKEN", token),
            ("BENCH_USERS", self.users.to_string()),
            ("BENCH_SCIM", self.scim_base.clone()),
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
            Items::FirstListingCursors => Some(
                self.first_listing_file
                    .as_ref()
                    .ok_or("no listing cursors walked")?,
            ),
            Items::LastListingCursors => Some(
                self.last_listing_file
                    .as_ref()
                    .ok_or("no listing cursors walked")?,
            ),
            Items::SearchFew => Some(self.search_few_file.as_ref().ok_or("no prefixes")?),
            Items::SearchFamily => Some(self.search_family_file.as_ref().ok_or("no prefixes")?),
            Items::SearchGiven => Some(self.search_given_file.as_ref().ok_or("no prefixes")?),
        };
        if let Some(file) = file {
            env.push(("BENCH_ITEMS", file.display().to_string()));
        }
        Ok(Load { script, env })
    }
}

/// Ids of a uniform sample of the seeded users, one a line.
fn user_ids(seed: u64, users: u64) -> String {
    let picked = sample(
        &mut rand::rng(),
        users as usize,
        users.min(MAX_IDS) as usize,
    );
    picked.iter().fold(String::new(), |mut out, index| {
        let _ = writeln!(
            out,
            "{}",
            scimd::store::seed::user_id(seed, index as u64 + 1)
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
fn walk_cursors(http: &Http, scim: &str, token: &str) -> BenchResult<String> {
    let started = Instant::now();
    let mut cursors = String::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let url = reqwest::Url::parse_with_params(
            &format!("{scim}/Users"),
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
        writeln!(cursors, "{}", url_encoded(next)?)?;
    }
    eprintln!(
        "walked {pages} cursor pages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(cursors)
}

/// The id of the group named `large`.
fn large_group_id(http: &Http, scim: &str, token: &str) -> BenchResult<String> {
    let url = reqwest::Url::parse_with_params(
        &format!("{scim}/Groups"),
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

/// Pages of the admin users listing that A1 and A2 each read.
const LISTING_PAGES: usize = 100;

/// Walks the `default` directory's admin users listing 100 at a time and returns the `after`
/// cursors of pages 2 to 101 and of the last 100 pages (9,901 to 10,000 at a million users),
/// URL-encoded, one a line.
fn walk_listing(http: &Http, origin: &str, token: &str) -> BenchResult<(String, String)> {
    let started = Instant::now();
    let mut first = Vec::with_capacity(LISTING_PAGES);
    let mut last = std::collections::VecDeque::with_capacity(LISTING_PAGES);
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "100")];
        if !after.is_empty() {
            query.push(("after", after.as_str()));
        }
        let url = reqwest::Url::parse_with_params(
            &format!("{origin}/api/v1/directories/default/users"),
            query,
        )?;
        let page = http.get_json(url.as_str(), token)?;
        pages += 1;
        let Some(next) = page["after"].as_str() else {
            break;
        };
        after = next.to_owned();
        let encoded = url_encoded(next)?;
        if first.len() < LISTING_PAGES {
            first.push(encoded.clone());
        }
        if last.len() == LISTING_PAGES {
            last.pop_front();
        }
        last.push_back(encoded);
    }
    eprintln!(
        "walked {pages} listing pages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let lines = |cursors: &mut dyn Iterator<Item = &String>| {
        cursors.fold(String::new(), |mut out, c| {
            let _ = writeln!(out, "{c}");
            out
        })
    };
    Ok((lines(&mut first.iter()), lines(&mut last.iter())))
}

/// `value` encoded for a query string.
fn url_encoded(value: &str) -> BenchResult<String> {
    let encoded = reqwest::Url::parse_with_params("http://x/", [("v", value)])?;
    let value = encoded.query().and_then(|q| q.strip_prefix("v="));
    Ok(value.ok_or("cannot encode a query value")?.to_owned())
}

/// `q=` prefixes made by `prefix` from a uniform sample of the seeded users, URL-encoded, one
/// a line.
fn search_prefixes(seed: u64, users: u64, prefix: fn(u64, u64, u64) -> String) -> String {
    let picked = sample(&mut rand::rng(), users as usize, users.min(1_000) as usize);
    picked.iter().fold(String::new(), |mut out, index| {
        let q = prefix(seed, users, index as u64 + 1);
        let _ = writeln!(out, "{}", url_encoded(&q).unwrap_or(q));
        out
    })
}

/// `user<n>` for an n in the top nine tenths of the user numbers, so that only `user<n>@…` and
/// at most `user<n>0@…` match (A3-few).
fn user_name_prefix(_seed: u64, users: u64, number: u64) -> String {
    format!("user{}", users / 10 + number * 9 / 10)
}

/// The first three letters of user `number`'s family name: the seed draws them from a short
/// list, so tens of thousands match at a million users (A3-family).
fn family_name_prefix(seed: u64, _users: u64, number: u64) -> String {
    name_prefix(seed, number, "familyName")
}

/// The same of the given name (A3-given).
fn given_name_prefix(seed: u64, _users: u64, number: u64) -> String {
    name_prefix(seed, number, "givenName")
}

fn name_prefix(seed: u64, number: u64, part: &str) -> String {
    let attrs = scimd::store::seed::user_attributes(seed, number);
    let name = attrs["name"][part].as_str().unwrap_or("a");
    name.chars().take(3).collect::<String>().to_lowercase()
}
