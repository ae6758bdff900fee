//! The BPE model: vocabulary, ranked merges, and what each token decodes to.
//!
//! Token strings are kept as written in the vocabulary (for byte-level models,
//! in GPT-2's byte-to-unicode alphabet); the bytes each id decodes to live in
//! one flat buffer with offsets. Merges map a packed `(left, right)` id pair to
//! `(rank, result id)`; when a pair appears twice in a merge list the later rank
//! wins, as in HF.
//!
//! Performance notes: where a tiktoken encode's time goes ([`BpeModel::encode_ranked`],
//! o200k, the 20 MB mixed sample per 4 KB document). Measured by switching
//! parts off in a temporary build, one binary alternating plain and switched
//! passes (this VM's slow spells then fall on both; ratios of pairs, median
//! of eight to twenty): splitting, the one- and two-byte tables and hits of
//! the table of recent whole tokens alone run 4.7x the whole encode (324
//! against 69 MB/s). Without the backtracking of pieces that start with a
//! non-ASCII byte: 1.22x; without encoding the ASCII-led pieces that miss
//! the piece cache: 1.41x (of it, `ranked::merge_short`: 1.17x); without
//! both: 2.39x. So about four fifths of the time go to pieces the caches do
//! not answer: the trie walk that finds a piece is not a token, the piece
//! cache's line, and the encoders, all waiting on lines of tables of several
//! MB.
//! Tried and rejected since, each with that paired measure:
//! - an exact table of the tokens of one to eight ASCII bytes (seven bits a
//!   byte, a bijective mix into a bucket of eight 8-byte entries in one line;
//!   2 MB for o200k), so that a piece is found or known not to be a token
//!   from one line instead of a trie walk: in place of the recent-token table
//!   and the walk 0.97x, in place of the walk only 0.98x. callgrind (6 MB
//!   twice, 1 MB last level): instructions +2-4%, last-level misses +7%: the
//!   walk it saves warms the trie nodes that `merge_short` then walks.
//! - the same table's line prefetched four pieces ahead (the scanner running
//!   ahead of the encoder through a ring of pieces): +30% instructions, slower.
//! - pieces that start with a non-ASCII byte through the piece cache too
//!   (rejected before with another cache): 0.98x mixed, 0.82x zh-10M.
//! - the whole crate built for x86-64-v3 (AVX2, BMI2): callgrind 774M → 767M
//!   instructions, timings within noise.
//! - whole tokens found by one probe of the whole-token hash map instead of a
//!   walk of the trie, byte by byte, when a piece misses the hot table: for
//!   pieces led by a two-byte character (Cyrillic, Arabic, Greek...; Han and
//!   kana kept the walk, their pieces are seldom tokens), with or without
//!   the hot table in front, and for ASCII-led pieces of eight bytes or more.
//!   Per-document timings had put Cyrillic documents of the mixed sample at
//!   2.4x tiktoken, against 4.6x for ASCII ones, and a cold walk of a
//!   12-byte word is a dozen dependent loads. In one binary alternating the
//!   variants pass by pass (seven passes each, o200k, 4 KB documents of the
//!   mixed sample, ratio to the plain encode): 0.97x, 0.94x, 0.88x for each
//!   alone, 0.92-0.99x together. The hash map's two dependent misses cost
//!   more than the walk, whose first levels stay in cache.
//! - documents taken in the order of their script (all ASCII ones, then CJK,
//!   Cyrillic...) instead of the file's order: 70.0-69.5 MB/s against
//!   72.6-70.4, so switching scripts every few documents costs nothing
//!   measurable. What moves the figure is this VM's share of the last-level
//!   cache: `bench/tools/chase.c` gave 31 ns a step at 8 MB and 118 ns at 16
//!   MB one morning, 91 ns at 8 MB another day, and the same binary encoded
//!   the sample at 44 MB/s and at 72 MB/s within minutes.

use super::backtrack::Backtrack;
use super::cache::{self, Memo, Scratch};
use super::dropout::{self, Rng};
use super::ranked;
use crate::byte_level;
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

