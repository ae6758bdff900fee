//! The one error type of the core crate.
//!
//! Every fallible function in `toksmith` returns [`Result`]. The variants are
//! grouped by [`ErrorKind`] so that bindings can map them to exactly one
//! exception class each (I/O, invalid input, unknown token) without matching
//! on every variant.

use std::path::Path;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in toksmith.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A training input named a directory (or list) that holds no text file.
    #[error("{0}: no text files found")]
    NoText(String),
    /// A file is not valid UTF-8.
    #[error("{path}: not valid UTF-8 at byte {offset}")]
    NotUtf8 {
        /// The file.
        path: String,
        /// Byte offset of the first invalid sequence.
        offset: u64,
    },
    /// A regular expression failed to compile.
    #[error("invalid pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern source.
        pattern: String,
        /// What the regex engine said.
        message: String,
    },
    /// A tokenizer file is malformed or uses a feature we do not support.
    #[error("{origin}: malformed tokenizer file: {message}")]
    Format {
        /// Path of the file, or `<string>`.
        origin: String,
        /// What is wrong, and where.
        message: String,
    },
    /// A special token that is not allowed appeared in the text.
    #[error(
        "Encountered text corresponding to disallowed special token {tok}.\n\
         If you want this text to be encoded as a special token, pass it to `allowed_special`, \
         e.g. `allowed_special={{{tok}, ...}}`.\n\
         If you want this text to be encoded as normal text, disable the check for this token \
         by passing `disallowed_special=(enc.special_tokens_set - {{{tok}}})`.\n\
         To disable this check for all special tokens, pass `disallowed_special=()`.\n",
        tok = py_repr(.0)
    )]
    DisallowedSpecial(String),
    /// A token id is not in the vocabulary.
    #[error("unknown token id {0}")]
    UnknownId(u32),
    /// Any other invalid argument or input.
    #[error("{0}")]
    Invalid(String),
}

/// A string quoted the way Python's `repr` quotes it (for messages users
/// compare with tiktoken's).
fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The coarse class of an [`Error`], for mapping to foreign error types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Reading or writing failed.
    Io,
    /// Bad input, bad option, malformed file.
    InvalidInput,
    /// An id or token that the vocabulary does not have.
    UnknownToken,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } | Error::NoText(_) => ErrorKind::Io,
            Error::UnknownId(_) => ErrorKind::UnknownToken,
            _ => ErrorKind::InvalidInput,
        }
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }
}
