"""65岁及以上老年人: once a year a health-management service (健康体检 with the 生活自理能力评估) and a
traditional Chinese medicine service (中医药健康管理) (REFERENCE.md §8)."""

from __future__ import annotations

from collections.abc import Sequence

from kangdang.programmes.schedule.chains import annual_exam, yearly_series
from kangdang.programmes.schedule.types import EpisodeFacts, FormFact, Plan


def plan_elderly(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    return Plan(
        [
            *annual_exam(facts, forms),
            *yearly_series(facts, forms, key="selfcare", title="老年人生活自理能力评估", form_code="elderly_selfcare"),
            *yearly_series(facts, forms, key="tcm", title="老年人中医药健康管理", form_code="elderly_tcm"),
        ]
    )
