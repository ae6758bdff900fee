//! SentencePiece `.model` files: the `ModelProto` message of
//! `sentencepiece_model.proto` (0.2.3), read into typed structs and written
//! back.
//!
//! Only the fields toksmith uses are typed; every other field (and any field
//! of a newer or older schema) is kept as raw bytes in a [`RawFields`] and
//! written back in its place, so that `write(read(f)) == f` byte for byte for
//! files written by protobuf (which orders known fields by number). Optional
//! fields are `Option`s, so that presence round-trips too; the accessor
//! methods of the same name return the value with the schema's default.

use super::wire::{
    put_bool, put_bytes, put_f32, put_i32, put_message, MsgWriter, RawFields, Reader, Value,
};
use crate::error::{Error, Result};

/// `TrainerSpec.model_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpmModelType {
    /// Unigram language model (`UNIGRAM = 1`, the default).
    Unigram,
    /// Byte-pair encoding (`BPE = 2`).
    Bpe,
    /// Whitespace-delimited words (`WORD = 3`).
    Word,
    /// Characters (`CHAR = 4`).
    Char,
}

impl SpmModelType {
    /// The enum's wire value.
    pub fn to_i32(self) -> i32 {
        match self {
            SpmModelType::Unigram => 1,
            SpmModelType::Bpe => 2,
            SpmModelType::Word => 3,
            SpmModelType::Char => 4,
        }
    }

    /// The type with wire value `v`, if any.
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            1 => SpmModelType::Unigram,
            2 => SpmModelType::Bpe,
            3 => SpmModelType::Word,
            4 => SpmModelType::Char,
            _ => return None,
        })
    }
}

/// `ModelProto.SentencePiece.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpmPieceType {
    /// An ordinary piece (`NORMAL = 1`, the default).
    Normal,
    /// The unknown piece (`UNKNOWN = 2`).
    Unknown,
    /// A control symbol such as `<s>` (`CONTROL = 3`); never produced from text.
    Control,
    /// A user-defined symbol, always kept whole (`USER_DEFINED = 4`).
    UserDefined,
    /// A piece that is in the vocabulary but not used (`UNUSED = 5`).
    Unused,
    /// A byte piece `<0xNN>` for byte fallback (`BYTE = 6`).
    Byte,
}

impl SpmPieceType {
    /// The enum's wire value.
    pub fn to_i32(self) -> i32 {
        match self {
            SpmPieceType::Normal => 1,
            SpmPieceType::Unknown => 2,
            SpmPieceType::Control => 3,
            SpmPieceType::UserDefined => 4,
            SpmPieceType::Unused => 5,
            SpmPieceType::Byte => 6,
        }
    }

    /// The type with wire value `v`, if any.
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            1 => SpmPieceType::Normal,
            2 => SpmPieceType::Unknown,
            3 => SpmPieceType::Control,
            4 => SpmPieceType::UserDefined,
            5 => SpmPieceType::Unused,
            6 => SpmPieceType::Byte,
            _ => return None,
        })
    }
}

/// One vocabulary entry; its id is its index in [`SpmModelFile::pieces`].
#[derive(Clone, Debug, PartialEq)]
pub struct SpmPiece {
    /// The piece text (`▁` stands for a space).
    pub piece: String,
    /// Its score (log probability for Unigram, merge priority for BPE).
    pub score: f32,
    /// Its type.
    pub kind: SpmPieceType,
    /// Unknown fields and field presence, for exact round trips.
    pub raw: RawFields,
}

impl SpmPiece {
    /// A piece with no extra wire data.
    pub fn new(piece: impl Into<String>, score: f32, kind: SpmPieceType) -> Self {
        SpmPiece {
            piece: piece.into(),
            score,
            kind,
            raw: RawFields::default(),
        }
    }
}

