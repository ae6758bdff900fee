//! The `Encoding` Python class returned by `Tokenizer.encode_full`: ids,
//! token strings, character offsets, type ids and masks.

use pyo3::prelude::*;

/// One encoded sequence (or pair) with everything HF's `Encoding` has.
#[pyclass(frozen, module = "toksmith._core", name = "Encoding")]
pub(crate) struct PyEncoding {
    #[pyo3(get)]
    ids: Vec<u32>,
    #[pyo3(get)]
    tokens: Vec<String>,
    #[pyo3(get)]
    offsets: Vec<(usize, usize)>,
    #[pyo3(get)]
    type_ids: Vec<u32>,
    /// Lists of ints as HF gives them (a `Vec<u8>` would become `bytes`).
    #[pyo3(get)]
    special_tokens_mask: Vec<u32>,
    #[pyo3(get)]
    attention_mask: Vec<u32>,
    #[pyo3(get)]
    sequence_ids: Vec<Option<u8>>,
}

#[pymethods]
impl PyEncoding {
    fn __len__(&self) -> usize {
        self.ids.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Encoding(num_tokens={}, ids={:?})",
            self.ids.len(),
            self.ids
        )
    }
}

/// Character offsets from byte offsets into `text` (offsets on character
/// boundaries, as the core gives them).
fn char_offsets(text: &str, spans: impl Iterator<Item = (usize, usize)>) -> Vec<(usize, usize)> {
    if text.is_ascii() {
        return spans.collect();
    }
    let mut at = vec![0usize; text.len() + 1];
    let mut n = 0;
    for (i, c) in text.char_indices() {
        for k in 0..c.len_utf8() {
            at[i + k] = n;
        }
        n += 1;
    }
    at[text.len()] = n;
    spans
        .map(|(s, e)| (at[s.min(text.len())], at[e.min(text.len())]))
        .collect()
}

/// Converts a core encoding; offsets of sequence 0 index `text`, of 1 `pair`.
pub(crate) fn to_py(
    tok: &toksmith::Tokenizer,
    e: toksmith::tokenizer::Encoding,
    text: &str,
    pair: Option<&str>,
) -> PyEncoding {
    let mut offsets = Vec::with_capacity(e.ids.len());
    let a = char_offsets(
        text,
        e.offsets
            .iter()
            .zip(&e.sequence_ids)
            .filter(|(_, s)| **s == Some(0))
            .map(|(o, _)| *o),
    );
    let b = char_offsets(
        pair.unwrap_or(""),
        e.offsets
            .iter()
            .zip(&e.sequence_ids)
            .filter(|(_, s)| **s == Some(1))
            .map(|(o, _)| *o),
    );
    let (mut ia, mut ib) = (a.into_iter(), b.into_iter());
    for s in &e.sequence_ids {
        offsets.push(match s {
            Some(0) => ia.next().unwrap_or_default(),
            Some(_) => ib.next().unwrap_or_default(),
            None => (0, 0),
        });
    }
    let tokens = e
        .ids
        .iter()
        .map(|&id| tok.id_to_token(id).unwrap_or_default().to_string())
        .collect();
    PyEncoding {
        attention_mask: vec![1; e.ids.len()],
        ids: e.ids,
        tokens,
        offsets,
        type_ids: e.type_ids,
        special_tokens_mask: e
            .special_tokens_mask
            .iter()
            .map(|&m| u32::from(m))
            .collect(),
        sequence_ids: e.sequence_ids,
    }
}
