//! The scenarios, in the order they run: FLOOR first (every ratio needs it), then reads, then
//! writes, so that reads see exactly the seeded data.

use crate::BenchResult;

/// One row of the report.
pub struct Scenario {
    pub name: &'static str,
    pub request: &'static str,
    /// SCIM operations per request: 1, or a bulk request's operations.
    pub operations: u64,
    pub run: Run,
}

/// How a scenario is run.
pub enum Run {
    /// wrk against the bench's own trivial server.
    Floor,
    /// wrk against scimd, with `script` of `tests/bench/wrk/`.
    Scimd {
        script: &'static str,
        database: Target,
        items: Items,
        token: Token,
    },
    /// `webhooks` endpoints to a receiver in the bench process, each replayed from the feed's
    /// start; measured until every event has reached it once per endpoint (no wrk).
    Webhooks { database: Target, webhooks: u32 },
    /// One client walking the directory in sequential `startIndex` pages of 100 (no wrk).
    Walk { database: Target },
}

impl Run {
    /// The seeded database the scenario runs on, if it runs on scimd.
    pub fn database(&self) -> Option<Target> {
        match *self {
            Run::Scimd { database, .. }
            | Run::Webhooks { database, .. }
            | Run::Walk { database } => Some(database),
            Run::Floor => None,
        }
    }

    /// The token the scenario calls scimd with, if it calls scimd.
    pub fn token(&self) -> Option<Token> {
        match *self {
            Run::Scimd { token, .. } => Some(token),
            Run::Walk { .. } => Some(Token::Scim),
            Run::Webhooks { .. } => Some(Token::Admin),
            Run::Floor => None,
        }
    }
}

/// Which API a scenario's token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// The SCIM API of the seeding's measured directory.
    Scim,
    /// The host application's API (`/api/v1`), which takes admin tokens only.
    Admin,
}

/// Which seeded database a scenario needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `--users N` users and a `large` group of 1,000 members.
    Main,
    /// max(N, 100,000) users, all of them members of `large`.
    Large100k,
    /// 1,000 users and 1,000 change events.
    Events1k,
    /// 1,000 users and 1,000,000 change events.
    Events1M,
    /// 1,000 users and 20,000 change events, for webhook deliveries.
    Events20k,
    /// 1,000 directories of 1,000 users each; requests go to one of them.
    Directories,
}

/// What the script reads from `BENCH_ITEMS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Items {
    None,
    UserIds,
    Cursors,
    /// Event ids after which at least 100 events follow.
    EventIds,
    /// Event ids after which at least 100 `user.deactivated` events follow.
    DeactivatedEventIds,
    /// `after` cursors of pages 2 to 101 of a walk of the admin users listing.
    FirstListingCursors,
    /// `after` cursors of the last 100 pages of that walk.
    LastListingCursors,
    /// `q=` prefixes of userNames that one or two users match.
    SearchFew,
    /// `q=` prefixes of family names, each matching tens of thousands at a million users: the
    /// name order seeks them in its own index.
    SearchFamily,
    /// `q=` prefixes of given names, as many: found by walking the name order.
    SearchGiven,
}

/// Users in the event databases: the feed's cost should depend on the events alone.
const EVENT_DATABASE_USERS: u64 = 1_000;

/// Directories of [`Target::Directories`], and the users in each.
const DIRECTORIES: u64 = 1_000;
const DIRECTORY_USERS: u64 = 1_000;

/// The directory of [`Target::Directories`] that its scenarios call: one in the middle.
const MEASURED_DIRECTORY: u64 = 500;

/// What `scimd dev seed` puts into a target's database.
#[derive(Debug, Clone, Copy)]
pub struct Seeding {
    /// Names the database in messages, logs and the report.
    pub tag: &'static str,
    /// Tells the bench's databases apart.
    pub suffix: &'static str,
    pub users: u64,
    /// Members of the group named `large`, if there is one.
    pub large_group: Option<u64>,
    pub events: u64,
    /// `dev seed --directories N`: `users` in each of N directories (0: in `default` only).
    pub directories: u64,
}

