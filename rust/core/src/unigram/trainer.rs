//! SentencePiece's Unigram trainer over counted words.
//!
//! Input: words already normalized and split the SentencePiece way (each word
//! starts with `▁` when preceded by whitespace, as `SplitSentencesByWhitespace`
//! gives), with their counts. The steps follow `unigram::Trainer::Train` of
//! SentencePiece 0.2.3:
//!
//! 1. meta pieces (`<unk>`, `<s>`, `</s>`, control and user-defined symbols,
//!    byte pieces) are cut out of the words (replaced by a boundary mark);
//! 2. the required characters are the most frequent ones up to
//!    `character_coverage`; the others become `▅` (unknown);
//! 3. seed pieces: all characters plus the most frequent substrings
//!    (`super::seed`);
//! 4. EM rounds of `num_sub_iterations` E/M steps, each followed by pruning to
//!    `shrinking_factor` of the size, until at most `1.1 × vocab_size` pieces
//!    remain (`super::em`); then unreachable pieces are dropped;
//! 5. the final vocabulary: the required characters, then the best-scoring
//!    pieces up to `vocab_size` minus the meta pieces, sorted by score.
//!
//! Performance notes: words live in one byte buffer (NUL-separated) with
//! offset and count arrays; duplicates created by the `▅` replacement are
//! merged by sorting indices, not with a map of owned strings. E-steps and
//! pruning run on all cores with fixed-point / integer sums, so the result
//! does not depend on the thread count. Measured on mixed-100M at vocab
//! 32000 (2 shared cores): 89 s wall / 72 s user, 530 MB peak RSS (in the
//! example binary, which also reads and counts the text); SentencePiece takes
//! about 196 s and 1.9 GB. Setting `TOKSMITH_UNIGRAM_DEBUG` prints the size,
//! objective, token count and time of each EM step and pruning to stderr.

use super::em::EmModel;
use super::model::{Piece, PieceKind};
use super::seed::{seed_pieces, PieceRules, BOUNDARY, UNK_CHAR};
use super::trie::DoubleArray;
use crate::counts::Progress;
use crate::error::{Error, Result};
use rustc_hash::{FxHashMap, FxHashSet};

/// Options of the Unigram trainer (SentencePiece's `TrainerSpec` subset).
#[derive(Clone, Debug)]
pub struct UnigramTrainerConfig {
    /// Final vocabulary size, meta pieces included.
    pub vocab_size: usize,
    /// Share of character occurrences the required characters must cover
    /// (0.98 to 1.0).
    pub character_coverage: f64,
    /// Longest piece, in characters (1 to 512).
    pub max_piece_length: usize,
    /// Share of pieces kept by each pruning round (0.5 to 0.95).
    pub shrinking_factor: f64,
    /// E/M steps per round (1 to 10).
    pub num_sub_iterations: usize,
    /// Most substrings taken as seed pieces.
    pub seed_sentencepiece_size: usize,
    /// Digits are pieces of their own.
    pub split_digits: bool,
    /// Add the 256 `<0xNN>` byte pieces.
    pub byte_fallback: bool,
    /// User-defined symbols (always kept whole when encoding).
    pub user_defined_symbols: Vec<String>,
    /// Control symbols.
    pub control_symbols: Vec<String>,
    /// Text of the unknown piece.
    pub unk_piece: String,
    /// `▁` ends pieces instead of starting them.
    pub treat_whitespace_as_suffix: bool,
    /// Threads (None or 0: all cores).
    pub num_threads: Option<usize>,
}

impl Default for UnigramTrainerConfig {
    fn default() -> Self {
        UnigramTrainerConfig {
            vocab_size: 8000,
            character_coverage: 0.9995,
            max_piece_length: 16,
            shrinking_factor: 0.75,
            num_sub_iterations: 2,
            seed_sentencepiece_size: 1_000_000,
            split_digits: false,
            byte_fallback: false,
            user_defined_symbols: Vec::new(),
            control_symbols: Vec::new(),
            unk_piece: "<unk>".to_string(),
            treat_whitespace_as_suffix: false,
            num_threads: None,
        }
    }
}

/// Distinct words in one buffer: word `i` is `buf[starts[i]..starts[i+1]-1]`
/// (each word is followed by a NUL).
pub(crate) struct Words {
    pub buf: Vec<u8>,
    starts: Vec<usize>,
    pub counts: Vec<u64>,
}

impl Default for Words {
    fn default() -> Self {
        Words::new()
    }
}

