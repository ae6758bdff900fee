//! File formats: HF `tokenizer.json` ([`hf_json`]).

pub mod hf_json;
