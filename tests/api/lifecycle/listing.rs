//! The admin listing's statements, below HTTP: every state and order can be served by an index
//! (checked on the plans, as `scimd dev plans` prints them), and the two ways a `q=` search
//! finds its page (sorting the matches, walking the order's index) give the same pages.

use scimd::store::Db;
use scimd::store::DbOptions;
use scimd::store::plans::{self, Plan};
use scimd::store::seed::{self, SeedOptions};
use scimd::store::user_listing::{self, SortKey, State, UserQuery};
use scimd::store::user_search::Search;

use crate::helpers::fresh_database_url;

/// A fresh database with `users` seeded users (planner statistics included, as `dev seed`
/// leaves them), and its URL.
async fn seeded(users: u64) -> (Db, String) {
    let url = fresh_database_url().await;
    let db = scimd::cli::open(&url, &DbOptions::default())
        .await
        .expect("open database");
    let options = SeedOptions {
        statistics: true,
        tenant: "default".into(),
        users,
        groups: 3,
        group_size: 5,
        large_group_size: None,
        seed: 3,
        append: false,
        events: 0,
    };
    seed::seed(&db, &options, &mut |_| {}).await.expect("seed");
    (db, url)
}

/// What in a plan shows that a listing does not walk an index: a full scan of a table, or a
/// sort of the page's rows (a sort inside a correlated subquery orders one user's emails).
fn unserved(db: &Db, plan: &Plan) -> Option<String> {
    let sorted = |line: &str| {
        let node = line.trim_start().trim_start_matches("->").trim_start();
        node.starts_with("Sort") || node.starts_with("Incremental Sort")
    };
    match db {
        Db::Sqlite(..) => plan.lines.iter().find_map(|line| {
            let scan = line.trim_start().starts_with("SCAN ")
                // Scans of the statement's own derived tables, not of a table.
                && !["SCAN hits", "SCAN capped", "SCAN aligned", "SCAN walked"]
                    .contains(&line.trim_start())
                // `json_each` over one row's own array (an archived user's emails).
                && !line.contains(" VIRTUAL TABLE INDEX ");
            // Top level, not indented: the statement's own order.
            let top_level_sort =
                line.starts_with("USE TEMP B-TREE FOR") && line.contains("ORDER BY");
            (scan || (top_level_sort && !plan.sorts_matches)).then(|| line.clone())
        }),
        Db::Postgres(_) => {
            let mut subplan_indent: Option<usize> = None;
            for line in &plan.lines {
                let indent = line.len() - line.trim_start().len();
                if subplan_indent.is_some_and(|i| indent > i) {
                    continue;
                }
                subplan_indent = None;
                if line.trim_start().starts_with("SubPlan") {
                    subplan_indent = Some(indent);
                } else if line.contains("Seq Scan") || (sorted(line) && !plan.sorts_matches) {
                    return Some(line.clone());
                }
            }
            None
        }
    }
}

/// A seeded database whose PostgreSQL planner avoids scans and sorts wherever an index can serve
/// instead: PostgreSQL rightly prefers scanning and sorting a small table, so only what no index
/// can serve is left scanned or sorted. SQLite plans a small directory as it plans a million
/// users (the README's table).
async fn planned(users: u64) -> Db {
    let (db, url) = seeded(users).await;
    match db {
        Db::Postgres(pool) => {
            let name = url.rsplit('/').next().expect("database name");
            // Those settings inflate every cost past JIT's threshold: no JIT for the pages
            // `listing_plans` reads.
            for setting in ["enable_seqscan = off", "enable_sort = off", "jit = off"] {
                let sql = format!("ALTER DATABASE {name} SET {setting}");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .expect("planner setting");
            }
            pool.close().await;
            Db::connect(&url, &DbOptions::default())
                .await
                .expect("reconnect")
        }
        sqlite => sqlite,
    }
}

#[tokio::test]
async fn every_admin_listing_can_be_served_by_an_index() {
    // Arrange
    let db = planned(300).await;

    // Act
    let plans = plans::listing_plans(&db, "default", "user1")
        .await
        .expect("plans");

    // Assert
    assert!(plans.len() > 80, "{} plans", plans.len());
    let unserved: Vec<String> = plans
        .iter()
        .filter_map(|p| {
            unserved(&db, p).map(|line| format!("{}: {line}\n{}", p.label, p.lines.join("\n")))
        })
        .collect();
    assert!(unserved.is_empty(), "{}", unserved.join("\n\n"));
}

