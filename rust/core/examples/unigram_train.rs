//! Trains a Unigram vocabulary on a text file and writes it as JSON lines
//! (the `unigram_dump.py` vocabulary format), reporting the time:
//! `cargo run --release --example unigram_train -- INPUT VOCAB_SIZE OUT.vocab.jsonl [THREADS]`
//! Words are counted by splitting lines on whitespace, each prefixed with `▁`
//! (what SentencePiece's default normalizer and whitespace split give on
//! plain text).

use rustc_hash::FxHashMap;
use std::io::Write;
use std::time::Instant;
use toksmith::unigram::{train, PieceKind, UnigramTrainerConfig};

struct Log(Instant);

impl toksmith::counts::Progress for Log {
    fn update(&self, stage: &str, done: u64, _total: u64) {
        eprintln!("[{:7.2}s] {stage} {done}", self.0.elapsed().as_secs_f64());
    }
    fn finish(&self, stage: &str) {
        eprintln!("[{:7.2}s] {stage} done", self.0.elapsed().as_secs_f64());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: unigram_train INPUT VOCAB_SIZE OUT [THREADS]".into());
    }
    let t0 = Instant::now();
    let text = std::fs::read_to_string(&args[1])?;
    let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
    for w in text.split_whitespace() {
        *counts.entry(w).or_default() += 1;
    }
    let words: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(w, c)| (format!("\u{2581}{w}"), c))
        .collect();
    drop(text);
    eprintln!(
        "[{:7.2}s] counted {} distinct words",
        t0.elapsed().as_secs_f64(),
        words.len()
    );
    let cfg = UnigramTrainerConfig {
        vocab_size: args[2].parse()?,
        num_threads: args.get(4).map(|s| s.parse()).transpose()?,
        ..UnigramTrainerConfig::default()
    };
    let log = Log(t0);
    let pieces = train(&words, &cfg, Some(&log))?;
    eprintln!(
        "[{:7.2}s] trained {} pieces",
        t0.elapsed().as_secs_f64(),
        pieces.len()
    );
    let mut f = std::io::BufWriter::new(std::fs::File::create(&args[3])?);
    writeln!(
        f,
        "{}",
        serde_json::json!({"byte_fallback": cfg.byte_fallback})
    )?;
    for p in &pieces {
        let kind = match p.kind {
            PieceKind::Normal => "normal",
            PieceKind::Unknown => "unknown",
            PieceKind::Control => "control",
            PieceKind::UserDefined => "user",
            PieceKind::Byte => "byte",
            PieceKind::Unused => "unused",
        };
        writeln!(
            f,
            "{}",
            serde_json::json!({"text": p.text, "score": p.score, "kind": kind})
        )?;
    }
    Ok(())
}
