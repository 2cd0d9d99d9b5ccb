"""The national visit schedules as pure functions: ``plan(facts, forms)`` per programme (REFERENCE.md §8)."""

from __future__ import annotations

from collections.abc import Sequence

from kangdang.programmes.schedule.child import plan_child
from kangdang.programmes.schedule.chronic import plan_diabetes, plan_hypertension
from kangdang.programmes.schedule.elderly import plan_elderly
from kangdang.programmes.schedule.maternal import plan_maternal
from kangdang.programmes.schedule.mental import plan_mental
from kangdang.programmes.schedule.tuberculosis import plan_tuberculosis
from kangdang.programmes.schedule.types import EpisodeFacts, FormFact, Plan, Planner

PLANNERS: dict[str, Planner] = {
    "child": plan_child,
    "maternal": plan_maternal,
    "elderly": plan_elderly,
    "hypertension": plan_hypertension,
    "diabetes": plan_diabetes,
    "mental": plan_mental,
    "tuberculosis": plan_tuberculosis,
}


def plan(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    """The episode's tasks (and closing, if any) from its facts and the resident's signed forms, oldest first."""
    ordered = sorted(forms, key=lambda f: (f.service_date, str(f.id)))
    return PLANNERS[facts.programme](facts, ordered)


__all__ = ["EpisodeFacts", "FormFact", "Plan", "plan"]
