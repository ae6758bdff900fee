//! File formats: HF `tokenizer.json` ([`hf_json`]) and tiktoken rank files ([`tiktoken`]).

pub mod hf_json;
pub mod tiktoken;
