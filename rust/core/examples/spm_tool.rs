//! Command-line access to toksmith's SentencePiece support, for parity checks
//! against the `sentencepiece` Python package (see `spm_parity.py`).
//!
//! ```text
//! spm_tool normalize MODEL FILE   # per line: normalized text (hex) \t offsets
//! spm_tool encode MODEL FILE      # per line: ids (BPE models)
//! spm_tool decode MODEL FILE      # per line of space-separated ids: the text (hex)
//! spm_tool roundtrip MODEL OUT    # read + write the model
//! spm_tool unused MODEL OUT       # write MODEL with every 7th multi-char piece UNUSED
//! spm_tool bench MODEL FILE       # encode the whole file line by line, print MB/s
//! spm_tool new OUT                # write a small fresh BPE model built in code
//! ```
//! Lines are split on `\n` only; each line is processed as is.

use std::io::Write;
use toksmith::bpe::spm_bpe::SpmBpe;
use toksmith::formats::spm::{
    self, SpmDecoder, SpmModelType, SpmNormalizer, SpmPiece, SpmPieceType,
};
use toksmith::Result;

fn lines(path: &str) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| toksmith::Error::io(path.as_ref(), e))?;
    let mut v: Vec<String> = text.split('\n').map(str::to_string).collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    Ok(v)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn run(args: &[String]) -> Result<()> {
    let usage = || {
        toksmith::Error::invalid(
            "usage: spm_tool normalize|encode|decode|roundtrip|unused|bench|new ...",
        )
    };
    let cmd = args.first().ok_or_else(usage)?;
    if cmd == "new" {
        let out = args.get(1).ok_or_else(usage)?;
        let mut pieces = vec![
            SpmPiece::new("<unk>", 0.0, SpmPieceType::Unknown),
            SpmPiece::new("<s>", 0.0, SpmPieceType::Control),
            SpmPiece::new("</s>", 0.0, SpmPieceType::Control),
        ];
        for (i, p) in ["▁t", "he", "▁the", "▁a", "at", "▁c", "▁cat"]
            .iter()
            .enumerate()
        {
            pieces.push(SpmPiece::new(*p, -(i as f32), SpmPieceType::Normal));
        }
        for (i, c) in "▁theacdgo".chars().enumerate() {
            pieces.push(SpmPiece::new(
                c.to_string(),
                -10.0 - i as f32,
                SpmPieceType::Normal,
            ));
        }
        let m = spm::SpmModelFile::new(pieces, SpmModelType::Bpe);
        std::fs::write(out, spm::write(&m)).map_err(|e| toksmith::Error::io(out.as_ref(), e))?;
        return Ok(());
    }
    let model_path = args.get(1).ok_or_else(usage)?;
    let model = spm::read_file(model_path.as_ref())?;
    let arg = args.get(2).ok_or_else(usage)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let io = |e| toksmith::Error::io("<stdout>".as_ref(), e);
    match cmd.as_str() {
        "unused" => {
            // Marks every 7th multi-character NORMAL piece UNUSED (to test resegmentation).
            let mut m = model.clone();
            let mut k = 0;
            for p in &mut m.pieces {
                if p.kind == SpmPieceType::Normal && p.piece.chars().count() > 1 {
                    k += 1;
                    if k % 7 == 0 {
                        p.kind = SpmPieceType::Unused;
                    }
                }
            }
            std::fs::write(arg, spm::write(&m))
                .map_err(|e| toksmith::Error::io(arg.as_ref(), e))?;
        }
        "roundtrip" => {
            std::fs::write(arg, spm::write(&model))
                .map_err(|e| toksmith::Error::io(arg.as_ref(), e))?;
        }
        "normalize" => {
            let n = SpmNormalizer::from_model(&model, model_path)?;
            for line in lines(arg)? {
                let (s, offs) = n.normalize(&line);
                let offs: Vec<String> = offs.iter().map(u32::to_string).collect();
                writeln!(out, "{}\t{}", hex(s.as_bytes()), offs.join(" ")).map_err(io)?;
            }
        }
        "encode" | "bench" => {
            if model.model_type != SpmModelType::Bpe {
                return Err(toksmith::Error::invalid("encode: not a BPE model"));
            }
            let n = SpmNormalizer::from_model(&model, model_path)?;
            let bpe = SpmBpe::new(&model, model_path)?;
            let input = lines(arg)?;
            if cmd == "bench" {
                let bytes: usize = input.iter().map(String::len).sum();
                let mut best = f64::INFINITY;
                let mut count = 0usize;
                for _ in 0..5 {
                    let t = std::time::Instant::now();
                    for line in &input {
                        count += bpe.encode_ids(&n.normalize_str(line)).len();
                    }
                    best = best.min(t.elapsed().as_secs_f64());
                }
                writeln!(
                    out,
                    "{:.2} MB/s ({count} tokens)",
                    bytes as f64 / best / 1e6
                )
                .map_err(io)?;
            } else {
                for line in input {
                    let ids: Vec<String> = bpe
                        .encode_ids(&n.normalize_str(&line))
                        .iter()
                        .map(u32::to_string)
                        .collect();
                    writeln!(out, "{}", ids.join(" ")).map_err(io)?;
                }
            }
        }
        "decode" => {
            let d = SpmDecoder::new(&model, model_path)?;
            for line in lines(arg)? {
                let ids: Vec<u32> = line
                    .split_whitespace()
                    .filter_map(|t| t.parse().ok())
                    .collect();
                let s = d.decode(&ids)?;
                writeln!(out, "{}", hex(s.as_bytes())).map_err(io)?;
            }
        }
        _ => return Err(usage()),
    }
    out.flush().map_err(io)?;
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("spm_tool: {e}");
        std::process::exit(1);
    }
}
