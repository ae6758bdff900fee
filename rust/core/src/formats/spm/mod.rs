//! SentencePiece (0.2.3) models: the `.model` protobuf ([`proto`]), the
//! normalizer with its precompiled charsmap ([`normalizer`], [`charsmap`]),
//! and decoding ids back to text exactly like `sp.decode(ids)`
//! ([`SpmDecoder`]). BPE encoding lives in [`crate::bpe::spm_bpe`].

pub mod charsmap;
pub mod normalizer;
pub mod proto;
pub mod tokenizer;
mod wire;

pub use normalizer::{PrefixMatcher, SpmNormalizer, SPACE_SYMBOL};
pub use proto::{
    read, read_file, write, NormalizerSpec, SpmModelFile, SpmModelType, SpmPiece, SpmPieceType,
    TrainerSpec,
};
pub use wire::RawFields;

use crate::error::{Error, Result};
use normalizer::char_len;
use rustc_hash::FxHashMap;

/// Longest piece sentencepiece accepts (`kMaxPieceSize`), exclusive.
const MAX_PIECE_SIZE: usize = 8000;

/// What sentencepiece's `InitializePieces` learns from a model.
pub(crate) struct PieceCheck {
    /// Id of the UNKNOWN piece, if any.
    pub unk: Option<u32>,
    /// Byte value of each BYTE piece (`None` for other pieces).
    pub byte_of: Vec<Option<u8>>,
    /// Id of the piece spelled `<0xNN>` for each byte, when byte fallback is on.
    pub byte_ids: Option<Vec<u32>>,
    /// Pieces skipped by sentencepiece (the NUL piece).
    pub skipped: Vec<bool>,
}

fn format_err(origin: &str, message: String) -> Error {
    Error::Format {
        origin: origin.to_string(),
        message,
    }
}

