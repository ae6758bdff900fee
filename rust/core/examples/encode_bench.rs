//! Times splitting and encoding a text file with a tiktoken rank file:
//! `cargo run --release --example encode_bench -- RANKS PATTERN TEXT`.

mod common;

use std::time::Instant;
use toksmith::tokenizer::{Model, Tokenizer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (model, pretok, text) = common::load(&args)?;
    let t = Instant::now();
    println!(
        "backtracking: {} (built in {:.2}s)",
        model.uses_backtracking(),
        t.elapsed().as_secs_f64()
    );
    let tok = Tokenizer::new(None, pretok.clone(), Model::Bpe(model), vec![], None)?;
    let mb = text.len() as f64 / 1e6;
    let docs = common::docs(&text);
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0usize;
        for d in &docs {
            n += tok.encode_ordinary(d)?.len();
        }
        println!(
            "per 4 KB document: {:.1} MB/s ({n} ids, {} docs)",
            mb / t.elapsed().as_secs_f64(),
            docs.len()
        );
    }
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0usize;
        pretok.for_each_piece(&text, |_| n += 1)?;
        let split = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let ids = tok.encode_ordinary(&text)?;
        let full = t.elapsed().as_secs_f64();
        println!(
            "split {:.0} MB/s ({n} pieces), encode {:.1} MB/s ({} ids)",
            mb / split,
            mb / full,
            ids.len()
        );
    }
    Ok(())
}
