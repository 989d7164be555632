//! `scimd import users`, `scimd export users|groups` and `GET /api/v1/directories/{d}/users.csv`:
//! the real binary against the test server's database, the server seen over HTTP.

mod options;
mod round_trip;
mod rows;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::helpers::{TestApp, USER_SCHEMA};

/// What a run of `scimd` gave.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// A value of the `key=value` summary line an import prints on stdout.
    pub fn count(&self, key: &str) -> u64 {
        let summary: HashMap<&str, &str> = self
            .stdout
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .collect();
        summary
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in the summary: {self:?}"))
            .parse()
            .unwrap_or_else(|_| panic!("{key} is no number: {self:?}"))
    }

    /// `[created, updated, unchanged, deactivated, rejected]`.
    pub fn counts(&self) -> [u64; 5] {
        ["created", "updated", "unchanged", "deactivated", "rejected"].map(|k| self.count(k))
    }
}

/// Runs `scimd ARGS` against the app's database (off the runtime's thread, so the server keeps
/// serving while the command waits for its locks).
pub async fn scimd(app: &TestApp, args: &[&str]) -> Run {
    let url = app.database_url.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::cli::scimd(&url, &args)
    })
    .await
    .expect("scimd ran");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh folder for one test's files.
pub fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scimd-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `text` to `name` in a fresh folder; returns its path.
pub fn file_with(name: &str, text: &str) -> PathBuf {
    let path = work_dir().join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

/// `scimd import users FILE EXTRA…`.
pub async fn import(app: &TestApp, file: &Path, extra: &[&str]) -> Run {
    let file = file.to_str().expect("utf-8 path");
    let mut args = vec!["import", "users", file];
    args.extend_from_slice(extra);
    scimd(app, &args).await
}

/// The rows of an import's error report: `(line, userName, reason)`.
pub fn error_report(file: &Path) -> Vec<(u64, String, String)> {
    let mut name = file.as_os_str().to_owned();
    name.push(".errors.csv");
    let mut reader = csv::Reader::from_path(PathBuf::from(name)).expect("error report");
    reader
        .records()
        .map(|r| {
            let r = r.expect("report row");
            (
                r[0].parse().expect("line"),
                r[1].to_owned(),
                r[2].to_owned(),
            )
        })
        .collect()
}

/// The user called `user_name`, as SCIM shows it.
pub async fn user_named(app: &TestApp, user_name: &str) -> Option<Value> {
    let list = app
        .list("/Users", &format!("userName eq \"{user_name}\""))
        .await;
    list["Resources"]
        .as_array()
        .and_then(|r| r.first())
        .cloned()
}

/// Creates a user from `body` (the User schema is added); returns it.
pub async fn user(app: &TestApp, mut body: Value) -> Value {
    body["schemas"] = json!([USER_SCHEMA, crate::helpers::ENTERPRISE]);
    let resp = app.post("/Users", body.clone()).await;
    assert_eq!(resp.status().as_u16(), 201, "creating {body}");
    resp.json().await.expect("json")
}
