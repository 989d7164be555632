//! Directories: one per customer connection, each with its own SCIM base URL, tokens, signing
//! key and data. `enter` scopes a caller of the host application's API to one directory; the
//! SCIM API is scoped by its URL and token before any use case runs.

use chrono::{DateTime, Utc};

use super::tokens::IssuedToken;
use super::{Context, Service, ServiceError};
use crate::store::directories::{self, DirectoryRow, Figures};
use crate::store::{DEFAULT_TENANT, StoreError};

/// The longest directory id and name accepted.
const MAX_ID_LENGTH: usize = 63;
const MAX_NAME_LENGTH: usize = 200;

/// A directory as the API and the CLI show it.
#[derive(Debug, Clone)]
pub struct Directory {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    /// The base URL its identity provider calls.
    pub scim_base_url: String,
    pub figures: Figures,
}

/// A new directory with its first SCIM token, shown only this once.
#[derive(Debug, Clone)]
pub struct CreatedDirectory {
    pub directory: Directory,
    pub token: IssuedToken,
}

impl Service {
    /// The SCIM base URL of `directory`: `/scim/v2` for `default`, where set-ups made before
    /// there were directories point, `/directories/{id}/scim/v2` for every directory.
    pub fn scim_base(&self, directory: &str) -> String {
        if directory == DEFAULT_TENANT {
            return self.base_url.clone();
        }
        let origin = self
            .base_url
            .strip_suffix(crate::scim::BASE_PATH)
            .unwrap_or(&self.base_url);
        format!("{origin}/directories/{directory}{}", crate::scim::BASE_PATH)
    }

    /// `ctx` scoped to `directory`, for the host application's calls about one directory;
    /// `NotFound` if there is no such directory.
    pub async fn enter(&self, ctx: &Context, directory: &str) -> Result<Context, ServiceError> {
        if !directories::exists(&self.db, directory).await? {
            return Err(not_found(directory));
        }
        Ok(Context {
            directory: directory.to_owned(),
            ..ctx.clone()
        })
    }

    /// Creates a directory called `name`, with the id asked for or one made from the name, and
    /// its first SCIM token.
    pub async fn create_directory(
        &self,
        ctx: &Context,
        name: &str,
        id: Option<&str>,
    ) -> Result<CreatedDirectory, ServiceError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_LENGTH {
            return Err(ServiceError::invalid(
                "invalidValue",
                format!("a directory name is 1 to {MAX_NAME_LENGTH} characters"),
            ));
        }
        let id = match id {
            Some(id) => {
                check_id(id)?;
                id.to_owned()
            }
            None => self.free_id(&slug(name)).await?,
        };
        let row = DirectoryRow {
            id: id.clone(),
            name: name.to_owned(),
            created: ctx.now(),
        };
        directories::insert(&self.db, &row)
            .await
            .map_err(|e| match e {
                StoreError::Uniqueness(d) => ServiceError::Conflict(d),
                other => other.into(),
            })?;
        let inside = Context {
            directory: id.clone(),
            ..ctx.clone()
        };
        // The token is written apart (token issuing owns its transaction): a directory whose
        // first token could not be made is taken back rather than left without one.
        let token = match self.create_token(&inside, "initial", None).await {
            Ok(token) => token,
            Err(e) => {
                if let Err(undo) = directories::delete(&self.db, &id).await {
                    tracing::error!(directory = %id, error = %undo, "a directory without its first token could not be removed");
                }
                return Err(e);
            }
        };
        Ok(CreatedDirectory {
            directory: self.directory(&id).await?,
            token,
        })
    }

    /// The directory `id` with its figures.
    pub async fn directory(&self, id: &str) -> Result<Directory, ServiceError> {
        // The last SCIM request may still be in this instance's buffer.
        self.request_log.flush(&self.db).await?;
        let row = directories::get(&self.db, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.shown(row).await
    }

    /// Every directory with its figures, oldest first.
    pub async fn directories(&self) -> Result<Vec<Directory>, ServiceError> {
        self.request_log.flush(&self.db).await?;
        let mut out = Vec::new();
        for row in directories::list(&self.db).await? {
            out.push(self.shown(row).await?);
        }
        Ok(out)
    }

    /// Deletes a directory with its tokens and signing key; one that still holds users or
    /// groups only with `purge` (which erases them, without an event per resource). The
    /// `default` directory, which `/scim/v2` serves, is never deleted.
    pub async fn delete_directory(&self, id: &str, purge: bool) -> Result<(), ServiceError> {
        if id == DEFAULT_TENANT {
            return Err(ServiceError::Conflict(
                "the default directory serves /scim/v2 and cannot be deleted".into(),
            ));
        }
        if !directories::exists(&self.db, id).await? {
            return Err(not_found(id));
        }
        if !purge && directories::holds_resources(&self.db, id).await? {
            return Err(ServiceError::Conflict(format!(
                "directory \"{id}\" still holds users or groups; delete them first or purge the directory"
            )));
        }
        directories::delete(&self.db, id).await?;
        self.auth.forget(id);
        Ok(())
    }

    async fn shown(&self, row: DirectoryRow) -> Result<Directory, ServiceError> {
        let figures = directories::figures(&self.db, &row.id).await?;
        Ok(Directory {
            scim_base_url: self.scim_base(&row.id),
            id: row.id,
            name: row.name,
            created: row.created,
            figures,
        })
    }

    /// `base`, or `base-2`, `base-3`, … whichever is free.
    async fn free_id(&self, base: &str) -> Result<String, ServiceError> {
        for n in 1..1000 {
            let candidate = if n == 1 {
                base.to_owned()
            } else {
                format!("{base}-{n}")
            };
            if !directories::exists(&self.db, &candidate).await? {
                return Ok(candidate);
            }
        }
        Ok(format!("{base}-{}", uuid::Uuid::new_v4().simple()))
    }
}

