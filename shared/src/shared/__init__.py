"""The platform's common code: contracts, messaging, database, auth, observability, errors."""
