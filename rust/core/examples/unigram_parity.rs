//! Compares `UnigramModel` with SentencePiece on dumps made by
//! `unigram_dump.py`: `cargo run --release --example unigram_parity -- PREFIX...`
//! Prints, per prefix, how many cases give identical `encode` ids and
//! identical 5-best id lists, and the encode time.
//! `unigram_parity --eval TEXT PREFIX...` instead reports each vocabulary's
//! compression on TEXT (UTF-8 bytes per token; lines split on whitespace,
//! each word prefixed with `▁`).

use serde_json::Value;
use std::time::Instant;
use toksmith::unigram::{Piece, PieceKind, UnigramModel};

fn load_model(prefix: &str) -> UnigramModel {
    let text = std::fs::read_to_string(if prefix.ends_with(".jsonl") {
        prefix.to_string()
    } else {
        format!("{prefix}.vocab.jsonl")
    })
    .expect("vocab dump");
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().expect("header")).expect("json");
    let byte_fallback = header["byte_fallback"].as_bool().unwrap_or(false);
    let pieces = lines
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("json");
            let kind = match v["kind"].as_str().unwrap_or("") {
                "unknown" => PieceKind::Unknown,
                "control" => PieceKind::Control,
                "user" => PieceKind::UserDefined,
                "unused" => PieceKind::Unused,
                "byte" => PieceKind::Byte,
                _ => PieceKind::Normal,
            };
            Piece {
                text: v["text"].as_str().unwrap_or("").to_string(),
                score: v["score"].as_f64().unwrap_or(0.0) as f32,
                kind,
            }
        })
        .collect();
    UnigramModel::new(pieces, byte_fallback).expect("model")
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0) as u32).collect())
        .unwrap_or_default()
}

fn eval(text_path: &str, prefixes: &[String]) {
    let text = std::fs::read_to_string(text_path).expect("text");
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            l.split_whitespace()
                .map(|w| format!("\u{2581}{w}"))
                .collect::<String>()
        })
        .filter(|l| !l.is_empty())
        .collect();
    let bytes: usize = text.lines().map(|l| l.trim().len()).sum();
    for prefix in prefixes {
        let model = load_model(prefix);
        let mut out = Vec::new();
        let mut tokens = 0usize;
        let t = Instant::now();
        for l in &lines {
            model.encode(l, &mut out);
            tokens += out.len();
        }
        println!(
            "{prefix}: {tokens} tokens, {:.4} bytes/token ({} bytes, encode {:.2}s)",
            bytes as f64 / tokens as f64,
            bytes,
            t.elapsed().as_secs_f64()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--eval") && args.len() > 2 {
        eval(&args[1], &args[2..]);
        return;
    }
    for prefix in args {
        let model = load_model(&prefix);
        let text = std::fs::read_to_string(format!("{prefix}.cases.jsonl")).expect("cases");
        let cases: Vec<(String, Vec<u32>, Vec<Vec<u32>>)> = text
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("json");
                let nb = v["nbest"]
                    .as_array()
                    .map(|a| a.iter().map(ids).collect())
                    .unwrap_or_default();
                (
                    v["norm"].as_str().unwrap_or("").to_string(),
                    ids(&v["ids"]),
                    nb,
                )
            })
            .collect();
        let (mut same, mut nb_total, mut nb_same) = (0usize, 0usize, 0usize);
        let mut out = Vec::new();
        let mut shown = 0;
        for (norm, want, nbest) in &cases {
            model.encode(norm, &mut out);
            let got: Vec<u32> = out.iter().map(|s| s.0).collect();
            if &got == want {
                same += 1;
            } else if shown < 5 {
                shown += 1;
                eprintln!("DIFF {norm:?}\n  spm  {want:?}\n  ours {got:?}");
            }
            if !nbest.is_empty() {
                nb_total += 1;
                let got: Vec<Vec<u32>> = model
                    .nbest(norm, 5)
                    .into_iter()
                    .map(|(s, _)| s.into_iter().map(|x| x.0).collect())
                    .collect();
                if &got == nbest {
                    nb_same += 1;
                } else if shown < 10 {
                    shown += 1;
                    eprintln!("NBEST DIFF {norm:?}\n  spm  {nbest:?}\n  ours {got:?}");
                }
            }
        }
        let bytes: usize = cases.iter().map(|c| c.0.len()).sum();
        let t = Instant::now();
        let reps = 5;
        let mut n = 0usize;
        for _ in 0..reps {
            for (norm, _, _) in &cases {
                model.encode(norm, &mut out);
                n += out.len();
            }
        }
        let secs = t.elapsed().as_secs_f64() / reps as f64;
        println!(
            "{prefix}: encode identical {same}/{} ; nbest(5) identical {nb_same}/{nb_total} ; encode {:.1} MB/s ({} tokens)",
            cases.len(),
            bytes as f64 / secs / 1e6,
            n / reps
        );
    }
}
