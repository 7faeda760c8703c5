//! The sets of agents whose schedule update the server refused (ended `Error`), journaled as the
//! narrowing down to the agents at fault goes, so that a rerun resumes it without sending a
//! refused set again.

use rusqlite::params;

use super::open::Journal;
use super::sql::sqlite;
use crate::error::Result;

impl Journal {
    /// Records a refused set of agents in `week`.
    pub fn record_refused(&self, week: &str, agents: &[String]) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO refused (week, agents) VALUES (?1, ?2)",
                params![week, agents.join(",")],
            )
            .map_err(|e| sqlite(&self.path, e))?;
        Ok(())
    }

    /// The refused sets of `week`, oldest first.
    pub fn refused(&self, week: &str) -> Result<Vec<Vec<String>>> {
        let mut statement = self
            .conn
            .prepare("SELECT agents FROM refused WHERE week = ?1 ORDER BY rowid")
            .map_err(|e| sqlite(&self.path, e))?;
        let rows = statement
            .query_map(params![week], |row| row.get::<_, String>(0))
            .map_err(|e| sqlite(&self.path, e))?;
        let sets = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sqlite(&self.path, e))?;
        Ok(sets
            .into_iter()
            .map(|s| s.split(',').map(str::to_string).collect())
            .collect())
    }
}
