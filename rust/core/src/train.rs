//! Training entry point: inputs → counts → model → [`Tokenizer`].

use crate::bpe::{self, TrainerConfig};
use crate::counts::{collect_files, Counts, Progress, WordCounter, WordCounts};
use crate::error::{Error, Result};
use crate::formats::spm::tokenizer::{pieces_to_spm, tokenizer as spm_tokenizer};
use crate::formats::spm::{SpmModelFile, SpmModelType};
use crate::normalize::Normalizer;
use crate::pretokenize::Pretokenizer;
use crate::tokenizer::{AddedToken, Model, Tokenizer};
use crate::tokenizer::{Decoder, PostProcessor};
use crate::unigram::{self, trainer::UnigramTrainerConfig};
use crate::wordpiece::{self, WordPieceModel};
use std::path::PathBuf;

/// Model families that can be trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelType {
    /// Byte-level BPE.
    Bbpe,
    /// Character-level BPE.
    Bpe,
    /// WordPiece.
    WordPiece,
    /// Unigram language model (SentencePiece).
    Unigram,
}

/// How WordPiece training picks the next merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    /// `count(ab) / (count(a) * count(b))`: the likelihood gain (WordPiece proper).
    Likelihood,
    /// `count(ab)`: HF's `WordPieceTrainer` (BPE with the `##` prefix).
    Frequency,
}

impl std::str::FromStr for Scoring {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "likelihood" => Ok(Scoring::Likelihood),
            "frequency" => Ok(Scoring::Frequency),
            other => Err(Error::invalid(format!(
                "unknown scoring {other:?}; expected 'likelihood' or 'frequency'"
            ))),
        }
    }
}

impl std::str::FromStr for ModelType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "bbpe" | "byte_bpe" | "bytelevel" => Ok(ModelType::Bbpe),
            "bpe" => Ok(ModelType::Bpe),
            "wordpiece" => Ok(ModelType::WordPiece),
            "unigram" => Ok(ModelType::Unigram),
            other => Err(Error::invalid(format!(
                "unknown model {other:?}; expected one of 'bbpe', 'bpe', 'wordpiece', 'unigram'"
            ))),
        }
    }
}

/// Counts the pre-tokens of files (directories walked; gzip, xz and zstd
/// decompressed), line by line, within an optional `max_words` budget.
pub fn count_files(
    paths: &[PathBuf],
    pretok: &Pretokenizer,
    normalizer: Option<&Normalizer>,
    max_words: Option<usize>,
    progress: Option<&dyn Progress>,
) -> Result<Counts> {
    let files = collect_files(paths)?;
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut counter = WordCounter::new(pretok, normalizer).with_max_words(max_words);
    for f in &files {
        counter.add_file(f, progress, total)?;
    }
    if let Some(p) = progress {
        p.finish("count");
    }
    Ok(counter.into_counts())
}

