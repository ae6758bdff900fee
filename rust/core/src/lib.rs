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
pub fn write_atomic(
    path: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> Result<()>,
) -> Result<()> {
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

/// Runs `f` on a rayon pool of `threads` threads, or, when `threads` is
/// `None` or 0, of `RAYON_NUM_THREADS` threads if that is set (as rayon's
/// own pool), else one per core.
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
    pool(n)?.install(f)
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
