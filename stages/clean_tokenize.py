"""clean_tokenize: normalise the splits' text and turn it into padded token ids.

The vocabulary is learnt from the training split only. With clean_tokenize.mask the
text is masked first (handles, links, numeric ids, sign-offs), for training and serving.
Params: clean_tokenize.max_tokens, clean_tokenize.sequence_length, clean_tokenize.mask.
"""

import pandas as pd

from twcs_classifier.errors import run_stage
from twcs_classifier.files import write_with
from twcs_classifier.layout import Layout
from twcs_classifier.params import load_params
from twcs_classifier.sampling import SPLITS
from twcs_classifier.text import preprocess_many
from twcs_classifier.tokenizer import adapt_tokenizer

LAYOUT = Layout()


def main() -> None:
    p = load_params().clean_tokenize
    frames = {name: pd.read_parquet(LAYOUT.split_file(name)) for name in SPLITS}
    masked = p.mask
    for frame in frames.values():
        frame["clean_text"] = preprocess_many(frame["text"].tolist(), masked)
    tokenizer = adapt_tokenizer(frames["train"]["clean_text"].tolist(), p.max_tokens, p.sequence_length, mask=masked)
    for name, frame in frames.items():
        frame["token_ids"] = list(tokenizer.encode(frame["clean_text"].tolist()))
        write_with(LAYOUT.processed_file(name), lambda tmp, f=frame: f.to_parquet(tmp, index=False))
    write_with(LAYOUT.tokenizer, tokenizer.save)
    print(
        f"clean_tokenize: vocabulary of {tokenizer.vocab_size} ids, sequences of {tokenizer.sequence_length}"
        + (", masked text" if masked else "")
    )


if __name__ == "__main__":
    run_stage(main)