/// The `TrainerSpec` fields toksmith uses (others are kept raw).
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(missing_docs)] // Field names are the proto's; see the accessors.
pub struct TrainerSpec {
    pub model_type: Option<SpmModelType>,
    pub vocab_size: Option<i32>,
    pub character_coverage: Option<f32>,
    pub max_sentencepiece_length: Option<i32>,
    pub split_by_unicode_script: Option<bool>,
    pub split_by_whitespace: Option<bool>,
    pub split_by_number: Option<bool>,
    pub treat_whitespace_as_suffix: Option<bool>,
    pub split_digits: Option<bool>,
    pub allow_whitespace_only_pieces: Option<bool>,
    pub control_symbols: Vec<String>,
    pub user_defined_symbols: Vec<String>,
    pub byte_fallback: Option<bool>,
    pub unk_id: Option<i32>,
    pub bos_id: Option<i32>,
    pub eos_id: Option<i32>,
    pub pad_id: Option<i32>,
    pub unk_surface: Option<String>,
    pub unk_piece: Option<String>,
    pub bos_piece: Option<String>,
    pub eos_piece: Option<String>,
    pub pad_piece: Option<String>,
    /// Fields not listed above, and presence.
    pub raw: RawFields,
}

/// The default `unk_surface`: " ⁇ ".
pub const DEFAULT_UNK_SURFACE: &str = " \u{2047} ";

impl TrainerSpec {
    /// `model_type` (default Unigram).
    pub fn model_type(&self) -> SpmModelType {
        self.model_type.unwrap_or(SpmModelType::Unigram)
    }
    /// `vocab_size` (default 8000).
    pub fn vocab_size(&self) -> i32 {
        self.vocab_size.unwrap_or(8000)
    }
    /// `treat_whitespace_as_suffix` (default false).
    pub fn treat_whitespace_as_suffix(&self) -> bool {
        self.treat_whitespace_as_suffix.unwrap_or(false)
    }
    /// `split_digits` (default false).
    pub fn split_digits(&self) -> bool {
        self.split_digits.unwrap_or(false)
    }
    /// `allow_whitespace_only_pieces` (default false).
    pub fn allow_whitespace_only_pieces(&self) -> bool {
        self.allow_whitespace_only_pieces.unwrap_or(false)
    }
    /// `byte_fallback` (default false).
    pub fn byte_fallback(&self) -> bool {
        self.byte_fallback.unwrap_or(false)
    }
    /// `unk_id` (default 0).
    pub fn unk_id(&self) -> i32 {
        self.unk_id.unwrap_or(0)
    }
    /// `bos_id` (default 1).
    pub fn bos_id(&self) -> i32 {
        self.bos_id.unwrap_or(1)
    }
    /// `eos_id` (default 2).
    pub fn eos_id(&self) -> i32 {
        self.eos_id.unwrap_or(2)
    }
    /// `pad_id` (default -1: none).
    pub fn pad_id(&self) -> i32 {
        self.pad_id.unwrap_or(-1)
    }
    /// `unk_surface` (default " ⁇ "), what decoding prints for `<unk>`.
    pub fn unk_surface(&self) -> &str {
        self.unk_surface.as_deref().unwrap_or(DEFAULT_UNK_SURFACE)
    }
    /// `unk_piece`; like sentencepiece, empty means the default `<unk>`.
    pub fn unk_piece(&self) -> &str {
        non_empty_or(&self.unk_piece, "<unk>")
    }
    /// `bos_piece` (default `<s>`).
    pub fn bos_piece(&self) -> &str {
        non_empty_or(&self.bos_piece, "<s>")
    }
    /// `eos_piece` (default `</s>`).
    pub fn eos_piece(&self) -> &str {
        non_empty_or(&self.eos_piece, "</s>")
    }
    /// `pad_piece` (default `<pad>`).
    pub fn pad_piece(&self) -> &str {
        non_empty_or(&self.pad_piece, "<pad>")
    }
}

fn non_empty_or<'a>(v: &'a Option<String>, default: &'a str) -> &'a str {
    match v.as_deref() {
        Some(s) if !s.is_empty() => s,
        _ => default,
    }
}

/// A `NormalizerSpec` (used for both the normalizer and the denormalizer).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NormalizerSpec {
    /// Rule name (`nmt_nfkc`, `nfkc`, `identity`, ...); informational only.
    pub name: Option<String>,
    /// The compiled rules: a Darts trie plus replacement strings.
    pub precompiled_charsmap: Option<Vec<u8>>,
    /// Prepend `▁` to the text (default true).
    pub add_dummy_prefix: Option<bool>,
    /// Drop leading/trailing spaces, squeeze runs (default true).
    pub remove_extra_whitespaces: Option<bool>,
    /// Replace spaces by `▁` (default true).
    pub escape_whitespaces: Option<bool>,
    /// The rules as TSV, if the trainer kept them.
    pub normalization_rule_tsv: Option<String>,
    /// Other fields, and presence.
    pub raw: RawFields,
}

