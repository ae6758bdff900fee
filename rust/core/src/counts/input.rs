//! Finding and opening training inputs: directories are walked, and gzip,
//! xz and zstd files are decompressed on the fly (detected by magic bytes).

use super::read_full;
use crate::error::{Error, Result};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

const GZIP: &[u8] = &[0x1f, 0x8b];
const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

fn head(path: &Path) -> Result<Vec<u8>> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = vec![0u8; 8192];
    let n = read_full(&mut f, &mut head).map_err(|e| Error::io(path, e))?;
    head.truncate(n);
    Ok(head)
}

fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(GZIP) || head.starts_with(XZ) || head.starts_with(ZSTD)
}

/// Opens a file for reading, decompressing gzip, xz and zstd transparently.
pub fn open_input(path: &Path) -> Result<Box<dyn Read + Send>> {
    let magic = head(path)?;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let r = BufReader::with_capacity(1 << 20, f);
    Ok(if magic.starts_with(GZIP) {
        Box::new(flate2::read::MultiGzDecoder::new(r))
    } else if magic.starts_with(XZ) {
        Box::new(xz2::read::XzDecoder::new_multi_decoder(r))
    } else if magic.starts_with(ZSTD) {
        Box::new(zstd::stream::read::Decoder::with_buffer(r).map_err(|e| Error::io(path, e))?)
    } else {
        Box::new(r)
    })
}

/// Expands paths into the list of files to read: files as given, directories
/// walked recursively (hidden entries skipped, sorted for determinism).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out)?;
            if out.len() == before {
                return Err(Error::NoText(p.display().to_string()));
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let ft = std::fs::metadata(&path).map_err(|err| Error::io(&path, err))?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() && looks_like_text(&path)? {
            out.push(path);
        }
    }
    Ok(())
}

/// A file counts as text when it is compressed (gzip, xz, zstd) or its first
/// 8 KiB hold no NUL byte.
fn looks_like_text(path: &Path) -> Result<bool> {
    let head = head(path)?;
    Ok(is_compressed(&head) || !head.contains(&0))
}
