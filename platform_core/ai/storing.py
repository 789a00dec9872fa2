"""The last step of a job: gate the candidates and store the survivors as questions awaiting review.

Runs in one transaction. The video's row is locked first, so two jobs finishing on the same video at the
same time are judged against each other's questions (near-duplicates) instead of racing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_core.ai.candidates import CandidateRejected, GeneratedQuestion, convert
from platform_core.ai.configs import ResolvedConfig
from platform_core.ai.gates import PositionBalancer, check_candidate, nearest_duplicate
from platform_core.ai.generation import WindowOutcome
from platform_core.ai.schemas import AIQuestionMetadata
from platform_core.ai.windows import Window
from platform_core.db.session import TENANT_KEY
from platform_core.models import (
    AIGenerationJob,
    AIRejectedCandidate,
    Question,
    QuestionSource,
    QuestionStatus,
    QuestionType,
    Video,
)
from platform_core.validation import validated_json


@dataclass
class Stored:
    question_ids: list[uuid.UUID] = field(default_factory=list)
    rejected: int = 0


def stem_key(question_type: str, prompt: str, data: dict[str, Any]) -> str:
    """The text near-duplicates are judged on: the sentence for fill-in-the-blanks, else the prompt."""
    if question_type == "fill_in_blanks" and isinstance(data.get("text"), str):
        return data["text"]
    return prompt


def _metadata(
    candidate: GeneratedQuestion,
    window: Window,
    config: ResolvedConfig,
    position: int | None,
    request_id: str,
) -> dict[str, Any]:
    return validated_json(
        AIQuestionMetadata,
        {
            "rationale": candidate.rationale[:4000],
            "sourceQuote": candidate.source_quote[:4000],
            "startSeconds": max(0.0, candidate.start_seconds),
            "endSeconds": max(0.0, candidate.end_seconds),
            "difficulty": candidate.difficulty,
            "bloomLevel": candidate.bloom_level,
            "provider": config.provider.value,
            "model": config.model,
            "configName": config.name,
            "windowIndex": window.index,
            "windowStart": window.start,
            "windowEnd": window.end,
            "correctPosition": position,
            "requestId": request_id[:200] or None,
        },
        root="ai_metadata",
    )


def store_candidates(
    session: Session, *, job_id: uuid.UUID, config: ResolvedConfig, outcomes: list[WindowOutcome]
) -> Stored:
    tenant_id: uuid.UUID = session.info[TENANT_KEY]
    job = session.get(AIGenerationJob, (tenant_id, job_id))
    assert job is not None
    session.execute(select(Video.id).where(Video.id == job.video_id).with_for_update())
    existing = session.execute(
        select(Question.type, Question.prompt, Question.data).where(Question.video_id == job.video_id)
    ).all()
    bank = [stem_key(q.type.value, q.prompt, q.data) for q in existing]
    positions = {
        milestone_id: top + 1
        for milestone_id, top in session.execute(
            select(Question.milestone_id, func.max(Question.position))
            .where(Question.video_id == job.video_id)
            .group_by(Question.milestone_id)
        )
    }
    balancer = PositionBalancer(job_id)
    stored = Stored()

    def reject(candidate: dict[str, Any], gate: str, reason: str) -> None:
        session.add(
            AIRejectedCandidate(
                tenant_id=tenant_id, job_id=job_id, candidate=candidate, gate=gate, reason=reason[:2000]
            )
        )
        stored.rejected += 1

    for outcome in outcomes:
        window = outcome.window
        if outcome.failure is not None:
            reject(outcome.failure, "output", outcome.failure["afterRepair"])
        for raw, reason in outcome.invalid:
            reject(raw if isinstance(raw, dict) else {"value": raw}, "schema", reason)
        request_id = outcome.request_ids[-1] if outcome.request_ids else ""
        for candidate in outcome.questions:
            try:
                check_candidate(candidate, window)
                converted = convert(candidate)
                duplicate = nearest_duplicate(converted.stem_key, bank)
                if duplicate is not None:
                    raise CandidateRejected(
                        "near_duplicate", f"too similar to an existing question: {duplicate[:200]!r}"
                    )
                position = None
                if candidate.type == "multiple_choice":
                    candidate = balancer.shuffle_distractors(candidate)
                    position = balancer.next(len(candidate.options))
                    converted = convert(candidate, correct_position=position)
            except CandidateRejected as exc:
                reject(candidate.model_dump(mode="json"), exc.gate, exc.reason)
                continue
            order = positions.get(window.milestone_id, 0)
            positions[window.milestone_id] = order + 1
            question = Question(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                video_id=job.video_id,
                milestone_id=window.milestone_id,
                type=QuestionType(converted.type),
                prompt=converted.prompt,
                data=converted.data,
                explanation=candidate.rationale[:4000] or None,
                status=QuestionStatus.PENDING_REVIEW,
                source=QuestionSource.AI,
                position=order,
                generation_job_id=job_id,
                ai_metadata=_metadata(candidate, window, config, position, request_id),
            )
            session.add(question)
            bank.append(converted.stem_key)
            stored.question_ids.append(question.id)
    session.flush()
    return stored
