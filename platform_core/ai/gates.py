"""Deterministic quality gates a generated question must pass before it is stored for review.

Each gate raises :class:`CandidateRejected` naming itself; rejected candidates are kept with the reason
(``ai_rejected_candidates``). In order: a usable stem, no "all/none of the above" style options, unique
options with exactly one correct answer and no length tell, a source quote that is really in the window,
a time range inside the window, and a stem that is not a near-duplicate of the video's bank (or of a
question accepted earlier in the same job). The correct option's position is balanced across a job.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher

from platform_core.ai.candidates import CandidateRejected, GeneratedQuestion
from platform_core.ai.windows import Window

MIN_STEM, MAX_STEM = 8, 600
MIN_OPTIONS, MAX_OPTIONS = 3, 6
TIME_SLACK_SECONDS = 5.0
NEAR_DUPLICATE = 0.85
QUOTE_MIN_WORDS = 3
QUOTE_FUZZY = 0.85
BANNED_OPTIONS = re.compile(
    r"\b(all|none|both|neither) of (the )?(above|these|those|them)\b|\bboth [a-d] and [a-d]\b|"
    r"\ball (the )?answers\b|\bnone of the answers\b",
    re.IGNORECASE,
)
_TIMESTAMP = re.compile(r"\[\d{1,2}:\d{2}(?::\d{2})?\]")
_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Case-folded words separated by single spaces (punctuation, quotes and [mm:ss] marks dropped)."""
    text = unicodedata.normalize("NFKC", _TIMESTAMP.sub(" ", text)).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def similarity(a: str, b: str) -> float:
    """The larger of word-set Jaccard and character sequence similarity of the normalised texts."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0.0
    wa, wb = set(na.split()), set(nb.split())
    jaccard = len(wa & wb) / len(wa | wb)
    return max(jaccard, SequenceMatcher(None, na, nb, autojunk=False).ratio())


def quote_in_window(quote: str, window_text: str) -> bool:
    """Every part of the quote (split at ellipses) is in the window, after normalisation; or, failing
    that, some run of the window's words matches the quote's words closely (a word-level similarity of at
    least :data:`QUOTE_FUZZY`, which tolerates one slip in about ten words)."""
    fragments = [normalise(part) for part in re.split(r"\.\.\.|…", quote)]
    fragments = [f for f in fragments if f]
    haystack = normalise(window_text)
    if not fragments or sum(len(f.split()) for f in fragments) < QUOTE_MIN_WORDS:
        return False
    if all(f" {fragment} " in f" {haystack} " for fragment in fragments):
        return True
    wanted, words = normalise(quote).split(), haystack.split()
    size = len(wanted)
    best = max(
        (SequenceMatcher(None, wanted, words[i : i + size], autojunk=False).ratio()
         for i in range(max(1, len(words) - size + 1))),
        default=0.0,
    )  # fmt: skip
    return best >= QUOTE_FUZZY


def _check_options(candidate: GeneratedQuestion) -> None:
    options = [" ".join(o.text.split()) for o in candidate.options]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise CandidateRejected(
            "options", f"needs {MIN_OPTIONS} to {MAX_OPTIONS} options, has {len(options)}"
        )
    if any(not text for text in options):
        raise CandidateRejected("options", "an option is empty")
    keys = [normalise(text) or text.casefold() for text in options]
    duplicates = [text for text, n in Counter(keys).items() if n > 1]
    if duplicates:
        raise CandidateRejected("options_unique", f"options repeat: {duplicates[0]!r}")
    correct = [i for i, o in enumerate(candidate.options) if o.correct]
    if len(correct) != 1:
        raise CandidateRejected("options", f"needs exactly one correct option, has {len(correct)}")
    lengths = [len(text) for text in options]
    right = lengths[correct[0]]
    others = [n for i, n in enumerate(lengths) if i != correct[0]]
    if right > 1.5 * max(others) and right - max(others) > 10:
        raise CandidateRejected("length_parity", "the correct option is conspicuously longer than the others")
    if right < 0.5 * min(others) and min(others) - right > 10:
        raise CandidateRejected(
            "length_parity", "the correct option is conspicuously shorter than the others"
        )
    if max(lengths) > 3 * min(lengths) and max(lengths) - min(lengths) > 20:
        raise CandidateRejected("length_parity", "option lengths differ too much")


def check_candidate(candidate: GeneratedQuestion, window: Window) -> None:
    """Every gate that needs only the candidate and its window; raises :class:`CandidateRejected`."""
    stem = " ".join(candidate.stem.split())
    if not MIN_STEM <= len(stem) <= MAX_STEM:
        raise CandidateRejected("stem", f"the stem must be {MIN_STEM} to {MAX_STEM} characters long")
    texts = [o.text for o in candidate.options] + [candidate.answer, *candidate.accepted_answers]
    banned = next((t for t in texts if BANNED_OPTIONS.search(t)), None)
    if banned is not None:
        raise CandidateRejected("banned_option", f"'all/none of the above' style answer: {banned!r}")
    if candidate.type == "multiple_choice":
        _check_options(candidate)
    elif candidate.options:
        raise CandidateRejected("options", f"a {candidate.type} question takes no options")
    if not quote_in_window(candidate.source_quote, window.text):
        raise CandidateRejected("source_quote", "the source quote is not in the transcript window")
    start, end = candidate.start_seconds, candidate.end_seconds
    if start > end:
        raise CandidateRejected("time_range", f"starts ({start}) after it ends ({end})")
    if end < window.start - TIME_SLACK_SECONDS or start > window.end + TIME_SLACK_SECONDS:
        raise CandidateRejected(
            "time_range", f"{start:g}-{end:g}s lies outside the window {window.start:g}-{window.end:g}s"
        )


def nearest_duplicate(stem_key: str, bank: list[str]) -> str | None:
    """The first bank stem at least :data:`NEAR_DUPLICATE` similar to ``stem_key``, if any."""
    return next((other for other in bank if similarity(stem_key, other) >= NEAR_DUPLICATE), None)


class PositionBalancer:
    """Places the correct option of successive multiple-choice questions on the least used position so far
    (ties broken by a seeded RNG), so answers are spread over a, b, c, d across a job, reproducibly."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(str(seed))
        self._used: Counter[int] = Counter()

    def next(self, option_count: int) -> int:
        positions = list(range(option_count))
        least = min(self._used[p] for p in positions)
        choice = self._rng.choice([p for p in positions if self._used[p] == least])
        self._used[choice] += 1
        return choice

    def shuffle_distractors(self, candidate: GeneratedQuestion) -> GeneratedQuestion:
        """The same question with its distractors in a seeded random order."""
        wrong = [o for o in candidate.options if not o.correct]
        self._rng.shuffle(wrong)
        right = [o for o in candidate.options if o.correct]
        return candidate.model_copy(update={"options": wrong + right})
