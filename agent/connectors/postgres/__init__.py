"""`lang: postgres`: SQL against a PostgreSQL server, result sets as tables, upstream tables in by COPY."""
