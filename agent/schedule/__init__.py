"""Schedules: the scheduler that owns time (catch-up, max_active_runs, pause) and its
triggers over cron expressions and intervals."""