/// Which flavour of BPE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BpeKind {
    /// Byte-level: symbols are the 256 bytes; nothing is ever unknown.
    ByteLevel,
    /// Character-level, with optional unknown token and byte fallback.
    Char {
        /// Token used for characters outside the vocabulary.
        unk_token: Option<String>,
        /// Use `<0xNN>` tokens for characters outside the vocabulary.
        byte_fallback: bool,
        /// Fuse consecutive unknown characters into one unknown token.
        fuse_unk: bool,
    },
}

/// HF BPE options that change how a word is encoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BpeOptions {
    /// Prefix of every non-initial character symbol (e.g. `##`).
    pub continuing_subword_prefix: Option<String>,
    /// Suffix of the last character symbol of a word (e.g. `</w>`).
    pub end_of_word_suffix: Option<String>,
    /// Emit a word that is itself a token whole, without merging.
    pub ignore_merges: bool,
}

/// A BPE model.
#[derive(Debug, Clone)]
pub struct BpeModel {
    /// Flavour.
    pub kind: BpeKind,
    /// Encoding options.
    pub opts: BpeOptions,
    /// Token string of each id (`None` for ids the vocabulary skips).
    id_to_token: Vec<Option<Box<str>>>,
    /// Token string to id.
    token_to_id: FxHashMap<Box<str>, u32>,
    /// Merges in rank order, without superseded duplicates.
    merges: Vec<(u32, u32)>,
    /// `(left << 32 | right)` to `(rank, result id)`.
    merge_map: FxHashMap<u64, (u32, u32)>,
    /// Byte-level: id of each byte's symbol (`u32::MAX` when missing).
    byte_ids: [u32; 256],
    /// Decoded bytes of every id, flat.
    dec_buf: Vec<u8>,
    /// `dec_buf[dec_off[id]..dec_off[id + 1]]` is what `id` decodes to.
    dec_off: Vec<u32>,
    /// Id of the unknown token.
    unk_id: Option<u32>,
    /// Byte-level with `ignore_merges`: decoded bytes (over 15 bytes) to id, for whole-piece hits.
    whole: FxHashMap<Box<[u8]>, u32>,
    /// The same for tokens of at most 15 bytes, keyed inline by [`short_key`].
    whole_short: FxHashMap<u128, u32>,
    /// Rank-ordered (tiktoken) models: the backtracking encoder, built on first
    /// use; `None` inside when the vocabulary does not qualify.
    backtrack: Option<std::sync::Arc<std::sync::OnceLock<Option<Backtrack>>>>,
    /// Rank-ordered (tiktoken) models: the rank of every byte pair, for
    /// [`ranked::merge_short`].
    pair_ranks: Option<Box<[u32]>>,
    /// Identity of this model in the per-thread piece cache.
    cache_owner: u64,
    /// HF's `dropout`: applied by every `encode` when set.
    dropout: Option<f32>,
    /// Built from a rank file: merge priority is the rank of the result.
    rank_ordered: bool,
}

