"""The one explanation method: Shapley values over words, from a model's logits alone.

Hand-made models whose log-odds are known functions of the tokens (with interactions) show
what the scores are: a word (what is written between spaces: "us!", a sign-off "^JK") is one
player, exact where every subset is evaluated, sampled otherwise, adding up to the log-odds of
the text minus those of the empty text (efficiency), the same for a given text, and never
about the tokens a model does not read.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import permutations
from math import factorial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from twcs_classifier import inference
from twcs_classifier.explanation import (
    EXACT_MAX_WORDS,
    EXPLANATION,
    check_exact,
    exact_shapley,
    sampled_shapley,
    word_scores,
)
from twcs_classifier.models import LabelledTexts, TextClassifier, model_class


def sign_off_game(tokens: set[str]) -> float:
    """A model that reads a sign-off only as a whole: ``^`` and ``jk`` together pull the
    log-odds down by 3; either alone does nothing. "sorry" pulls down by 1, "where" up by 2."""
    return 0.5 - 3.0 * ({"^", "jk"} <= tokens) - 1.0 * ("sorry" in tokens) + 2.0 * ("where" in tokens)


class HandMade(TextClassifier):
    """A model whose inbound log-odds are ``game(set of tokens)`` of the normalised text;
    it records every text it is given."""

    kind: ClassVar[str] = "hand_made"

    def __init__(self, game: Callable[[set[str]], float], read: int | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.game = game
        self.read = read
        self.seen: list[str] = []

    def logits(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([self.game(set(t.split(" ")[: self.read]) - {""}) for t in texts])

    @property
    def max_tokens_read(self) -> int | None:
        return self.read

    def _fit(self, train: LabelledTexts, validation: LabelledTexts | None) -> None:
        raise NotImplementedError

    def _save_files(self, directory: Path) -> None:
        raise NotImplementedError

    @classmethod
    def _load_files(cls, directory: Path, params: dict[str, Any]) -> TextClassifier:
        raise NotImplementedError


def brute_force_shapley(game: Callable[[set[str]], float], words: list[tuple[str, ...]]) -> list[float]:
    """Shapley values of words by their definition: the mean marginal effect over every order
    in which the words (all their tokens at once) are added."""
    n = len(words)
    totals = [0.0] * n
    for order in permutations(range(n)):
        kept: set[str] = set()
        for i in order:
            before = game(kept)
            kept = kept | set(words[i])
            totals[i] += game(kept) - before
    return [t / factorial(n) for t in totals]


def test_a_sign_off_is_one_word_scored_whole_and_the_scores_add_up() -> None:
    model = HandMade(sign_off_game, temperature=2.0)
    text = "Sorry to hear that ^JK"
    result = word_scores(model, text)
    assert result.words == [("sorry",), ("to",), ("hear",), ("that",), ("^", "jk")]
    assert result.tokens == ["sorry", "to", "hear", "that", "^", "jk"]
    assert result.orders is None  # five words: every subset, exact
    scores = dict(result.pairs())
    # Log-odds as served: divided by the temperature (2). The sign-off is one word: all of the
    # effect its mark and initials have together (-3) is its own.
    assert scores["^jk"] == pytest.approx(-3.0 / 2)
    assert scores["sorry"] == pytest.approx(-1.0 / 2)
    assert scores["to"] == scores["hear"] == scores["that"] == pytest.approx(0.0)
    assert result.full == pytest.approx(sign_off_game(set(result.tokens)) / 2)
    assert result.empty == pytest.approx(0.5 / 2)
    assert sum(scores.values()) == pytest.approx(result.full - result.empty)  # efficiency
    # A removed word goes with all its tokens: the model never sees the mark without the initials.
    assert all(("^" in t.split(" ")) == ("jk" in t.split(" ")) for t in model.seen)
    assert model.token_importance(text) == result.pairs()
    assert inference.explain(model, text) == result.pairs()


@pytest.mark.parametrize("sign_off", ["^JK", "- JK", "/ JK", "–JK"])
def test_a_sign_off_written_with_or_without_a_space_is_one_word(sign_off: str) -> None:
    result = word_scores(HandMade(lambda tokens: float(len(tokens))), f"Thanks {sign_off}")
    assert len(result.words) == 2 and result.texts[0] == "thanks"
    assert result.scores[1] == pytest.approx(len(result.words[1]))


def test_word_scores_are_the_shapley_values_of_words_whatever_the_game() -> None:
    def game(tokens: set[str]) -> float:
        return three_way_game(tokens) - 2.0 * ("!" in tokens) * ("us" in tokens) + 0.7 * ("^" in tokens)

    model = HandMade(game)
    result = word_scores(model, "Please DM us! ^JK")
    assert result.words == [("please",), ("dm",), ("us", "!"), ("^", "jk")]
    assert result.scores == pytest.approx(brute_force_shapley(game, result.words))
    assert result.scores.sum() == pytest.approx(result.full - result.empty)


def test_a_long_text_is_sampled_in_antithetic_pairs_which_split_a_pairwise_interaction_exactly() -> None:
    def game(tokens: set[str]) -> float:
        return sign_off_game(tokens) + 1.0 * ({"where", "bag"} <= tokens)

    model = HandMade(game)
    text = "@Delta where is my bag? It has been three days now and nobody answers ^JK"
    result = word_scores(model, text)
    assert result.read == len(result.words) > EXACT_MAX_WORDS and result.orders is not None
    assert result.texts[4] == "bag?" and result.texts[-1] == "^jk"
    # An order and its reverse put "where" before "bag?" exactly once: their mean is exact.
    scores = dict(result.pairs())
    assert scores["^jk"] == pytest.approx(-3.0)
    assert scores["where"] == pytest.approx(2.5) and scores["bag?"] == pytest.approx(0.5)
    assert scores["my"] == pytest.approx(0.0)
    assert result.scores.sum() == pytest.approx(result.full - result.empty)
    # One call of the model's logits, within the budget of evaluations.
    assert len(model.seen) == result.evaluations <= 480


def three_way_game(tokens: set[str]) -> float:
    """Log-odds with a three-way interaction and a saturating count: no pairwise shortcut."""
    return 2.0 * ({"please", "dm", "us"} <= tokens) - np.sqrt(len(tokens)) + 1.5 * ("my" in tokens) * ("bag" in tokens)


def test_sampled_values_keep_efficiency_and_approach_the_exact_ones() -> None:
    tokens = ["please", "dm", "us", "about", "my", "bag", "and", "the", "delayed", "flight"]
    n = len(tokens)
    words = np.array(tokens, dtype=object)

    def value(masks: np.ndarray) -> np.ndarray:
        return np.array([three_way_game(set(words[m])) for m in masks])

    exact = exact_shapley(value, n)
    few = sampled_shapley(value, n, pairs=2, rng=np.random.default_rng(0))
    many = sampled_shapley(value, n, pairs=400, rng=np.random.default_rng(0))
    for estimate in (few, many):
        assert estimate.values.sum() == pytest.approx(exact.full - exact.empty)  # exactly, however few orders
    assert np.abs(many.values - exact.values).max() < 0.05
    assert np.abs(few.values - exact.values).max() > np.abs(many.values - exact.values).max()


def test_exact_values_are_the_mean_over_every_order() -> None:
    tokens = ["please", "dm", "us", "my", "bag"]
    words = np.array(tokens, dtype=object)
    exact = exact_shapley(lambda masks: np.array([three_way_game(set(words[m])) for m in masks]), len(tokens))
    assert exact.values == pytest.approx(brute_force_shapley(three_way_game, [(t,) for t in tokens]))
    assert exact.evaluations == 2 ** len(tokens)


def test_the_scores_are_the_same_for_a_text_and_change_with_the_seed() -> None:
    model = HandMade(three_way_game)
    text = "please dm us about my bag and the delayed flight to Paris"
    first, again = word_scores(model, text), word_scores(model, text)
    np.testing.assert_array_equal(first.scores, again.scores)
    assert not np.array_equal(first.scores, word_scores(model, text, seed=1).scores)


def test_words_past_what_the_model_reads_score_0_and_are_never_given_to_it() -> None:
    model = HandMade(sign_off_game, read=3)
    result = word_scores(model, "where is it ^JK")
    assert result.read == 3 and result.tokens == ["where", "is", "it", "^", "jk"]
    assert result.pairs()[3:] == [("^jk", 0.0)]
    assert dict(result.pairs())["where"] == pytest.approx(2.0)
    assert not any("^" in t or "jk" in t for t in model.seen)


def test_a_word_cut_by_what_the_model_reads_plays_with_the_tokens_read() -> None:
    model = HandMade(lambda tokens: 1.0 * ("^" in tokens) + 5.0 * ("jk" in tokens), read=4)
    result = word_scores(model, "where is it ^JK")
    assert result.read == 4 and result.pairs()[3] == ("^jk", pytest.approx(1.0))
    assert not any("jk" in t for t in model.seen)


def test_a_masking_model_is_explained_on_the_tokens_it_reads() -> None:
    model = HandMade(sign_off_game, mask=True)
    result = word_scores(model, "@AmazonHelp where is order 123456? ^JK")
    assert result.tokens == ["@user", "where", "is", "order", "xxnum", "?"]  # the sign-off is masked away
    assert result.texts == ["@user", "where", "is", "order", "xxnum?"]
    assert all(t == " ".join(t.split()) for t in model.seen)


def test_a_blank_text_has_no_scores() -> None:
    model = HandMade(sign_off_game)
    assert word_scores(model, "   ").pairs() == [] and model.seen == []


def test_tokens_that_do_not_read_back_as_themselves_are_refused() -> None:
    model = HandMade(sign_off_game)
    check_exact(model, ["where", "'s", "my", "bag", "?"])
    with pytest.raises(ValueError, match="normalising the tokens again"):
        check_exact(model, ["Where", "bag?"])


def test_every_kind_explains_its_scores_with_the_one_sentence() -> None:
    for kind in ("logreg", "recurrent"):
        cls = model_class(kind)
        assert cls.importance_explanation == EXPLANATION
        assert cls.token_importance is TextClassifier.token_importance
