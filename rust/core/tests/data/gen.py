# Generates rust/core/tests/data/tiny_bpe.model (see README in that folder).
import sentencepiece as spm, random, io
rules = "\n".join([
    "FF21\t41",        # full-width A -> A
    "41 42\t78",       # "AB" -> "x" (multi-char source)
    "3000\t20",        # ideographic space -> space
    "AD\t",            # soft hyphen -> deleted
    "2460\t31",        # circled one -> 1
    "FB01\t66 69",     # fi ligature -> "fi"
    "2126\t3A9",       # ohm -> omega
    "9\t20",           # tab -> space
]) + "\n"
open("rules.tsv", "w").write(rules)
random.seed(1)
words = "the cat sat on a mat with hat and bat in the flat fine first office".split()
lines = [" ".join(random.choice(words) for _ in range(8)) for _ in range(300)]
lines += ["naïve café Ωmega tag <tag> 12345 @@ AB ab"] * 5
open("corpus.txt", "w").write("\n".join(lines) + "\n")
spm.SentencePieceTrainer.train(input="corpus.txt", model_prefix="tiny_bpe", model_type="bpe",
    vocab_size=330, byte_fallback=True, normalization_rule_tsv="rules.tsv",
    user_defined_symbols=["<tag>", "@@", "▁@"], character_coverage=1.0, minloglevel=2)