#[inline]
fn pack(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Pieces at most this long use the quadratic rank scan; longer ones the heap.
const SMALL_PIECE: usize = 32;

impl BpeModel {
    /// Builds a model from an id-ordered vocabulary and `(left, right, result)` merges.
    pub fn from_parts(
        kind: BpeKind,
        vocab: Vec<String>,
        merges: &[(u32, u32, u32)],
        opts: BpeOptions,
    ) -> Result<Self> {
        let id_to_token: Vec<Option<Box<str>>> = vocab
            .into_iter()
            .map(|s| Some(s.into_boxed_str()))
            .collect();
        Self::build(kind, id_to_token, merges, opts)
    }

    /// Builds a model from `(token, id)` pairs and merges given as strings (HF files).
    pub fn from_strings(
        kind: BpeKind,
        vocab: Vec<(String, u32)>,
        merges: &[(String, String)],
        opts: BpeOptions,
    ) -> Result<Self> {
        let max =
            crate::id_table_len(vocab.iter().map(|(s, id)| (*id, s.as_bytes())), vocab.len())?;
        let mut id_to_token: Vec<Option<Box<str>>> = vec![None; max];
        let mut map: FxHashMap<&str, u32> = FxHashMap::default();
        for (s, id) in &vocab {
            if map.insert(s.as_str(), *id).is_some() {
                return Err(Error::invalid(format!(
                    "token {s:?} appears twice in the vocabulary"
                )));
            }
        }
        let mut triples = Vec::with_capacity(merges.len());
        for (i, (a, b)) in merges.iter().enumerate() {
            let get = |t: &str| {
                map.get(t).copied().ok_or_else(|| {
                    Error::invalid(format!(
                        "merge {i} ({a:?} {b:?}): token {t:?} is not in the vocabulary"
                    ))
                })
            };
            let b_body = match &opts.continuing_subword_prefix {
                Some(p) => b.strip_prefix(p.as_str()).unwrap_or(b),
                None => b,
            };
            triples.push((get(a)?, get(b)?, get(&format!("{a}{b_body}"))?));
        }
        for (s, id) in vocab {
            let slot = &mut id_to_token[id as usize];
            if let Some(prev) = slot {
                return Err(Error::invalid(format!(
                    "id {id} is given to two tokens ({prev:?} and {s:?})"
                )));
            }
            *slot = Some(s.into_boxed_str());
        }
        Self::build(kind, id_to_token, &triples, opts)
    }

    /// Builds a byte-level model from tiktoken-style ranks: the id of a token is
    /// its rank, and a pair's merge priority is the rank of the concatenated
    /// bytes (so every split of a token into two tokens is a merge, at the same
    /// priority, and ties go to the leftmost pair, as in tiktoken). A piece that
    /// is itself a token is emitted whole.
    pub fn from_ranks(ranks: &[(Vec<u8>, u32)]) -> Result<Self> {
        let max = crate::id_table_len(ranks.iter().map(|(b, r)| (*r, b.as_slice())), ranks.len())?;
        let mut id_to_token: Vec<Option<Box<str>>> = vec![None; max];
        let mut by_bytes: FxHashMap<&[u8], u32> = FxHashMap::default();
        for (bytes, rank) in ranks {
            if bytes.is_empty() {
                return Err(Error::invalid(format!("rank {rank}: empty token")));
            }
            if by_bytes.insert(bytes.as_slice(), *rank).is_some() {
                return Err(Error::invalid(format!(
                    "rank {rank}: token bytes appear twice"
                )));
            }
            let slot = &mut id_to_token[*rank as usize];
            if slot.is_some() {
                return Err(Error::invalid(format!(
                    "rank {rank} is given to two tokens"
                )));
            }
            *slot = Some(byte_level::encode_bytes(bytes).into_boxed_str());
        }
        for b in 0..=255u8 {
            if !by_bytes.contains_key(&[b][..]) {
                return Err(Error::invalid(format!(
                    "the ranks lack the single byte 0x{b:02X}"
                )));
            }
        }
        let mut merges = Vec::new();
        let mut merge_ranks = Vec::new();
        for (bytes, rank) in ranks {
            for k in 1..bytes.len() {
                if let (Some(&a), Some(&b)) = (by_bytes.get(&bytes[..k]), by_bytes.get(&bytes[k..]))
                {
                    merges.push((a, b, *rank));
                    merge_ranks.push(*rank);
                }
            }
        }
        let opts = BpeOptions {
            ignore_merges: true,
            ..BpeOptions::default()
        };
        Self::build_ranked(
            BpeKind::ByteLevel,
            id_to_token,
            &merges,
            Some(&merge_ranks),
            opts,
        )
    }

    fn build(
        kind: BpeKind,
        id_to_token: Vec<Option<Box<str>>>,
        merges: &[(u32, u32, u32)],
        opts: BpeOptions,
    ) -> Result<Self> {
        Self::build_ranked(kind, id_to_token, merges, None, opts)
    }

    /// `ranks`: explicit merge priorities (tiktoken); by default the list index,
    /// renumbered after dropping superseded duplicates.
    fn build_ranked(
        kind: BpeKind,
        id_to_token: Vec<Option<Box<str>>>,
        merges: &[(u32, u32, u32)],
        ranks: Option<&[u32]>,
        opts: BpeOptions,
    ) -> Result<Self> {
        let mut token_to_id = FxHashMap::default();
        token_to_id.reserve(id_to_token.len());
        for (id, t) in id_to_token.iter().enumerate() {
            if let Some(t) = t {
                token_to_id.insert(t.clone(), id as u32);
            }
        }
        let n = id_to_token.len() as u32;
        let mut merge_map: FxHashMap<u64, (u32, u32)> = FxHashMap::default();
        merge_map.reserve(merges.len());
        for (i, &(a, b, r)) in merges.iter().enumerate() {
            if a >= n || b >= n || r >= n {
                return Err(Error::invalid(format!(
                    "merge {i} refers to an id outside the vocabulary"
                )));
            }
            let rank = ranks.map_or(i as u32, |rs| rs[i]);
            merge_map.insert(pack(a, b), (rank, r));
        }
        // Keep each pair at its final rank only, in rank order (what HF saves).
        let mut ordered: Vec<(u32, u64)> = merge_map.iter().map(|(&p, &(r, _))| (r, p)).collect();
        ordered.sort_unstable();
        let mut final_merges = Vec::with_capacity(ordered.len());
        for (new_rank, &(_, p)) in ordered.iter().enumerate() {
            final_merges.push(((p >> 32) as u32, p as u32));
            if ranks.is_none() {
                if let Some(e) = merge_map.get_mut(&p) {
                    e.0 = new_rank as u32;
                }
            }
        }
        let mut byte_ids = [u32::MAX; 256];
        if kind == BpeKind::ByteLevel {
            for (b, slot) in byte_ids.iter_mut().enumerate() {
                let s = byte_level::byte_to_char(b as u8).to_string();
                if let Some(&id) = token_to_id.get(s.as_str()) {
                    *slot = id;
                }
            }
        }
        let unk_id = match &kind {
            BpeKind::Char {
                unk_token: Some(u), ..
            } => Some(*token_to_id.get(u.as_str()).ok_or_else(|| {
                Error::invalid(format!("unk_token {u:?} is not in the vocabulary"))
            })?),
            _ => None,
        };
        let byte_fallback = matches!(
            kind,
            BpeKind::Char {
                byte_fallback: true,
                ..
            }
        );
        let mut dec_buf = Vec::new();
        let mut dec_off = Vec::with_capacity(id_to_token.len() + 1);
        dec_off.push(0u32);
        for t in &id_to_token {
            if let Some(t) = t {
                match kind {
                    BpeKind::ByteLevel => match byte_level::decode_str(t) {
                        Some(bytes) => dec_buf.extend_from_slice(&bytes),
                        None => dec_buf.extend_from_slice(t.as_bytes()),
                    },
                    BpeKind::Char { .. } => match parse_byte_token(t).filter(|_| byte_fallback) {
                        Some(b) => dec_buf.push(b),
                        None => dec_buf.extend_from_slice(t.as_bytes()),
                    },
                }
            }
            dec_off.push(dec_buf.len() as u32);
        }
        let mut whole = FxHashMap::default();
        let mut whole_short = FxHashMap::default();
        if kind == BpeKind::ByteLevel && opts.ignore_merges {
            whole_short.reserve(id_to_token.len());
            for (id, t) in id_to_token.iter().enumerate() {
                if t.is_some() {
                    let bytes = &dec_buf[dec_off[id] as usize..dec_off[id + 1] as usize];
                    match short_key(bytes) {
                        Some(k) => {
                            whole_short.insert(k, id as u32);
                        }
                        None => {
                            whole.insert(Box::from(bytes), id as u32);
                        }
                    }
                }
            }
        }
        let dense = id_to_token.iter().all(Option::is_some);
        // Byte-level with every id a rank (tiktoken): the rank-based encoders apply.
        let ranked_bytes = ranks.is_some() && kind == BpeKind::ByteLevel && dense;
        let backtrack = ranked_bytes.then(|| std::sync::Arc::new(std::sync::OnceLock::new()));
        let mut model = BpeModel {
            rank_ordered: ranks.is_some(),
            pair_ranks: None,
            cache_owner: super::cache::new_owner(),
            dropout: None,
            backtrack,
            whole,
            whole_short,
            kind,
            opts,
            id_to_token,
            token_to_id,
            merges: final_merges,
            merge_map,
            byte_ids,
            dec_buf,
            dec_off,
            unk_id,
        };
        if ranked_bytes {
            model.pair_ranks = Some(ranked::pair_ranks(|p| model.whole_id(p)));
        }
        Ok(model)
    }

    /// Byte-level with `ignore_merges`: the id of the token whose bytes are `b`.
    #[inline]
    fn whole_id(&self, b: &[u8]) -> Option<u32> {
        match short_key(b) {
            Some(k) => self.whole_short.get(&k).copied(),
            None => self.whole.get(b).copied(),
        }
    }

    /// Number of ids (one past the largest id).
    pub fn len(&self) -> usize {
        self.id_to_token.len()
    }

    /// True when the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.id_to_token.is_empty()
    }

    /// The id of a token string.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.token_to_id.get(token).copied()
    }

    /// The token string of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.id_to_token.get(id as usize).and_then(|t| t.as_deref())
    }

    /// The bytes an id decodes to.
    pub fn decoded(&self, id: u32) -> Option<&[u8]> {
        let i = id as usize;
        if self.id_to_token.get(i)?.is_none() {
            return None;
        }
        Some(&self.dec_buf[self.dec_off[i] as usize..self.dec_off[i + 1] as usize])
    }

    /// `(token, id)` for every token.
    pub fn vocab(&self) -> impl Iterator<Item = (&str, u32)> {
        self.id_to_token
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_deref().map(|t| (t, i as u32)))
    }

    /// The merges in rank order, as id pairs.
    pub fn merges(&self) -> &[(u32, u32)] {
        &self.merges
    }

    /// The merges in rank order, as strings.
    pub fn merges_str(&self) -> Vec<(String, String)> {
        self.merges
            .iter()
            .map(|&(a, b)| {
                (
                    self.id_to_token(a).unwrap_or_default().to_string(),
                    self.id_to_token(b).unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Appends the ids of one pre-tokenized piece to `out` (with the model's
    /// own dropout, if it has one).
    #[inline]
    pub fn encode_piece(&self, piece: &str, out: &mut Vec<u32>) {
        cache::with_scratch(|s| self.encode_piece_in(piece, out, s));
    }

    /// [`Self::encode_piece`] with this thread's scratch tables, fetched
    /// once by the caller for a whole text (see [`cache::with_scratch`]).
    #[inline]
    pub fn encode_piece_in(&self, piece: &str, out: &mut Vec<u32>, scratch: &mut Scratch) {
        match self.dropout {
            Some(p) if p > 0.0 => THREAD_RNG.with(|r| {
                self.encode_piece_dropout(piece, p, &mut r.borrow_mut(), out);
            }),
            _ => self.encode_piece_plain(piece, out, scratch),
        }
    }

    /// The backtracking encoder when every piece goes to it (a
    /// rank-ordered byte-level model without dropout): callers encoding
    /// many pieces look it up once and call [`Self::encode_ranked_piece`],
    /// instead of [`Self::encode_piece_in`] deciding it again per piece.
    #[inline]
    pub(crate) fn ranked_encoder(&self) -> Option<&Backtrack> {
        match (self.dropout, &self.kind) {
            (None, BpeKind::ByteLevel) => self.backtracker(),
            _ => None,
        }
    }

    /// [`Self::encode_piece_in`] with the encoder [`Self::ranked_encoder`] gave.
    #[inline(always)]
    pub(crate) fn encode_ranked_piece(
        &self,
        bt: &Backtrack,
        piece: &str,
        out: &mut Vec<u32>,
        scratch: &mut Scratch,
    ) {
        self.encode_ranked(bt, piece.as_bytes(), out, scratch);
    }

    fn encode_piece_plain(&self, piece: &str, out: &mut Vec<u32>, scratch: &mut Scratch) {
        let start = out.len();
        match &self.kind {
            BpeKind::ByteLevel => {
                let b = piece.as_bytes();
                if let Some(bt) = self.backtracker() {
                    self.encode_ranked(bt, b, out, scratch);
                    return;
                }
                if self.opts.ignore_merges {
                    let hit = match short_key(b) {
                        Some(k) => scratch
                            .hot_whole(self.cache_owner, k, || self.whole_short.get(&k).copied()),
                        None => self.whole.get(b).copied(),
                    };
                    if let Some(id) = hit {
                        out.push(id);
                        return;
                    }
                }
                if b.len() > 1 && b.len() <= cache::MAX_PIECE && b[0] < 0x80 {
                    scratch.encode_cached(self.cache_owner, b, out, |out, _| {
                        self.encode_bytes_uncached(b, out, start)
                    });
                } else {
                    self.encode_bytes_uncached(b, out, start);
                }
                return;
            }
            BpeKind::Char { .. } => {
                if self.opts.ignore_merges {
                    if let Some(&id) = self.token_to_id.get(piece) {
                        out.push(id);
                        return;
                    }
                }
                self.char_symbols(piece, out);
            }
        }
        self.apply_merges(out, start);
    }

    /// Byte-level BPE of one piece with the backtracking encoder's model (a
    /// rank-ordered vocabulary in which every token encodes to itself).
    /// Pieces of one or two bytes (two in five on mixed text) are read from
    /// direct tables: one byte is a token, and two bytes are a token or two.
    /// Other non-ASCII-led pieces go straight to the walk, which finds a
    /// whole token without a lookup first. Others of up to 15 bytes try the
    /// table of recent whole tokens, then the trie (a walk of the piece's
    /// bytes, which for most pieces that are not tokens stops within a few
    /// bytes), then the piece cache, and only then encode.
    #[inline(always)]
    fn encode_ranked(&self, bt: &Backtrack, b: &[u8], out: &mut Vec<u32>, scratch: &mut Scratch) {
        match (b, &self.pair_ranks) {
            (&[x], _) if self.byte_ids[x as usize] != u32::MAX => {
                out.push(self.byte_ids[x as usize]);
                return;
            }
            (&[x, y], Some(pairs)) => {
                let id = pairs[(x as usize) << 8 | y as usize];
                if id != u32::MAX {
                    out.push(id);
                    return;
                }
                let (i, j) = (self.byte_ids[x as usize], self.byte_ids[y as usize]);
                if i != u32::MAX && j != u32::MAX {
                    out.extend_from_slice(&[i, j]);
                    return;
                }
            }
            _ => {}
        }
        if b.len() > 1 && b[0] >= 0x80 {
            bt.encode_with(b, out, &mut scratch.memo);
            return;
        }
        if let Some(k) = short_key(b) {
            if let Some(id) = scratch.hot_get(self.cache_owner, k) {
                out.push(id);
                return;
            }
            // Most pieces that get here are not tokens: the piece cache's
            // slot arrives while the trie says so.
            if b.len() > 1 {
                scratch.prefetch_piece(b);
            }
            if let Some(id) = bt.exact(b) {
                scratch.hot_put(self.cache_owner, k, id);
                out.push(id);
                return;
            }
        }
        if b.len() > 1 && b.len() <= cache::MAX_PIECE {
            scratch.encode_cached(self.cache_owner, b, out, |out, memo| {
                self.encode_ranked_uncached(bt, b, out, memo)
            });
        } else {
            self.encode_ranked_uncached(bt, b, out, &mut scratch.memo);
        }
    }

    /// [`Self::encode_ranked`] of a piece that is not a token itself: short
    /// pure-ASCII pieces by tiktoken's merge loop, others by the walk.
    fn encode_ranked_uncached(
        &self,
        bt: &Backtrack,
        b: &[u8],
        out: &mut Vec<u32>,
        memo: &mut Memo,
    ) {
        match (&self.pair_ranks, b.len()) {
            (Some(pairs), 2..=15) if b.is_ascii() => {
                ranked::merge_short(b, pairs, bt, |x| self.byte_ids[x as usize], out)
            }
            _ => bt.encode_with(b, out, memo),
        }
    }

    /// Byte-level BPE of one piece that is not a token itself, by the merge
    /// loop.
    fn encode_bytes_uncached(&self, b: &[u8], out: &mut Vec<u32>, start: usize) {
        out.extend(
            b.iter()
                .map(|&x| self.byte_ids[x as usize])
                .filter(|&id| id != u32::MAX),
        );
        self.apply_merges(out, start);
    }

    /// The backtracking encoder, built on first call (rank-ordered models only).
    fn backtracker(&self) -> Option<&Backtrack> {
        let cell = self.backtrack.as_ref()?;
        cell.get_or_init(|| {
            Backtrack::build(
                self.id_to_token.len(),
                |id| {
                    &self.dec_buf
                        [self.dec_off[id as usize] as usize..self.dec_off[id as usize + 1] as usize]
                },
                |b| self.whole_id(b),
            )
        })
        .as_ref()
    }

    /// Whether the model was built from ranks (a tiktoken file), so that it
    /// merges by tiktoken's rule: the lowest rank of a concatenation first.
    pub fn is_rank_ordered(&self) -> bool {
        self.rank_ordered
    }

    /// Whether the backtracking encoder is in use (for tests and benchmarks).
    pub fn uses_backtracking(&self) -> bool {
        self.backtracker().is_some()
    }

    /// HF `BPE::merge_word`: characters to initial symbols.
    fn char_symbols(&self, w: &str, out: &mut Vec<u32>) {
        let BpeKind::Char {
            byte_fallback,
            fuse_unk,
            ..
        } = self.kind
        else {
            return;
        };
        let mut unk: Option<u32> = None;
        let mut buf = String::new();
        let mut it = w.char_indices().peekable();
        while let Some((i, ch)) = it.next() {
            let is_last = it.peek().is_none();
            buf.clear();
            if i > 0 {
                if let Some(p) = &self.opts.continuing_subword_prefix {
                    buf.push_str(p);
                }
            }
            buf.push(ch);
            if is_last {
                if let Some(s) = &self.opts.end_of_word_suffix {
                    buf.push_str(s);
                }
            }
            if let Some(&id) = self.token_to_id.get(buf.as_str()) {
                if let Some(u) = unk.take() {
                    out.push(u);
                }
                out.push(id);
                continue;
            }
            if byte_fallback {
                let ids: Option<Vec<u32>> = buf
                    .bytes()
                    .map(|b| {
                        self.token_to_id
                            .get(format!("<0x{b:02X}>").as_str())
                            .copied()
                    })
                    .collect();
                if let Some(ids) = ids {
                    out.extend(ids);
                    continue;
                }
            }
            if let Some(u) = self.unk_id {
                match (unk, fuse_unk) {
                    (Some(_), true) => {}
                    (Some(prev), false) => {
                        out.push(prev);
                        unk = Some(u);
                    }
                    (None, _) => unk = Some(u),
                }
            }
        }
        if let Some(u) = unk {
            out.push(u);
        }
    }

    #[inline]
    fn rank(&self, a: u32, b: u32) -> Option<(u32, u32)> {
        self.merge_map.get(&pack(a, b)).copied()
    }

    /// `(rank, result id)` of the merge of `a` and `b`.
    #[inline]
    pub(crate) fn merge_rank(&self, a: u32, b: u32) -> Option<(u32, u32)> {
        self.rank(a, b)
    }

    /// The dropout probability every `encode` applies (HF's `dropout`), if any.
    pub fn dropout(&self) -> Option<f32> {
        self.dropout
    }

    /// Sets the dropout probability every `encode` applies, as HF's `BPE`
    /// `dropout` (`None` or 0: deterministic).
    pub fn set_dropout(&mut self, p: Option<f32>) -> Result<()> {
        if let Some(p) = p {
            if !(0.0..=1.0).contains(&p) {
                return Err(Error::invalid(format!(
                    "dropout must be between 0 and 1, got {p}"
                )));
            }
        }
        self.dropout = p;
        Ok(())
    }

    /// Appends the ids of one piece encoded with BPE-dropout `p`, as HF
    /// `tokenizers` does it (see [`super::dropout`]); `p == 0` is [`Self::encode_piece`].
    pub(crate) fn encode_piece_dropout(
        &self,
        piece: &str,
        p: f32,
        rng: &mut Rng,
        out: &mut Vec<u32>,
    ) {
        if p <= 0.0 {
            return cache::with_scratch(|s| self.encode_piece_plain(piece, out, s));
        }
        let start = out.len();
        match &self.kind {
            BpeKind::ByteLevel => out.extend(
                piece
                    .bytes()
                    .map(|x| self.byte_ids[x as usize])
                    .filter(|&id| id != u32::MAX),
            ),
            BpeKind::Char { .. } => self.char_symbols(piece, out),
        }
        dropout::merge_hf(self, out, start, p, rng);
    }

    /// Applies merges, lowest rank first and leftmost among equals, to `out[start..]`.
    fn apply_merges(&self, out: &mut Vec<u32>, start: usize) {
        let n = out.len() - start;
        if n < 2 {
            return;
        }
        if n <= SMALL_PIECE {
            self.merge_small(out, start);
        } else {
            self.merge_large(out, start);
        }
    }

    /// Quadratic in the worst case but with cached pair ranks in a stack array
    /// (no allocation): fastest on short pieces.
    fn merge_small(&self, out: &mut Vec<u32>, start: usize) {
        const NONE: (u32, u32) = (u32::MAX, 0);
        let mut ranks = [NONE; SMALL_PIECE];
        let mut syms = [0u32; SMALL_PIECE];
        let mut n = out.len() - start;
        syms[..n].copy_from_slice(&out[start..]);
        for i in 0..n - 1 {
            ranks[i] = self.rank(syms[i], syms[i + 1]).unwrap_or(NONE);
        }
        while n > 1 {
            let mut best = u32::MAX;
            let mut at = 0;
            for (i, r) in ranks[..n - 1].iter().enumerate() {
                if r.0 < best {
                    best = r.0;
                    at = i;
                }
            }
            if best == u32::MAX {
                break;
            }
            let new = ranks[at].1;
            syms[at] = new;
            syms.copy_within(at + 2..n, at + 1);
            ranks.copy_within(at + 1..n - 1, at);
            n -= 1;
            if at > 0 {
                ranks[at - 1] = self.rank(syms[at - 1], new).unwrap_or(NONE);
            }
            if at + 1 < n {
                ranks[at] = self.rank(new, syms[at + 1]).unwrap_or(NONE);
            }
        }
        out.truncate(start);
        out.extend_from_slice(&syms[..n]);
    }

    /// A heap of `(rank, position)` over a linked list: `O(n log n)` for long pieces.
    fn merge_large(&self, out: &mut Vec<u32>, start: usize) {
        use std::cmp::Reverse;
        const NONE: u32 = u32::MAX;
        let mut sym: Vec<u32> = out[start..].to_vec();
        let n = sym.len();
        let mut next: Vec<u32> = (1..=n as u32).collect();
        next[n - 1] = NONE;
        let mut prev: Vec<u32> = (0..n as u32).map(|i| i.wrapping_sub(1)).collect();
        prev[0] = NONE;
        let mut alive = vec![true; n];
        let mut heap = std::collections::BinaryHeap::new();
        for i in 0..n - 1 {
            if let Some((r, _)) = self.rank(sym[i], sym[i + 1]) {
                heap.push(Reverse((r, i as u32)));
            }
        }
        while let Some(Reverse((r, pos))) = heap.pop() {
            let p = pos as usize;
            if !alive[p] || next[p] == NONE {
                continue;
            }
            let q = next[p] as usize;
            let Some((cur, new)) = self.rank(sym[p], sym[q]) else {
                continue;
            };
            if cur != r {
                continue;
            }
            sym[p] = new;
            alive[q] = false;
            next[p] = next[q];
            if next[q] != NONE {
                prev[next[q] as usize] = pos;
            }
            if prev[p] != NONE {
                let a = prev[p] as usize;
                if let Some((r2, _)) = self.rank(sym[a], new) {
                    heap.push(Reverse((r2, a as u32)));
                }
            }
            if next[p] != NONE {
                if let Some((r2, _)) = self.rank(new, sym[next[p] as usize]) {
                    heap.push(Reverse((r2, pos)));
                }
            }
        }
        out.truncate(start);
        let mut i = 0usize;
        while i != NONE as usize {
            out.push(sym[i]);
            i = next[i] as usize;
            if i == NONE as usize {
                break;
            }
        }
    }
}

thread_local! {
    /// Random numbers for models that carry their own dropout.
    static THREAD_RNG: std::cell::RefCell<Rng> =
        std::cell::RefCell::new(Rng::new(dropout::random_seed()));
}

/// Up to 15 bytes packed with their length into one `u128` map key.
#[inline]
fn short_key(b: &[u8]) -> Option<u128> {
    if b.len() > 15 {
        return None;
    }
    let [lo, hi] = cache::words::<2>(b);
    let hi = hi | (b.len() as u64) << 56;
    Some(u128::from(lo) | (u128::from(hi) << 64))
}

/// `<0xNN>` to the byte `NN`.
pub fn parse_byte_token(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
