"""A small OpenAI-compatible chat-completions server for tests and benchmarks (standard library only).

It listens on 127.0.0.1 (a free port) in a thread and answers ``POST .../chat/completions`` (so also Azure's
``/openai/deployments/<name>/chat/completions``). Without instructions it writes plausible questions from
the ``<transcript>`` lines of the request; a *fault schedule* (``push(...)``) says what the next requests
get instead: an HTTP error with headers (429 + Retry-After, 500...), a hang longer than the client's
timeout, a body that is not JSON, message content that is not JSON or violates the schema, a truncated
answer (``finish_reason: length``), or usage with or without its detail fields.

It knows nothing of the platform: it only reads what any OpenAI client sends.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LINE = re.compile(r"^\[(\d+):(\d{2})(?::(\d{2}))?\]\s*(.+)$")
WORD = re.compile(r"[A-Za-z]{5,}")


@dataclass
class Step:
    """What one request gets. ``status`` != 200 sends ``body`` (default: an OpenAI error object)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # raw body (with content_type), replaces everything else
    content_type: str = "application/json"
    content: str | None = None  # message content (None: generated from the transcript)
    finish_reason: str = "stop"
    usage: str | dict[str, Any] | None = "full"  # "full", "basic", "none" or an explicit usage object
    delay: float = 0.0  # seconds before answering (longer than the client timeout: a timeout)
    model: str | None = None


def rate_limited(retry_after: float = 1, *, ms: bool = False) -> Step:
    header = {"retry-after-ms": str(int(retry_after * 1000))} if ms else {"Retry-After": f"{retry_after:g}"}
    return Step(status=429, headers=header)


def server_error(status: int = 500) -> Step:
    return Step(status=status)


def hang(seconds: float) -> Step:
    return Step(delay=seconds)


def not_json_body() -> Step:
    return Step(body=b"<html><body>Bad gateway</body></html>", content_type="text/html")


def content(text: str, *, finish_reason: str = "stop", usage: str | dict[str, Any] | None = "full") -> Step:
    return Step(content=text, finish_reason=finish_reason, usage=usage)


def _seconds(match: re.Match[str]) -> float:
    a, b, c = match.group(1), match.group(2), match.group(3)
    return float(int(a) * 3600 + int(b) * 60 + int(c)) if c else float(int(a) * 60 + int(b))


def write_questions(prompt: str, count: int) -> dict[str, Any]:
    """Questions in the requested JSON shape, quoting the transcript lines of the prompt."""
    lines = []
    for raw in prompt.split("<transcript>")[-1].split("</transcript>")[0].splitlines():
        match = LINE.match(raw.strip())
        if match:
            lines.append((_seconds(match), match.group(4).strip()))
    vocabulary = sorted({w.lower() for _, text in lines for w in WORD.findall(text)})
    questions = []
    for index, (at, text) in enumerate(lines[:count]):
        words = [w for w in WORD.findall(text) if w[0].islower()]
        term = max(words, key=len) if words else None
        base = {
            "options": [],
            "answer": "",
            "accepted_answers": [],
            "items": [],
            "rationale": f"The video says: {text}",
            "source_quote": text,
            "start_seconds": at,
            "end_seconds": at + 5,
            "difficulty": "medium",
            "bloom_level": "understand",
        }
        blanked = text.replace(term, "____", 1) if term else text
        others = sorted(
            (w for w in vocabulary if term and w != term and w not in text.lower()),
            key=lambda w: (abs(len(w) - len(term or "")), w),
        )[:3]
        if index % 3 == 0 and term and len(others) == 3:
            options = [{"text": w, "correct": False} for w in others] + [{"text": term, "correct": True}]
            questions.append(
                {
                    **base,
                    "type": "multiple_choice",
                    "stem": f"Which word completes: {blanked}",
                    "options": options,
                }
            )
        elif index % 3 == 1 or not term:
            questions.append({**base, "type": "true_false", "stem": text, "answer": "true"})
        else:
            questions.append(
                {
                    **base,
                    "type": "short_answer",
                    "stem": f"Which word is missing from: {blanked}",
                    "answer": term,
                }
            )
    return {"questions": questions}


class FakeOpenAI:
    """``with FakeOpenAI() as server: OpenAI(base_url=server.base_url, api_key=...)``."""

    def __init__(
        self,
        *,
        model: str = "fake-model",
        usage: dict[str, int] | None = None,
        delay: float = 0.0,
        api_key: str | None = None,
    ) -> None:
        self.model, self.delay, self.api_key = model, delay, api_key
        self.usage = usage or {
            "prompt_tokens": 1200,
            "cached_tokens": 200,
            "completion_tokens": 400,
            "reasoning_tokens": 50,
        }
        self.requests: list[dict[str, Any]] = []
        self._schedule: deque[Step] = deque()
        self._lock = threading.Lock()
        self._counter = 0
        self._server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------------------
    def push(self, *steps: Step) -> None:
        with self._lock:
            self._schedule.extend(steps)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/v1")

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake._handle(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -------------------------------------------------------------------------------------
    def _next(self) -> tuple[Step, str]:
        with self._lock:
            self._counter += 1
            return (self._schedule.popleft() if self._schedule else Step()), f"req_fake_{self._counter:05d}"

    def _usage(self, step: Step) -> dict[str, Any] | None:
        if isinstance(step.usage, dict):
            return step.usage
        if step.usage in (None, "none"):
            return None
        u = self.usage
        usage: dict[str, Any] = {
            "prompt_tokens": u["prompt_tokens"],
            "completion_tokens": u["completion_tokens"],
            "total_tokens": u["prompt_tokens"] + u["completion_tokens"],
        }
        if step.usage == "full":
            usage["prompt_tokens_details"] = {"cached_tokens": u["cached_tokens"], "audio_tokens": 0}
            usage["completion_tokens_details"] = {"reasoning_tokens": u["reasoning_tokens"]}
        return usage

    def _handle(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        step, request_id = self._next()
        self.requests.append(
            {
                "path": handler.path,
                "headers": {k.lower(): v for k, v in handler.headers.items()},
                "body": body,
                "id": request_id,
            }
        )
        if step.delay or self.delay:
            time.sleep(step.delay or self.delay)
        auth = handler.headers.get("authorization", "").removeprefix("Bearer ") or handler.headers.get(
            "api-key", ""
        )
        if self.api_key is not None and auth != self.api_key:
            step = Step(status=401)
        if not handler.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
            step = Step(status=404)
        if step.body is not None:
            return self._send(handler, step.status, step.body, step.content_type, request_id, step.headers)
        if step.status != 200:
            error = {
                "error": {"message": f"fake error {step.status}", "type": "fake", "code": str(step.status)}
            }
            return self._send(
                handler, step.status, json.dumps(error).encode(), "application/json", request_id, step.headers
            )
        messages = body.get("messages", [])
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        count_match = re.search(r"Write (\d+) question", prompt)
        text = step.content
        if text is None:
            text = json.dumps(write_questions(prompt, int(count_match.group(1)) if count_match else 3))
        payload = {
            "id": f"chatcmpl-{request_id}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": step.model or f"{body.get('model', self.model)}-2025-01-01",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": step.finish_reason,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                }
            ],
        }
        usage = self._usage(step)
        if usage is not None:
            payload["usage"] = usage
        self._send(handler, 200, json.dumps(payload).encode(), "application/json", request_id, step.headers)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        content_type: str,
        request_id: str,
        headers: dict[str, str],
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("content-type", content_type)
            handler.send_header("content-length", str(len(data)))
            handler.send_header("x-request-id", request_id)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass
