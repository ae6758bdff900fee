//! WordPiece (BERT): the model ([`model`]), its linear-time encoder
//! ([`encode`]) and the likelihood trainer ([`trainer`]). HF's frequency-based
//! `WordPieceTrainer` is BPE with a `##` prefix and lives in the BPE trainer
//! (`TrainerConfig::continuing_subword_prefix`).

pub mod encode;
pub mod model;
pub mod trainer;

pub(crate) use model::cleanup_token;
pub use model::WordPieceModel;

use crate::error::Result;
use crate::normalize::{BertNormalizer, Normalizer};
use crate::pretokenize::Pretokenizer;
use crate::tokenizer::{AddedToken, Decoder, Model, PostProcessor, Tokenizer};

/// BERT's special tokens, in HF's `BertWordPieceTokenizer` order.
pub const BERT_SPECIALS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// A BERT tokenizer around a WordPiece vocabulary, as HF's
/// `BertWordPieceTokenizer(vocab)` builds it: BERT normalizer and
/// pre-tokenizer, the BERT special tokens that are in the vocabulary as added
/// tokens, `[CLS] A [SEP]` post-processing when both exist, WordPiece decoder.
pub fn bert_tokenizer(
    vocab: Vec<(String, u32)>,
    normalizer: BertNormalizer,
    unk_token: &str,
    prefix: &str,
    max_input_chars_per_word: usize,
) -> Result<Tokenizer> {
    let m = WordPieceModel::new(vocab, unk_token, prefix, max_input_chars_per_word)?;
    let added = [unk_token, "[SEP]", "[CLS]", "[PAD]", "[MASK]"]
        .iter()
        .filter_map(|t| {
            m.token_to_id(t)
                .map(|id| AddedToken::special(t.to_string(), id))
        })
        .fold(Vec::<AddedToken>::new(), |mut v, a| {
            if !v.iter().any(|x| x.content == a.content) {
                v.push(a);
            }
            v
        });
    let post = match (m.token_to_id("[CLS]"), m.token_to_id("[SEP]")) {
        (Some(c), Some(s)) => Some(PostProcessor::bert(("[CLS]", c), ("[SEP]", s))),
        _ => None,
    };
    let decoder = Decoder::WordPiece {
        prefix: prefix.to_string(),
        cleanup: true,
    };
    let mut tok = Tokenizer::new(
        Some(Normalizer::Bert(normalizer)),
        Pretokenizer::Bert,
        Model::WordPiece(m),
        added,
        post,
    )?;
    tok.decoder = decoder;
    Ok(tok)
}
