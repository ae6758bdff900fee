//! PyO3 bindings for toksmith: the module `toksmith._core`.
//!
//! Only type conversion, GIL release (`py.detach`) and error mapping live
//! here; all behaviour is in the `toksmith` core crate. Every core error goes
//! through [`to_py`], which raises the matching class of `toksmith.errors`.

mod progress;

use numpy::{IntoPyArray, PyArray1};
use progress::StderrProgress;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFrozenSet, PyIterator, PyString};
use rustc_hash::FxHashSet;
use std::path::PathBuf;
use toksmith::bpe::TrainerConfig;
use toksmith::counts::{Counts, Progress, WordCounter};
use toksmith::formats::{hf_json, tiktoken};
use toksmith::pretokenize::Pretokenizer;
use toksmith::tokenizer::SpecialSet;
use toksmith::train::{count_files, train_from_counts, ModelType};
use toksmith::{Error, ErrorKind};

/// Maps a core error to the matching `toksmith.errors` exception.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let class = match e.kind() {
        ErrorKind::Io => "TokenizerIOError",
        ErrorKind::InvalidInput => "InvalidInputError",
        ErrorKind::UnknownToken => "UnknownTokenError",
    };
    let msg = e.to_string();
    match py.import("toksmith.errors").and_then(|m| m.getattr(class)) {
        Ok(cls) => PyErr::from_type(cls.cast_into().expect("exception class"), msg),
        Err(_) => PyRuntimeError::new_err(msg),
    }
}

trait IntoPyResult<T> {
    fn py(self, py: Python<'_>) -> PyResult<T>;
}
impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}

/// Python text as UTF-8; lone surrogates (which UTF-8 cannot hold) become
/// U+FFFD, as tiktoken does.
fn text_of(s: &Bound<'_, PyString>) -> PyResult<String> {
    match s.to_cow() {
        Ok(c) => Ok(c.into_owned()),
        Err(_) => {
            let fixed = s
                .call_method1("encode", ("utf-16", "surrogatepass"))?
                .call_method1("decode", ("utf-16", "replace"))?;
            Ok(fixed.cast::<PyString>()?.to_cow()?.into_owned())
        }
    }
}

fn texts_of(v: Vec<Bound<'_, PyString>>) -> PyResult<Vec<String>> {
    v.iter().map(text_of).collect()
}

/// `"all"` or an iterable of strings.
fn special_set(obj: &Bound<'_, PyAny>) -> PyResult<SpecialSet> {
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

/// A tokenizer: immutable, thread-safe, cheap to share.
#[pyclass(frozen, module = "toksmith._core", name = "Tokenizer")]
struct PyTokenizer {
    inner: toksmith::Tokenizer,
}

fn write_atomic(path: &std::path::Path, data: &str) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{}: not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, data).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

