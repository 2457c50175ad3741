"""Schedules: the scheduler that owns time (catch-up, max_active_runs), its triggers over cron and intervals, and the book the daemon keeps them in."""
