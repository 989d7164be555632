//! The HMAC secret that signs bearer tokens, generated on first use and kept in the database so
//! every scimd instance on the same database verifies the same tokens.

use sqlx::FromRow;

use super::StoreError;
use super::db::{Db, args};
use crate::scim::resource::now;

const KEY_ID: &str = "primary";

#[derive(FromRow)]
struct KeyRow {
    secret: String,
}

/// Returns the tenant's signing secret, creating it if none exists yet. Two instances racing
/// here both end up with the one row that won the insert.
pub async fn get_or_create(db: &Db, tenant: &str) -> Result<String, StoreError> {
    let candidate: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let mut tx = db.write().await?;
    tx.execute(
        "INSERT INTO signing_keys (tenant_id, kid, secret, created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        args![tenant, KEY_ID, candidate, now()],
    )
    .await?;
    let row: KeyRow = tx
        .fetch_one(
            "SELECT secret FROM signing_keys WHERE tenant_id = $1 AND kid = $2",
            args![tenant, KEY_ID],
        )
        .await?;
    tx.commit().await?;
    Ok(row.secret)
}