#[pymethods]
impl PyTokenizer {
    /// Loads a `tokenizer.json` (ours or HF's, BPE model).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let err = if e.kind() == std::io::ErrorKind::InvalidData {
                Error::Format {
                    origin: path.display().to_string(),
                    message: "not valid UTF-8".into(),
                }
            } else {
                Error::io(&path, e)
            };
            to_py(py, err)
        })?;
        let origin = path.display().to_string();
        let inner = py.detach(|| hf_json::from_str(&text, &origin)).py(py)?;
        Ok(PyTokenizer { inner })
    }

    /// Loads a tiktoken rank file (plain or gzip) with a pattern name or regex
    /// and optional special tokens (`{token: id}`).
    #[staticmethod]
    #[pyo3(signature = (path, *, pattern, special_tokens=None))]
    fn from_tiktoken(
        py: Python<'_>,
        path: PathBuf,
        pattern: Option<String>,
        special_tokens: Option<std::collections::HashMap<String, u32>>,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| {
                let ranks = tiktoken::read_file(&path)?;
                from_ranks(
                    &ranks,
                    pattern.as_deref(),
                    sorted_specials(special_tokens),
                    &path.display().to_string(),
                )
            })
            .py(py)?;
        Ok(PyTokenizer { inner })
    }

    /// Builds a tokenizer from tiktoken-style `{token bytes: rank}`.
    #[staticmethod]
    #[pyo3(signature = (ranks, *, pattern, special_tokens=None))]
    fn from_ranks(
        py: Python<'_>,
        ranks: Vec<(Vec<u8>, u32)>,
        pattern: Option<String>,
        special_tokens: Option<std::collections::HashMap<String, u32>>,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| {
                from_ranks(
                    &ranks,
                    pattern.as_deref(),
                    sorted_specials(special_tokens),
                    "<ranks>",
                )
            })
            .py(py)?;
        Ok(PyTokenizer { inner })
    }

    /// Writes the model vocabulary as a tiktoken rank file (byte-level models).
    fn save_tiktoken(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| tiktoken::to_string(&self.inner).and_then(|s| write_atomic(&path, &s)))
            .py(py)
    }

    /// Parses a `tokenizer.json` document.
    #[staticmethod]
    fn from_str(py: Python<'_>, json: &str) -> PyResult<Self> {
        let inner = py.detach(|| hf_json::from_str(json, "<string>")).py(py)?;
        Ok(PyTokenizer { inner })
    }

    /// The tokenizer as an HF `tokenizer.json` document.
    fn to_str(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| hf_json::to_string(&self.inner)).py(py)
    }

    /// Writes an HF `tokenizer.json` (via a temporary file and a rename).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| hf_json::to_string(&self.inner).and_then(|s| write_atomic(&path, &s)))
            .py(py)
    }

    #[pyo3(signature = (text, *, allowed_special=None, disallowed_special=None, add_special_tokens=true))]
    fn encode(
        &self,
        py: Python<'_>,
        text: &str,
        allowed_special: Option<&Bound<'_, PyAny>>,
        disallowed_special: Option<&Bound<'_, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<Vec<u32>> {
        let (a, d) = specials(allowed_special, disallowed_special)?;
        py.detach(|| self.inner.encode(text, &a, &d, add_special_tokens))
            .py(py)
    }

    fn encode_ordinary(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<Vec<u32>> {
        let text = text_of(text)?;
        py.detach(|| self.inner.encode_ordinary(&text)).py(py)
    }

    #[pyo3(signature = (texts, *, num_threads=None, allowed_special=None, disallowed_special=None, add_special_tokens=true))]
    fn encode_batch(
        &self,
        py: Python<'_>,
        texts: Vec<Bound<'_, PyString>>,
        num_threads: Option<usize>,
        allowed_special: Option<&Bound<'_, PyAny>>,
        disallowed_special: Option<&Bound<'_, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<Vec<Vec<u32>>> {
        let (a, d) = specials(allowed_special, disallowed_special)?;
        let texts = texts_of(texts)?;
        py.detach(|| {
            self.inner.encode_batch(&texts, num_threads, |t, s| {
                t.encode(s, &a, &d, add_special_tokens)
            })
        })
        .py(py)
    }

    #[pyo3(signature = (texts, *, num_threads=None))]
    fn encode_ordinary_batch(
        &self,
        py: Python<'_>,
        texts: Vec<String>,
        num_threads: Option<usize>,
    ) -> PyResult<Vec<Vec<u32>>> {
        py.detach(|| {
            self.inner
                .encode_batch(&texts, num_threads, |t, s| t.encode_ordinary(s))
        })
        .py(py)
    }

    fn decode(&self, py: Python<'_>, ids: Vec<u32>) -> PyResult<String> {
        py.detach(|| self.inner.decode(&ids)).py(py)
    }

    fn decode_bytes<'py>(&self, py: Python<'py>, ids: Vec<u32>) -> PyResult<Bound<'py, PyBytes>> {
        let b = py.detach(|| self.inner.decode_bytes(&ids)).py(py)?;
        Ok(PyBytes::new(py, &b))
    }

    /// `encode` into a numpy `uint32` array (the ids are not copied).
    #[pyo3(signature = (text, *, allowed_special=None, disallowed_special=None, add_special_tokens=true))]
    fn encode_to_numpy<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'_, PyString>,
        allowed_special: Option<&Bound<'_, PyAny>>,
        disallowed_special: Option<&Bound<'_, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let (a, d) = specials(allowed_special, disallowed_special)?;
        let text = text_of(text)?;
        let ids = py
            .detach(|| self.inner.encode(&text, &a, &d, add_special_tokens))
            .py(py)?;
        Ok(ids.into_pyarray(py))
    }

    /// The id of the token whose bytes are exactly `data` (special tokens first).
    fn encode_single_token(&self, py: Python<'_>, data: Vec<u8>) -> PyResult<u32> {
        let found = match std::str::from_utf8(&data).ok().and_then(|s| {
            self.inner
                .added_tokens()
                .iter()
                .find(|a| a.content == s)
                .map(|a| a.id)
        }) {
            Some(id) => Some(id),
            None => match self.inner.bpe().kind {
                toksmith::bpe::BpeKind::ByteLevel => self
                    .inner
                    .bpe()
                    .token_to_id(&toksmith::byte_level::encode_bytes(&data)),
                _ => std::str::from_utf8(&data)
                    .ok()
                    .and_then(|s| self.inner.bpe().token_to_id(s)),
            },
        };
        found.ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(PyBytes::new(py, &data).unbind()))
    }

    /// The bytes of one token.
    fn decode_single_token_bytes<'py>(
        &self,
        py: Python<'py>,
        token: u32,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let b = self.inner.decode_bytes(&[token]).py(py)?;
        Ok(PyBytes::new(py, &b))
    }

    /// The bytes of every model token (special tokens excluded), sorted.
    fn token_byte_values<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        let specials: FxHashSet<u32> = self.inner.added_tokens().iter().map(|a| a.id).collect();
        let bpe = self.inner.bpe();
        let mut v: Vec<&[u8]> = bpe
            .vocab()
            .filter(|(_, id)| !specials.contains(id))
            .filter_map(|(_, id)| bpe.decoded(id))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|b| PyBytes::new(py, b)).collect()
    }

    /// Number of ids (tiktoken's name for `vocab_size`).
    #[getter]
    fn n_vocab(&self) -> usize {
        self.inner.vocab_size()
    }

    /// Id of `<|endoftext|>`, if the tokenizer has it.
    #[getter]
    fn eot_token(&self) -> Option<u32> {
        self.inner
            .added_tokens()
            .iter()
            .find(|a| a.content == "<|endoftext|>")
            .map(|a| a.id)
    }

    /// The special tokens' strings.
    #[getter]
    fn special_tokens_set<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyFrozenSet>> {
        PyFrozenSet::new(
            py,
            self.inner.added_tokens().iter().map(|a| a.content.as_str()),
        )
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    fn id_to_token(&self, id: u32) -> Option<&str> {
        self.inner.id_to_token(id)
    }

    fn get_vocab<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (t, id) in self.inner.vocab() {
            d.set_item(t, id)?;
        }
        Ok(d)
    }

    #[getter]
    fn merges(&self) -> Vec<(String, String)> {
        self.inner.bpe().merges_str()
    }

    #[getter]
    fn vocab_size(&self) -> usize {
        self.inner.vocab_size()
    }

    #[getter]
    fn model(&self) -> &'static str {
        self.inner.model_name()
    }

    #[getter]
    fn pattern(&self) -> Option<&str> {
        self.inner.pretokenizer.source()
    }

    #[getter]
    fn pattern_name(&self) -> Option<&'static str> {
        self.inner.pretokenizer.name()
    }

    #[getter]
    fn special_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for a in self.inner.added_tokens() {
            d.set_item(&a.content, a.id)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let pattern = match (
            self.inner.pretokenizer.name(),
            self.inner.pretokenizer.source(),
        ) {
            (Some(n), _) => format!("'{n}'"),
            (None, Some(src)) => format!("{src:?}"),
            (None, None) => "None".to_string(),
        };
        format!(
            "Tokenizer(model='{}', vocab_size={}, pattern={pattern}, special_tokens={})",
            self.inner.model_name(),
            self.inner.vocab_size(),
            self.inner.added_tokens().len()
        )
    }
}

