//! Integer arguments checked on the way in, used with `#[pyo3(from_py_with)]`.
//!
//! An int that does not fit the Rust type would otherwise raise a bare
//! `OverflowError` ("out of range integral type conversion attempted") that
//! names neither the argument nor the value. Here an id outside `0..2**32`
//! is an unknown id (`UnknownTokenError`, as an id past the vocabulary is),
//! and a negative count or seed an `InvalidInputError` naming the argument.
//! Other types still fail pyo3's extraction, whose `TypeError` pyo3 prefixes
//! with the argument's name.

use crate::to_py;
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use std::collections::HashMap;
use toksmith::Error;

/// The id an int stands for, or the error for one out of range.
fn id_or_unknown(x: &Bound<'_, PyAny>, what: &str) -> PyResult<u32> {
    match x.extract::<u32>() {
        Ok(id) => Ok(id),
        Err(e) if e.is_instance_of::<PyOverflowError>(x.py()) => Err(crate::py_error(
            x.py(),
            "UnknownTokenError",
            format!(
                "unknown token id {}{what} (ids are 0 to {})",
                x.str()?,
                u32::MAX
            ),
        )),
        Err(e) => Err(e),
    }
}

/// Token ids: a sequence of ints (a list, a numpy array...).
pub(crate) fn ids(ob: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    match ob.extract::<Vec<u32>>() {
        Err(e) if e.is_instance_of::<PyOverflowError>(ob.py()) => {
            for (i, x) in ob.try_iter()?.enumerate() {
                id_or_unknown(&x?, &format!(" at position {i}"))?;
            }
            Err(e)
        }
        other => other,
    }
}

/// One token id.
pub(crate) fn id(ob: &Bound<'_, PyAny>) -> PyResult<u32> {
    id_or_unknown(ob, "")
}

/// One token id, `None` for an int that no vocabulary has (as for an id past
/// this one's end).
pub(crate) fn id_or_none(ob: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
    match ob.extract::<u32>() {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.is_instance_of::<PyOverflowError>(ob.py()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `e`, the error of extracting `ob` as an unsigned int, with an overflow
/// (a negative or too large int) made an error naming `name`.
fn named(ob: &Bound<'_, PyAny>, e: PyErr, name: &str) -> PyErr {
    if !e.is_instance_of::<PyOverflowError>(ob.py()) {
        return e;
    }
    let shown = ob.str().map_or_else(|_| "?".to_string(), |s| s.to_string());
    let why = if shown.starts_with('-') {
        ""
    } else {
        " (too large)"
    };
    to_py(
        ob.py(),
        Error::invalid(format!(
            "{name} must be a non-negative integer, got {shown}{why}"
        )),
    )
}

/// `None`, or a non-negative int named `name`; one past `usize` is taken
/// as the largest (the caller caps it).
fn big_count(ob: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<usize>> {
    if ob.is_none() {
        return Ok(None);
    }
    match ob.extract::<usize>() {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.is_instance_of::<PyOverflowError>(ob.py()) && ob.gt(0)? => Ok(Some(usize::MAX)),
        Err(e) => Err(named(ob, e, name)),
    }
}

/// `num_threads`: `None`, or a non-negative int (0: one thread per core;
/// the core starts at most `toksmith::MAX_THREADS`).
pub(crate) fn threads(ob: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    big_count(ob, "num_threads")
}

/// `n` of `most_common`: `None` or a non-negative int (past `usize`: all).
pub(crate) fn count(ob: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    big_count(ob, "n")
}

/// `seed`: `None` or an int from 0 to 2**64 - 1.
pub(crate) fn seed(ob: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
    if ob.is_none() {
        return Ok(None);
    }
    ob.extract::<u64>()
        .map(Some)
        .map_err(|e| named(ob, e, "seed (at most 2**64 - 1)"))
}

/// `special_tokens`: `None` or `{token: id}`.
pub(crate) fn specials(ob: &Bound<'_, PyAny>) -> PyResult<Option<HashMap<String, u32>>> {
    if ob.is_none() {
        return Ok(None);
    }
    let raw: HashMap<String, Bound<'_, PyAny>> = ob.extract()?;
    let mut out = HashMap::with_capacity(raw.len());
    for (token, id) in raw {
        let id = match id.extract::<u32>() {
            Ok(id) => id,
            Err(e) if e.is_instance_of::<PyOverflowError>(ob.py()) => {
                return Err(to_py(
                    ob.py(),
                    Error::invalid(format!(
                        "special token {token:?}: id {} is out of range (ids are 0 to {})",
                        id.str()?,
                        u32::MAX
                    )),
                ))
            }
            Err(e) => return Err(e),
        };
        out.insert(token, id);
    }
    Ok(Some(out))
}
