//! The `Tokenizer` Python class: loading, saving, encoding and decoding, and
//! the tiktoken-style accessors. Conversions only; behaviour is in the core.
//!
//! Performance notes: the extension is built for one CPython version, not
//! against the stable ABI (`abi3`). Under the stable ABI every reference
//! count is a call into libpython, a list item is set through the checked
//! `PyList_SetItem`, and a `str` is copied into a new `bytes` object to read
//! its UTF-8. Without it (and with the text borrowed instead of copied),
//! `encode_ordinary` per 4 KB document of mixed text went from 36-39 to 40-42
//! MB/s with o200k (same core). Building the list of ids still costs about a
//! fifth of the call: `python bench/tools/list_overhead.py` gives list / numpy 0.83
//! (o200k, zh-10M) and 0.80 (cl100k, mixed sample). Interning every id makes
//! each id a reference-count update on an int somewhere in 6 MB (o200k). With
//! the same loop, in a temporary build whose interning limit came from an
//! environment variable, list / numpy on Chinese text with o200k (ids mostly
//! above 100,000) was 0.77-0.78 interning all ids, 0.87-0.89 with fresh ints
//! and 0.84-0.86 interning ids below 65,536; on mixed text with cl100k
//! 0.82-0.85, 0.75 and 0.83-0.85. Ids below 65,536 were then interned up
//! front, and larger ids went through a direct-mapped table of 8,192
//! recently made ints (o200k, zh-10M: list / numpy 0.73 → 0.93).
//!
//! In `perf annotate` the list loop's time was nearly all the reference
//! count update, a cache miss on the int: ints made up front in id order
//! put frequent ids anywhere in 2 MB. Now every id's int is made the first
//! time the id is returned ([`Ints`]), so ints lie in memory in the order
//! ids are first seen, frequent ones mostly first and together. Best of six
//! passes, three processes each, interleaved, in a temporary build that
//! chose the scheme from an environment variable (list / numpy): o200k mixed
//! 0.82-0.86 → 0.85-0.88, o200k zh 0.84-0.85 → 0.85-0.90, cl100k mixed
//! 0.82-0.85 → 0.87-0.89. The same lazy table for ids below 65,536 only
//! (the rest through the recent table) was in between. Prefetching each
//! int eight ids ahead did nothing (0.79 either way). Nor did prefetching in
//! two stages (the table entry sixteen ids ahead, the int of the id eight
//! ahead): list / numpy 0.83-0.85 → 0.83-0.88 on the mixed sample and
//! 0.86-0.87 → 0.86-0.90 on zh-10M (o200k, two runs each).

use crate::{args, special_set, text_of, texts_of, to_py, IntoPyResult};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFrozenSet, PyInt, PyList, PyString};
use rustc_hash::FxHashSet;
use std::path::PathBuf;
use toksmith::formats::{hf_json, spm, tiktoken};
use toksmith::pretokenize::Pretokenizer;
use toksmith::tokenizer::SpecialSet;
use toksmith::Error;

/// Ids below this share one Python int each once seen (see the performance
/// notes); larger ids (only in vocabularies this large) get a fresh int.
const SHARED_LIMIT: usize = 1 << 20;

/// One Python int per id, made the first time the id is returned (`None`
/// until then), so that ints are laid out in memory in the order ids are
/// first seen, frequent ones first.
type Ints = Vec<Option<Py<PyInt>>>;

/// A tokenizer: immutable, thread-safe, cheap to share.
#[pyclass(frozen, module = "toksmith._core", name = "Tokenizer")]
pub(crate) struct PyTokenizer {
    pub(crate) inner: toksmith::Tokenizer,
    /// The shared ints (see [`Ints`]); empty until the first list is made.
    ints: std::sync::Mutex<Ints>,
}