fn specials(
    allowed: Option<&Bound<'_, PyAny>>,
    disallowed: Option<&Bound<'_, PyAny>>,
) -> PyResult<(SpecialSet, SpecialSet)> {
    let a = match allowed {
        None => SpecialSet::Some(Default::default()),
        Some(o) => special_set(o)?,
    };
    let d = match disallowed {
        None => SpecialSet::All,
        Some(o) => special_set(o)?,
    };
    Ok((a, d))
}

/// Options shared by both training entry points.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct TrainArgs {
    model: String,
    pattern: Option<String>,
    vocab_size: usize,
    min_frequency: u64,
    special_tokens: Vec<String>,
    limit_alphabet: Option<usize>,
    initial_alphabet: Vec<String>,
    max_token_length: Option<usize>,
    unk_token: Option<String>,
    byte_fallback: bool,
    show_progress: bool,
    force_progress: bool,
    num_threads: Option<usize>,
}

impl TrainArgs {
    fn config(&self) -> Result<(ModelType, Pretokenizer, TrainerConfig), Error> {
        let model: ModelType = self.model.parse()?;
        let pretok = Pretokenizer::new(self.pattern.as_deref())?;
        let mut initial_alphabet = Vec::new();
        for s in &self.initial_alphabet {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => initial_alphabet.push(c),
                _ => {
                    return Err(Error::invalid(format!(
                        "initial_alphabet entries must be single characters, got {s:?}"
                    )))
                }
            }
        }
        if self.vocab_size == 0 {
            return Err(Error::invalid("vocab_size must be positive"));
        }
        let cfg = TrainerConfig {
            byte_level: model == ModelType::Bbpe,
            vocab_size: self.vocab_size,
            min_frequency: self.min_frequency,
            special_tokens: self.special_tokens.clone(),
            limit_alphabet: self.limit_alphabet,
            initial_alphabet,
            max_token_length: self.max_token_length,
            unk_token: self.unk_token.clone(),
            byte_fallback: self.byte_fallback,
        };
        Ok((model, pretok, cfg))
    }

    fn progress(&self) -> Option<StderrProgress> {
        self.show_progress
            .then(|| StderrProgress::new(self.force_progress))
            .flatten()
    }

    /// Runs `f` on a pool of `num_threads` threads (the global pool when unset).
    fn with_pool<T: Send>(&self, f: impl FnOnce() -> Result<T, Error> + Send) -> Result<T, Error> {
        toksmith::with_threads(self.num_threads, f)
    }
}

