"""Alerts: rules from the config judged against the agent's store, one incident per
condition from when it begins to when it ends, delivered to a command and a webhook."""
