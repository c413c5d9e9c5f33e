"""Plain rules of evaluation: periods, small-cell suppression, reports, surveys."""
