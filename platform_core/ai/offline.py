"""The ``offline`` provider: no network, deterministic, real questions built from the transcript itself.

It answers the same requests as a chat model, in the same JSON shape, so its output goes through the same
validation and quality gates. From the window's sentences it picks a key term per sentence (a long,
content-bearing word) and builds: multiple choice (which term completes the sentence, distractors are other
terms of the window of similar length), true/false (the sentence as said, or with its term swapped),
fill in the blank, short answer and ordering (statements in the order the video makes them). The same
window always gives the same questions (the random choices are seeded by the window's text).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from platform_core.ai.ledger import CallUsage
from platform_core.ai.prompts import PromptRequest
from platform_core.ai.providers import CallResult, Provider
from platform_core.ai.schemas import AIParams
from platform_core.ai.windows import Window
from platform_core.models import AIProvider

_STOPWORDS_TEXT = """
about above after again against because before being below between both cannot could during each
every further having other their there these those through under until which while would should
where whose within without another always around actually really going thing things called
something anything everything nothing first second third might maybe often still also just like
very much more most many some such than that then them they this what when with your yours from
have will into only over same were been here let's it's that's there's
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
SENTENCE = re.compile(r"[^.!?]+[.!?]?")
WORD = re.compile(r"[A-Za-z][A-Za-z-]{4,}")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float
    end: float


def _sentences(window: Window) -> list[Sentence]:
    """Sentences of the window with the time span of the cues they come from."""
    joined, spans = "", []
    for cue in window.cues:
        if joined:
            joined += " "
        spans.append((len(joined), cue.start, cue.end))
        joined += cue.text.strip()
    out = []
    for match in SENTENCE.finditer(joined):
        text = " ".join(match.group().split())
        if len(text.split()) < 6 or len(text) > 300:
            continue
        covering = [(s, e) for offset, s, e in spans if offset <= match.end() - 1]
        first = [(s, e) for offset, s, e in spans if offset <= match.start()]
        start = first[-1][0] if first else window.start
        end = covering[-1][1] if covering else window.end
        out.append(Sentence(text, start, end))
    return out


def _terms(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w.casefold() not in STOPWORDS]


