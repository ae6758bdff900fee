//! Post-processing templates: the special tokens put around one sequence or
//! a pair, with their type ids (HF `TemplateProcessing`, `BertProcessing`,
//! `RobertaProcessing`).

use crate::error::{Error, Result};
use serde_json::{json, Value};

/// One element of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Special token ids, with their content (for `tokens`) and type id.
    Special {
        /// The token's text (HF's template id).
        content: String,
        /// Its ids.
        ids: Vec<u32>,
        /// Type id given to them.
        type_id: u32,
    },
    /// The first sequence, with its type id.
    A(u32),
    /// The second sequence, with its type id.
    B(u32),
}

/// Templates for one sequence and for a pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostProcessor {
    /// Template for a single sequence.
    pub single: Vec<Piece>,
    /// Template for a pair.
    pub pair: Vec<Piece>,
}

impl PostProcessor {
    /// BERT's `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` (type ids 0 then 1).
    pub fn bert(cls: (&str, u32), sep: (&str, u32)) -> Self {
        let sp = |t: (&str, u32), ty| Piece::Special {
            content: t.0.to_string(),
            ids: vec![t.1],
            type_id: ty,
        };
        PostProcessor {
            single: vec![sp(cls, 0), Piece::A(0), sp(sep, 0)],
            pair: vec![sp(cls, 0), Piece::A(0), sp(sep, 0), Piece::B(1), sp(sep, 1)],
        }
    }

    /// RoBERTa's `<s> A </s>` / `<s> A </s> </s> B </s>` (all type ids 0).
    pub fn roberta(cls: (&str, u32), sep: (&str, u32)) -> Self {
        let sp = |t: (&str, u32)| Piece::Special {
            content: t.0.to_string(),
            ids: vec![t.1],
            type_id: 0,
        };
        PostProcessor {
            single: vec![sp(cls), Piece::A(0), sp(sep)],
            pair: vec![sp(cls), Piece::A(0), sp(sep), sp(sep), Piece::B(0), sp(sep)],
        }
    }

    /// Ids before the sequence in the single template.
    pub fn prefix(&self) -> impl Iterator<Item = u32> + '_ {
        self.single
            .iter()
            .take_while(|p| !matches!(p, Piece::A(_)))
            .flat_map(special_ids)
    }

    /// Ids after the sequence in the single template.
    pub fn suffix(&self) -> impl Iterator<Item = u32> + '_ {
        self.single
            .iter()
            .skip_while(|p| !matches!(p, Piece::A(_)))
            .skip(1)
            .flat_map(special_ids)
    }

    /// Reads an HF `post_processor`; `tok_id` resolves token strings. `None`
    /// for processors that add nothing (ByteLevel).
    pub fn from_hf_json(v: &Value, tok_id: &dyn Fn(&str) -> Result<u32>) -> Result<Option<Self>> {
        let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
        let pair_of = |k: &str| -> Result<(String, u32)> {
            let arr = v
                .get(k)
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid(format!("{ty}: missing {k}")))?;
            match (
                arr.first().and_then(Value::as_str),
                arr.get(1).and_then(Value::as_u64),
            ) {
                (Some(s), Some(id)) => Ok((s.to_string(), id as u32)),
                _ => Err(Error::invalid(format!("{ty}: bad {k}"))),
            }
        };
        Ok(match ty {
            "ByteLevel" => None,
            "BertProcessing" | "RobertaProcessing" => {
                let (c, ci) = pair_of("cls")?;
                let (s, si) = pair_of("sep")?;
                Some(if ty == "BertProcessing" {
                    PostProcessor::bert((&c, ci), (&s, si))
                } else {
                    PostProcessor::roberta((&c, ci), (&s, si))
                })
            }
            "TemplateProcessing" => {
                let template = |k: &str| -> Result<Vec<Piece>> {
                    match v.get(k) {
                        None | Some(Value::Null) => Ok(Vec::new()),
                        Some(Value::Array(arr)) => {
                            arr.iter().map(|p| template_piece(v, p, tok_id)).collect()
                        }
                        // HF's Python API takes "$A [SEP]" strings, but its
                        // files hold the parsed list.
                        Some(other) => Err(Error::invalid(format!(
                            "post_processor TemplateProcessing.{k} must be a list of pieces, got {other}"
                        ))),
                    }
                };
                Some(PostProcessor {
                    single: template("single")?,
                    pair: template("pair")?,
                })
            }
            "Sequence" => {
                let mut found = None;
                for p in v
                    .get("processors")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(pp) = PostProcessor::from_hf_json(p, tok_id)? {
                        if found.is_some() {
                            return Err(Error::invalid(
                                "post_processor Sequence with two templates is not supported",
                            ));
                        }
                        found = Some(pp);
                    }
                }
                found
            }
            other => {
                return Err(Error::invalid(format!(
                    "unsupported post_processor type {other:?}"
                )))
            }
        })
    }

    /// The HF `TemplateProcessing` JSON object for these templates.
    pub fn to_hf_json(&self) -> Value {
        let mut specials = serde_json::Map::new();
        let piece = |p: &Piece| match p {
            Piece::Special {
                content,
                ids,
                type_id,
            } => {
                specials.insert(
                    content.clone(),
                    json!({"id": content, "ids": ids, "tokens": vec![content.clone(); ids.len()]}),
                );
                json!({"SpecialToken": {"id": content, "type_id": type_id}})
            }
            Piece::A(t) => json!({"Sequence": {"id": "A", "type_id": t}}),
            Piece::B(t) => json!({"Sequence": {"id": "B", "type_id": t}}),
        };
        let mut piece = piece;
        let single: Vec<Value> = self.single.iter().map(&mut piece).collect();
        let pair: Vec<Value> = self.pair.iter().map(&mut piece).collect();
        json!({"type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": specials})
    }
}

fn special_ids(p: &Piece) -> Vec<u32> {
    match p {
        Piece::Special { ids, .. } => ids.clone(),
        _ => Vec::new(),
    }
}

fn template_piece(v: &Value, p: &Value, tok_id: &dyn Fn(&str) -> Result<u32>) -> Result<Piece> {
    let type_id = |x: &Value| x.get("type_id").and_then(Value::as_u64).unwrap_or(0) as u32;
    if let Some(st) = p.get("SpecialToken") {
        let id = st
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("template SpecialToken without id"))?;
        let ids: Vec<u32> = match v
            .get("special_tokens")
            .and_then(|s| s.get(id))
            .and_then(|s| s.get("ids"))
            .and_then(Value::as_array)
        {
            Some(a) => a
                .iter()
                .filter_map(Value::as_u64)
                .map(|x| x as u32)
                .collect(),
            None => vec![tok_id(id)?],
        };
        return Ok(Piece::Special {
            content: id.to_string(),
            ids,
            type_id: type_id(st),
        });
    }
    if let Some(seq) = p.get("Sequence") {
        return match seq.get("id").and_then(Value::as_str) {
            Some("A") => Ok(Piece::A(type_id(seq))),
            Some("B") => Ok(Piece::B(type_id(seq))),
            _ => Err(Error::invalid(format!(
                "template Sequence {seq}: id must be \"A\" or \"B\""
            ))),
        };
    }
    Err(Error::invalid(format!("unknown template piece {p}")))
}