impl NormalizerSpec {
    /// The precompiled charsmap, empty if none.
    pub fn charsmap(&self) -> &[u8] {
        self.precompiled_charsmap.as_deref().unwrap_or(&[])
    }
    /// `add_dummy_prefix` (default true).
    pub fn add_dummy_prefix(&self) -> bool {
        self.add_dummy_prefix.unwrap_or(true)
    }
    /// `remove_extra_whitespaces` (default true).
    pub fn remove_extra_whitespaces(&self) -> bool {
        self.remove_extra_whitespaces.unwrap_or(true)
    }
    /// `escape_whitespaces` (default true).
    pub fn escape_whitespaces(&self) -> bool {
        self.escape_whitespaces.unwrap_or(true)
    }
}

/// A whole `.model` file.
#[derive(Clone, Debug, PartialEq)]
pub struct SpmModelFile {
    /// The vocabulary; a piece's id is its index.
    pub pieces: Vec<SpmPiece>,
    /// The model type. Written as `trainer_spec.model_type`, which it overrides.
    pub model_type: SpmModelType,
    /// `trainer_spec`.
    pub trainer: TrainerSpec,
    /// `normalizer_spec`.
    pub normalizer: NormalizerSpec,
    /// `denormalizer_spec`, if present.
    pub denormalizer: Option<NormalizerSpec>,
    /// Other fields (e.g. the deprecated `self_test_data`), and presence.
    pub raw: RawFields,
}

impl SpmModelFile {
    /// A fresh model as sentencepiece's trainer would save it: `pieces` (ids
    /// are indices), `model_type`, and default specs. The trainer spec gets
    /// the vocabulary size, `byte_fallback` (true when there are byte
    /// pieces), the ids of `<unk>`/`<s>`/`</s>`/`<pad>` found in `pieces` (-1
    /// when absent) and the control/user-defined symbol lists; the normalizer
    /// is `identity` (no charsmap) with dummy prefix, extra-whitespace removal
    /// and whitespace escaping on. Edit the pub fields for other options.
    pub fn new(pieces: Vec<SpmPiece>, model_type: SpmModelType) -> Self {
        let find = |kind: SpmPieceType, name: Option<&str>| -> i32 {
            pieces
                .iter()
                .position(|p| p.kind == kind && name.is_none_or(|n| p.piece == n))
                .and_then(|i| i32::try_from(i).ok())
                .unwrap_or(-1)
        };
        let unk_id = find(SpmPieceType::Unknown, None);
        let bos_id = find(SpmPieceType::Control, Some("<s>"));
        let eos_id = find(SpmPieceType::Control, Some("</s>"));
        let pad_id = find(SpmPieceType::Control, Some("<pad>"));
        let special = ["<s>", "</s>", "<pad>"];
        let trainer = TrainerSpec {
            model_type: Some(model_type),
            vocab_size: i32::try_from(pieces.len()).ok(),
            byte_fallback: Some(pieces.iter().any(|p| p.kind == SpmPieceType::Byte)),
            unk_id: Some(unk_id),
            bos_id: Some(bos_id),
            eos_id: Some(eos_id),
            pad_id: Some(pad_id),
            unk_piece: usize::try_from(unk_id)
                .ok()
                .map(|i| pieces[i].piece.clone())
                .filter(|p| p != "<unk>"),
            control_symbols: pieces
                .iter()
                .filter(|p| p.kind == SpmPieceType::Control && !special.contains(&&*p.piece))
                .map(|p| p.piece.clone())
                .collect(),
            user_defined_symbols: pieces
                .iter()
                .filter(|p| p.kind == SpmPieceType::UserDefined)
                .map(|p| p.piece.clone())
                .collect(),
            ..TrainerSpec::default()
        };
        let normalizer = NormalizerSpec {
            name: Some("identity".into()),
            precompiled_charsmap: Some(Vec::new()),
            add_dummy_prefix: Some(true),
            remove_extra_whitespaces: Some(true),
            escape_whitespaces: Some(true),
            normalization_rule_tsv: None,
            raw: RawFields::default(),
        };
        SpmModelFile {
            pieces,
            model_type,
            trainer,
            normalizer,
            denormalizer: None,
            raw: RawFields::default(),
        }
    }

