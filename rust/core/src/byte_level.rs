//! GPT-2's byte-to-unicode mapping, as used by byte-level BPE.
//!
//! Each of the 256 byte values maps to one printable Unicode character:
//! printable Latin-1 bytes map to themselves, the other 68 bytes map to
//! U+0100.. in byte order. Vocabulary strings of byte-level models are written
//! with these characters (HF `ByteLevel`, GPT-2's `encoder.json`).

use std::sync::OnceLock;

fn is_direct(b: u8) -> bool {
    matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

struct Tables {
    to_char: [char; 256],
    from_char: rustc_hash::FxHashMap<char, u8>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut to_char = ['\0'; 256];
        let mut next = 256u32;
        for b in 0..=255u8 {
            to_char[b as usize] = if is_direct(b) {
                char::from(b)
            } else {
                let c = char::from_u32(next).expect("U+0100..U+0143 are chars");
                next += 1;
                c
            };
        }
        let from_char = to_char
            .iter()
            .enumerate()
            .map(|(b, &c)| (c, b as u8))
            .collect();
        Tables { to_char, from_char }
    })
}

/// The character that stands for byte `b`.
#[inline]
pub fn byte_to_char(b: u8) -> char {
    tables().to_char[b as usize]
}

/// The byte a mapped character stands for, if it is one of the 256.
#[inline]
pub fn char_to_byte(c: char) -> Option<u8> {
    tables().from_char.get(&c).copied()
}

/// Maps raw bytes to their byte-level string.
pub fn encode_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| byte_to_char(b)).collect()
}

/// Maps a byte-level string back to bytes; `None` if a char is not one of the 256.
pub fn decode_str(s: &str) -> Option<Vec<u8>> {
    s.chars().map(char_to_byte).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_is_a_bijection_matching_gpt2() {
        assert_eq!(byte_to_char(b' '), '\u{120}'); // 'Ġ'
        assert_eq!(byte_to_char(b'\n'), '\u{10A}'); // 'Ċ'
        assert_eq!(byte_to_char(b'a'), 'a');
        assert_eq!(byte_to_char(0xAD), '\u{143}');
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(byte_to_char(b)), Some(b));
        }
        assert_eq!(decode_str(&encode_bytes(b"hi \xff")).unwrap(), b"hi \xff");
        assert_eq!(char_to_byte('\u{144}'), None);
    }
}