impl PyTokenizer {
    pub(crate) fn new(inner: toksmith::Tokenizer) -> Self {
        PyTokenizer {
            inner,
            ints: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// `ids` as a Python list of ints, sharing the ints of earlier lists.
    fn list<'py>(&self, py: Python<'py>, ids: &[u32]) -> PyResult<Bound<'py, PyList>> {
        // The list is made first: it is a tracked object, so making it may
        // run the garbage collector and with it any finalizer, which could
        // encode again on this thread. Only plain ints are made while the
        // table of shared ints is held, and a table already held (by this
        // thread further up, or by another thread) is simply not used.
        let len = ids.len() as pyo3::ffi::Py_ssize_t;
        // SAFETY: a new list of `len` null items, which no one else sees
        // until every item is set below (PyList_SET_ITEM steals each
        // reference); nothing between can fail.
        let list = unsafe {
            Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyList_New(len))?
                .cast_into_unchecked::<PyList>()
        };
        let mut ints = self.ints.try_lock().ok();
        if let Some(t) = ints.as_mut().filter(|t| t.is_empty()) {
            t.resize_with(self.inner.vocab_size().min(SHARED_LIMIT), || None);
        }
        for (k, &id) in ids.iter().enumerate() {
            let obj = match ints.as_mut().and_then(|t| t.get_mut(id as usize)) {
                Some(Some(o)) => o.clone_ref(py),
                Some(slot) => {
                    let o = PyInt::new(py, id).unbind();
                    *slot = Some(o.clone_ref(py));
                    o
                }
                None => PyInt::new(py, id).unbind(),
            };
            // SAFETY: `k` is below the list's length; the slot is empty.
            unsafe {
                pyo3::ffi::PyList_SET_ITEM(
                    list.as_ptr(),
                    k as pyo3::ffi::Py_ssize_t,
                    obj.into_ptr(),
                );
            }
        }
        Ok(list)
    }

    /// A list of the ids of each text, `f` encoding them on a pool of
    /// `threads` threads with the GIL released. Each group of lists is made
    /// (with the GIL) while the pool encodes the next group
    /// (`Tokenizer::encode_batch_each`), not after the whole batch.
    fn lists<'py>(
        &self,
        py: Python<'py>,
        texts: &[std::borrow::Cow<'_, str>],
        threads: Option<usize>,
        f: impl Fn(&toksmith::Tokenizer, &str) -> Result<Vec<u32>, Error> + Send + Sync,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut items: Vec<Py<PyList>> = Vec::with_capacity(texts.len());
        let done = py.detach(|| {
            self.inner.encode_batch_each(texts, threads, f, |group| {
                Python::attach(|py| {
                    for ids in &group {
                        items.push(self.list(py, ids).map_err(BatchError::Python)?.unbind());
                    }
                    Ok(())
                })
            })
        });
        match done {
            Ok(()) => PyList::new(py, items),
            Err(BatchError::Core(e)) => Err(to_py(py, e)),
            Err(BatchError::Python(e)) => Err(e),
        }
    }
}

/// Why a batch stopped: the core's error, or Python's while making a list
/// (no memory), which is raised as it is.
enum BatchError {
    Core(Error),
    Python(PyErr),
}

impl From<Error> for BatchError {
    fn from(e: Error) -> Self {
        BatchError::Core(e)
    }
}