impl Seeding {
    /// The directory the scenarios call, and its SCIM base path.
    pub fn directory(&self) -> (String, String) {
        if self.directories == 0 {
            return ("default".into(), "/scim/v2".into());
        }
        // `dev seed --directories` names them dir-0001, dir-0002, …
        let id = format!("dir-{MEASURED_DIRECTORY:04}");
        let base = format!("/directories/{id}/scim/v2");
        (id, base)
    }

    /// The generator seed of the measured directory's users: `dev seed --directories` seeds
    /// directory n with the seed plus n.
    pub fn generator_seed(&self, seed: u64) -> u64 {
        match self.directories {
            0 => seed,
            _ => seed + MEASURED_DIRECTORY,
        }
    }
}

impl Target {
    /// Every target, in the order their databases are seeded and measured.
    pub const ALL: [Target; 6] = [
        Target::Main,
        Target::Large100k,
        Target::Events1k,
        Target::Events1M,
        Target::Events20k,
        Target::Directories,
    ];

    /// The database of this target when the bench runs with `--users users`.
    pub fn seeding(self, users: u64) -> Seeding {
        let events = |tag, suffix, events| Seeding {
            tag,
            suffix,
            users: EVENT_DATABASE_USERS,
            large_group: None,
            events,
            directories: 0,
        };
        match self {
            Target::Main => Seeding {
                tag: "main",
                suffix: "",
                users,
                large_group: Some(1_000),
                events: 0,
                directories: 0,
            },
            Target::Large100k => Seeding {
                tag: "large100k",
                suffix: "_large100k",
                users: users.max(100_000),
                large_group: Some(100_000),
                events: 0,
                directories: 0,
            },
            Target::Events1k => events("events1k", "_events1k", 1_000),
            Target::Events1M => events("events1m", "_events1m", 1_000_000),
            Target::Events20k => events("events20k", "_events20k", 20_000),
            Target::Directories => Seeding {
                tag: "directories",
                suffix: "_directories",
                users: DIRECTORY_USERS,
                large_group: None,
                events: 0,
                directories: DIRECTORIES,
            },
        }
    }
}

const fn scimd(script: &'static str, database: Target, items: Items) -> Run {
    Run::Scimd {
        script,
        database,
        items,
        token: Token::Scim,
    }
}

/// A run on the host application's API.
const fn admin(script: &'static str, database: Target, items: Items) -> Run {
    Run::Scimd {
        script,
        database,
        items,
        token: Token::Admin,
    }
}

/// The operations of each S8 request (`OPERATIONS` in its scripts).
const BULK_OPERATIONS: u64 = 1_000;

