"""Escalation alerts: the ladder (reminder → overdue → escalated) over overdue human tasks."""
