//! Times encoding pieces by class (whole token; not a token and up to 32
//! bytes, ASCII-led or not; longer), after one warm-up pass, then all pieces
//! in text order (the minimum of 7 rounds each); `CLASS=ascii`
//! repeats one class 20 times (for profiling):
//! `cargo run --release --example piece_bench -- RANKS PATTERN TEXT`.

mod common;

use std::time::Instant;

/// The piece classes, in the order of `classes`.
const NAMES: [&str; 4] = ["whole", "ascii", "other", "long"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (model, pretok, text) = common::load(&args)?;
    model.uses_backtracking();
    let mut pieces: Vec<&str> = Vec::new();
    let t = Instant::now();
    pretok.for_each_piece(&text, |p| {
        pieces.push(unsafe { std::mem::transmute::<&str, &str>(p) })
    })?;
    println!("split+collect {:.3}s", t.elapsed().as_secs_f64());
    let mut classes: [Vec<&str>; 4] = Default::default();
    let mut out = Vec::new();
    for p in &pieces {
        out.clear();
        model.encode_piece(p, &mut out);
        let c = if out.len() == 1 {
            0
        } else if p.len() > 32 {
            3
        } else if p.is_ascii() {
            1
        } else {
            2
        };
        classes[c].push(p);
    }
    let only = std::env::var("CLASS").ok();
    let rounds = if only.is_some() { 20 } else { 7 };
    // Minimum over the rounds: this VM's noise is one-sided.
    let mut best = [f64::MAX; 4];
    let mut nids = [0usize; 4];
    for _ in 0..rounds {
        for (k, (name, ps)) in NAMES.iter().zip(&classes).enumerate() {
            if only.as_deref().is_some_and(|o| o != *name) {
                continue;
            }
            let t = Instant::now();
            let mut out = Vec::with_capacity(text.len() / 2);
            toksmith::bpe::with_scratch(|s| {
                for p in ps {
                    model.encode_piece_in(p, &mut out, s);
                }
            });
            best[k] = best[k].min(t.elapsed().as_secs_f64());
            nids[k] = out.len();
        }
    }
    for (k, (name, ps)) in NAMES.iter().zip(&classes).enumerate() {
        let s = best[k];
        let bytes: usize = ps.iter().map(|p| p.len()).sum();
        println!(
            "{name:6} {:8} pieces {:9} bytes {:9} ids: {:.3}s, {:.1} ns/piece, {:.1} ns/id",
            ps.len(),
            bytes,
            nids[k],
            s,
            s * 1e9 / ps.len() as f64,
            s * 1e9 / nids[k].max(1) as f64
        );
    }
    println!(
        "total {:.3}s",
        best.iter().filter(|x| **x < f64::MAX).sum::<f64>()
    );
    // All pieces in text order, as an encode sees them (the classes above
    // run apart, so they share the caches less).
    if only.is_none() {
        let mut stream = f64::MAX;
        for _ in 0..rounds {
            let t = Instant::now();
            let mut out = Vec::with_capacity(text.len() / 2);
            toksmith::bpe::with_scratch(|s| {
                for p in &pieces {
                    model.encode_piece_in(p, &mut out, s);
                }
            });
            stream = stream.min(t.elapsed().as_secs_f64());
        }
        println!("in text order {stream:.3}s");
    }
    Ok(())
}
