"""Alert clustering: dedup, templates, rules, incidents (pure; see clustering.py)."""

from processors.alerts.clustering import AlertClusterer
from processors.alerts.incident import Assignment, ClusterOutput, IncidentVersion
from schemas.alert_rules import RuleError, RuleSet

__all__ = ["AlertClusterer", "Assignment", "ClusterOutput", "IncidentVersion", "RuleError",
           "RuleSet"]
