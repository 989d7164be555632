//! The filter parser and SQL compiler on generated text: 100,000 inputs never panic, every
//! refusal is an error with a position in the input, every accepted filter prints as text that
//! parses back to it and compiles (or is refused as `invalidFilter`) on both dialects, with
//! every value bound; and a sample of the accepted ones runs on the test's database.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use scimd::scim::filter::{Filter, TermBudget, parse_filter, parse_filter_within};
use scimd::scim::limits::Limits;
use scimd::store::filter_sql::{
    group_filter, group_filter_across_types, user_filter, user_filter_across_types,
};
use scimd::store::sql::SqlBuilder;
use scimd::store::{DEFAULT_TENANT, Dialect, ListQuery, Paging, StoreError, groups, users};

use super::generate::any_filter;
use crate::helpers::fresh_database_url;

type Compiler = fn(&Filter, Dialect, &str, &mut SqlBuilder) -> Result<(), StoreError>;

const COMPILERS: [(Compiler, &str); 4] = [
    (user_filter, "users"),
    (group_filter, "groups"),
    (user_filter_across_types, "users across types"),
    (group_filter_across_types, "groups across types"),
];

/// Parses `input` within the default term limit.
fn parse(input: &str) -> Result<Filter, scimd::scim::filter::FilterError> {
    parse_filter_within(
        input,
        &mut TermBudget::new(Limits::DEFAULT.max_filter_terms),
    )
}

/// The placeholders of `sql`, in order: the compiler numbers them `$1, $2, …` as it binds.
fn placeholders(sql: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        out.push(digits.parse().unwrap_or(0));
    }
    out
}

fn check(input: &str) -> Result<(), TestCaseError> {
    let filter = match parse(input) {
        Ok(filter) => filter,
        Err(e) => {
            prop_assert!(e.position <= input.len(), "{e} for {input:?}");
            prop_assert!(!e.message.is_empty());
            return Ok(());
        }
    };
    let text = filter.to_string();
    prop_assert_eq!(
        parse_filter(&text),
        Ok(filter.clone()),
        "{:?} printed as {:?}",
        input,
        text
    );
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        for (compile, what) in COMPILERS {
            let mut out = SqlBuilder::default();
            match compile(&filter, dialect, DEFAULT_TENANT, &mut out) {
                Ok(()) => {
                    let numbered: Vec<usize> = (1..=out.args.len()).collect();
                    prop_assert_eq!(placeholders(&out.sql), numbered, "{}: {}", what, out.sql);
                }
                Err(StoreError::InvalidFilter(detail)) => prop_assert!(!detail.is_empty()),
                Err(other) => prop_assert!(false, "{what} {dialect:?}: {other} for {input:?}"),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 100_000, ..super::config() })]

    #[test]
    fn generated_filters_parse_print_and_compile_or_are_refused_with_a_position(
        input in any_filter()
    ) {
        check(&input)?;
    }
}

/// A list of one matching resource with `filter`, as the server runs it: the page and its
/// count in one statement, or (`count` 0) the count alone.
fn query(filter: &Filter, across_types: bool, count: i64) -> ListQuery {
    ListQuery {
        filter: Some(filter.clone()),
        sort: None,
        paging: Paging::Index {
            start_index: 1,
            count,
            after: None,
        },
        across_types,
        known_total: None,
    }
}

#[tokio::test]
async fn every_accepted_generated_filter_runs_on_the_database() {
    // Arrange: generated filters the parser accepts (the same generator as above), and an
    // empty database of the suite's backend: what is checked is that the database takes the
    // statements.
    let mut runner = TestRunner::new(Config::default());
    let strategy = any_filter();
    let mut accepted = Vec::new();
    while accepted.len() < SAMPLE {
        let input = strategy.new_tree(&mut runner).expect("generate").current();
        if let Ok(filter) = parse(&input) {
            accepted.push((input, filter));
        }
    }
    let db = scimd::cli::open(&fresh_database_url().await, &Default::default())
        .await
        .expect("open database");
    let mut ran = 0;

    for (n, (input, filter)) in accepted.iter().enumerate() {
        for across_types in [false, true] {
            // Act
            let count = (n % 2) as i64;
            let on_users =
                users::list(&db, DEFAULT_TENANT, &query(filter, across_types, count)).await;
            let on_groups = groups::list(
                &db,
                DEFAULT_TENANT,
                &query(filter, across_types, count),
                true,
            )
            .await;

            // Assert
            for (result, what) in [
                (on_users.map(|_| ()), "users"),
                (on_groups.map(|_| ()), "groups"),
            ] {
                match result {
                    Ok(()) => ran += 1,
                    Err(StoreError::InvalidFilter(_)) => {}
                    Err(e) => panic!("{what} (across types: {across_types}): {e} for {input:?}"),
                }
            }
        }
    }
    assert!(
        ran > SAMPLE,
        "most generated filters compile: {ran} statements ran"
    );
    db.close().await;
}

/// Accepted filters run on the database per test run.
const SAMPLE: usize = 3_000;