    /// The deprecated `self_test_data` samples `(input, expected)`, if the
    /// file has any (read from the kept raw field 4; invalid UTF-8 is
    /// replaced, malformed data skipped).
    pub fn self_test_data(&self) -> Vec<(String, String)> {
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut out = Vec::new();
        for raw in self.raw.fields(4) {
            let Ok(Some(field)) = Reader::new(raw, 0, "", "").next_field() else {
                continue;
            };
            let Value::Bytes(data) = field.value else {
                continue;
            };
            let _ = walk(data, |s| {
                if let (1, Value::Bytes(sample)) = (s.number, s.value) {
                    let (mut input, mut expected) = (String::new(), String::new());
                    walk(sample, |kv| {
                        match (kv.number, kv.value) {
                            (1, Value::Bytes(b)) => input = lossy(b),
                            (2, Value::Bytes(b)) => expected = lossy(b),
                            _ => {}
                        }
                        Ok(())
                    })?;
                    out.push((input, expected));
                }
                Ok(())
            });
        }
        out
    }
}

/// Calls `f` on each field of the message `buf` (for best-effort walks).
fn walk<'a>(buf: &'a [u8], mut f: impl FnMut(super::wire::Field<'a>) -> Result<()>) -> Result<()> {
    let mut r = Reader::new(buf, 0, "", "");
    while let Some(field) = r.next_field()? {
        f(field)?;
    }
    Ok(())
}

/// Parses a `.model` file. `origin` (a path, or `<bytes>`) names the file in
/// errors; malformed input is an [`Error::Format`] giving the field and byte
/// offset.
pub fn read(bytes: &[u8], origin: &str) -> Result<SpmModelFile> {
    let mut r = Reader::new(bytes, 0, origin, "ModelProto");
    let mut pieces = Vec::new();
    let mut trainer = TrainerSpec::default();
    let mut normalizer = NormalizerSpec::default();
    let mut denormalizer: Option<NormalizerSpec> = None;
    let mut raw = RawFields::default();
    let mut after = 0;
    while let Some(f) = r.next_field()? {
        let known = match (f.number, f.value) {
            (1, Value::Bytes(b)) => {
                let path = format!("pieces[{}]", pieces.len());
                pieces.push(read_piece(b, Reader::payload_offset(&f, b), origin, &path)?);
                true
            }
            (2, Value::Bytes(b)) => {
                read_trainer(&mut trainer, b, Reader::payload_offset(&f, b), origin)?;
                true
            }
            (3, Value::Bytes(b)) => {
                let base = Reader::payload_offset(&f, b);
                read_normalizer(&mut normalizer, b, base, origin, "normalizer_spec")?;
                true
            }
            (5, Value::Bytes(b)) => {
                let base = Reader::payload_offset(&f, b);
                let spec = denormalizer.get_or_insert_with(NormalizerSpec::default);
                read_normalizer(spec, b, base, origin, "denormalizer_spec")?;
                true
            }
            _ => false,
        };
        if known {
            after = f.number;
            raw.mark(f.number);
        } else {
            raw.push(after, f.raw);
        }
    }
    Ok(SpmModelFile {
        pieces,
        model_type: trainer.model_type(),
        trainer,
        normalizer,
        denormalizer,
        raw,
    })
}

fn utf8(r: &Reader<'_>, f: &super::wire::Field<'_>, b: &[u8], what: &str) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|e| {
        r.error(
            Reader::payload_offset(f, b) + e.utf8_error().valid_up_to(),
            format!("{what}: invalid UTF-8"),
        )
    })
}

fn read_piece(buf: &[u8], base: usize, origin: &str, path: &str) -> Result<SpmPiece> {
    let mut r = Reader::new(buf, base, origin, path);
    let mut p = SpmPiece::new(String::new(), 0.0, SpmPieceType::Normal);
    let mut after = 0;
    while let Some(f) = r.next_field()? {
        let known = match (f.number, f.value) {
            (1, Value::Bytes(b)) => {
                p.piece = utf8(&r, &f, b, "piece")?;
                true
            }
            (2, Value::Fixed32(v)) => {
                p.score = f32::from_bits(v);
                true
            }
            (3, Value::Varint(v)) => {
                p.kind = SpmPieceType::from_i32(v as i32)
                    .ok_or_else(|| r.error(f.offset, format!("type: unknown piece type {v}")))?;
                true
            }
            _ => false,
        };
        if known {
            after = f.number;
            p.raw.mark(f.number);
        } else {
            p.raw.push(after, f.raw);
        }
    }
    Ok(p)
}

