//! The protobuf wire format, just enough of it for `sentencepiece_model.proto`:
//! varints, fixed32/fixed64 and length-delimited fields, read from a byte
//! slice with bounds checks on every step (a malformed file is an
//! [`Error::Format`] naming the byte offset, never a panic), and the matching
//! writers.
//!
//! Unknown fields are kept as [`RawFields`]: the exact bytes of each field
//! (tag included) together with the number of the last known field that
//! preceded it, so that [`MsgWriter`] can put them back where they were.

use crate::error::{Error, Result};

/// Wire type of a varint field.
pub(crate) const VARINT: u8 = 0;
/// Wire type of a fixed 64-bit field.
pub(crate) const FIXED64: u8 = 1;
/// Wire type of a length-delimited field.
pub(crate) const LEN: u8 = 2;
/// Wire type of a fixed 32-bit field.
pub(crate) const FIXED32: u8 = 5;

/// The value of one field as read from the wire.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1 (no field of ours uses it; the value is kept raw).
    Fixed64,
    /// Wire type 2.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// One field read from a message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field<'a> {
    /// Field number.
    pub number: u32,
    /// Decoded value.
    pub value: Value<'a>,
    /// The whole field (tag and value) as it appeared in the input.
    pub raw: &'a [u8],
    /// Absolute byte offset of the field's tag in the file.
    pub offset: usize,
}

/// Reads the fields of one message, in order.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    origin: &'a str,
    path: &'a str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, which starts at absolute offset `base` of the file
    /// `origin`; `path` names the message in error messages.
    pub fn new(buf: &'a [u8], base: usize, origin: &'a str, path: &'a str) -> Self {
        Reader {
            buf,
            pos: 0,
            base,
            origin,
            path,
        }
    }

    /// A format error at absolute offset `at`.
    pub fn error(&self, at: usize, what: impl std::fmt::Display) -> Error {
        Error::Format {
            origin: self.origin.to_string(),
            message: format!("{}: {what} (at byte {at})", self.path),
        }
    }

    fn varint(&mut self) -> Result<u64> {
        let start = self.base + self.pos;
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.error(start, "truncated varint"));
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.error(start, "varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let start = self.base + self.pos;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.error(start, format!("truncated {what}")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field, or `None` at the end of the message.
    pub fn next_field(&mut self) -> Result<Option<Field<'a>>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let begin = self.pos;
        let offset = self.base + begin;
        let tag = self.varint()?;
        let number = u32::try_from(tag >> 3)
            .ok()
            .filter(|&n| n != 0 && n < (1 << 29))
            .ok_or_else(|| self.error(offset, format!("invalid field number {}", tag >> 3)))?;
        let wire = (tag & 7) as u8;
        let value = match wire {
            VARINT => Value::Varint(self.varint()?),
            FIXED64 => {
                self.take(8, "fixed64")?;
                Value::Fixed64
            }
            LEN => {
                let at = self.base + self.pos;
                let n = self.varint()?;
                let n = usize::try_from(n).map_err(|_| self.error(at, "length too large"))?;
                Value::Bytes(self.take(n, &format!("field {number} ({n} bytes)"))?)
            }
            FIXED32 => {
                let b = self.take(4, "fixed32")?;
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                Value::Fixed32(u32::from_le_bytes(a))
            }
            w => {
                return Err(self.error(offset, format!("field {number}: unsupported wire type {w}")))
            }
        };
        Ok(Some(Field {
            number,
            value,
            raw: &self.buf[begin..self.pos],
            offset,
        }))
    }

    /// Absolute offset of the payload of a length-delimited `field`.
    pub fn payload_offset(field: &Field<'_>, payload: &[u8]) -> usize {
        field.offset + field.raw.len() - payload.len()
    }
}

/// Fields of a message that the typed structs do not model, kept byte for
/// byte, plus which fields were explicitly present. Equality compares the
/// kept fields only (presence is a detail of the encoding).
#[derive(Clone, Debug, Default)]
pub struct RawFields {
    /// `(number of the last known field before it, field bytes)`.
    unknown: Vec<(u32, Vec<u8>)>,
    /// Bit `n` set: known field `n` (< 64) was present in the input.
    present: u64,
}

impl PartialEq for RawFields {
    fn eq(&self, other: &Self) -> bool {
        self.unknown == other.unknown
    }
}

impl RawFields {
    /// Keeps an unknown field that came after known field `after`.
    pub(crate) fn push(&mut self, after: u32, raw: &[u8]) {
        self.unknown.push((after, raw.to_vec()));
    }