impl Words {
    fn new() -> Self {
        Words {
            buf: Vec::new(),
            starts: vec![0],
            counts: Vec::new(),
        }
    }

    /// Appends a word (must not contain NUL) with its count.
    pub fn push(&mut self, w: &[u8], count: u64) {
        self.buf.extend_from_slice(w);
        self.buf.push(0);
        self.starts.push(self.buf.len());
        self.counts.push(count);
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Byte range of word `i` (without its NUL).
    pub fn range(&self, i: usize) -> (usize, usize) {
        (self.starts[i], self.starts[i + 1] - 1)
    }

    /// Bytes of word `i`.
    pub fn word(&self, i: usize) -> &[u8] {
        let (s, e) = self.range(i);
        &self.buf[s..e]
    }

    /// `len` bytes at `pos`.
    pub fn bytes(&self, pos: u32, len: u32) -> &[u8] {
        &self.buf[pos as usize..(pos + len) as usize]
    }
}

fn check_range(name: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{name} must be in [{lo}, {hi}], got {v}"
        )))
    }
}

/// Meta pieces in id order (SentencePiece's `InitMetaPieces` with the default
/// ids: `<unk>` 0, `<s>` 1, `</s>` 2, no padding).
fn meta_pieces(cfg: &UnigramTrainerConfig) -> Result<Vec<(String, PieceKind)>> {
    if cfg.unk_piece.is_empty() {
        return Err(Error::invalid("unk_piece must not be empty"));
    }
    let mut meta = vec![
        (cfg.unk_piece.clone(), PieceKind::Unknown),
        ("<s>".to_string(), PieceKind::Control),
        ("</s>".to_string(), PieceKind::Control),
    ];
    if cfg.unk_piece == "<s>" || cfg.unk_piece == "</s>" {
        return Err(Error::invalid(format!(
            "{} is already defined",
            cfg.unk_piece
        )));
    }
    let bytes: Vec<String> = if cfg.byte_fallback {
        (0..256).map(|b| format!("<0x{b:02X}>")).collect()
    } else {
        Vec::new()
    };
    let symbols = cfg
        .control_symbols
        .iter()
        .map(|s| (s, PieceKind::Control))
        .chain(
            cfg.user_defined_symbols
                .iter()
                .map(|s| (s, PieceKind::UserDefined)),
        )
        .chain(bytes.iter().map(|s| (s, PieceKind::Byte)));
    let mut dup = FxHashSet::default();
    for (w, kind) in symbols {
        if w.is_empty() {
            return Err(Error::invalid("empty control or user-defined symbol"));
        }
        if !dup.insert(w.clone()) {
            return Err(Error::invalid(format!(
                "{w} is already defined. duplicated symbols are not allowed."
            )));
        }
        if *w == cfg.unk_piece {
            return Err(Error::invalid(format!(
                "{w} must not be defined with control_symbols and user_defined_symbols"
            )));
        }
        if let Some(m) = meta[1..3].iter_mut().find(|m| m.0 == *w) {
            m.1 = kind;
        } else {
            meta.push((w.clone(), kind));
        }
    }
    Ok(meta)
}

/// Replaces every meta piece in `w` (longest match first) by the boundary
/// mark, as SentencePiece's `PrefixMatcher::GlobalReplace`.
fn cut_meta(w: &str, matcher: &DoubleArray, out: &mut String) {
    out.clear();
    let b = w.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let mut longest = 0;
        matcher.common_prefix(&b[i..], |len, _| longest = len);
        if longest > 0 {
            out.push(BOUNDARY);
            i += longest;
        } else {
            let l = super::model::char_len(b[i]).min(b.len() - i);
            out.push_str(&w[i..i + l]);
            i += l;
        }
    }
}