/// Pre-token counts (see `toksmith.count`): immutable; `a + b` merges.
#[pyclass(frozen, module = "toksmith._core", name = "WordCounts")]
struct PyWordCounts {
    inner: Counts,
}

#[pymethods]
impl PyWordCounts {
    /// Reads counts saved with `save`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| Counts::load(&path)).py(py)?;
        Ok(PyWordCounts { inner })
    }

    /// Writes the counts (zstd-compressed; temporary file, then rename).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(&path)).py(py)
    }

    /// Sums several counts made with the same pattern.
    #[staticmethod]
    fn merge(py: Python<'_>, counts: Vec<PyRef<'_, PyWordCounts>>) -> PyResult<Self> {
        let mut it = counts.iter();
        let Some(first) = it.next() else {
            return Err(to_py(
                py,
                Error::invalid("merge needs at least one WordCounts"),
            ));
        };
        let mut acc = first.inner.clone();
        for c in it {
            acc = acc.merge(c.inner.clone()).py(py)?;
        }
        Ok(PyWordCounts { inner: acc })
    }

    fn __add__(&self, py: Python<'_>, other: PyRef<'_, PyWordCounts>) -> PyResult<Self> {
        let inner = self.inner.clone().merge(other.inner.clone()).py(py)?;
        Ok(PyWordCounts { inner })
    }

    fn __len__(&self) -> usize {
        self.inner.words.len()
    }

    fn __eq__(&self, other: PyRef<'_, PyWordCounts>) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!(
            "WordCounts(words={}, total={}, pattern={}, dropped_words={})",
            self.inner.words.len(),
            self.inner.total(),
            match (self.pattern_name(), self.inner.pattern.as_deref()) {
                (Some(n), _) => format!("'{n}'"),
                (None, Some(src)) => format!("{src:?}"),
                (None, None) => "None".to_string(),
            },
            self.inner.dropped_words
        )
    }

    /// Total occurrences counted.
    #[getter]
    fn total(&self) -> u64 {
        self.inner.total()
    }

    /// The pre-tokenizer regex the counts were made with (None: no split).
    #[getter]
    fn pattern(&self) -> Option<&str> {
        self.inner.pattern.as_deref()
    }

    /// `gpt2`, `cl100k` or `o200k` when the pattern is a known one.
    #[getter]
    fn pattern_name(&self) -> Option<&'static str> {
        self.inner
            .pattern
            .as_deref()
            .and_then(toksmith::pretokenize::name_of_source)
    }

    /// Distinct words dropped by a `max_words` budget.
    #[getter]
    fn dropped_words(&self) -> u64 {
        self.inner.dropped_words
    }

    /// Occurrences carried by the dropped words.
    #[getter]
    fn dropped_count(&self) -> u64 {
        self.inner.dropped_count
    }

    /// `(word, count)` pairs, most frequent first (ties by word); all when `n` is None.
    #[pyo3(signature = (n=None))]
    fn most_common(&self, n: Option<usize>) -> Vec<(String, u64)> {
        let mut v: Vec<(&str, u64)> = self
            .inner
            .words
            .iter()
            .map(|(w, &c)| (w.as_ref(), c))
            .collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v.into_iter()
            .take(n.unwrap_or(usize::MAX))
            .map(|(w, c)| (w.to_string(), c))
            .collect()
    }

    /// The counts as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (w, c) in &self.inner.words {
            d.set_item(w.as_ref(), c)?;
        }
        Ok(d)
    }
}

