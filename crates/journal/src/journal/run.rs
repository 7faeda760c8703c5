//! The run a journal holds: what it was made for (input, fingerprint, request, settings), its one
//! row, and the rules for resuming or restarting it.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::sql::{begin_immediate, finish_tx, sqlite};
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;

/// What a run is: the journal refuses to resume a run with another input or request.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The input path as the user gave it (shown in messages; the fingerprint decides).
    pub input_path: String,
    /// The fingerprint of the input's bytes.
    pub fingerprint: Fingerprint,
    /// The HTTP method, e.g. `PUT`.
    pub method: String,
    /// The path template with `{userId}`, e.g. `/api/v2/wfm/usersettings/{userId}/schedule`.
    pub path_template: String,
    /// The run's settings as JSON, for `pacer status`. Keys that look like secrets are refused.
    pub settings: serde_json::Value,
}

/// The run as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub input_path: String,
    pub fingerprint: Fingerprint,
    pub method: String,
    pub path_template: String,
    /// The settings JSON of the latest open.
    pub settings: serde_json::Value,
    /// Whether every input item has been inserted ([`ItemLoader::finish`] was called).
    ///
    /// [`ItemLoader::finish`]: crate::ItemLoader::finish
    pub items_loaded: bool,
    /// When the run was created, in milliseconds since the Unix epoch.
    pub created_unix_ms: i64,
    /// When the journal last changed, in milliseconds since the Unix epoch; during a run it is
    /// rewritten at most once a second, so it may lag the last change by up to a second.
    pub updated_unix_ms: i64,
}

/// Writes the run's one row for `spec`, created and updated `now`.
pub(super) fn insert_run(
    conn: &Connection,
    spec: &RunSpec,
    settings: &str,
    now: i64,
) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO run (id, input_path, input_size, input_sha256, method, path_template,
             settings, items_loaded, created_unix_ms, updated_unix_ms)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
        params![
            spec.input_path,
            spec.fingerprint.size as i64,
            hex(&spec.fingerprint.sha256),
            spec.method,
            spec.path_template,
            settings,
            now
        ],
    )
}

/// Discards the run at `path` with its items and updates, and writes a new one for `spec`, in one
/// transaction.
pub(super) fn restart_run(
    conn: &Connection,
    path: &Path,
    spec: &RunSpec,
    settings: &str,
    now: i64,
) -> Result<()> {
    begin_immediate(conn).map_err(|e| sqlite(path, e))?;
    let inserted = conn
        .execute_batch("DELETE FROM items; DELETE FROM updates; DELETE FROM run;")
        .and_then(|()| insert_run(conn, spec, settings, now));
    finish_tx(
        conn,
        path,
        inserted.map(|_| ()).map_err(|e| sqlite(path, e)),
    )
}

/// Resumes `run` for `spec`: refused with [`Error::InputChanged`] for another input fingerprint
/// and with [`Error::RequestChanged`] for another method or path template; otherwise the run
/// keeps its items and stores the new input path and settings.
pub(super) fn resume_run(
    conn: &Connection,
    path: &Path,
    run: RunInfo,
    spec: &RunSpec,
    settings: &str,
    now: i64,
) -> Result<()> {
    if run.fingerprint != spec.fingerprint {
        return Err(Error::InputChanged {
            path: path.to_path_buf(),
            journal_input: run.input_path,
            journal_fingerprint: run.fingerprint.to_string(),
            input: spec.input_path.clone(),
            fingerprint: spec.fingerprint.to_string(),
        });
    }
    if run.method != spec.method || run.path_template != spec.path_template {
        return Err(Error::RequestChanged {
            path: path.to_path_buf(),
            journal_request: format!("{} {}", run.method, run.path_template),
            request: format!("{} {}", spec.method, spec.path_template),
        });
    }
    conn.execute(
        "UPDATE run SET input_path = ?1, settings = ?2, updated_unix_ms = ?3 WHERE id = 1",
        params![spec.input_path, settings, now],
    )
    .map_err(|e| sqlite(path, e))?;
    Ok(())
}

pub(super) fn read_run(conn: &Connection, path: &Path) -> Result<Option<RunInfo>> {
    let row = conn
        .query_row(
            "SELECT input_path, input_size, input_sha256, method, path_template, settings,
                    items_loaded, created_unix_ms, updated_unix_ms FROM run WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, i64>(8)?,
                ))
            },
        )
        .optional()
        .map_err(|e| sqlite(path, e))?;
    let Some((input_path, size, sha, method, path_template, settings, loaded, created, updated)) =
        row
    else {
        return Ok(None);
    };
    let fingerprint =
        Fingerprint::parse(&format!("size:{size},sha256:{sha}")).ok_or_else(|| {
            Error::NotAJournal {
                path: path.to_path_buf(),
                detail: "its input fingerprint is damaged".into(),
            }
        })?;
    let settings = serde_json::from_str(&settings).unwrap_or(serde_json::Value::Null);
    Ok(Some(RunInfo {
        input_path,
        fingerprint,
        method,
        path_template,
        settings,
        items_loaded: loaded != 0,
        created_unix_ms: created,
        updated_unix_ms: updated,
    }))
}

/// Refuses settings whose keys look like they hold a secret, at any depth.
pub(super) fn check_no_secrets(value: &serde_json::Value) -> Result<()> {
    const SECRET_WORDS: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "authorization",
        "access_token",
        "accesstoken",
        "bearer",
        "apikey",
        "api_key",
        "credential",
    ];
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let lower = key.to_ascii_lowercase();
                if SECRET_WORDS.iter().any(|word| lower.contains(word)) {
                    return Err(Error::SecretInSettings { key: key.clone() });
                }
                check_no_secrets(inner)?;
            }
            Ok(())
        }
        serde_json::Value::Array(items) => items.iter().try_for_each(check_no_secrets),
        _ => Ok(()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_settings_keys_are_refused_at_any_depth() {
        let ok = serde_json::json!({"tokens": 4, "client_id": "abc", "rate": {"per_min": 300}});
        assert!(check_no_secrets(&ok).is_ok());
        let bad = serde_json::json!({"auth": {"client_secret": "x"}});
        assert!(
            matches!(check_no_secrets(&bad), Err(Error::SecretInSettings { key }) if key == "client_secret")
        );
        let bad = serde_json::json!([{"Authorization": "Bearer x"}]);
        assert!(check_no_secrets(&bad).is_err());
    }
}
