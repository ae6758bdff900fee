//! Times `Tokenizer::encode_batch` over the documents of a text file on one
//! and on two threads (no Python lists), three rounds:
//! `cargo run --release --example batch_bench -- RANKS PATTERN TEXT`.

mod common;

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (tok, text) = common::tokenizer(&args)?;
    let docs = common::docs(&text);
    let mb = text.len() as f64 / 1e6;
    for _ in 0..3 {
        for threads in [1usize, 2] {
            let t = Instant::now();
            let ids = tok.encode_batch(&docs, Some(threads), |t, s| t.encode_ordinary(s))?;
            println!(
                "{threads} thread(s): {:.1} MB/s ({} docs)",
                mb / t.elapsed().as_secs_f64(),
                ids.len()
            );
        }
    }
    Ok(())
}