/// The byte of a piece spelled `<0xNN>` (upper-case hex), if it is one.
pub fn piece_to_byte(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

/// The checks sentencepiece makes when loading a model (non-empty pieces, no
/// NUL, no duplicates, one unknown piece, 256 byte pieces iff byte fallback);
/// `one_map` is true for BPE, whose pieces must all be distinct.
pub(crate) fn check_pieces(m: &SpmModelFile, one_map: bool, origin: &str) -> Result<PieceCheck> {
    let byte_fallback = m.trainer.byte_fallback();
    let mut normal: FxHashMap<&str, u32> = FxHashMap::default();
    let mut reserved: FxHashMap<&str, u32> = FxHashMap::default();
    let mut unk = None;
    let mut byte_of = vec![None; m.pieces.len()];
    let mut skipped = vec![false; m.pieces.len()];
    let mut seen = [false; 256];
    for (i, p) in m.pieces.iter().enumerate() {
        let id = u32::try_from(i).map_err(|_| format_err(origin, "too many pieces".into()))?;
        let at = |what: &str| format_err(origin, format!("pieces[{i}] {:?}: {what}", p.piece));
        if p.piece.len() >= MAX_PIECE_SIZE {
            return Err(at("piece is too long"));
        }
        if p.piece.is_empty() {
            return Err(at("piece must not be empty"));
        }
        // sentencepiece marks a NUL piece UNUSED under byte fallback, then skips it.
        if p.piece == "\0" && (p.kind == SpmPieceType::Unused || byte_fallback) {
            skipped[i] = true;
            continue;
        }
        if p.piece.contains('\0') {
            return Err(at("piece must not include a NUL character"));
        }
        let normal_like = matches!(
            p.kind,
            SpmPieceType::Normal | SpmPieceType::UserDefined | SpmPieceType::Unused
        );
        let map = if one_map || normal_like {
            &mut normal
        } else {
            &mut reserved
        };
        if map.insert(&p.piece, id).is_some() {
            return Err(at("piece is already defined"));
        }
        match p.kind {
            SpmPieceType::Unknown => {
                if unk.is_some() {
                    return Err(at("unk is already defined"));
                }
                unk = Some(id);
            }
            SpmPieceType::Byte => {
                if !byte_fallback {
                    return Err(at("byte piece found although byte_fallback is false"));
                }
                let b = piece_to_byte(&p.piece).ok_or_else(|| at("invalid byte piece"))?;
                seen[b as usize] = true;
                byte_of[i] = Some(b);
            }
            _ => {}
        }
    }
    if unk.is_none() && !byte_fallback {
        return Err(format_err(origin, "unk is not defined".into()));
    }
    let byte_ids = if byte_fallback {
        if seen.iter().any(|&s| !s) {
            return Err(format_err(
                origin,
                "byte_fallback is true but there are not 256 byte pieces".into(),
            ));
        }
        let mut ids = Vec::with_capacity(256);
        for b in 0..=255u8 {
            let name = format!("<0x{b:02X}>");
            let id = reserved
                .get(name.as_str())
                .or_else(|| normal.get(name.as_str()));
            ids.push(*id.ok_or_else(|| format_err(origin, format!("no piece {name}")))?);
        }
        Some(ids)
    } else {
        None
    };
    Ok(PieceCheck {
        unk,
        byte_of,
        byte_ids,
        skipped,
    })
}

/// Turns ids back into text exactly like sentencepiece's `decode(ids)`:
/// pieces concatenated with `▁` → space, the leading space of the dummy
/// prefix dropped, runs of byte pieces decoded as UTF-8 (each invalid byte →
/// U+FFFD), the unknown piece → `unk_surface`, control pieces → nothing, then
/// the denormalizer if the model has one.
#[derive(Clone, Debug)]
pub struct SpmDecoder {
    pieces: Vec<String>,
    kinds: Vec<SpmPieceType>,
    byte_of: Vec<Option<u8>>,
    unk_surface: String,
    strip_bos_space: bool,
    remove_extra_whitespaces: bool,
    denormalizer: Option<SpmNormalizer>,
}

impl SpmDecoder {
    /// A decoder for model `m` (checked like sentencepiece loads it).
    pub fn new(m: &SpmModelFile, origin: &str) -> Result<Self> {
        let check = check_pieces(m, m.model_type == SpmModelType::Bpe, origin)?;
        Ok(SpmDecoder {
            pieces: m.pieces.iter().map(|p| p.piece.clone()).collect(),
            kinds: m.pieces.iter().map(|p| p.kind).collect(),
            byte_of: check.byte_of,
            unk_surface: m.trainer.unk_surface().to_string(),
            strip_bos_space: m.normalizer.add_dummy_prefix()
                || m.normalizer.remove_extra_whitespaces(),
            remove_extra_whitespaces: m.normalizer.remove_extra_whitespaces(),
            denormalizer: SpmNormalizer::denormalizer(m, origin)?,
        })
    }

    /// Decodes `ids`; an id outside the vocabulary is [`Error::UnknownId`].
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let mut out = String::new();
        let mut bytes: Vec<u8> = Vec::new();
        let mut is_bos_ws = true;
        for &id in ids {
            let i = id as usize;
            let (Some(piece), Some(&kind)) = (self.pieces.get(i), self.kinds.get(i)) else {
                return Err(Error::UnknownId(id));
            };
            if kind == SpmPieceType::Byte {
                if let Some(Some(b)) = self.byte_of.get(i) {
                    bytes.push(*b);
                }
                continue;
            }
            flush_bytes(&mut bytes, &mut out);
            if !out.is_empty() {
                is_bos_ws = false;
            }
            if kind == SpmPieceType::Control {
                continue;
            }
            let mut p = piece.as_str();
            let mut has_bos_ws = false;
            if is_bos_ws && self.strip_bos_space {
                if let Some(rest) = p.strip_prefix(SPACE_SYMBOL) {
                    p = rest;
                    has_bos_ws = true;
                }
                if self.remove_extra_whitespaces {
                    has_bos_ws = false;
                }
            }
            if kind == SpmPieceType::Unknown {
                out.push_str(&self.unk_surface);
            } else {
                for (k, seg) in p.split(SPACE_SYMBOL).enumerate() {
                    if k > 0 {
                        out.push(' ');
                    }
                    out.push_str(seg);
                }
            }
            if has_bos_ws || !out.is_empty() {
                is_bos_ws = false;
            }
        }
        flush_bytes(&mut bytes, &mut out);
        if let Some(d) = &self.denormalizer {
            out = d.normalize_str(&out);
        }
        Ok(out)
    }
}

/// Appends the queued bytes as UTF-8, one U+FFFD per invalid byte.
fn flush_bytes(bytes: &mut Vec<u8>, out: &mut String) {
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        match char_len(rest).and_then(|n| Some((std::str::from_utf8(&rest[..n]).ok()?, n))) {
            Some((s, n)) => {
                out.push_str(s);
                rest = &rest[n..];
            }
            None => {
                out.push('\u{fffd}');
                rest = &rest[1..];
            }
        }
    }
    bytes.clear();
}

#[cfg(test)]
mod tests;
