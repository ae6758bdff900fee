//! The [`Tokenizer`]: normalizer, pre-tokenizer, model, special tokens and
//! post-processor, composed as one pipeline.
//!
//! Encoding: special tokens that are allowed are found first (leftmost-longest)
//! and emitted as their ids; the text between them is normalized (then
//! searched for HF's `normalized` added tokens, see `added.rs`), split into
//! pieces, and each piece is encoded by the model. A special token that is
//! disallowed raises an error, as in tiktoken. `encode_ordinary` skips all of
//! that and treats special-token text as ordinary text.
//!
//! Performance notes: for a rank-ordered byte-level model the path through
//! the model (dropout, flavour, backtracking encoder) is chosen once per
//! text (`BpeModel::ranked_encoder`), not per piece, and the per-piece
//! encoder is inlined into the scanner's loop. callgrind on mixed text,
//! o200k: 1005M → 972M instructions for the first (2 MB six times), 803M →
//! 777M for the second (6 MB twice); `examples/encode_bench.rs` per 4 KB
//! document, five interleaved runs each, median 70.8 → 74.4 MB/s for the
//! second.

mod added;
mod batch;
mod decode;
mod full;
mod hf_steps;
mod model;
mod post;

pub use added::AddedToken;
pub use decode::Decoder;
pub use full::Encoding;
pub use hf_steps::{HfDecodeStep, Metaspace, PrependScheme};
pub use model::Model;
pub use post::{Piece, PostProcessor};

use crate::bpe::BpeModel;
use crate::error::{Error, Result};
use crate::normalize::Normalizer;
use crate::pretokenize::Pretokenizer;
use rustc_hash::{FxHashMap, FxHashSet};

/// HF `ByteLevel` pre-tokenizer settings that matter for ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteLevelOpts {
    /// Prepend a space to each segment that does not start with one.
    pub add_prefix_space: bool,
}

/// Which special tokens are allowed or disallowed in `encode`.
#[derive(Debug, Clone)]
pub enum SpecialSet {
    /// Every special token.
    All,
    /// Just these.
    Some(FxHashSet<String>),
}

impl SpecialSet {
    fn contains(&self, t: &str) -> bool {
        match self {
            SpecialSet::All => true,
            SpecialSet::Some(s) => s.contains(t),
        }
    }
    fn is_empty(&self) -> bool {
        matches!(self, SpecialSet::Some(s) if s.is_empty())
    }
}

/// A part of the input: text to encode, or a special token `(id, start, end)`.
enum Segment {
    Text(usize, usize),
    Special(u32, usize, usize),
}

/// A complete tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    /// Normalizer applied to text between special tokens.
    pub normalizer: Option<Normalizer>,
    /// Splits text into pieces.
    pub pretokenizer: Pretokenizer,
    /// HF ByteLevel options (byte-level models only).
    pub byte_level: ByteLevelOpts,
    /// HF `Metaspace` rewriting after normalization (spaces → `▁`, prefix);
    /// its split is [`Pretokenizer::Metaspace`].
    pub metaspace: Option<Metaspace>,
    /// The model.
    pub model: Model,
    /// Post-processor template, applied when `add_special_tokens` is true.
    pub post: Option<PostProcessor>,
    /// Added / special tokens.
    added: Vec<AddedToken>,
    added_by_id: FxHashMap<u32, usize>,
    added_by_content: FxHashMap<String, u32>,
    /// Leftmost-longest matcher over the added tokens that are not
    /// `normalized`, in the original text.
    matcher: Option<added::Matcher>,
    /// The same over the `normalized` ones, in normalized text.
    norm_matcher: Option<added::Matcher>,
    /// How ids become text.
    pub decoder: Decoder,
    /// Extra HF JSON kept verbatim for saving (decoder, post_processor).
    pub hf_extra: FxHashMap<String, serde_json::Value>,
}

impl Tokenizer {
    /// Assembles a tokenizer.
    pub fn new(
        normalizer: Option<Normalizer>,
        pretokenizer: Pretokenizer,
        model: Model,
        added: Vec<AddedToken>,
        post: Option<PostProcessor>,
    ) -> Result<Self> {
        let decoder = Decoder::default_for(&model);
        let mut t = Tokenizer {
            normalizer,
            pretokenizer,
            byte_level: ByteLevelOpts::default(),
            metaspace: None,
            decoder,
            model,
            post,
            added: Vec::new(),
            added_by_id: FxHashMap::default(),
            added_by_content: FxHashMap::default(),
            matcher: None,
            norm_matcher: None,
            hf_extra: FxHashMap::default(),
        };
        t.set_added(added)?;
        Ok(t)
    }

