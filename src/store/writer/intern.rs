//! Interning: environments, hosts, checks and values become small integer ids (cached
//! between batches), so a stored result is a handful of integers.

use super::ingest::{CheckRow, VAL_CACHE_MAX, WriterState};
use crate::store::codec::{severity_code, stable_hash};
use crate::store::packed::PackedResult;
use rusqlite::{Connection, OptionalExtension, params};

pub(super) fn intern_env(
    tx: &Connection,
    st: &mut WriterState,
    name: &str,
) -> rusqlite::Result<i64> {
    if let Some((last, id)) = &st.last_env
        && last == name
    {
        return Ok(*id);
    }
    if let Some(id) = st.envs.get(name) {
        st.last_env = Some((name.to_string(), *id));
        return Ok(*id);
    }
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM envs WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    let id = match found {
        Some(id) => id,
        None => {
            tx.prepare_cached("INSERT INTO envs (name) VALUES (?1)")?
                .execute([name])?;
            tx.last_insert_rowid()
        }
    };
    st.envs.insert(name.to_string(), id);
    st.last_env = Some((name.to_string(), id));
    Ok(id)
}

pub(super) fn intern_host(
    tx: &Connection,
    st: &mut WriterState,
    env: i64,
    name: &str,
) -> rusqlite::Result<i64> {
    if let Some(id) = st.hosts.get(&env).and_then(|m| m.get(name)) {
        return Ok(*id);
    }
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM hosts WHERE env = ?1 AND name = ?2")?
        .query_row(params![env, name], |r| r.get(0))
        .optional()?;
    let id = match found {
        Some(id) => id,
        None => {
            tx.prepare_cached("INSERT INTO hosts (env, name) VALUES (?1, ?2)")?
                .execute(params![env, name])?;
            tx.last_insert_rowid()
        }
    };
    st.hosts
        .entry(env)
        .or_default()
        .insert(name.to_string(), id);
    Ok(id)
}

pub(super) fn intern_check(
    tx: &Connection,
    st: &mut WriterState,
    rec: &PackedResult,
) -> rusqlite::Result<i64> {
    let key = rec.key();
    let sev = severity_code(rec.severity);
    let generation = st.generation;
    if let Some(row) = st.checks.get_mut(key)
        && (row.generation == generation
            || (row.check_id == rec.check_id()
                && row.title == rec.title()
                && row.category == rec.category()
                && row.severity == sev
                && row.sop.as_deref() == rec.sop()))
    {
        row.generation = generation;
        return Ok(row.id);
    }
    // Unknown here, or its definition changed (title, severity …): the newest one wins.
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM checks WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    let fields = params![
        key,
        rec.check_id(),
        rec.title(),
        rec.category(),
        sev,
        rec.sop()
    ];
    let id = match found {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE checks SET check_id = ?2, title = ?3, category = ?4, severity = ?5,
                     sop = ?6 WHERE key = ?1 AND (check_id, title, category, severity, sop)
                     IS NOT (?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(fields)?;
            id
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO checks (key, check_id, title, category, severity, sop)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(fields)?;
            tx.last_insert_rowid()
        }
    };
    st.checks.insert(
        key.to_string(),
        CheckRow {
            id,
            generation,
            check_id: rec.check_id().to_string(),
            title: rec.title().to_string(),
            category: rec.category().to_string(),
            severity: sev,
            sop: rec.sop().map(str::to_string),
        },
    );
    Ok(id)
}

pub(super) fn intern_val(
    tx: &Connection,
    st: &mut WriterState,
    rec: &PackedResult,
) -> rusqlite::Result<i64> {
    let vkey = rec.value_key();
    if let Some(id) = st.vals.get(vkey) {
        return Ok(*id);
    }
    let (expected, actual, reason) = (rec.expected_json(), rec.actual_json(), rec.reason());
    let reason_bytes: &[u8] = reason.map(str::as_bytes).unwrap_or(b"\0");
    let hash = stable_hash(&[expected.as_bytes(), actual.as_bytes(), reason_bytes]);
    let mut found = None;
    {
        let mut stmt =
            tx.prepare_cached("SELECT id, expected, actual, reason FROM vals WHERE hash = ?1")?;
        let mut rows = stmt.query([hash])?;
        while let Some(r) = rows.next()? {
            let e: &str = r.get_ref(1)?.as_str()?;
            let a: &str = r.get_ref(2)?.as_str()?;
            let rs: Option<&str> = r.get_ref(3)?.as_str_or_null()?;
            if e == expected && a == actual && rs == reason {
                found = Some(r.get::<_, i64>(0)?);
                break;
            }
        }
    }
    let id = match found {
        Some(id) => id,
        None => {
            tx.prepare_cached(
                "INSERT INTO vals (hash, expected, actual, reason) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![hash, expected, actual, reason])?;
            tx.last_insert_rowid()
        }
    };
    if st.vals.len() >= VAL_CACHE_MAX {
        st.vals.clear();
    }
    st.vals.insert(vkey.into(), id);
    Ok(id)
}
