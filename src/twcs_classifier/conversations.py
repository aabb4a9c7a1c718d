"""Each tweet's conversation and company, from the reply links and the outbound authors.

:func:`derive_conversations` follows the reply links to give every tweet a conversation and
:func:`derive_company` names the company each conversation talks to; the extract stage
calls the two code-level functions behind them (:func:`conversation_codes`,
:func:`company_codes`) once each.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TWEET_ID_LINK = r"^\s*[0-9]+(\.0*)?\s*$"
"""A tweet id as the link columns hold it (``123``, ``123.0``)."""
_MENTION = re.compile(r"@(\w+)")


def derive_conversations(table: pa.Table) -> np.ndarray:
    """Give each tweet the id of its conversation: the smallest tweet_id linked to it.

    Two tweets share a conversation when a chain of ``in_response_to_tweet_id`` or
    ``response_tweet_id`` links joins them, also through a tweet missing from the
    file. Cycles and dangling links are harmless.
    """
    return conversation_codes(table)[0]


def conversation_codes(table: pa.Table) -> tuple[np.ndarray, np.ndarray, int]:
    """Conversation id of each row, a dense 0..n-1 conversation code of each row, and n."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = table["tweet_id"].to_numpy()
    n = len(ids)
    parent = table["in_response_to_tweet_id"]
    has_parent = pc.is_valid(parent).to_numpy(zero_copy_only=False)
    parent_ids = parent.filter(pc.is_valid(parent)).to_numpy()
    src_parent = np.nonzero(has_parent)[0]

    children = pc.split_pattern(pc.utf8_trim_whitespace(table["response_tweet_id"]), ",")
    flat = pc.utf8_trim_whitespace(pc.list_flatten(children))
    owner = pc.list_parent_indices(children).to_numpy()
    child_ok = pc.match_substring_regex(flat, TWEET_ID_LINK).to_numpy(zero_copy_only=False)
    child_ids = pc.cast(pc.cast(flat.filter(pa.array(child_ok)), pa.float64()), pa.int64()).to_numpy()
    src_child = owner[child_ok]

    # Dense node numbering over tweets and every id they point to.
    all_ids = np.concatenate([ids, parent_ids, child_ids])
    uniq, inverse = np.unique(all_ids, return_inverse=True)
    row_node = inverse[:n]
    a = np.concatenate([row_node[src_parent], row_node[src_child]])
    b = inverse[n:]
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(len(uniq), len(uniq)))
    _, component = connected_components(graph, directed=True, connection="weak")
    row_comp = component[row_node]
    # Every component holds a row (an id missing from the file is a node only because a row
    # links to it), so row_comp is already a dense 0..n_comp-1 code of the conversations.
    n_comp = int(component.max()) + 1
    # Conversation id: the smallest tweet_id of the file in the component.
    conv_min = np.full(n_comp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(conv_min, row_comp, ids)
    return conv_min[row_comp], row_comp, n_comp


def derive_company(table: pa.Table, conversation_id: np.ndarray) -> tuple[np.ndarray, int]:
    """Name the company of each tweet's conversation.

    The company is the outbound author the conversation talks to (the most frequent
    one; ties go to the alphabetically first). A conversation with no company reply
    gets the company handle its tweets mention most, matched case-insensitively
    against the authors of outbound tweets. Returns an object array (None where no
    company is found) and the number of conversations without a company.
    """
    _, conv_code = np.unique(np.asarray(conversation_id), return_inverse=True)
    conv_code = conv_code.reshape(-1)
    codes, handles, n_without = company_codes(table, conversation_id, conv_code, int(conv_code.max(initial=-1)) + 1)
    names = np.array(handles.to_pylist() + [None], dtype=object)
    return names[codes], n_without


def company_codes(
    table: pa.Table, conversation_id: np.ndarray, conv_code: np.ndarray, n_conv: int
) -> tuple[np.ndarray, pa.Array, int]:
    """The company of each row as an index into a sorted array of handles (-1: none).

    ``conv_code`` numbers the conversations 0..n_conv-1. Returns the per-row codes,
    the handles and the number of conversations without a company.
    """
    inbound = table["inbound"].to_numpy(zero_copy_only=False)
    out_rows = np.nonzero(~inbound)[0]
    out_author = table["author_id"].take(pa.array(out_rows)).combine_chunks()
    encoded = pc.dictionary_encode(out_author)
    # Number the outbound authors in string order so ties go to the alphabetically first.
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    handles = encoded.dictionary.take(pa.array(order))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    author_rank = rank[encoded.indices.to_numpy()]

    company = np.full(n_conv, -1, dtype=np.int64)
    if len(out_rows):
        n_auth = len(order)
        key = conv_code[out_rows].astype(np.int64) * n_auth + author_rank
        uniq, counts = np.unique(key, return_counts=True)
        conv_of, auth_of = np.divmod(uniq, n_auth)
        # uniq is sorted by (conversation, author rank): most frequent, then first author wins.
        best = np.lexsort((auth_of, -counts, conv_of))
        conv_sorted = conv_of[best]
        first = np.ones(len(best), dtype=bool)
        first[1:] = conv_sorted[1:] != conv_sorted[:-1]
        company[conv_sorted[first]] = auth_of[best][first]

    handle_list = handles.to_pylist()
    lower = {h.lower(): i for i, h in enumerate(handle_list)}  # as before: later (sorted) handles win
    missing = company < 0
    if missing.any() and lower:
        rows = np.nonzero(missing[conv_code])[0]
        texts = table["text"].take(pa.array(rows)).to_pylist()
        mentions: defaultdict[int, Counter[int]] = defaultdict(Counter)
        findall = _MENTION.findall
        for conv, text in zip(conv_code[rows].tolist(), texts):
            for m in findall(text):
                i = lower.get(m.lower())
                if i is not None:
                    mentions[conv][i] += 1
        for conv, counter in mentions.items():
            # most mentioned, ties to the alphabetically first handle (= smallest index)
            company[conv] = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    n_without = int((company < 0).sum())
    return company[conv_code], handles, n_without


__all__ = ["TWEET_ID_LINK", "company_codes", "conversation_codes", "derive_company", "derive_conversations"]