/// Options of counting.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct CountArgs {
    pattern: Option<String>,
    max_words: Option<usize>,
    show_progress: bool,
    force_progress: bool,
    num_threads: Option<usize>,
}

impl CountArgs {
    fn progress(&self) -> Option<StderrProgress> {
        self.show_progress
            .then(|| StderrProgress::new(self.force_progress))
            .flatten()
    }
}

fn count_files_inner(py: Python<'_>, paths: &[PathBuf], args: &CountArgs) -> PyResult<Counts> {
    let pretok = Pretokenizer::new(args.pattern.as_deref()).py(py)?;
    let progress = args.progress();
    let p = progress.as_ref().map(|p| p as &dyn Progress);
    py.detach(|| {
        toksmith::with_threads(args.num_threads, || {
            count_files(paths, &pretok, args.max_words, p)
        })
    })
    .py(py)
}

fn count_iter_inner(
    py: Python<'_>,
    texts: &Bound<'_, PyIterator>,
    args: &CountArgs,
) -> PyResult<Counts> {
    const BATCH_BYTES: usize = 8 << 20;
    const BATCH_DOCS: usize = 100_000;
    let pretok = Pretokenizer::new(args.pattern.as_deref()).py(py)?;
    let progress = args.progress();
    let p = progress.as_ref().map(|p| p as &dyn Progress);
    let mut counter = WordCounter::new(&pretok, None).with_max_words(args.max_words);
    let mut batch: Vec<String> = Vec::new();
    let mut bytes = 0usize;
    let mut it = texts.clone();
    loop {
        let next = it.next();
        let done = next.is_none();
        if let Some(item) = next {
            let item = item?;
            let s = item.cast::<PyString>().map_err(|_| {
                to_py(
                    py,
                    Error::invalid(format!(
                        "training inputs must be strings, got {} (paths go in a str/PathLike or a list of them)",
                        item.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                    )),
                )
            })?;
            let s = text_of(s)?;
            bytes += s.len();
            batch.push(s);
        }
        if (done && !batch.is_empty()) || bytes >= BATCH_BYTES || batch.len() >= BATCH_DOCS {
            let b = std::mem::take(&mut batch);
            bytes = 0;
            py.detach(|| toksmith::with_threads(args.num_threads, || counter.add_docs(&b)))
                .py(py)?;
            if let Some(p) = p {
                p.update("count", counter.bytes_seen(), 0);
            }
        }
        if done {
            break;
        }
    }
    if let Some(p) = p {
        p.finish("count");
    }
    Ok(counter.into_counts())
}

