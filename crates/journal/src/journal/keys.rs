//! The agents' keys a run resolved (an e-mail or a name to its user id), kept so that a resumed
//! run does not ask the Users API again.

use rusqlite::params;

use super::open::Journal;
use super::sql::sqlite;
use crate::error::Result;

/// One resolved key: its kind (`email` or `name`), the key as lowercased, and its user's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    pub kind: String,
    pub key: String,
    pub user_id: String,
}

impl Journal {
    /// Every key resolved so far.
    pub fn resolved_keys(&self) -> Result<Vec<ResolvedKey>> {
        let mut statement = self
            .conn
            .prepare("SELECT kind, key, user_id FROM agent_keys ORDER BY kind, key")
            .map_err(|e| sqlite(&self.path, e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(ResolvedKey {
                    kind: row.get(0)?,
                    key: row.get(1)?,
                    user_id: row.get(2)?,
                })
            })
            .map_err(|e| sqlite(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sqlite(&self.path, e))
    }

    /// Records resolved keys, all in one transaction.
    pub fn record_keys(&self, keys: &[ResolvedKey]) -> Result<()> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| sqlite(&self.path, e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO agent_keys (kind, key, user_id) VALUES (?1, ?2, ?3)",
                )
                .map_err(|e| sqlite(&self.path, e))?;
            for key in keys {
                insert
                    .execute(params![key.kind, key.key, key.user_id])
                    .map_err(|e| sqlite(&self.path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&self.path, e))
    }
}
