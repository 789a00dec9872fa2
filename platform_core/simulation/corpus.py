"""Turning the built-in topics into plausible timed transcripts, people's names and devices.

Transcripts read like a teacher talking: an opening line, the part's sentences (revisited with a new
opener when the video is longer than the script), short asides, and a closing line, cut into cues of at
most a dozen words timed at a speaking rate of about 2.3-2.9 words per second. All randomness comes from
the ``random.Random`` passed in, so the same seed gives the same transcript.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Final

from platform_core.simulation.topics import SUBJECTS, TOPICS, Part, Topic, topics_of

__all__ = [
    "DEVICES",
    "FIRST_NAMES",
    "LAST_NAMES",
    "SUBJECTS",
    "TOPICS",
    "Topic",
    "make_transcript",
    "person_name",
    "topics_of",
]

MAX_WORDS_PER_CUE: Final = 12

OPENINGS: Final = (
    "Hi everyone. In this video: {title}.",
    "Welcome back. Today's part is called {title}.",
    "Let's get started. This part: {title}.",
    "Hello again. We are looking at {title}.",
)
REVISIT: Final = (
    "Remember: {s}",
    "Let's look at that again. {s}",
    "Here is the key point once more. {s}",
    "Once more: {s}",
    "Notice this. {s}",
    "Think about why this matters. {s}",
)
ASIDES: Final = (
    "Pause the video for a moment and think about that.",
    "Let's take a quick example.",
    "Write this down in your notes.",
    "This comes up a lot in tests, so keep it in mind.",
    "Try to explain that to a friend in your own words.",
    "We will use this idea again in a minute.",
    "If that felt quick, rewind and listen again.",
    "Look at the diagram on screen.",
)
CLOSINGS: Final = (
    "That's it for this part. See you in the next video.",
    "Great work. Try the questions before you move on.",
    "That wraps up this video. Well done for sticking with it.",
)


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES: Final = _words(
    "Ava Noah Mia Liam Zara Omar Chloe Mateo Amara Leo Priya Ethan Sofia Kwame Hana Lucas Isla Ravi "
    "Maya Jonas Aisha Finn Yuki Diego Freya Samir Elena Tariq Nora Kai Leila Oscar Ines Arjun Grace "
    "Malik Emma Hugo Fatima Theo Lina Jamal Alice Felix Mei Ben Sara Tomás Ruby Ali"
)
LAST_NAMES: Final = _words(
    "Nguyen Smith Okafor García Khan Müller Rossi Kowalski Tanaka Johnson Silva Haddad Novak Brown "
    "Patel Ivanova Mensah Dubois Larsen Cohen Ahmed Murphy Santos Kim Jensen Fischer Osei López "
    "Wilson Sato Costa Ali Taylor Berg Mwangi Martin Chen Nowak Evans Yilmaz"
)

#: Device catalogue: (weight, DeviceInfo JSON). A learner owns one to three of these.
DEVICES: Final[tuple[tuple[float, dict[str, Any]], ...]] = (
    (0.34, {"kind": "desktop", "os": "Windows 11", "browser": "Chrome", "screen": "1920x1080",
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"}),
    (0.16, {"kind": "desktop", "os": "macOS 15", "browser": "Safari", "screen": "2560x1600",
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 15_1) Version/18.1 Safari/605.1.15"}),
    (0.12, {"kind": "desktop", "os": "ChromeOS", "browser": "Chrome", "screen": "1366x768",
            "userAgent": "Mozilla/5.0 (X11; CrOS x86_64 15917.0.0) Chrome/131.0 Safari/537.36"}),
    (0.20, {"kind": "phone", "os": "Android 15", "browser": "Chrome Mobile", "screen": "412x915",
            "userAgent": "Mozilla/5.0 (Linux; Android 15; Pixel 8) Chrome/131.0 Mobile Safari/537.36"}),
    (0.10, {"kind": "phone", "os": "iOS 18", "browser": "Safari Mobile", "screen": "390x844",
            "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1"}),
    (0.08, {"kind": "tablet", "os": "iPadOS 18", "browser": "Safari", "screen": "820x1180",
            "userAgent": "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) Mobile/15E148 Safari/604.1"}),
)  # fmt: skip


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _chunks(sentence: str) -> list[str]:
    words = sentence.split()
    count = max(1, -(-len(words) // MAX_WORDS_PER_CUE))
    size = -(-len(words) // count)
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def script(rng: random.Random, part: Part, topic: Topic, *, sentences_needed: int) -> list[str]:
    """The narration of one video: opening, the part's sentences, revisits and asides, closing."""
    lines = [rng.choice(OPENINGS).format(title=part.title)]
    pool = list(part.sentences)
    extra = [s for p in topic.parts if p is not part for s in p.sentences]
    index = 0
    while len(lines) < sentences_needed - 1:
        if index < len(pool):
            lines.append(pool[index])
        elif rng.random() < 0.35:
            lines.append(rng.choice(ASIDES))
        else:
            source = rng.choice(pool) if rng.random() < 0.7 or not extra else rng.choice(extra)
            lines.append(rng.choice(REVISIT).format(s=source))
        index += 1
        if index < len(pool) and rng.random() < 0.15:
            lines.append(rng.choice(ASIDES))
    lines.append(rng.choice(CLOSINGS))
    return lines


def make_transcript(
    rng: random.Random, part: Part, topic: Topic, duration_seconds: float
) -> list[dict[str, Any]]:
    """Timed cues ``{start, end, text}`` filling ``duration_seconds`` (the closing line ends just before the
    end). Times are rounded to centiseconds and strictly inside the video."""
    rate = rng.uniform(2.3, 2.9)  # words per second
    gap = (0.25, 0.9)
    words_available = duration_seconds * rate * 0.88
    sentences_needed = max(3, round(words_available / 13))
    lines = script(rng, part, topic, sentences_needed=sentences_needed)
    cues: list[dict[str, Any]] = []
    t = rng.uniform(0.5, 2.0)
    limit = duration_seconds - 1.0
    closing = _chunks(lines[-1])
    closing_length = sum(len(c.split()) / rate + 0.3 for c in closing)
    for line in lines[:-1]:
        for chunk in _chunks(line):
            length = len(chunk.split()) / rate
            if t + length + closing_length > limit:
                break
            cues.append({"start": round(t, 2), "end": round(t + length, 2), "text": chunk})
            t += length + 0.05
        else:
            t += rng.uniform(*gap)
            continue
        break
    t = max(t, limit - closing_length)
    for chunk in closing:
        length = len(chunk.split()) / rate
        end = min(t + length, limit)
        if end > t:
            cues.append({"start": round(t, 2), "end": round(end, 2), "text": chunk})
        t = end + 0.05
    return cues


def cue_start_before(cues: Sequence[dict[str, Any]], seconds: float, *, back: float) -> float:
    """The start of the cue being spoken ``back`` seconds before ``seconds`` (where an idea was explained),
    for a seek-back target; 0 when the video has no cue that early."""
    target = max(0.0, seconds - back)
    starts = [float(cue["start"]) for cue in cues if float(cue["start"]) <= target]
    return starts[-1] if starts else 0.0


SUBJECT_NAMES: Final = {"science": "Science", "maths": "Maths", "history": "History"}
assert set(SUBJECT_NAMES) == set(SUBJECTS)