class OfflineQuestionWriter:
    """Builds the questions of one window."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.rng = random.Random(hashlib.sha256(window.text.encode()).hexdigest())
        self.sentences = _sentences(window)
        self.frequency = Counter(t.casefold() for t in _terms(window.text))
        self.vocabulary = sorted({t.casefold(): t for t in _terms(window.text)}.values(), key=str.casefold)

    def _key_term(self, sentence: Sentence) -> str | None:
        terms = _terms(sentence.text)
        if not terms:
            return None
        # The rarest, then longest term: specific enough to test, and unambiguous in the sentence.
        term = min(terms, key=lambda t: (self.frequency[t.casefold()], -len(t), t))
        return term if len(re.findall(rf"\b{re.escape(term)}\b", sentence.text)) == 1 else None

    def _distractors(self, term: str, sentence: Sentence, count: int) -> list[str]:
        used = {w.casefold() for w in WORD.findall(sentence.text)}
        pool = [w for w in self.vocabulary if w.casefold() != term.casefold() and w.casefold() not in used]
        pool.sort(key=lambda w: (abs(len(w) - len(term)), w.casefold()))
        if term[:1].islower():  # no capital letter giving the answer away
            pool = [w if w.isupper() else w.lower() for w in pool]
            pool = list(dict.fromkeys(w for w in pool if w.casefold() != term.casefold()))
        near = [w for w in pool if abs(len(w) - len(term)) <= max(3, len(term) // 3)]
        chosen = near[: count + 2]
        self.rng.shuffle(chosen)
        return chosen[:count]

    @staticmethod
    def _blanked(sentence: Sentence, term: str) -> str:
        return re.sub(rf"\b{re.escape(term)}\b", "____", sentence.text, count=1)

    def _base(self, kind: str, sentence: Sentence, stem: str, rationale: str) -> dict[str, Any]:
        return {
            "type": kind,
            "stem": stem,
            "options": [],
            "answer": "",
            "accepted_answers": [],
            "items": [],
            "rationale": rationale,
            "source_quote": sentence.text,
            "start_seconds": sentence.start,
            "end_seconds": sentence.end,
            "difficulty": "medium",
            "bloom_level": "understand",
        }

    def build(self, kind: str, sentence: Sentence, following: list[Sentence]) -> dict[str, Any] | None:
        said = f'The video says: "{sentence.text}"'
        if kind == "ordering":
            steps = [sentence, *following][:4]
            if len(steps) < 3:
                return None
            question = self._base(
                kind, sentence, "Put these statements in the order the video makes them.", said
            )
            question.update(items=[s.text for s in steps], end_seconds=steps[-1].end)
            return question
        term = self._key_term(sentence)
        if term is None:
            return None
        blanked = self._blanked(sentence, term)
        if kind == "multiple_choice":
            distractors = self._distractors(term, sentence, 3)
            if len(distractors) < 2:
                return None
            stem = f'Which word completes this statement from the video? "{blanked}"'
            question = self._base(kind, sentence, stem, f"{said}, so the missing word is {term}.")
            options = [{"text": w, "correct": False} for w in distractors] + [{"text": term, "correct": True}]
            question["options"] = options
            return question
        if kind == "true_false":
            swap = self._distractors(term, sentence, 1)
            if swap and self.rng.random() < 0.5:
                stem = re.sub(rf"\b{re.escape(term)}\b", swap[0], sentence.text, count=1)
                question = self._base(kind, sentence, stem, f'{said}, with "{term}", not "{swap[0]}".')
                question.update(answer="false", difficulty="medium")
            else:
                question = self._base(kind, sentence, sentence.text, f"{said}.")
                question.update(answer="true", difficulty="easy")
            return question
        if kind == "fill_in_blanks":
            question = self._base(kind, sentence, blanked, f"{said}.")
            question.update(answer=term, difficulty="easy", bloom_level="remember")
            return question
        stem = f'In the video, which word is missing from "{blanked}"?'
        question = self._base("short_answer", sentence, stem, f"{said}.")
        question.update(answer=term, bloom_level="remember")
        return question

    def questions(self, count: int, types: tuple[str, ...]) -> list[dict[str, Any]]:
        """Up to ``count`` questions, cycling through ``types``, each from a sentence of its own."""
        out: list[dict[str, Any]] = []
        unused = list(range(len(self.sentences)))
        kinds = list(types)
        attempt = 0
        while len(out) < count and unused and attempt < 4 * count + len(self.sentences):
            kind = kinds[len(out) % len(kinds)] if attempt < 2 * count else self.rng.choice(kinds)
            attempt += 1
            for position, index in enumerate(unused):
                question = self.build(kind, self.sentences[index], self.sentences[index + 1 :])
                if question is not None:
                    out.append(question)
                    del unused[position]
                    break
        return out


class OfflineProvider(Provider):
    kind = AIProvider.OFFLINE

    def __init__(self, *, model: str = "offline-1") -> None:
        self.model = model

    def complete(self, request: PromptRequest, *, params: AIParams) -> CallResult:
        started = time.perf_counter()
        writer = OfflineQuestionWriter(request.window)
        content = json.dumps({"questions": writer.questions(request.count, request.question_types)})
        prompt_chars = sum(len(m["content"]) for m in request.messages)
        digest = hashlib.sha256((request.purpose + request.window.text).encode()).hexdigest()
        return CallResult(
            content=content,
            finish_reason="stop",
            usage=CallUsage(prompt_tokens=(prompt_chars + 3) // 4, completion_tokens=(len(content) + 3) // 4),
            latency_ms=int((time.perf_counter() - started) * 1000),
            request_id=f"offline-{digest[:24]}",
            returned_model=self.model,
        )