    /// Records that known field `n` was present.
    pub(crate) fn mark(&mut self, n: u32) {
        if n < 64 {
            self.present |= 1 << n;
        }
    }

    /// Whether known field `n` was present in the input.
    pub(crate) fn has(&self, n: u32) -> bool {
        n < 64 && self.present & (1 << n) != 0
    }

    /// Number of unknown fields kept.
    pub fn unknown_len(&self) -> usize {
        self.unknown.len()
    }

    /// The kept fields with number `n`, raw (tag included).
    pub(crate) fn fields(&self, n: u32) -> impl Iterator<Item = &[u8]> {
        self.unknown.iter().filter_map(move |(_, raw)| {
            let mut r = Reader::new(raw, 0, "", "");
            match r.next_field() {
                Ok(Some(f)) if f.number == n => Some(raw.as_slice()),
                _ => None,
            }
        })
    }
}

/// Writes the fields of one message in field-number order, putting each kept
/// unknown field back after the known field that preceded it when read.
pub(crate) struct MsgWriter<'a> {
    /// The output.
    pub out: &'a mut Vec<u8>,
    raw: &'a RawFields,
    next: usize,
}

impl<'a> MsgWriter<'a> {
    /// Starts a message; unknown fields that came first are written now.
    pub fn new(out: &'a mut Vec<u8>, raw: &'a RawFields) -> Self {
        let mut w = MsgWriter { out, raw, next: 0 };
        w.after(0);
        w
    }

    /// Call after known field `n` (present or not): writes the unknown fields
    /// that followed it.
    pub fn after(&mut self, n: u32) {
        while let Some((after, bytes)) = self.raw.unknown.get(self.next) {
            if *after > n {
                break;
            }
            self.out.extend_from_slice(bytes);
            self.next += 1;
        }
    }

    /// Writes the unknown fields left.
    pub fn finish(mut self) {
        self.after(u32::MAX);
    }
}

/// Appends a varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a tag.
pub(crate) fn put_tag(out: &mut Vec<u8>, number: u32, wire: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire));
}

/// Appends a length-delimited field.
pub(crate) fn put_bytes(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_tag(out, number, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends an `int32` (or enum) field; negative values take ten bytes, as in
/// protobuf.
pub(crate) fn put_i32(out: &mut Vec<u8>, number: u32, v: i32) {
    put_tag(out, number, VARINT);
    put_varint(out, i64::from(v) as u64);
}

/// Appends a `bool` field.
pub(crate) fn put_bool(out: &mut Vec<u8>, number: u32, v: bool) {
    put_tag(out, number, VARINT);
    put_varint(out, u64::from(v));
}

/// Appends a `float` field.
pub(crate) fn put_f32(out: &mut Vec<u8>, number: u32, v: f32) {
    put_tag(out, number, FIXED32);
    out.extend_from_slice(&v.to_bits().to_le_bytes());
}

/// Appends a length-delimited field whose payload `body` writes (the payload
/// is built in a scratch buffer to learn its length).
pub(crate) fn put_message(out: &mut Vec<u8>, number: u32, body: impl FnOnce(&mut Vec<u8>)) {
    let mut tmp = Vec::new();
    body(&mut tmp);
    put_bytes(out, number, &tmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip_and_protobuf_encodings() {
        // Known encodings from the protobuf documentation.
        let mut out = Vec::new();
        put_varint(&mut out, 150);
        assert_eq!(out, [0x96, 0x01]);
        out.clear();
        put_i32(&mut out, 1, -1);
        assert_eq!(out.len(), 11, "negative int32 is a 10-byte varint");
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_tag(&mut b, 7, VARINT);
            put_varint(&mut b, v);
            let mut r = Reader::new(&b, 0, "t", "m");
            let f = r.next_field().unwrap().unwrap();
            assert_eq!(f.number, 7);
            assert!(matches!(f.value, Value::Varint(x) if x == v));
            assert!(r.next_field().unwrap().is_none());
        }
    }

    #[test]
    fn truncation_is_an_error() {
        let mut b = Vec::new();
        put_bytes(&mut b, 3, b"hello");
        for n in 1..b.len() {
            let mut r = Reader::new(&b[..n], 0, "t", "m");
            assert!(r.next_field().is_err(), "prefix {n}");
        }
        let mut r = Reader::new(&[0x80; 11], 0, "t", "m");
        assert!(r.next_field().is_err());
        // Field number 0 and group wire types are rejected.
        assert!(Reader::new(&[0x00, 0x01], 0, "t", "m")
            .next_field()
            .is_err());
        assert!(Reader::new(&[0x0b], 0, "t", "m").next_field().is_err());
    }
}