fn not_found(id: &str) -> ServiceError {
    ServiceError::NotFound {
        resource: "Directory",
        id: id.to_owned(),
    }
}

/// A directory id is a slug: lower-case letters, digits and inner hyphens, at most 63
/// characters, so it fits in a URL path segment and a DNS label as it is.
fn check_id(id: &str) -> Result<(), ServiceError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LENGTH
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "invalidValue",
            format!(
                "a directory id is 1 to {MAX_ID_LENGTH} lower-case letters, digits and inner hyphens, e.g. \"acme\""
            ),
        ))
    }
}

/// The id made from a name: `"Acme Corp."` → `acme-corp`; `dir` when nothing is left.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if let Some(plain) = latin_plain(c) {
            out.push_str(plain);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(MAX_ID_LENGTH - 4).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "dir".into() } else { out }
}

/// The plain letters of a lower-case Latin letter with a diacritic or a ligature, so that a
/// company's name keeps its letters in its directory's id ("Müller & Søn" → `muller-son`).
fn latin_plain(c: char) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("àáâãäåāăą", "a"),
        ("æ", "ae"),
        ("çćĉċč", "c"),
        ("ďđð", "d"),
        ("èéêëēĕėęě", "e"),
        ("ĝğġģ", "g"),
        ("ĥħ", "h"),
        ("ìíîïĩīĭįı", "i"),
        ("ĵ", "j"),
        ("ķ", "k"),
        ("ĺļľŀł", "l"),
        ("ñńņňŉ", "n"),
        ("òóôõöøōŏő", "o"),
        ("œ", "oe"),
        ("ŕŗř", "r"),
        ("śŝşšș", "s"),
        ("ß", "ss"),
        ("ţťŧț", "t"),
        ("þ", "th"),
        ("ùúûüũūŭůűų", "u"),
        ("ŵ", "w"),
        ("ýÿŷ", "y"),
        ("źżž", "z"),
    ];
    TABLE
        .iter()
        .find(|(letters, _)| letters.contains(c))
        .map(|(_, plain)| *plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_keeps_letters_and_digits_and_joins_the_rest_with_hyphens() {
        assert_eq!(slug("Acme Corp."), "acme-corp");
        assert_eq!(slug("  Über GmbH & Co 2 "), "uber-gmbh-co-2");
        assert_eq!(slug("Müller & Søn, Łódź"), "muller-son-lodz");
        assert_eq!(slug("東京"), "dir");
        assert_eq!(slug("***"), "dir");
        assert!(check_id(&slug(&"x".repeat(500))).is_ok());
    }

    #[test]
    fn ids_are_slugs() {
        for ok in ["acme", "a", "acme-2", "0"] {
            assert!(check_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Acme",
            "-acme",
            "acme-",
            "ac me",
            "acme/x",
            &"a".repeat(64),
        ] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
