"""Who may do what on an agent: users and roles, the one policy table, tokens and sessions,
secrets and their masking, and the hash-chained audit log."""