fn read_trainer(t: &mut TrainerSpec, buf: &[u8], base: usize, origin: &str) -> Result<()> {
    let mut r = Reader::new(buf, base, origin, "trainer_spec");
    let mut after = 0;
    while let Some(f) = r.next_field()? {
        let n = f.number;
        let known = match f.value {
            Value::Varint(v) => {
                let b = v != 0;
                let i = v as i32;
                match n {
                    3 => {
                        t.model_type = Some(SpmModelType::from_i32(i).ok_or_else(|| {
                            r.error(f.offset, format!("model_type: unknown value {i}"))
                        })?)
                    }
                    4 => t.vocab_size = Some(i),
                    20 => t.max_sentencepiece_length = Some(i),
                    21 => t.split_by_unicode_script = Some(b),
                    22 => t.split_by_whitespace = Some(b),
                    23 => t.split_by_number = Some(b),
                    24 => t.treat_whitespace_as_suffix = Some(b),
                    25 => t.split_digits = Some(b),
                    26 => t.allow_whitespace_only_pieces = Some(b),
                    35 => t.byte_fallback = Some(b),
                    40 => t.unk_id = Some(i),
                    41 => t.bos_id = Some(i),
                    42 => t.eos_id = Some(i),
                    43 => t.pad_id = Some(i),
                    _ => {}
                }
                matches!(n, 3 | 4 | 20..=26 | 35 | 40..=43)
            }
            Value::Fixed32(v) if n == 10 => {
                t.character_coverage = Some(f32::from_bits(v));
                true
            }
            Value::Bytes(b) if matches!(n, 30 | 31 | 44..=48) => {
                let s = utf8(&r, &f, b, &format!("field {n}"))?;
                match n {
                    30 => t.control_symbols.push(s),
                    31 => t.user_defined_symbols.push(s),
                    44 => t.unk_surface = Some(s),
                    45 => t.unk_piece = Some(s),
                    46 => t.bos_piece = Some(s),
                    47 => t.eos_piece = Some(s),
                    _ => t.pad_piece = Some(s),
                }
                true
            }
            _ => false,
        };
        if known {
            after = n;
            t.raw.mark(n);
        } else {
            t.raw.push(after, f.raw);
        }
    }
    Ok(())
}

fn read_normalizer(
    s: &mut NormalizerSpec,
    buf: &[u8],
    base: usize,
    origin: &str,
    path: &str,
) -> Result<()> {
    let mut r = Reader::new(buf, base, origin, path);
    let mut after = 0;
    while let Some(f) = r.next_field()? {
        let known = match (f.number, f.value) {
            (1, Value::Bytes(b)) => {
                s.name = Some(utf8(&r, &f, b, "name")?);
                true
            }
            (2, Value::Bytes(b)) => {
                s.precompiled_charsmap = Some(b.to_vec());
                true
            }
            (6, Value::Bytes(b)) => {
                s.normalization_rule_tsv = Some(utf8(&r, &f, b, "normalization_rule_tsv")?);
                true
            }
            (n @ 3..=5, Value::Varint(v)) => {
                let slot = match n {
                    3 => &mut s.add_dummy_prefix,
                    4 => &mut s.remove_extra_whitespaces,
                    _ => &mut s.escape_whitespaces,
                };
                *slot = Some(v != 0);
                true
            }
            _ => false,
        };
        if known {
            after = f.number;
            s.raw.mark(f.number);
        } else {
            s.raw.push(after, f.raw);
        }
    }
    Ok(())
}

/// Serialises a model. Known fields are written in field-number order (as
/// protobuf does), each kept unknown field after the known field it followed.
pub fn write(m: &SpmModelFile) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.pieces.len() * 16 + m.normalizer.charsmap().len() + 1024);
    let mut w = MsgWriter::new(&mut out, &m.raw);
    for p in &m.pieces {
        put_message(w.out, 1, |o| write_piece(o, p));
    }
    w.after(1);
    let mut trainer = m.trainer.clone();
    if trainer.model_type.is_some() || m.model_type != SpmModelType::Unigram {
        trainer.model_type = Some(m.model_type);
    }
    if m.raw.has(2) || trainer != TrainerSpec::default() {
        put_message(w.out, 2, |o| write_trainer(o, &trainer));
    }
    w.after(2);
    if m.raw.has(3) || m.normalizer != NormalizerSpec::default() {
        put_message(w.out, 3, |o| write_normalizer(o, &m.normalizer));
    }
    w.after(4);
    if let Some(d) = &m.denormalizer {
        put_message(w.out, 5, |o| write_normalizer(o, d));
    }
    w.after(5);
    w.finish();
    out
}