/// Trains a Unigram vocabulary on counted words. Returns the pieces in
/// SentencePiece's order: `<unk>`, `<s>`, `</s>`, control symbols,
/// user-defined symbols, byte pieces (with `byte_fallback`), all scored 0,
/// then the learned pieces by score (descending).
pub fn train(
    words: &[(String, u64)],
    cfg: &UnigramTrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<Vec<Piece>> {
    crate::with_threads(cfg.num_threads, || train_inner(words, cfg, progress))
}

fn train_inner(
    input: &[(String, u64)],
    cfg: &UnigramTrainerConfig,
    progress: Option<&dyn Progress>,
) -> Result<Vec<Piece>> {
    if cfg.vocab_size == 0 {
        return Err(Error::invalid("vocab_size must be positive"));
    }
    check_range("character_coverage", cfg.character_coverage, 0.98, 1.0)?;
    check_range("max_piece_length", cfg.max_piece_length as f64, 1.0, 512.0)?;
    check_range(
        "num_sub_iterations",
        cfg.num_sub_iterations as f64,
        1.0,
        10.0,
    )?;
    check_range("shrinking_factor", cfg.shrinking_factor, 0.5, 0.95)?;
    let meta = meta_pieces(cfg)?;
    let meta_keys: Vec<(&[u8], i32)> = meta.iter().map(|m| (m.0.as_bytes(), 0)).collect();
    let matcher = DoubleArray::build(&meta_keys)?;

    // 1. Cut meta pieces out; count characters.
    let mut cut = Words::new();
    let mut chars: FxHashMap<char, u64> = FxHashMap::default();
    let mut tmp = String::new();
    for (w, c) in input {
        if *c == 0 || w.is_empty() || w.contains(UNK_CHAR) {
            continue;
        }
        if w.contains(' ') {
            return Err(Error::invalid(format!(
                "normalized words must not contain spaces: {w:?}"
            )));
        }
        cut_meta(w, &matcher, &mut tmp);
        for ch in tmp.chars() {
            if ch != '\0' {
                *chars.entry(ch).or_default() += c;
            }
        }
        cut.push(tmp.as_bytes(), *c);
    }
    let all: u64 = chars.values().sum();
    if all == 0 {
        return Err(Error::invalid("no characters to train on"));
    }
    // 2. Required characters by coverage.
    let mut by_count: Vec<(char, u64)> = chars.into_iter().collect();
    by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut required: Vec<(char, u64)> = Vec::new();
    let mut acc = 0u64;
    for &(ch, n) in &by_count {
        let coverage = (acc as f64 / all as f64) as f32;
        if coverage >= cfg.character_coverage as f32 {
            break;
        }
        acc += n;
        if ch != BOUNDARY {
            required.push((ch, n));
        }
    }
    if required.len() + meta.len() > cfg.vocab_size {
        return Err(Error::invalid(format!(
            "Vocabulary size is smaller than required_chars. {} vs {}. Increase vocab_size \
             or decrease character_coverage.",
            cfg.vocab_size,
            required.len() + meta.len()
        )));
    }
    let req: FxHashSet<char> = required.iter().map(|r| r.0).collect();
    let words = replace_rare(&cut, &req)?;
    drop(cut);

    // 3. Seeds.
    let rules = PieceRules {
        max_len: cfg.max_piece_length,
        split_digits: cfg.split_digits,
        ws_suffix: cfg.treat_whitespace_as_suffix,
    };
    let mut seed_chars: FxHashMap<char, u64> = FxHashMap::default();
    for i in 0..words.len() {
        let w = std::str::from_utf8(words.word(i)).map_err(|_| Error::invalid("bad UTF-8"))?;
        for ch in w.chars() {
            if ch != UNK_CHAR && ch != BOUNDARY {
                *seed_chars.entry(ch).or_default() += words.counts[i];
            }
        }
    }
    let mut seed_chars: Vec<(char, u64)> = seed_chars.into_iter().collect();
    seed_chars.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(p) = progress {
        p.update("unigram seeds", 0, 0);
    }
    let seeds = seed_pieces(&words, &seed_chars, &rules, cfg.seed_sentencepiece_size);
    if std::env::var_os("TOKSMITH_UNIGRAM_DEBUG").is_some() {
        eprintln!(
            "{} words, {} required chars, {} seeds",
            words.len(),
            required.len(),
            seeds.len()
        );
    }
    if seeds.is_empty() {
        return Err(Error::invalid("no seed pieces"));
    }
    if let Some(p) = progress {
        p.finish("unigram seeds");
    }

    // 4. EM with pruning.
    let mut model = EmModel::new(seeds)?;
    let desired = (cfg.vocab_size as f64 * 1.1) as usize;
    let mut step = 0u64;
    loop {
        for _ in 0..cfg.num_sub_iterations {
            let t = std::time::Instant::now();
            let (expected, obj, ntok) = model.e_step(&words);
            let te = t.elapsed();
            let pieces = model.m_step(&expected);
            model.set_pieces(pieces)?;
            if std::env::var_os("TOKSMITH_UNIGRAM_DEBUG").is_some() {
                eprintln!(
                    "EM step={step} size={} obj={obj} num_tokens={ntok} e={te:?} all={:?}",
                    model.pieces.len(),
                    t.elapsed(),
                );
            }
            step += 1;
            if let Some(p) = progress {
                p.update("unigram EM", step, 0);
            }
        }
        let before = model.pieces.len();
        let t = std::time::Instant::now();
        let pieces = model.prune(&words, desired, cfg.shrinking_factor);
        let tp = t.elapsed();
        model.set_pieces(pieces)?;
        if std::env::var_os("TOKSMITH_UNIGRAM_DEBUG").is_some() {
            eprintln!("prune {tp:?} all={:?}", t.elapsed());
        }
        if model.pieces.len() <= desired || model.pieces.len() >= before {
            break;
        }
    }
    if let Some(p) = progress {
        p.finish("unigram EM");
    }
    let reachable = model.prune_unreachable();
    model.set_pieces(reachable)?;

    // 5. Final vocabulary.
    let finals = finalize(&model, &required, cfg.vocab_size as i64 - meta.len() as i64);
    if meta.len() + finals.len() < cfg.vocab_size {
        return Err(Error::invalid(format!(
            "Vocabulary size too high ({}). Please set it to a value <= {}.",
            cfg.vocab_size,
            meta.len() + finals.len()
        )));
    }
    let mut out: Vec<Piece> = meta
        .into_iter()
        .map(|(text, kind)| Piece {
            text,
            score: 0.0,
            kind,
        })
        .collect();
    out.extend(finals.into_iter().map(|(b, score)| Piece {
        text: String::from_utf8(b).unwrap_or_default(),
        score,
        kind: PieceKind::Normal,
    }));
    Ok(out)
}

/// Words with characters outside `req` replaced by `▅`, duplicates merged,
/// sorted by count (descending) then bytes.
fn replace_rare(cut: &Words, req: &FxHashSet<char>) -> Result<Words> {
    let mut rep = Words::new();
    let mut s = String::new();
    for i in 0..cut.len() {
        let w = std::str::from_utf8(cut.word(i)).map_err(|_| Error::invalid("bad UTF-8"))?;
        s.clear();
        s.extend(
            w.chars()
                .map(|c| if req.contains(&c) { c } else { UNK_CHAR }),
        );
        rep.push(s.as_bytes(), cut.counts[i]);
    }
    let mut idx: Vec<u32> = (0..rep.len() as u32).collect();
    idx.sort_unstable_by(|&a, &b| rep.word(a as usize).cmp(rep.word(b as usize)));
    let mut merged: Vec<(u32, u64)> = Vec::with_capacity(idx.len());
    for &i in &idx {
        match merged.last_mut() {
            Some(last) if rep.word(last.0 as usize) == rep.word(i as usize) => {
                last.1 += rep.counts[i as usize]
            }
            _ => merged.push((i, rep.counts[i as usize])),
        }
    }
    drop(idx);
    merged.sort_unstable_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| rep.word(a.0 as usize).cmp(rep.word(b.0 as usize)))
    });
    let mut words = Words::new();
    for (i, c) in merged {
        words.push(rep.word(i as usize), c);
    }
    if words.buf.len() >= u32::MAX as usize - 1024 {
        return Err(Error::invalid("distinct words exceed 4 GB"));
    }
    Ok(words)
}