/// Counts files and directories (each line one document).
#[pyfunction(name = "count_files")]
fn count_files_py(py: Python<'_>, paths: Vec<PathBuf>, args: CountArgs) -> PyResult<PyWordCounts> {
    Ok(PyWordCounts {
        inner: count_files_inner(py, &paths, &args)?,
    })
}

/// Counts an iterator of strings (each string one document), in batches.
#[pyfunction]
fn count_iter(
    py: Python<'_>,
    texts: &Bound<'_, PyIterator>,
    args: CountArgs,
) -> PyResult<PyWordCounts> {
    Ok(PyWordCounts {
        inner: count_iter_inner(py, texts, &args)?,
    })
}

/// Trains on counts; the pre-tokenizer is the one the counts were made with.
#[pyfunction]
fn train_counts(
    py: Python<'_>,
    counts: PyRef<'_, PyWordCounts>,
    args: TrainArgs,
) -> PyResult<PyTokenizer> {
    let counts = &counts.inner;
    if counts.words.is_empty() {
        return Err(to_py(
            py,
            Error::invalid("empty corpus: the counts hold no words"),
        ));
    }
    let pretok = Pretokenizer::new(counts.pattern.as_deref()).py(py)?;
    let (model, _, cfg) = args.config().py(py)?;
    let progress = args.progress();
    let p = progress.as_ref().map(|p| p as &dyn Progress);
    let inner = py
        .detach(|| args.with_pool(|| train_from_counts(&counts.words, pretok, model, cfg, p)))
        .py(py)?;
    Ok(PyTokenizer { inner })
}

/// Special tokens in id order (a dict has no meaningful order here).
fn sorted_specials(m: Option<std::collections::HashMap<String, u32>>) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = m.unwrap_or_default().into_iter().collect();
    v.sort_by_key(|x| x.1);
    v
}

fn from_ranks(
    ranks: &[(Vec<u8>, u32)],
    pattern: Option<&str>,
    specials: Vec<(String, u32)>,
    origin: &str,
) -> Result<toksmith::Tokenizer, Error> {
    let model = tiktoken::model_from_ranks(ranks, origin)?;
    let pretok = Pretokenizer::new(pattern)?;
    let added = specials
        .into_iter()
        .map(|(content, id)| toksmith::tokenizer::AddedToken {
            content,
            id,
            special: true,
        })
        .collect();
    toksmith::Tokenizer::new(
        None,
        pretok,
        toksmith::tokenizer::Model::Bpe(model),
        added,
        None,
    )
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
    m.add_function(wrap_pyfunction!(count_files_py, m)?)?;
    m.add_function(wrap_pyfunction!(count_iter, m)?)?;
    m.add_function(wrap_pyfunction!(train_counts, m)?)?;
    m.add_function(wrap_pyfunction!(pattern_source, m)?)?;
    m.add_function(wrap_pyfunction!(split, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
