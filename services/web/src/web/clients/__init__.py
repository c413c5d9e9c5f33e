"""HTTP clients of the platform's services, called with the signed-in user's access token."""
