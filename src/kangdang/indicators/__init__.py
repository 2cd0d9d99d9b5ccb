"""Indicators (工作指标), quality control (质量控制), supervision (督导), appraisal (绩效考核) and reports.

The top domain layer: it reads residents, records and programmes and is read by the transports.
Importing it registers the change listener that marks villages for the incremental refresh.
"""

from kangdang.indicators import listeners as _listeners  # noqa: F401  (registers the change listener)