fn write_atomic(path: &std::path::Path, data: &str) -> Result<(), Error> {
    toksmith::write_atomic(path, |tmp| {
        std::fs::write(tmp, data).map_err(|e| Error::io(tmp, e))
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
        Ok(PyTokenizer::new(inner))
    }

    /// Loads a tiktoken rank file (plain or gzip) with a pattern name or regex
    /// and optional special tokens (`{token: id}`).
    #[staticmethod]
    #[pyo3(signature = (path, *, pattern, special_tokens=None))]
    fn from_tiktoken(
        py: Python<'_>,
        path: PathBuf,
        pattern: Option<String>,
        #[pyo3(from_py_with = args::specials)] special_tokens: Option<
            std::collections::HashMap<String, u32>,
        >,
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
        Ok(PyTokenizer::new(inner))
    }

    /// Builds a tokenizer from tiktoken-style `{token bytes: rank}`.
    #[staticmethod]
    #[pyo3(signature = (ranks, *, pattern, special_tokens=None))]
    fn from_ranks(
        py: Python<'_>,
        ranks: Vec<(Vec<u8>, u32)>,
        pattern: Option<String>,
        #[pyo3(from_py_with = args::specials)] special_tokens: Option<
            std::collections::HashMap<String, u32>,
        >,
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
        Ok(PyTokenizer::new(inner))
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
        Ok(PyTokenizer::new(inner))
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
    fn encode<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'_, PyString>,
        allowed_special: Option<&Bound<'_, PyAny>>,
        disallowed_special: Option<&Bound<'_, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let (a, d) = specials(allowed_special, disallowed_special)?;
        let text = text_of(text)?;
        let ids = py
            .detach(|| self.inner.encode(&text, &a, &d, add_special_tokens))
            .py(py)?;
        self.list(py, &ids)
    }

    fn encode_ordinary<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'_, PyString>,
    ) -> PyResult<Bound<'py, PyList>> {
        let text = text_of(text)?;
        let ids = py.detach(|| self.inner.encode_ordinary(&text)).py(py)?;
        self.list(py, &ids)
    }

    #[pyo3(signature = (texts, *, num_threads=None, allowed_special=None, disallowed_special=None, add_special_tokens=true))]
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<Bound<'_, PyString>>,
        #[pyo3(from_py_with = args::threads)] num_threads: Option<usize>,
        allowed_special: Option<&Bound<'_, PyAny>>,
        disallowed_special: Option<&Bound<'_, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let (a, d) = specials(allowed_special, disallowed_special)?;
        let texts = texts_of(&texts)?;
        self.lists(py, &texts, num_threads, |t, s| {
            t.encode(s, &a, &d, add_special_tokens)
        })
    }

    #[pyo3(signature = (texts, *, num_threads=None))]
    fn encode_ordinary_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<Bound<'_, PyString>>,
        #[pyo3(from_py_with = args::threads)] num_threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let texts = texts_of(&texts)?;
        self.lists(py, &texts, num_threads, |t, s| t.encode_ordinary(s))
    }

    #[pyo3(signature = (ids, *, skip_special_tokens=false))]
    fn decode(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = args::ids)] ids: Vec<u32>,
        skip_special_tokens: bool,
    ) -> PyResult<String> {
        py.detach(|| self.inner.decode_with(&ids, skip_special_tokens))
            .py(py)
    }

    /// Ids, tokens, offsets (characters), type ids and masks of `text`
    /// (and `pair`), with the post-processor's special tokens.
    #[pyo3(signature = (text, pair=None, *, allowed_special=None, disallowed_special=None, add_special_tokens=true))]
    fn encode_full(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        pair: Option<&Bound<'_, PyString>>,
        allowed_special: Option<&Bound<'_, PyAny>>,
        disallowed_special: Option<&Bound<'_, PyAny>>,
        add_special_tokens: bool,
    ) -> PyResult<crate::encoding::PyEncoding> {
        let (a, d) = specials(allowed_special, disallowed_special)?;
        let text = text_of(text)?;
        let pair = pair.map(text_of).transpose()?;
        let enc = py
            .detach(|| {
                self.inner
                    .encode_full(&text, pair.as_deref(), &a, &d, add_special_tokens)
            })
            .py(py)?;
        Ok(crate::encoding::to_py(
            &self.inner,
            enc,
            &text,
            pair.as_deref(),
        ))
    }

    /// Loads a BERT `vocab.txt` with the BERT normalizer, pre-tokenizer and
    /// post-processor, as HF's `BertWordPieceTokenizer` does.
    #[staticmethod]
    #[pyo3(signature = (path, *, lowercase=true, strip_accents=None, clean_text=true, handle_chinese_chars=true, unk_token="[UNK]".to_string(), continuing_subword_prefix="##".to_string(), max_input_chars_per_word=100))]
    #[allow(clippy::too_many_arguments)]
    fn from_wordpiece_vocab(
        py: Python<'_>,
        path: PathBuf,
        lowercase: bool,
        strip_accents: Option<bool>,
        clean_text: bool,
        handle_chinese_chars: bool,
        unk_token: String,
        continuing_subword_prefix: String,
        max_input_chars_per_word: usize,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| {
                let origin = path.display().to_string();
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                let text = String::from_utf8(bytes).map_err(|e| Error::Format {
                    origin: origin.clone(),
                    message: format!("not valid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
                })?;
                let vocab = toksmith::wordpiece::WordPieceModel::read_vocab_txt(&text, &origin)?;
                let norm = toksmith::normalize::BertNormalizer {
                    clean_text,
                    handle_chinese_chars,
                    strip_accents,
                    lowercase,
                };
                toksmith::wordpiece::bert_tokenizer(
                    vocab,
                    norm,
                    &unk_token,
                    &continuing_subword_prefix,
                    max_input_chars_per_word,
                )
                .map_err(|e| match e {
                    Error::Invalid(message) => Error::Format { origin, message },
                    other => other,
                })
            })
            .py(py)?;
        Ok(PyTokenizer::new(inner))
    }

    /// Loads a SentencePiece `.model` file (unigram or bpe).
    #[staticmethod]
    fn from_sentencepiece(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py
            .detach(|| {
                let origin = path.display().to_string();
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                let m = spm::read(&bytes, &origin)?;
                spm::tokenizer::tokenizer(m, &origin)
            })
            .py(py)?;
        Ok(PyTokenizer::new(inner))
    }

    /// Writes a SentencePiece `.model` file (SentencePiece models only).
    fn save_sentencepiece(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| {
            let file = spm::tokenizer::model_file(&self.inner)?;
            let bytes = spm::write(&file);
            toksmith::write_atomic(&path, |tmp| {
                std::fs::write(tmp, &bytes).map_err(|e| Error::io(tmp, e))
            })
        })
        .py(py)
    }

    /// The `n` best segmentations (Unigram models), best first.
    fn encode_nbest(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        n: usize,
    ) -> PyResult<Vec<Vec<u32>>> {
        let text = text_of(text)?;
        py.detach(|| spm::tokenizer::encode_nbest(&self.inner, &text, n))
            .py(py)
    }

    /// BPE-dropout: merges skipped at random with probability `dropout`.
    #[pyo3(signature = (text, dropout, *, seed=None))]
    fn encode_dropout<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'_, PyString>,
        dropout: f32,
        #[pyo3(from_py_with = args::seed)] seed: Option<u64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let text = text_of(text)?;
        let seed = seed.unwrap_or_else(toksmith::bpe::dropout::random_seed);
        let ids = py
            .detach(|| self.inner.encode_dropout(&text, dropout, seed))
            .py(py)?;
        self.list(py, &ids)
    }

    /// The dropout probability of a BPE model loaded with one (HF `dropout`).
    #[getter]
    fn dropout(&self) -> Option<f32> {
        self.inner.bpe().and_then(|m| m.dropout())
    }

    /// A sampled segmentation (subword regularization, Unigram models).
    #[pyo3(signature = (text, *, alpha=0.1, nbest_size=-1, seed=None))]
    fn encode_sample(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        alpha: f32,
        nbest_size: i32,
        #[pyo3(from_py_with = args::seed)] seed: Option<u64>,
    ) -> PyResult<Vec<u32>> {
        let text = text_of(text)?;
        let seed = seed.unwrap_or_else(toksmith::bpe::dropout::random_seed);
        py.detach(|| spm::tokenizer::encode_sample(&self.inner, &text, alpha, nbest_size, seed))
            .py(py)
    }

    /// Writes the WordPiece vocabulary as a BERT `vocab.txt`.
    fn save_wordpiece_vocab(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| {
            let toksmith::tokenizer::Model::WordPiece(m) = &self.inner.model else {
                return Err(Error::invalid(format!(
                    "only WordPiece tokenizers have a vocab.txt, not {}",
                    self.inner.model_name()
                )));
            };
            m.vocab_txt().and_then(|s| write_atomic(&path, &s))
        })
        .py(py)
    }

    fn decode_bytes<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = args::ids)] ids: Vec<u32>,
    ) -> PyResult<Bound<'py, PyBytes>> {
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
            None => match self.inner.bpe() {
                Some(b) if b.kind == toksmith::bpe::BpeKind::ByteLevel => {
                    b.token_to_id(&toksmith::byte_level::encode_bytes(&data))
                }
                _ => std::str::from_utf8(&data)
                    .ok()
                    .and_then(|s| self.inner.model.token_to_id(s)),
            },
        };
        found.ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(PyBytes::new(py, &data).unbind()))
    }

    /// The bytes of one token.
    fn decode_single_token_bytes<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = args::id)] token: u32,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let b = self.inner.decode_bytes(&[token]).py(py)?;
        Ok(PyBytes::new(py, &b))
    }

    /// The bytes of every model token (special tokens excluded), sorted.
    fn token_byte_values<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        let specials: FxHashSet<u32> = self.inner.added_tokens().iter().map(|a| a.id).collect();
        let mut v: Vec<&[u8]> = self
            .inner
            .model
            .vocab()
            .into_iter()
            .filter(|(_, id)| !specials.contains(id))
            .filter_map(|(t, id)| match self.inner.bpe() {
                Some(b) => b.decoded(id),
                None => Some(t.as_bytes()),
            })
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

    fn id_to_token(
        &self,
        #[pyo3(from_py_with = args::id_or_none)] id: Option<u32>,
    ) -> Option<&str> {
        id.and_then(|id| self.inner.id_to_token(id))
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
        self.inner.bpe().map(|b| b.merges_str()).unwrap_or_default()
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
        let pattern = crate::pattern_repr(
            self.inner.pretokenizer.name(),
            self.inner.pretokenizer.source(),
        );
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

/// Special tokens in id order (a dict has no meaningful order here).
fn sorted_specials(m: Option<std::collections::HashMap<String, u32>>) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = m.unwrap_or_default().into_iter().collect();
    v.sort_by_key(|x| x.1);
    v
}

pub(crate) fn from_ranks(
    ranks: &[(Vec<u8>, u32)],
    pattern: Option<&str>,
    specials: Vec<(String, u32)>,
    origin: &str,
) -> Result<toksmith::Tokenizer, Error> {
    let model = tiktoken::model_from_ranks(ranks, origin)?;
    let pretok = Pretokenizer::new(pattern)?;
    let added = specials
        .into_iter()
        .map(|(content, id)| toksmith::tokenizer::AddedToken::special(content, id))
        .collect();
    toksmith::Tokenizer::new(
        None,
        pretok,
        toksmith::tokenizer::Model::Bpe(model),
        added,
        None,
    )
}
