//! Counting and training from Python: the `WordCounts` class and the
//! `count_files`, `count_iter` and `train_counts` functions.

use crate::progress::StderrProgress;
use crate::tokenizer::PyTokenizer;
use crate::{text_of, to_py, IntoPyResult};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator, PyString};
use std::path::PathBuf;
use toksmith::bpe::TrainerConfig;
use toksmith::counts::{Counts, Progress, WordCounter};
use toksmith::normalize::Normalizer;
use toksmith::pretokenize::Pretokenizer;
use toksmith::train::{count_files, train_from_counts, train_unigram, ModelType, Scoring};
use toksmith::unigram::UnigramTrainerConfig;
use toksmith::Error;

/// Options shared by both training entry points.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct TrainArgs {
    model: String,
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
    normalizer: Option<String>,
    scoring: String,
    continuing_subword_prefix: Option<String>,
    character_coverage: f64,
    max_piece_length: usize,
    shrinking_factor: f64,
    split_digits: bool,
    user_defined_symbols: Vec<String>,
}

impl TrainArgs {
    fn config(&self) -> Result<(ModelType, TrainerConfig), Error> {
        let model: ModelType = self.model.parse()?;
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
            continuing_subword_prefix: self.continuing_subword_prefix.clone(),
        };
        Ok((model, cfg))
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
pub(crate) struct PyWordCounts {
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
            crate::pattern_repr(self.pattern_name(), self.inner.pattern.as_deref()),
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
    fn most_common(
        &self,
        #[pyo3(from_py_with = crate::args::count)] n: Option<usize>,
    ) -> Vec<(String, u64)> {
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
pub(crate) struct CountArgs {
    pattern: Option<String>,
    normalizer: Option<String>,
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

fn normalizer_of(name: Option<&str>) -> Result<Option<Normalizer>, Error> {
    name.map(Normalizer::from_name).transpose()
}

fn count_files_inner(py: Python<'_>, paths: &[PathBuf], args: &CountArgs) -> PyResult<Counts> {
    let pretok = Pretokenizer::new(args.pattern.as_deref()).py(py)?;
    let norm = normalizer_of(args.normalizer.as_deref()).py(py)?;
    let progress = args.progress();
    let p = progress.as_ref().map(|p| p as &dyn Progress);
    py.detach(|| {
        toksmith::with_threads(args.num_threads, || {
            count_files(paths, &pretok, norm.as_ref(), args.max_words, p)
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
    let norm = normalizer_of(args.normalizer.as_deref()).py(py)?;
    let progress = args.progress();
    let p = progress.as_ref().map(|p| p as &dyn Progress);
    let mut counter = WordCounter::new(&pretok, norm.as_ref()).with_max_words(args.max_words);
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
            batch.push(s.into_owned());
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
pub(crate) fn count_files_py(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    args: CountArgs,
) -> PyResult<PyWordCounts> {
    Ok(PyWordCounts {
        inner: count_files_inner(py, &paths, &args)?,
    })
}

/// Counts an iterator of strings (each string one document), in batches.
#[pyfunction]
pub(crate) fn count_iter(
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
pub(crate) fn train_counts(
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
    let (model, cfg) = args.config().py(py)?;
    if model == ModelType::Unigram {
        let ucfg = UnigramTrainerConfig {
            vocab_size: cfg.vocab_size,
            character_coverage: args.character_coverage,
            max_piece_length: args.max_piece_length,
            shrinking_factor: args.shrinking_factor,
            split_digits: args.split_digits,
            byte_fallback: args.byte_fallback,
            user_defined_symbols: args.user_defined_symbols.clone(),
            control_symbols: cfg.special_tokens.clone(),
            unk_piece: cfg.unk_token.clone().unwrap_or_else(|| "<unk>".into()),
            num_threads: args.num_threads,
            ..UnigramTrainerConfig::default()
        };
        let progress = args.progress();
        let p = progress.as_ref().map(|p| p as &dyn Progress);
        let inner = py
            .detach(|| train_unigram(&counts.words, &ucfg, p))
            .py(py)?;
        return Ok(PyTokenizer::new(inner));
    }
    let scoring: Scoring = args.scoring.parse().py(py)?;
    let norm = normalizer_of(args.normalizer.as_deref()).py(py)?;
    let progress = args.progress();
    let p = progress.as_ref().map(|p| p as &dyn Progress);
    let inner = py
        .detach(|| {
            args.with_pool(|| {
                train_from_counts(&counts.words, pretok, norm, model, scoring, cfg, p)
            })
        })
        .py(py)?;
    Ok(PyTokenizer::new(inner))
}
