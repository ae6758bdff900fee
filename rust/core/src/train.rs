//! Training entry point: inputs → counts → model → [`Tokenizer`].

use crate::bpe::{self, TrainerConfig};
use crate::counts::{collect_files, Counts, Progress, WordCounter, WordCounts};
use crate::error::{Error, Result};
use crate::pretokenize::Pretokenizer;
use crate::tokenizer::{AddedToken, Model, Tokenizer};
use std::path::PathBuf;

/// Model families that can be trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelType {
    /// Byte-level BPE.
    Bbpe,
    /// Character-level BPE.
    Bpe,
}

impl std::str::FromStr for ModelType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "bbpe" | "byte_bpe" | "bytelevel" => Ok(ModelType::Bbpe),
            "bpe" => Ok(ModelType::Bpe),
            other => Err(Error::invalid(format!(
                "unknown model {other:?}; expected one of 'bbpe', 'bpe'"
            ))),
        }
    }
}

/// Counts the pre-tokens of files (directories walked; gzip, xz and zstd
/// decompressed), line by line, within an optional `max_words` budget.
pub fn count_files(
    paths: &[PathBuf],
    pretok: &Pretokenizer,
    max_words: Option<usize>,
    progress: Option<&dyn Progress>,
) -> Result<Counts> {
    let files = collect_files(paths)?;
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut counter = WordCounter::new(pretok, None).with_max_words(max_words);
    for f in &files {
        counter.add_file(f, progress, total)?;
    }
    if let Some(p) = progress {
        p.finish("count");
    }
    Ok(counter.into_counts())
}

/// Trains a tokenizer on already counted pre-tokens.
pub fn train_from_counts(
    counts: &WordCounts,
    pretok: Pretokenizer,
    model: ModelType,
    cfg: TrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<Tokenizer> {
    let cfg = TrainerConfig {
        byte_level: model == ModelType::Bbpe,
        ..cfg
    };
    if cfg.byte_level && cfg.limit_alphabet.is_some_and(|l| l < 256) {
        return Err(Error::invalid(
            "limit_alphabet below 256 makes no sense for byte-level BPE",
        ));
    }
    let trained = bpe::train(counts, &cfg, progress)?;
    let m = trained;
    let mut specials = cfg.special_tokens.clone();
    if let Some(u) = &cfg.unk_token {
        if !specials.contains(u) {
            specials.insert(0, u.clone());
        }
    }
    let added = specials
        .iter()
        .map(|s| AddedToken {
            content: s.clone(),
            id: m
                .token_to_id(s)
                .expect("special tokens are in the trained vocabulary"),
            special: true,
        })
        .collect();
    Tokenizer::new(None, pretok, Model::Bpe(m), added, None)
}
