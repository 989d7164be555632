//! Password hashing for the User `password` attribute (RFC 7643 §4.1.1: write-only, never
//! returned). Argon2id with a random salt; the work runs off the async threads.

use argon2::{Argon2, PasswordHasher};

use crate::store::StoreError;

/// Hashes a password into a PHC string.
pub async fn hash(plain: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(plain.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("cannot hash a password: {e}")))
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("password hashing failed: {e}")))?
}
