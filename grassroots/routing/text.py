"""Text normalisation and tokenisation for request routing (Chinese and English).

Residents' messages arrive from web forms, spreadsheets exported by hotline systems and officers' notes, so
the same word comes in full-width and half-width forms, with ideographic spaces, non-breaking spaces and
spreadsheet escapes (``_x000D_``). :func:`normalise` folds all of that into one form; :func:`words` and
:func:`chars` turn a normalised text into the two token streams the routing model uses:

* words: jieba segmentation for Chinese (its bundled dictionary), lower-cased words for English, with a
  short stop-word list removed;
* characters: 1–3 character n-grams inside runs of letters and digits, robust for short Chinese texts where
  the segmenter splits an unknown place name or a misspelling badly.

jieba is initialised once per process, quietly, with its cache file under the project's ``var/`` folder
(``GRASSROOTS_VAR_DIR`` when set) instead of the system temporary folder.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Spreadsheet exports write carriage returns as the literal text ``_x000D_``.
_SPREADSHEET_ESCAPE = re.compile(r"_x000[dDaA]_")
_WHITESPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
# Courtesy phrases that every message may carry and that say nothing about the matter itself. The
# addressee ("…局长", "省交通运输厅") is kept: who a resident writes to often names the department.
_GREETINGS = re.compile(
    r"尊敬的|(?:您|你)(?:们)?好|谢谢(?:您|你)?|非常感谢|感谢(?:您|你)|此致|敬礼"
    r"|\b(?:dear|hello|hi|thank you|thanks?|regards|sincerely|sir|madam)\b",
    re.IGNORECASE,
)
# A word token must contain a letter, a digit or a CJK character; punctuation is dropped.
_WORDLIKE = re.compile(r"\w")
_NON_WORD = re.compile(r"[^\w]+")

# Chinese function words and pronouns that occur in nearly every message.
_CHINESE_STOP_WORDS = (
    "的 了 是 我 我们 你 你们 他 她 它 他们 在 和 与 及 或 也 都 就 还 又 被 把 对 从 向 给 这 那 这个 那个 "
    "这些 那些 有 没有 不 没 很 及其 以及 一个 一些 之 其 而 并 但 但是 因为 所以 如果 由于 已经 现在 "
    "请 请问 能 能否 可以 要 会 吗 呢 吧 啊 呀 么 什么 怎么 怎么办 如何 为什么 哪 哪里 谁 多少"
)
_ENGLISH_STOP_WORDS = (
    "a an the and or but if of to in on at by for from with about as is are was were be been being it its "
    "this that these those i me my we our you your he she they them their there here what which who whom "
    "how why when where can could would should will shall do does did not no please"
)
STOP_WORDS: frozenset[str] = frozenset(_CHINESE_STOP_WORDS.split()) | frozenset(_ENGLISH_STOP_WORDS.split())

_jieba_lock = threading.Lock()
_jieba_tokenizer: jieba.Tokenizer | None = None


def var_dir() -> Path:
    """The project's writable data folder (``GRASSROOTS_VAR_DIR`` or ``<project>/var``)."""
    return Path(os.environ.get("GRASSROOTS_VAR_DIR") or PROJECT_ROOT / "var")


def segmenter() -> jieba.Tokenizer:
    """jieba's tokenizer with its bundled dictionary, initialised once per process and without log output."""
    global _jieba_tokenizer
    if _jieba_tokenizer is None:
        with _jieba_lock:
            if _jieba_tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                cache_dir = var_dir() / "cache"
                cache_dir.mkdir(parents=True, exist_ok=True)
                tokenizer = jieba.Tokenizer()
                tokenizer.tmp_dir = str(cache_dir)
                tokenizer.initialize()
                _jieba_tokenizer = tokenizer
    return _jieba_tokenizer


def normalise(text: str) -> str:
    """Fold width and spacing variants into one form.

    NFKC turns full-width letters, digits and punctuation into their half-width forms and ideographic or
    non-breaking spaces into plain spaces; spreadsheet escapes become line breaks and every run of
    whitespace becomes one space. Letters keep their case (lower-casing happens in the tokenisers).
    """
    text = _SPREADSHEET_ESCAPE.sub("\n", text or "")
    text = unicodedata.normalize("NFKC", text)
    return _WHITESPACE.sub(" ", text).strip()


def strip_boilerplate(text: str) -> str:
    """Remove courtesy phrases (尊敬的, 您好, 谢谢, "Dear", "thank you", …) from a normalised text."""
    return _WHITESPACE.sub(" ", _GREETINGS.sub(" ", text)).strip()


def mask_digits(text: str) -> str:
    """Replace every number (dates, amounts, phone numbers, house numbers) by ``0``.

    Numbers identify a single matter, not a kind of matter; masking them keeps the vocabulary small and
    makes "2019年" and "2020年" the same feature.
    """
    return _DIGITS.sub("0", text)


@lru_cache(maxsize=8192)
def prepare(text: str) -> str:
    """The full cleaning applied before tokenising: normalise, drop courtesy phrases, mask numbers."""
    return mask_digits(strip_boilerplate(normalise(text)))


@lru_cache(maxsize=8192)
def _segment(text: str) -> tuple[str, ...]:
    return tuple(segmenter().lcut(text, HMM=True))


def words(text: str) -> list[str]:
    """Word tokens of a text: jieba words for Chinese, lower-cased words for English, stop words removed."""
    tokens = []
    for token in _segment(prepare(text)):
        token = token.strip().lower()
        if token and _WORDLIKE.search(token) and token not in STOP_WORDS:
            tokens.append(token)
    return tokens


def chars(text: str) -> list[str]:
    """Character 1–3-grams inside runs of letters and digits (never across punctuation or spaces)."""
    return list(_char_grams(text))


@lru_cache(maxsize=8192)
def _char_grams(text: str) -> tuple[str, ...]:
    grams: list[str] = []
    for run in _NON_WORD.split(prepare(text).lower()):
        for n in (1, 2, 3):
            grams.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return tuple(grams)


def first_sentence(text: str, limit: int = 60) -> str:
    """The first sentence of a text (up to 。！？!? or a line break), at most ``limit`` characters.

    Used as the title when a request comes without one: the opening sentence of a message usually states
    the matter, like the subject line of the board's messages.
    """
    lines = [line for line in _SPREADSHEET_ESCAPE.sub("\n", text or "").splitlines() if line.strip()]
    text = normalise(lines[0]) if lines else ""
    match = re.search(r"[。!?;]", text)
    end = match.start() if match else len(text)
    return text[: min(end, limit)]
