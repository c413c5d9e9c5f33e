"""The evaluation service's commands (surveys), each in one unit of work it commits."""