#[tokio::test]
async fn every_step_of_a_group_graph_walk_looks_memberships_up_by_index() {
    // Arrange: SQLite 3.51 once planned these steps as a scan of every membership of the
    // directory, so a group PATCH grew slower with the directory.
    let db = planned(300).await;

    // Act
    let plans = plans::role_walk_plans(&db, "default", "some-group", "some-user")
        .await
        .expect("plans");

    // Assert
    assert_eq!(plans.len(), 4);
    for plan in &plans {
        let bad = plan.lines.iter().find(|line| {
            let node = line.trim_start();
            match db {
                Db::Sqlite(..) => {
                    let derived = ["SCAN up", "SCAN down", "SCAN m", "SCAN found"];
                    (node.starts_with("SCAN ")
                        && !derived.contains(&node)
                        && node != "SCAN CONSTANT ROW")
                        || (node.starts_with("SEARCH ")
                            && !node.contains("AUTOMATIC")
                            && !seeks_past_the_directory(node))
                }
                Db::Postgres(_) => node.contains("Seq Scan"),
            }
        });
        assert!(
            bad.is_none(),
            "{}: {bad:?}\n{}",
            plan.label,
            plan.lines.join("\n")
        );
    }
}

/// Whether a SQLite `SEARCH` line seeks more than the directory: an equality on a column after
/// `tenant_id` (`(tenant_id=? AND group_id=?)`), not a range over the directory's rows.
fn seeks_past_the_directory(node: &str) -> bool {
    node.split_once("(tenant_id=? AND ")
        .and_then(|(_, rest)| rest.split([' ', ')']).next())
        .is_some_and(|term| term.ends_with("=?") && !term.ends_with(">=?"))
}

/// The ids of every page of `query`, found the way `search` says, `query.limit` at a time.
async fn walk(db: &Db, query: &UserQuery, search: Search) -> Vec<Vec<String>> {
    let mut query = query.clone();
    let mut pages = Vec::new();
    loop {
        let mut rows = user_listing::list_by(db, "default", &query, search)
            .await
            .expect("page");
        let more = rows.len() as i64 > query.limit;
        rows.truncate(query.limit as usize);
        pages.push(rows.iter().map(|r| r.id.clone()).collect());
        match rows.last() {
            Some(last) if more => query.after = Some(last.after()),
            _ => return pages,
        }
    }
}

/// Whether `q` (lower-case) starts a searched attribute of `user`: the search's rule, written
/// over the SCIM document instead of the columns.
fn user_matches(user: &serde_json::Map<String, serde_json::Value>, q: &str) -> bool {
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let name = user.get("name");
    let lowered = [
        text(user.get("userName")),
        text(name.and_then(|n| n.get("givenName"))),
        text(name.and_then(|n| n.get("familyName"))),
        text(user.get("displayName")),
    ];
    let emails = user
        .get("emails")
        .and_then(|e| e.as_array())
        .cloned()
        .unwrap_or_default();
    lowered
        .iter()
        .chain(
            emails
                .iter()
                .map(|e| text(e.get("value")))
                .collect::<Vec<_>>()
                .iter(),
        )
        .any(|v| v.to_lowercase().starts_with(q))
        || text(user.get("externalId")).starts_with(q)
}

/// The ids a search for `query.q` must find, in order: the listing without `q`, filtered here.
async fn expected_ids(db: &Db, query: &UserQuery) -> Vec<String> {
    let q = query.q.clone().expect("a search");
    let mut all = query.clone();
    all.q = None;
    all.limit = 500;
    let mut ids = Vec::new();
    for id in walk(db, &all, Search::Matches).await.concat() {
        let user = scimd::store::users::get(db, "default", &id)
            .await
            .expect("user")
            .expect("present");
        if user_matches(&user.attrs, &q) {
            ids.push(id);
        }
    }
    ids
}

#[tokio::test]
async fn a_search_finds_every_matching_user_in_order_whether_it_walks_the_order_or_sorts_its_matches()
 {
    // Arrange: prefixes of userNames (and so emails), of externalIds, of family and given
    // names and displayNames ("ma": Martin, Maya, "Maya …"), one that only family names start
    // ("mil"), which the name order seeks in its own index, and one that matches nobody.
    let (db, _) = seeded(200).await;
    let mut multi_page = 0;
    for q in ["user1", "ext-2", "ma", "mil", "zz"] {
        for sort in [
            SortKey::Name,
            SortKey::UserName,
            SortKey::Created,
            SortKey::LastModified,
        ] {
            for state in [None, Some(State::Inactive)] {
                for descending in [false, true] {
                    let query = UserQuery {
                        state,
                        q: Some(q.to_owned()),
                        sort,
                        descending,
                        limit: 9,
                        after: None,
                    };

                    // Act
                    let sorted = walk(&db, &query, Search::Matches).await;
                    let walked = walk(&db, &query, Search::Walk).await;

                    // Assert
                    assert_eq!(walked, sorted, "{query:?}");
                    assert_eq!(
                        sorted.concat(),
                        expected_ids(&db, &query).await,
                        "{query:?}"
                    );
                    multi_page += usize::from(sorted.len() > 1);
                }
            }
        }
    }
    assert!(
        multi_page >= 16,
        "only {multi_page} searches had pages to walk"
    );
}
