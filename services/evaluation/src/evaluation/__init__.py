"""The evaluation service: read models built from events, monitoring, reports and surveys."""