    fn set_added(&mut self, added: Vec<AddedToken>) -> Result<()> {
        self.added_by_id.clear();
        self.added_by_content.clear();
        for (i, a) in added.iter().enumerate() {
            if a.content.is_empty() {
                return Err(Error::invalid("a special token must not be empty"));
            }
            if let Some(prev) = self.added_by_content.insert(a.content.clone(), a.id) {
                if prev != a.id {
                    return Err(Error::invalid(format!(
                        "special token {:?} has two ids ({prev} and {})",
                        a.content, a.id
                    )));
                }
            }
            crate::id_table_len(
                [(a.id, a.content.as_bytes())],
                self.model.len() + added.len(),
            )?;
            if let Some(&j) = self.added_by_id.get(&a.id) {
                if added[j].content != a.content {
                    return Err(Error::invalid(format!(
                        "id {} is given to two special tokens ({:?} and {:?})",
                        a.id, added[j].content, a.content
                    )));
                }
            }
            if let Some(t) = self.model.id_to_token(a.id) {
                let same = t == a.content
                    || (self.model.name() == "bbpe"
                        && t == crate::byte_level::encode_bytes(a.content.as_bytes()));
                if !same {
                    return Err(Error::invalid(format!(
                        "special token {:?} has id {}, which the vocabulary gives to {t:?}",
                        a.content, a.id
                    )));
                }
            }
            self.added_by_id.insert(a.id, i);
        }
        self.matcher = self.matcher_of(&added, false)?;
        self.norm_matcher = self.matcher_of(&added, true)?;
        self.added = added;
        Ok(())
    }

    /// The BPE model, if the model is BPE.
    pub fn bpe(&self) -> Option<&BpeModel> {
        match &self.model {
            Model::Bpe(m) => Some(m),
            _ => None,
        }
    }