fn write_piece(out: &mut Vec<u8>, p: &SpmPiece) {
    let mut w = MsgWriter::new(out, &p.raw);
    if p.raw.has(1) || !p.piece.is_empty() {
        put_bytes(w.out, 1, p.piece.as_bytes());
    }
    w.after(1);
    if p.raw.has(2) || p.score.to_bits() != 0 {
        put_f32(w.out, 2, p.score);
    }
    w.after(2);
    if p.raw.has(3) || p.kind != SpmPieceType::Normal {
        put_i32(w.out, 3, p.kind.to_i32());
    }
    w.finish();
}

fn write_trainer(out: &mut Vec<u8>, t: &TrainerSpec) {
    let mut w = MsgWriter::new(out, &t.raw);
    let int = |w: &mut MsgWriter<'_>, n: u32, v: Option<i32>| {
        if let Some(v) = v {
            put_i32(w.out, n, v);
        }
        w.after(n);
    };
    let boolean = |w: &mut MsgWriter<'_>, n: u32, v: Option<bool>| {
        if let Some(v) = v {
            put_bool(w.out, n, v);
        }
        w.after(n);
    };
    let string = |w: &mut MsgWriter<'_>, n: u32, v: &Option<String>| {
        if let Some(v) = v {
            put_bytes(w.out, n, v.as_bytes());
        }
        w.after(n);
    };
    int(&mut w, 3, t.model_type.map(SpmModelType::to_i32));
    int(&mut w, 4, t.vocab_size);
    if let Some(v) = t.character_coverage {
        put_f32(w.out, 10, v);
    }
    w.after(10);
    int(&mut w, 20, t.max_sentencepiece_length);
    boolean(&mut w, 21, t.split_by_unicode_script);
    boolean(&mut w, 22, t.split_by_whitespace);
    boolean(&mut w, 23, t.split_by_number);
    boolean(&mut w, 24, t.treat_whitespace_as_suffix);
    boolean(&mut w, 25, t.split_digits);
    boolean(&mut w, 26, t.allow_whitespace_only_pieces);
    for (n, list) in [(30, &t.control_symbols), (31, &t.user_defined_symbols)] {
        for s in list {
            put_bytes(w.out, n, s.as_bytes());
        }
        w.after(n);
    }
    boolean(&mut w, 35, t.byte_fallback);
    int(&mut w, 40, t.unk_id);
    int(&mut w, 41, t.bos_id);
    int(&mut w, 42, t.eos_id);
    int(&mut w, 43, t.pad_id);
    string(&mut w, 44, &t.unk_surface);
    string(&mut w, 45, &t.unk_piece);
    string(&mut w, 46, &t.bos_piece);
    string(&mut w, 47, &t.eos_piece);
    string(&mut w, 48, &t.pad_piece);
    w.finish();
}

fn write_normalizer(out: &mut Vec<u8>, s: &NormalizerSpec) {
    let mut w = MsgWriter::new(out, &s.raw);
    if let Some(v) = &s.name {
        put_bytes(w.out, 1, v.as_bytes());
    }
    w.after(1);
    if let Some(v) = &s.precompiled_charsmap {
        put_bytes(w.out, 2, v);
    }
    w.after(2);
    for (n, v) in [
        (3, s.add_dummy_prefix),
        (4, s.remove_extra_whitespaces),
        (5, s.escape_whitespaces),
    ] {
        if let Some(v) = v {
            put_bool(w.out, n, v);
        }
        w.after(n);
    }
    if let Some(v) = &s.normalization_rule_tsv {
        put_bytes(w.out, 6, v.as_bytes());
    }
    w.finish();
}

/// Reads a `.model` file from disk.
pub fn read_file(path: &std::path::Path) -> Result<SpmModelFile> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read(&bytes, &path.display().to_string())
}

#[cfg(test)]
#[path = "proto_tests.rs"]
mod tests;
