"""clean_tokenize: the ids every model input needs, for every split.

The vocabulary is learnt from the training split only. Each split gets its normalised text,
word ids, and the rows of a shared piece table (each distinct token's hashed character
n-gram ids and word id) for the text as the models read it and for its masked form. With
clean_tokenize.mask the models read masked text (handles, links, numeric ids, sign-offs).
Params: clean_tokenize (max_tokens, sequence_length, mask, char_ngram_min, char_ngram_max,
ngram_buckets).
"""

import pandas as pd

from twcs_classifier.files import write_with
from twcs_classifier.layout import Layout
from twcs_classifier.params import load_params
from twcs_classifier.processed import encode_splits, table_frame
from twcs_classifier.sampling import SPLITS
from twcs_classifier.stage_runner import run_stage
from twcs_classifier.text import preprocess_many
from twcs_classifier.tokenizer import adapt_tokenizer

LAYOUT = Layout.find()


def main() -> None:
    p = load_params(models=False).clean_tokenize
    frames = {name: pd.read_parquet(LAYOUT.split_file(name)) for name in SPLITS}
    tokenizer = adapt_tokenizer(
        preprocess_many(frames["train"]["text"].tolist(), p.mask),
        p.max_tokens,
        p.sequence_length,
        mask=p.mask,
        char_ngram_min=p.char_ngram_min,
        char_ngram_max=p.char_ngram_max,
        ngram_buckets=p.ngram_buckets,
    )
    table, processed = encode_splits(frames, tokenizer)
    for name, frame in processed.items():
        write_with(LAYOUT.processed_file(name), lambda tmp, f=frame: f.to_parquet(tmp, index=False))
    write_with(LAYOUT.pieces, lambda tmp: table_frame(table).to_parquet(tmp, index=False))
    write_with(LAYOUT.tokenizer, tokenizer.save)
    print(
        f"clean_tokenize: vocabulary of {tokenizer.vocab_size} ids, {len(table)} distinct tokens, "
        f"sequences of {tokenizer.sequence_length}" + (", masked text" if p.mask else "")
    )


if __name__ == "__main__":
    run_stage(main)