/// Every scenario, in running order.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "FLOOR",
        request: "GET / fixed 600-byte JSON (poem)",
        operations: 1,
        run: Run::Floor,
    },
    Scenario {
        name: "S1",
        request: "GET /Users/{id}",
        operations: 1,
        run: scimd("get_user.lua", Target::Main, Items::UserIds),
    },
    Scenario {
        name: "S2",
        request: "GET /Users?filter=userName eq",
        operations: 1,
        run: scimd("filter_user_name.lua", Target::Main, Items::None),
    },
    Scenario {
        name: "S3",
        request: "GET /Users?startIndex=R&count=100",
        operations: 1,
        run: scimd("index_page.lua", Target::Main, Items::None),
    },
    Scenario {
        name: "S3c",
        request: "GET /Users?cursor=C&count=100",
        operations: 1,
        run: scimd("cursor_page.lua", Target::Main, Items::Cursors),
    },
    Scenario {
        name: "S3w",
        request: "GET /Users?startIndex=1,101,…&count=100 walk",
        operations: 1,
        run: Run::Walk {
            database: Target::Main,
        },
    },
    Scenario {
        name: "S7",
        request: "GET /Users?filter=familyName sw M and active",
        operations: 1,
        run: scimd("family_name_active.lua", Target::Main, Items::None),
    },
    Scenario {
        name: "A1",
        request: "GET /api/v1/…/users?after=C, pages 2-101",
        operations: 1,
        run: admin("listing_page.lua", Target::Main, Items::FirstListingCursors),
    },
    Scenario {
        name: "A2",
        request: "GET /api/v1/…/users?after=C, last 100 pages",
        operations: 1,
        run: admin("listing_page.lua", Target::Main, Items::LastListingCursors),
    },
    Scenario {
        name: "A3-few",
        request: "GET /api/v1/…/users?q=user<n> (1 or 2 match)",
        operations: 1,
        run: admin("listing_search.lua", Target::Main, Items::SearchFew),
    },
    Scenario {
        name: "A3-family",
        request: "GET /api/v1/…/users?q=<family name prefix>",
        operations: 1,
        run: admin("listing_search.lua", Target::Main, Items::SearchFamily),
    },
    Scenario {
        name: "A3-given",
        request: "GET /api/v1/…/users?q=<given name prefix>",
        operations: 1,
        run: admin("listing_search.lua", Target::Main, Items::SearchGiven),
    },
    Scenario {
        name: "S4",
        request: "POST /Users",
        operations: 1,
        run: scimd("create_user.lua", Target::Main, Items::None),
    },
    Scenario {
        name: "S5",
        request: "PATCH /Users/{id} active",
        operations: 1,
        run: scimd("patch_active.lua", Target::Main, Items::UserIds),
    },
    Scenario {
        name: "S6-1k",
        request: "PATCH /Groups/{large} add member (1k)",
        operations: 1,
        run: scimd("add_member.lua", Target::Main, Items::UserIds),
    },
    Scenario {
        name: "S6-100k",
        request: "PATCH /Groups/{large} add member (100k)",
        operations: 1,
        run: scimd("add_member.lua", Target::Large100k, Items::UserIds),
    },
    Scenario {
        name: "E1-1k",
        request: "GET /api/v1/events?after=R&limit=100 (1k)",
        operations: 1,
        run: admin("event_page.lua", Target::Events1k, Items::EventIds),
    },
    Scenario {
        name: "E1-1M",
        request: "GET /api/v1/events?after=R&limit=100 (1M)",
        operations: 1,
        run: admin("event_page.lua", Target::Events1M, Items::EventIds),
    },
    Scenario {
        name: "E2",
        request: "GET /api/v1/events?types=user.deactivated",
        operations: 1,
        run: admin(
            "event_page_deactivated.lua",
            Target::Events1M,
            Items::DeactivatedEventIds,
        ),
    },
    Scenario {
        name: "W1",
        request: "webhook deliveries, 1 endpoint (20k events)",
        operations: 1,
        run: Run::Webhooks {
            database: Target::Events20k,
            webhooks: 1,
        },
    },
    Scenario {
        name: "W1-4",
        request: "webhook deliveries, 4 endpoints (20k each)",
        operations: 1,
        run: Run::Webhooks {
            database: Target::Events20k,
            webhooks: 4,
        },
    },
    Scenario {
        name: "S8-create",
        request: "POST /Bulk, 1,000 user creates (S4's)",
        operations: BULK_OPERATIONS,
        run: scimd("bulk_create.lua", Target::Main, Items::None),
    },
    Scenario {
        name: "S8-patch",
        request: "POST /Bulk, 1,000 PATCHes of active (S5's)",
        operations: BULK_OPERATIONS,
        run: scimd("bulk_patch.lua", Target::Main, Items::UserIds),
    },
    Scenario {
        name: "D1",
        request: "GET /directories/dir-0500/scim/v2/Users/{id}",
        operations: 1,
        run: scimd("get_user.lua", Target::Directories, Items::UserIds),
    },
    Scenario {
        name: "D4",
        request: "POST /directories/dir-0500/scim/v2/Users",
        operations: 1,
        run: scimd("create_user.lua", Target::Directories, Items::None),
    },
];

/// The scenarios named in `--scenarios` (all when empty), in running order. A name selects the
/// scenario of that name and, like `S6`, those named `<name>-…`.
pub fn select(names: &[String]) -> BenchResult<Vec<&'static Scenario>> {
    let matches = |scenario: &Scenario, name: &str| {
        let (scenario, name) = (scenario.name.to_lowercase(), name.trim().to_lowercase());
        scenario == name || scenario.starts_with(&format!("{name}-"))
    };
    if let Some(unknown) = names
        .iter()
        .find(|name| !ALL.iter().any(|s| matches(s, name)))
    {
        let known: Vec<&str> = ALL.iter().map(|s| s.name).collect();
        return Err(format!("unknown scenario {unknown}; known: {}", known.join(",")).into());
    }
    Ok(ALL
        .iter()
        .filter(|s| names.is_empty() || names.iter().any(|name| matches(s, name)))
        .collect())
}
