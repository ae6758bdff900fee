"""Rendering of a :class:`toksmith.comparison.Comparison`: plain-text and Markdown tables, and JSON data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, Callable, Optional

from .comparison import (
    ALL,
    BUCKETS,
    Comparison,
    CorpusInfo,
    Counts,
    Result,
    Settings,
    Throughput,
    TokenizerInfo,
)

FORMAT_VERSION = 1


# --------------------------------------------------------------------------- JSON


def _counts_dict(c: Counts) -> dict[str, Any]:
    return {**asdict(c), **c.metrics()}


def _result_dict(r: Result) -> dict[str, Any]:
    t = r.throughput
    return {
        "tokenizer": r.tokenizer,
        "corpus": r.corpus,
        "total": _counts_dict(r.total),
        "buckets": {name: _counts_dict(c) for name, c in r.buckets},
        "distinct_ids": r.distinct_ids,
        "vocab_size": r.vocab_size,
        "vocab_used": r.vocab_used,
        "throughput": None if t is None else {"docs": t.docs, "bytes": t.bytes, "seconds": list(t.seconds),
                                              "mb_s": t.mb_s},
    }


def comparison_to_dict(cmp: Comparison) -> dict[str, Any]:
    return {
        "format": "toksmith-compare",
        "version": FORMAT_VERSION,
        "settings": asdict(cmp.settings),
        "tokenizers": [asdict(t) for t in cmp.tokenizers],
        "corpora": [asdict(c) for c in cmp.corpora],
        "results": [_result_dict(r) for r in cmp.results],
    }


_COUNT_FIELDS = ("lines", "chars", "bytes", "words", "tokens", "unknown")


def _counts(data: Mapping[str, Any]) -> Counts:
    return Counts(*(int(data[f]) for f in _COUNT_FIELDS))


def comparison_from_dict(data: Mapping[str, Any]) -> Comparison:
    if data.get("format") != "toksmith-compare":
        raise ValueError("format is not 'toksmith-compare'")
    results = []
    for r in data["results"]:
        t = r["throughput"]
        results.append(Result(
            tokenizer=r["tokenizer"],
            corpus=r["corpus"],
            total=_counts(r["total"]),
            buckets=tuple((name, _counts(c)) for name, c in r["buckets"].items()),
            distinct_ids=int(r["distinct_ids"]),
            vocab_size=int(r["vocab_size"]),
            throughput=None if t is None else Throughput(int(t["docs"]), int(t["bytes"]), tuple(t["seconds"])),
        ))
    return Comparison(
        tokenizers=tuple(TokenizerInfo(**t) for t in data["tokenizers"]),
        corpora=tuple(CorpusInfo(**c) for c in data["corpora"]),
        results=tuple(results),
        settings=Settings(**data["settings"]),
    )


# --------------------------------------------------------------------------- tables


def _fmt(value: Optional[float], spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _pct(value: Optional[float], digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    """A Markdown table, or aligned plain text (first column left-aligned, the others right-aligned)."""
    if markdown:
        out = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(out)
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def bucket_order(cmp: Comparison) -> list[tuple[str, Counts]]:
    """The buckets present over all corpora, by bytes (largest first), with their text counts."""
    first = cmp.result(cmp.tokenizers[0].label)
    return sorted(first.buckets, key=lambda item: (-item[1].bytes, BUCKETS.index(item[0])))


def _summary(cmp: Comparison, markdown: bool) -> str:
    several = len(cmp.corpora) > 1
    names = [c.name for c in cmp.corpora] + ([ALL] if several else [])
    first = cmp.tokenizers[0].label
    header = ["tokenizer"] + (["corpus"] if several else []) + [
        "tokens", f"tokens / {first}", "bytes/token", "tokens/1k chars", "tokens/word", "vocab used",
        "unknown", "MB/s"]
    rows = []
    for corpus in names:
        reference = cmp.result(first, corpus).total.tokens
        for t in cmp.tokenizers:
            r = cmp.result(t.label, corpus)
            c = r.total
            rows.append([t.label] + ([corpus] if several else []) + [
                f"{c.tokens:,}",
                _fmt(c.tokens / reference if reference else None, ".3f"),
                _fmt(c.bytes_per_token, ".3f"),
                _fmt(c.tokens_per_1k_chars, ".1f"),
                _fmt(c.tokens_per_word, ".3f"),
                _pct(r.vocab_used),
                _pct(c.unknown_share, 2),
                _fmt(r.throughput.mb_s if r.throughput else None, ".1f"),
            ])
    return table(header, rows, markdown)


def _by_bucket(cmp: Comparison, metric: Callable[[Counts], Optional[float]], spec: str, markdown: bool) -> str:
    totals = cmp.result(cmp.tokenizers[0].label).total
    header = ["script", "share of bytes", "lines"] + [t.label for t in cmp.tokenizers]
    rows = []
    for name, counts in [("all", totals)] + bucket_order(cmp):
        cells = [name, _pct(counts.bytes / totals.bytes if totals.bytes else None), f"{counts.lines:,}"]
        for t in cmp.tokenizers:
            r = cmp.result(t.label)
            value = metric(r.total if name == "all" else r.bucket(name))
            cells.append(_pct(value, 2) if spec == "%" else _fmt(value, spec))
        rows.append(cells)
    return table(header, rows, markdown)


def _intro(cmp: Comparison) -> list[str]:
    s = cmp.settings
    lines = []
    for t in cmp.tokenizers:
        unknown = f", {t.unknown_ids} unknown/byte-fallback ids" if t.unknown_ids else ""
        lines.append(f"tokenizer {t.label}: {t.model}, {t.vocab_size:,} tokens + {t.special_tokens} special{unknown}"
                     f" (from {t.spec}, loaded in {t.load_seconds:.2f} s)")
    for c in cmp.corpora:
        where = f" from {c.path}" if c.path else ""
        lines.append(f"corpus {c.name}: {c.kind}, {c.bytes:,} bytes, {c.chars:,} characters, {c.words:,} words, "
                     f"{c.lines:,} lines{where}")
    if s.passes:
        timed = cmp.result(cmp.tokenizers[0].label).throughput
        sample = f" on {timed.docs:,} documents, {timed.bytes:,} bytes" if timed else ""
        lines.append(f"throughput: encode_ordinary, one thread, one call per document of >= {s.doc_bytes} bytes, "
                     f"median of {s.passes} passes{sample}")
    else:
        lines.append("throughput: not measured (passes=0)")
    return lines


def render(cmp: Comparison, markdown: bool) -> str:
    """Every table of a comparison, as Markdown or plain text."""
    sections = [
        ("Summary", _summary(cmp, markdown)),
        ("Bytes per token by script", _by_bucket(cmp, lambda c: c.bytes_per_token, ".3f", markdown)),
        ("Tokens per 1000 characters by script", _by_bucket(cmp, lambda c: c.tokens_per_1k_chars, ".1f", markdown)),
        ("Tokens per word by script", _by_bucket(cmp, lambda c: c.tokens_per_word, ".3f", markdown)),
    ]
    if any(t.unknown_ids for t in cmp.tokenizers):
        sections.append(("Unknown and byte-fallback tokens by script",
                         _by_bucket(cmp, lambda c: c.unknown_share, "%", markdown)))
    scope = " (all corpora)" if len(cmp.corpora) > 1 else ""
    intro = _intro(cmp)
    out = []
    if markdown:
        out.append("\n".join(f"- {line}" for line in intro))
        for title, body in sections:
            out.append(f"### {title}{scope if title != 'Summary' else ''}\n\n{body}")
    else:
        out.append("\n".join(intro))
        for title, body in sections:
            out.append(f"{title}{scope if title != 'Summary' else ''}\n\n{body}")
    return "\n\n".join(out) + "\n"
