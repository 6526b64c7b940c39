"""Evaluation models, one import path: ``from grassroots.evaluation.models import ...``."""

from .honours import (  # noqa: F401
    Honour,
    HonourKind,
    HonourTitle,
    Nomination,
    NominationStatus,
)
from .mentoring import MentoringGoal, MentoringSession, Mentorship, MentorshipStatus  # noqa: F401
from .reviews import Adjustment, AdjustmentKind, Appeal, AppealStatus, DecisionStatus  # noqa: F401
from .runs import (  # noqa: F401
    EvaluationRun,
    ImmutableWhenPublished,
    OfficerResult,
    RunStatus,
    UnitResult,
)
from .schemes import GRADE_ORDER, Grade, Scheme, SchemeVersion, VersionStatus  # noqa: F401
