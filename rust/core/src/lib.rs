//! # toksmith
//!
//! A tokenizer toolkit: train and run byte-level and character-level BPE and
//! WordPiece, exactly compatible with HF `tokenizers` files and training. Pure Rust; the
//! Python bindings live in the `toksmith-py` crate.
//!
//! Pipeline: [`normalize`] → [`pretokenize`] → model ([`bpe`], [`wordpiece`]) → post-processor,
//! assembled in [`tokenizer::Tokenizer`]. Training counts pre-tokens
//! ([`counts`]) and runs the heap-based trainer ([`bpe::trainer`]).

pub mod bpe;
pub mod byte_level;
pub mod counts;
pub mod error;
pub mod formats;
pub mod normalize;
pub mod pretokenize;
pub mod tokenizer;
pub mod train;
pub mod unigram;
pub mod wordpiece;

pub use error::{Error, ErrorKind, Result};

/// Writes a file without ever leaving it half-written: `write` fills a
/// temporary file beside `path`, which is then renamed over it; on any error
/// the temporary file is removed and `path` is untouched.
///
/// A symbolic link is followed: its target is written (the rename would
/// replace the link itself). An existing path that is not a regular file (a
/// device such as `/dev/stdout` or `/dev/null`, a named pipe) is written in
/// place, since renaming over it would replace the device with a file.
pub fn write_atomic(
    path: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> Result<()>,
) -> Result<()> {
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = link_target(path)?;
            resolved.as_path()
        }
        _ => path,
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return write(path);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{}: not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let res =
        write(&tmp).and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Most threads a pool is given, whatever is asked: more only cost memory and
/// start-up (a request for a billion threads started tens of thousands before
/// it failed).
pub const MAX_THREADS: usize = 256;

/// Where the symbolic link `path` finally points (its target need not exist).
fn link_target(path: &std::path::Path) -> Result<std::path::PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let t = std::fs::read_link(&p).map_err(|e| Error::io(&p, e))?;
                p = match p.parent() {
                    Some(dir) if t.is_relative() => dir.join(t),
                    _ => t,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::invalid(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// Runs `f` on a rayon pool of `threads` threads, or, when `threads` is
/// `None` or 0, of `RAYON_NUM_THREADS` threads if that is set (as rayon's
/// own pool), else one per core; at most [`MAX_THREADS`].
///
/// Pools are built once per thread count and kept, so that their threads,
/// and the per-thread tables of the byte-level encoder (the backtracking
/// memo and the piece cache, `bpe::cache`), outlive one call: a pool built
/// per call started every batch with new threads and cold tables, which made
/// `encode_batch` on one thread 30% slower than encoding the same texts in a
/// loop. A process forked after a pool was built (Python's `multiprocessing`)
/// has none of the pool's threads, so pools are keyed by process id too and
/// a child builds its own.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    let n = match threads {
        None | Some(0) => std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
        Some(n) => n,
    };
    pool(n.min(MAX_THREADS))?.install(f)
}

/// The kept pool of `n` threads (see [`with_threads`]).
fn pool(n: usize) -> Result<std::sync::Arc<rayon::ThreadPool>> {
    use std::sync::{Arc, Mutex};
    /// Pools of this process (its id) by thread count; a few sizes at most.
    type Pools = (u32, Vec<(usize, Arc<rayon::ThreadPool>)>);
    const KEPT: usize = 8;
    static POOLS: Mutex<Pools> = Mutex::new((0, Vec::new()));
    let pid = std::process::id();
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if pools.0 != pid {
        // Inherited through fork: their threads do not exist here. They are
        // left alone (dropping them would signal threads that are gone).
        std::mem::forget(std::mem::take(&mut pools.1));
        pools.0 = pid;
    }
    if let Some((_, p)) = pools.1.iter().find(|(k, _)| *k == n) {
        return Ok(p.clone());
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("toksmith-{i}"))
            .build()
            .map_err(|e| Error::invalid(format!("cannot start {n} threads: {e}")))?,
    );
    if pools.1.len() < KEPT {
        pools.1.push((n, p.clone()));
    }
    Ok(p)
}
pub use tokenizer::Tokenizer;

/// Ids a vocabulary of `tokens` tokens may reach beyond its count: its tables
/// are sized by the largest id, so one id of four billion asked for tens of
/// GB (HF files may leave gaps in the ids, but none this wide).
pub const MAX_ID_GAP: u32 = 1 << 20;

/// The length of a table indexed by the ids of `entries` (`(id, token
/// bytes)`), one past the largest; an error naming the token when that id
/// does not fit a vocabulary of `tokens` tokens (see [`MAX_ID_GAP`]).
pub(crate) fn id_table_len<'a>(
    entries: impl IntoIterator<Item = (u32, &'a [u8])>,
    tokens: usize,
) -> Result<usize> {
    let Some((id, token)) = entries.into_iter().max_by_key(|e| e.0) else {
        return Ok(0);
    };
    let limit = u64::try_from(tokens).unwrap_or(u64::MAX) + u64::from(MAX_ID_GAP);
    if u64::from(id) >= limit {
        return Err(Error::invalid(format!(
            "token {:?} has id {id}, too large for a vocabulary of {tokens} tokens: \
             ids must be below {limit} (the tables are sized by the largest id)",
            String::from_utf8_lossy(token)
        )));
    }
    Ok(id as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(path: &std::path::Path, text: &str) -> Result<()> {
        write_atomic(path, |tmp| {
            std::fs::write(tmp, text).map_err(|e| Error::io(tmp, e))
        })
    }

    /// A link stays a link, and its target (even a missing one) is written;
    /// a named pipe stays a pipe and gets the bytes.
    #[cfg(unix)]
    #[test]
    fn write_atomic_follows_links_and_writes_pipes_in_place() {
        let dir = std::env::temp_dir().join(format!("toksmith-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("target.json");
        let link = dir.join("link.json");
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink("target.json", &link).unwrap();
        put(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let dangling = dir.join("dangling.json");
        std::os::unix::fs::symlink(dir.join("made.json"), &dangling).unwrap();
        put(&dangling, "made").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("made.json")).unwrap(),
            "made"
        );

        let fifo = dir.join("pipe");
        let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(ok.is_ok_and(|s| s.success()), "mkfifo failed");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        put(&fifo, "through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
