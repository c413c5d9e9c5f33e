"""The staff web front end of the CUS platform: a backend-for-frontend serving HTML pages."""
