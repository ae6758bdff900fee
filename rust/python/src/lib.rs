//! PyO3 bindings for toksmith: the module `toksmith._core`.
//!
//! Only type conversion, GIL release (`py.detach`) and error mapping live
//! here; all behaviour is in the `toksmith` core crate. Every core error goes
//! through [`to_py`], which raises the matching class of `toksmith.errors`.
//! The classes are in [`tokenizer`] (`Tokenizer`) and [`train`] (`WordCounts`
//! and the counting and training functions).

mod args;
mod encoding;
mod progress;
mod tokenizer;
mod train;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use rustc_hash::FxHashSet;
use tokenizer::PyTokenizer;
use toksmith::pretokenize::Pretokenizer;
use toksmith::tokenizer::SpecialSet;
use toksmith::{Error, ErrorKind};
use train::{count_files_py, count_iter, train_counts, PyWordCounts};

/// Maps a core error to the matching `toksmith.errors` exception.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let class = match e.kind() {
        ErrorKind::Io => "TokenizerIOError",
        ErrorKind::InvalidInput => "InvalidInputError",
        ErrorKind::UnknownToken => "UnknownTokenError",
    };
    py_error(py, class, e.to_string())
}

/// An exception of the class `class` of `toksmith.errors`.
pub(crate) fn py_error(py: Python<'_>, class: &str, msg: String) -> PyErr {
    match py.import("toksmith.errors").and_then(|m| m.getattr(class)) {
        Ok(cls) => PyErr::from_type(cls.cast_into().expect("exception class"), msg),
        Err(_) => PyRuntimeError::new_err(msg),
    }
}

pub(crate) trait IntoPyResult<T> {
    fn py(self, py: Python<'_>) -> PyResult<T>;
}
impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}

/// Python text as UTF-8; lone surrogates (which UTF-8 cannot hold) become
/// U+FFFD, as tiktoken does.
pub(crate) fn text_of<'a>(s: &'a Bound<'_, PyString>) -> PyResult<std::borrow::Cow<'a, str>> {
    match s.to_cow() {
        Ok(c) => Ok(c),
        Err(_) => {
            let fixed = s
                .call_method1("encode", ("utf-16", "surrogatepass"))?
                .call_method1("decode", ("utf-16", "replace"))?;
            Ok(fixed.cast::<PyString>()?.to_cow()?.into_owned().into())
        }
    }
}

/// The texts of a batch, borrowed from the strings like [`text_of`] (copied
/// only where a lone surrogate had to be replaced).
pub(crate) fn texts_of<'a>(
    v: &'a [Bound<'_, PyString>],
) -> PyResult<Vec<std::borrow::Cow<'a, str>>> {
    v.iter().map(text_of).collect()
}

/// A pattern for `__repr__`: its name quoted, else its regex, else `None`.
pub(crate) fn pattern_repr(name: Option<&str>, source: Option<&str>) -> String {
    match (name, source) {
        (Some(n), _) => format!("'{n}'"),
        (None, Some(src)) => format!("{src:?}"),
        (None, None) => "None".to_string(),
    }
}

/// `"all"` or an iterable of strings.
pub(crate) fn special_set(obj: &Bound<'_, PyAny>) -> PyResult<SpecialSet> {
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow()?.as_ref() {
            "all" => Ok(SpecialSet::All),
            other => Err(to_py(
                obj.py(),
                Error::invalid(format!(
                    "expected \"all\" or a collection of strings, got the string {other:?}"
                )),
            )),
        };
    }
    let mut set = FxHashSet::default();
    for item in obj.try_iter()? {
        set.insert(item?.extract::<String>()?);
    }
    Ok(SpecialSet::Some(set))
}

/// Splits `text` with a pattern: `engine="fast"` uses the hand-written scanner
/// for known patterns, `engine="regex"` always uses fancy-regex (for tests).
#[pyfunction]
#[pyo3(signature = (text, pattern, *, engine="fast"))]
fn split(py: Python<'_>, text: &str, pattern: Option<&str>, engine: &str) -> PyResult<Vec<String>> {
    let p = Pretokenizer::new(pattern).py(py)?;
    let mut out = Vec::new();
    let res = match engine {
        "fast" => p.for_each_piece(text, |s| out.push(s.to_string())),
        "regex" => p.for_each_piece_regex(text, |s| out.push(s.to_string())),
        other => Err(Error::invalid(format!(
            "engine must be 'fast' or 'regex', not {other:?}"
        ))),
    };
    res.py(py)?;
    Ok(out)
}

/// The regex source of a named pattern (`gpt2`, `r50k`, `p50k`, `cl100k`, `o200k`).
#[pyfunction]
fn pattern_source(name: &str) -> Option<&'static str> {
    toksmith::pretokenize::named_pattern(name).map(|(_, s)| s)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTokenizer>()?;
    m.add_class::<PyWordCounts>()?;
    m.add_class::<encoding::PyEncoding>()?;
    m.add_function(wrap_pyfunction!(count_files_py, m)?)?;
    m.add_function(wrap_pyfunction!(count_iter, m)?)?;
    m.add_function(wrap_pyfunction!(train_counts, m)?)?;
    m.add_function(wrap_pyfunction!(pattern_source, m)?)?;
    m.add_function(wrap_pyfunction!(split, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
