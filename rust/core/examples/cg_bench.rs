//! Encodes a text file per 4 KB document, `PASSES` times (default 2), in
//! one function (`run`) that callgrind can be told to measure alone; it
//! counts instructions and simulated cache misses the same way every run,
//! where timings on a shared VM move by 10-30%:
//!
//! ```text
//! cargo build --release --example cg_bench
//! valgrind --tool=callgrind --cache-sim=yes --D1=32768,8,64 --LL=1048576,16,64 \
//!     --toggle-collect='*cg_bench::run*' target/release/examples/cg_bench RANKS PATTERN TEXT
//! ```
//!
//! (`--LL` set to the 1 MB L2; add `--branch-sim=yes` for mispredictions.)
//! The figures in the performance notes marked "callgrind" used the first
//! 6 MB of the 20 MB mixed sample, cut at a line end.

mod common;

use toksmith::tokenizer::Tokenizer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (tok, text) = common::tokenizer(&args)?;
    let docs = common::docs(&text);
    let passes = std::env::var("PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    println!("{} ids", run(&tok, &docs, passes)?);
    Ok(())
}

/// The measured part: every document encoded `passes` times.
#[inline(never)]
fn run(tok: &Tokenizer, docs: &[&str], passes: usize) -> toksmith::error::Result<usize> {
    let mut n = 0;
    for _ in 0..passes {
        for d in docs {
            n += tok.encode_ordinary(d)?.len();
        }
    }
    Ok(n)
}
