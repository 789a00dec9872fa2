"""Pure grading engine: grade a response to any question type from the question's JSONB ``data``.

>>> from platform_core.grading import grade_response, final_fraction, letter_grade
>>> grade_response("short_answer", {"acceptedAnswers": ["Paris"]}, " paris ").fraction
1.0
>>> round(final_fraction([0.0, 0.0, 1.0], method="penalized", penalty=1 / 3), 4)
0.3333
>>> letter_grade(92.99)
'A-'
"""

from .engine import grade_response
from .errors import InvalidQuestionData, InvalidResponse
from .letters import DEFAULT_LETTER_SCALE, letter_grade
from .methods import GRADING_METHODS, final_fraction
from .result import GradeResult
from .schemas import ORDERING_MODES, QUESTION_TYPES
from .validation import validate_question_data

__all__ = [
    "DEFAULT_LETTER_SCALE",
    "GRADING_METHODS",
    "ORDERING_MODES",
    "QUESTION_TYPES",
    "GradeResult",
    "InvalidQuestionData",
    "InvalidResponse",
    "final_fraction",
    "grade_response",
    "letter_grade",
    "validate_question_data",
]