/// Trains a tokenizer on already counted pre-tokens. `normalizer` is the
/// one the counts were made with; it goes into the tokenizer.
pub fn train_from_counts(
    counts: &WordCounts,
    pretok: Pretokenizer,
    normalizer: Option<Normalizer>,
    model: ModelType,
    scoring: Scoring,
    cfg: TrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<Tokenizer> {
    if model == ModelType::WordPiece {
        return train_wordpiece(counts, pretok, normalizer, scoring, cfg, progress);
    }
    if model == ModelType::Unigram {
        return Err(Error::invalid(
            "Unigram models are trained with train_unigram",
        ));
    }
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
        .map(|s| {
            let id = m.token_to_id(s);
            AddedToken::special(
                s.clone(),
                id.expect("special tokens are in the trained vocabulary"),
            )
        })
        .collect();
    Tokenizer::new(normalizer, pretok, Model::Bpe(m), added, None)
}

fn train_wordpiece(
    counts: &WordCounts,
    pretok: Pretokenizer,
    normalizer: Option<Normalizer>,
    scoring: Scoring,
    cfg: TrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<Tokenizer> {
    if cfg.byte_fallback {
        return Err(Error::invalid(
            "byte_fallback is not available for WordPiece",
        ));
    }
    if cfg.max_token_length.is_some() {
        return Err(Error::invalid(
            "max_token_length is not available for WordPiece",
        ));
    }
    let unk = cfg.unk_token.clone().unwrap_or_else(|| "[UNK]".into());
    let prefix = cfg
        .continuing_subword_prefix
        .clone()
        .unwrap_or_else(|| "##".into());
    let mut specials = cfg.special_tokens.clone();
    if !specials.contains(&unk) {
        specials.insert(0, unk.clone());
    }
    let cfg = TrainerConfig {
        byte_level: false,
        special_tokens: specials.clone(),
        unk_token: None,
        continuing_subword_prefix: Some(prefix.clone()),
        ..cfg
    };
    let tokens: Vec<String> = match scoring {
        Scoring::Likelihood => wordpiece::trainer::train(counts, &cfg, progress)?,
        Scoring::Frequency => {
            let m = bpe::train(counts, &cfg, progress)?;
            let mut v: Vec<(&str, u32)> = m.vocab().collect();
            v.sort_unstable_by_key(|x| x.1);
            v.into_iter().map(|(t, _)| t.to_string()).collect()
        }
    };
    let vocab = tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t, i as u32))
        .collect();
    let m = WordPieceModel::new(vocab, &unk, &prefix, 100)?;
    let added: Vec<AddedToken> = specials
        .iter()
        .map(|s| {
            let id = m.token_to_id(s);
            AddedToken::special(s.clone(), id.expect("special tokens are in the vocabulary"))
        })
        .collect();
    let id = |t: &'static str| m.token_to_id(t).map(|i| (t, i));
    let post = match (id("[CLS]"), id("[SEP]")) {
        (Some(c), Some(s)) if specials.iter().any(|x| x == "[CLS]") => {
            Some(PostProcessor::bert(c, s))
        }
        _ => None,
    };
    let decoder = Decoder::WordPiece {
        prefix,
        cleanup: true,
    };
    let mut tok = Tokenizer::new(normalizer, pretok, Model::WordPiece(m), added, post)?;
    tok.decoder = decoder;
    Ok(tok)
}

/// The normalizer SentencePiece's trainer applies with
/// `normalization_rule_name=identity`: strip and collapse spaces, a dummy `▁`
/// prefix, spaces as `▁`. Used to count words for Unigram training.
pub fn spm_identity_normalizer() -> Result<Normalizer> {
    let file = SpmModelFile::new(Vec::new(), SpmModelType::Unigram);
    let n = crate::formats::spm::SpmNormalizer::from_model(&file, "<identity>")?;
    Ok(Normalizer::Spm(crate::normalize::SpmNorm(
        std::sync::Arc::new(n),
    )))
}

/// Trains a Unigram model on words counted with [`spm_identity_normalizer`]
/// and the `metaspace` split, and returns it as a SentencePiece tokenizer
/// (saved with `save_sentencepiece`, it loads in `sentencepiece`).
pub fn train_unigram(
    counts: &WordCounts,
    cfg: &UnigramTrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<Tokenizer> {
    if counts.is_empty() {
        return Err(Error::invalid("empty corpus: no words to train on"));
    }
    let mut words: Vec<(String, u64)> = counts.iter().map(|(w, &c)| (w.to_string(), c)).collect();
    words.sort_unstable();
    let pieces = unigram::trainer::train(&words, cfg, progress)?;
    let mut file = SpmModelFile::new(pieces_to_spm(&pieces), SpmModelType::Unigram);
    file.trainer.split_digits = Some(cfg.split_digits);
    file.trainer.character_coverage = Some(cfg.character_coverage as f32);
    file.trainer.max_sentencepiece_length = Some(cfg.max_piece_length as i32);
    spm_tokenizer(file, "<trained>")
}
