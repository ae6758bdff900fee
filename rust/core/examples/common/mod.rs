//! Setup shared by the encoding examples: a tiktoken model, a pattern and a
//! text from the command line (`RANKS PATTERN TEXT`), and the text cut into
//! documents as `bench/encode.py` cuts it.

use toksmith::bpe::BpeModel;
use toksmith::formats::tiktoken;
use toksmith::pretokenize::Pretokenizer;
use toksmith::tokenizer::{Model, Tokenizer};

/// The model of the rank file `args[1]`, the pre-tokenizer of the pattern
/// `args[2]` and the text of the file `args[3]`.
pub fn load(
    args: &[String],
) -> Result<(BpeModel, Pretokenizer, String), Box<dyn std::error::Error>> {
    let [_, ranks, pattern, text, ..] = args else {
        return Err("usage: RANKS PATTERN TEXT".into());
    };
    let model = tiktoken::model_from_ranks(&tiktoken::read_file(ranks.as_ref())?, ranks)?;
    let pretok = Pretokenizer::new(Some(pattern))?;
    Ok((model, pretok, std::fs::read_to_string(text)?))
}

/// The tokenizer of [`load`]'s model and pre-tokenizer, its backtracking
/// tables built, and the text.
#[allow(dead_code)] // not every example wants the whole tokenizer
pub fn tokenizer(args: &[String]) -> Result<(Tokenizer, String), Box<dyn std::error::Error>> {
    let (model, pretok, text) = load(args)?;
    model.uses_backtracking();
    Ok((
        Tokenizer::new(None, pretok, Model::Bpe(model), vec![], None)?,
        text,
    ))
}

/// `text` cut after the first line end at or past each 4 KB.
#[allow(dead_code)] // not every example cuts documents
pub fn docs(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        if i + 1 - start >= 4096 {
            docs.push(&text[start..i + 1]);
            start = i + 1;
        }
    }
    docs.push(&text[start..]);
    docs
}