/// SentencePiece's `FinalizeSentencePieces`: required characters first (with
/// penalized minimum scores when missing), then the best pieces up to `room`,
/// all sorted by score (descending) then bytes.
fn finalize(model: &EmModel, required: &[(char, u64)], room: i64) -> Vec<(Vec<u8>, f32)> {
    let current: FxHashMap<&[u8], f32> = model
        .pieces
        .iter()
        .map(|&(s, sc)| (model.seed_bytes(s), sc))
        .collect();
    let mut finals: FxHashMap<Vec<u8>, f32> = FxHashMap::default();
    let mut penalty = 0.0f32;
    for &(c, _) in required {
        let s = c.to_string().into_bytes();
        let score = match current.get(s.as_slice()) {
            Some(&sc) => sc,
            None => {
                let sc = model.min_score + penalty;
                penalty += 0.0001;
                sc
            }
        };
        finals.insert(s, score);
    }
    if room <= 0 {
        return Vec::new();
    }
    let mut sorted: Vec<(&[u8], f32)> = current.iter().map(|(k, v)| (*k, *v)).collect();
    sorted.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    for (k, v) in sorted {
        if finals.contains_key(k) {
            continue;
        }
        if finals.len() as i64 == room {
            break;
        }
        finals.insert(k.to_vec(), v);
    }
    let mut out: Vec<(Vec<u8>, f32)> = finals.into_iter().collect();
    out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}
