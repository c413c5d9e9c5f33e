"""The realm roles of realm `cus` and the claims the platform reads from access tokens.

This is the one list the code, the Keycloak realm export (deploy/keycloak/realm-cus.json) and the
development issuer agree on; tests check that they do.
"""

from enum import StrEnum


class Role(StrEnum):
    REGIONAL_ADMIN = "regional-admin"
    COORDINATOR = "coordinator"
    CASE_MANAGER = "case-manager"
    PARTNER_STAFF = "partner-staff"
    PARTNER_EDITOR = "partner-editor"
    DIRECTOR = "director"
    ANALYST = "analyst"


# Roles whose holders work for the whole region rather than one municipality.
REGIONAL_ROLES = frozenset({Role.REGIONAL_ADMIN, Role.ANALYST})

# The audience every service's access token must carry (an audience mapper in the realm adds it).
API_AUDIENCE = "cus-api"

# Claim names. `tenants` comes from the membership of groups under the `/tenants` group (one group
# per municipality, named by its TERYT code); `institution` from the user attribute of that name
# (or a hard-coded claim on a partner system's client).
CLAIM_TENANTS = "tenants"
CLAIM_INSTITUTION = "institution"