    /// `"bbpe"`, `"bpe"` or `"wordpiece"`.
    pub fn model_name(&self) -> &'static str {
        self.model.name()
    }

    /// The text of an added (special) token.
    pub fn added_token(&self, id: u32) -> Option<&str> {
        self.added_by_id
            .get(&id)
            .map(|&i| self.added[i].content.as_str())
    }

    /// Whether an id is an added (special) token.
    pub fn is_added(&self, id: u32) -> bool {
        self.added_by_id.contains_key(&id)
    }

    /// Whether the token of `id` is the content of a special added token
    /// (what HF skips when decoding with `skip_special_tokens`).
    pub fn is_special(&self, id: u32) -> bool {
        self.id_to_token(id).is_some_and(|t| {
            self.added_by_content
                .get(t)
                .and_then(|aid| self.added_by_id.get(aid))
                .is_some_and(|&i| self.added[i].special)
        })
    }

    /// Added tokens in id order of insertion.
    pub fn added_tokens(&self) -> &[AddedToken] {
        &self.added
    }

    /// Size of the id space: one past the largest id of the model or any added token.
    pub fn vocab_size(&self) -> usize {
        let added_max = self
            .added
            .iter()
            .map(|a| a.id as usize + 1)
            .max()
            .unwrap_or(0);
        self.model.len().max(added_max)
    }

    /// Id of a token (added tokens first, then the model vocabulary).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.added_by_content
            .get(token)
            .copied()
            .or_else(|| self.model.token_to_id(token))
    }

    /// Token string of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        match self.added_by_id.get(&id) {
            Some(&i) => Some(self.added[i].content.as_str()),
            None => self.model.id_to_token(id),
        }
    }

    /// The full vocabulary, added tokens included.
    pub fn vocab(&self) -> Vec<(String, u32)> {
        let mut v: Vec<(String, u32)> = self
            .model
            .vocab()
            .into_iter()
            .map(|(t, i)| (t.to_string(), i))
            .collect();
        for a in &self.added {
            if self.model.id_to_token(a.id) != Some(a.content.as_str()) {
                v.push((a.content.clone(), a.id));
            }
        }
        v
    }

    /// Encodes text with BPE-dropout `p` (subword regularization), with no
    /// special-token handling and no post-processing. HF-style BPE models skip
    /// merges as HF `tokenizers` does with `BPE(dropout=p)`; SentencePiece BPE
    /// models as `sp.encode(text, enable_sampling=True, alpha=p)`. The same
    /// `seed` gives the same result.
    pub fn encode_dropout(&self, text: &str, p: f32, seed: u64) -> Result<Vec<u32>> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid(format!(
                "dropout must be between 0 and 1, got {p}"
            )));
        }
        match &self.model {
            Model::Bpe(m) => {
                let mut out = Vec::new();
                let mut rng = crate::bpe::dropout::Rng::new(seed);
                self.for_each_normalized_piece(text, true, true, |piece| {
                    m.encode_piece_dropout(piece, p, &mut rng, &mut out)
                })?;
                Ok(out)
            }
            Model::Spm(crate::formats::spm::tokenizer::SpmModel {
                encoder: crate::formats::spm::tokenizer::SpmEncoder::Bpe(_),
                ..
            }) => crate::formats::spm::tokenizer::encode_sample(self, text, p, -1, seed),
            _ => Err(Error::invalid(format!(
                "BPE-dropout needs a BPE model, not {}",
                self.model_name()
            ))),
        }
    }

    /// Encodes text with no special-token handling and no post-processing.
    pub fn encode_ordinary(&self, text: &str) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        self.encode_segment(text, true, true, &mut out)?;
        Ok(out)
    }

    /// Encodes text between special tokens; `at_start` says whether it
    /// starts the input (HF `Metaspace`'s `first` scheme); `normalize` is
    /// false for text already normalized.
    fn encode_segment(
        &self,
        text: &str,
        at_start: bool,
        normalize: bool,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        match &self.model {
            Model::Bpe(m) => crate::bpe::with_scratch(|s| match m.ranked_encoder() {
                // Inlined into the scanner's loop: a call per piece was 4%
                // of a whole encode's instructions (callgrind).
                Some(bt) => self.for_each_normalized_piece(
                    text,
                    at_start,
                    normalize,
                    #[inline(always)]
                    |p| m.encode_ranked_piece(bt, p, out, s),
                ),
                None => self.for_each_normalized_piece(text, at_start, normalize, |p| {
                    m.encode_piece_in(p, out, s)
                }),
            }),
            model => self.for_each_normalized_piece(text, at_start, normalize, |p| {
                model.encode_piece(p, out)
            }),
        }
    }

    /// Runs the normalizer (when `normalize`), the byte-level prefix space,
    /// HF `Metaspace` and the pre-tokenizer over `text`, calling `f` on each
    /// piece.
    fn for_each_normalized_piece(
        &self,
        text: &str,
        at_start: bool,
        normalize: bool,
        f: impl FnMut(&str),
    ) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let normalized;
        let mut t = text;
        if let Some(n) = self.normalizer.as_ref().filter(|_| normalize) {
            normalized = n.apply(t);
            t = &normalized;
        }
        let prefixed;
        if self.byte_level.add_prefix_space && !t.starts_with(' ') && !t.is_empty() {
            prefixed = format!(" {t}");
            t = &prefixed;
        }
        let spaced;
        if let Some(m) = &self.metaspace {
            spaced = m.apply(t, at_start);
            t = &spaced;
        }
        self.pretokenizer.for_each_piece(t, f)
    }

    /// Encodes text, treating special tokens as tiktoken does (see the module docs).
    pub fn encode(
        &self,
        text: &str,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
        add_special: bool,
    ) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(text.len() / 3 + 4);
        if add_special {
            if let Some(p) = &self.post {
                out.extend(p.prefix());
            }
        }
        if !disallowed.is_empty() {
            self.check_disallowed(text, allowed, disallowed)?;
        }
        if self.matcher.is_some() || self.norm_matcher.is_some() {
            self.encode_with_specials(text, allowed, &mut out)?;
        } else {
            self.encode_segment(text, true, true, &mut out)?;
        }
        if add_special {
            if let Some(p) = &self.post {
                out.extend(p.suffix());
            }
        }
        Ok(out)
    }

    /// tiktoken's check: with `All`, every special token not allowed; with an
    /// explicit set, exactly those strings (special tokens or not). The first
    /// occurrence in the text (longest at a position) is named in the error.
    fn check_disallowed(
        &self,
        text: &str,
        allowed: &SpecialSet,
        disallowed: &SpecialSet,
    ) -> Result<()> {
        let candidates: Vec<&str> = match disallowed {
            SpecialSet::All => self
                .added
                .iter()
                .map(|a| a.content.as_str())
                .filter(|c| !allowed.contains(c))
                .collect(),
            SpecialSet::Some(set) => set
                .iter()
                .map(String::as_str)
                .filter(|c| !c.is_empty())
                .collect(),
        };
        let first = candidates
            .into_iter()
            .filter_map(|c| text.find(c).map(|at| (at, std::cmp::Reverse(c.len()), c)))
            .min();
        match first {
            Some((_, _, c)) => Err(Error::DisallowedSpecial(c.to_string())),
            None => Ok(()),
        }
    }
}
