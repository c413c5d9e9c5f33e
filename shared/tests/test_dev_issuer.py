"""The realm export matches the token contract, and the dev issuer built from it issues such tokens.

Clients are the unmodified python-keycloak (as the services use it) and plain httpx for the browser
flow through the dev issuer's login page.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import (
    KeycloakAuthenticationError,
    KeycloakError,
    KeycloakGetError,
    KeycloakPutError,
)
from keycloak.pkce_utils import generate_code_challenge, generate_code_verifier

from shared.auth.roles import API_AUDIENCE, CLAIM_INSTITUTION, CLAIM_TENANTS, Role
from shared.auth.tokens import InvalidToken, TokenVerifier
from shared.testing.issuer import (
    RunningIssuer,
    jwk_thumbprint,
    load_private_key,
    run_issuer,
    sign_token,
    write_jwks,
)

REPO = Path(__file__).resolve().parents[2]
REALM_FILE = REPO / "deploy" / "keycloak" / "realm-cus.json"
PARTNER_INSTITUTION = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"
WEB_REDIRECT = "http://127.0.0.1:8100/auth/callback"
WEB_SECRET = "cus-web-dev-secret"
PARTNER_SECRET = "partner-system-demo-secret"
ADMIN_SECRET = "cus-admin-dev-secret"

# username -> (realm roles, groups, institution attribute)
USERS: dict[str, tuple[set[str], list[str], str | None]] = {
    "coord-a": ({"coordinator"}, ["/tenants/1219053"], None),
    "coord-b": ({"coordinator"}, ["/tenants/1219043"], None),
    "manager-a": ({"case-manager"}, ["/tenants/1219053"], None),
    "manager-b": ({"case-manager"}, ["/tenants/1219043"], None),
    "partner-a": ({"partner-staff", "partner-editor"}, ["/tenants/1219053"], PARTNER_INSTITUTION),
    "director-a": ({"director"}, ["/tenants/1219053"], None),
    "analyst": ({"analyst"}, [], None),
    "admin": ({"regional-admin"}, [], None),
}
MUNICIPALITIES = {
    "1219053": "Wieliczka",
    "1219043": "Niepołomice",
    "1219032": "Kłaj",
    "1219": "Powiat wielicki",
}


# ---- The realm export ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    return data


def _client(realm: dict[str, Any], client_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in realm["clients"] if c["clientId"] == client_id)
    return found


def _scope(realm: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in realm["clientScopes"] if s["name"] == name)
    return found


def _mapper(container: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in container["protocolMappers"] if m["name"] == name)
    return found


def test_realm_roles_are_exactly_the_role_enum(realm: dict[str, Any]) -> None:
    assert realm["realm"] == "cus"
    assert realm["accessTokenLifespan"] == 300
    names = [r["name"] for r in realm["roles"]["realm"]]
    assert sorted(names) == sorted(role.value for role in Role)
    assert not any(r.get("composite") for r in realm["roles"]["realm"])


def test_realm_tenant_groups(realm: dict[str, Any]) -> None:
    (tenants,) = [g for g in realm["groups"] if g["name"] == "tenants"]
    subgroups = {g["name"]: g["attributes"]["name"] for g in tenants["subGroups"]}
    assert subgroups == {code: [name] for code, name in MUNICIPALITIES.items()}


def test_realm_users(realm: dict[str, Any]) -> None:
    people = {u["username"]: u for u in realm["users"] if "serviceAccountClientId" not in u}
    assert set(people) == set(USERS)
    for username, (roles, groups, institution) in USERS.items():
        user = people[username]
        assert user["enabled"] is True, username
        assert user["emailVerified"] is True, username
        assert user["firstName"], username
        assert user["lastName"], username
        assert user["email"].endswith("@example.org"), username
        assert user["credentials"] == [{"type": "password", "value": "demo", "temporary": False}]
        assert set(user["realmRoles"]) == roles, username
        assert user["groups"] == groups, username
        assert user.get("attributes", {}).get("institution") == (
            [institution] if institution else None
        )
    # the institution attribute is declared in the user profile (Keycloak 24+ drops unmanaged ones)
    (profile,) = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    config = json.loads(profile["config"]["kc.user.profile.config"][0])
    assert "institution" in {a["name"] for a in config["attributes"]}


def test_realm_clients(realm: dict[str, Any]) -> None:
    assert sorted(c["clientId"] for c in realm["clients"]) == [
        "cus-admin",
        "cus-cli",
        "cus-web",
        "partner-system-demo",
    ]
    web = _client(realm, "cus-web")
    assert (web["publicClient"], web["secret"]) == (False, WEB_SECRET)
    assert web["standardFlowEnabled"] is True
    assert not (web["implicitFlowEnabled"])
    assert not (web["directAccessGrantsEnabled"])
    assert not web["serviceAccountsEnabled"]
    assert web["attributes"]["pkce.code.challenge.method"] == "S256"
    assert web["redirectUris"] == ["http://127.0.0.1:8100/*", "http://localhost:8100/*"]
    assert web["attributes"]["post.logout.redirect.uris"].split("##") == web["redirectUris"]

    cli = _client(realm, "cus-cli")
    assert cli["publicClient"] is True
    assert cli["directAccessGrantsEnabled"] is True
    assert cli["standardFlowEnabled"] is False

    partner = _client(realm, "partner-system-demo")
    assert (partner["publicClient"], partner["secret"]) == (False, PARTNER_SECRET)
    assert partner["serviceAccountsEnabled"] is True
    assert not (partner["standardFlowEnabled"])
    assert not (partner["directAccessGrantsEnabled"])
    tenants = _mapper(partner, "tenants")
    assert tenants["protocolMapper"] == "oidc-hardcoded-claim-mapper"
    assert tenants["config"]["jsonType.label"] == "JSON"
    assert json.loads(tenants["config"]["claim.value"]) == ["1219053"]
    institution = _mapper(partner, "institution")["config"]
    assert (institution["claim.name"], institution["claim.value"]) == (
        "institution",
        PARTNER_INSTITUTION,
    )
    (account,) = [
        u for u in realm["users"] if u.get("serviceAccountClientId") == "partner-system-demo"
    ]
    assert account["username"] == "service-account-partner-system-demo"
    assert account["realmRoles"] == ["partner-staff"]

    # Account administration: a service account with realm-management manage-users/view-users
    # only, and no audience of the platform's API (its tokens are for Keycloak's Admin REST API).
    admin = _client(realm, "cus-admin")
    assert (admin["publicClient"], admin["secret"]) == (False, ADMIN_SECRET)
    assert admin["serviceAccountsEnabled"] is True
    assert not admin["standardFlowEnabled"]
    assert not admin["directAccessGrantsEnabled"]
    assert "cus-api" not in admin["defaultClientScopes"]
    (admin_account,) = [u for u in realm["users"] if u.get("serviceAccountClientId") == "cus-admin"]
    assert admin_account["clientRoles"] == {"realm-management": ["manage-users", "view-users"]}
    assert not admin_account["realmRoles"]

    for client in realm["clients"]:
        if client["clientId"] != "cus-admin":
            assert {"profile", "email", "roles", "cus-api"} <= set(client["defaultClientScopes"])
        assert client["consentRequired"] is False


def test_realm_cus_api_scope(realm: dict[str, Any]) -> None:
    scope = _scope(realm, "cus-api")
    audience = _mapper(scope, "cus-api audience")
    assert audience["protocolMapper"] == "oidc-audience-mapper"
    assert audience["config"]["included.custom.audience"] == API_AUDIENCE
    assert audience["config"]["access.token.claim"] == "true"
    tenants = _mapper(scope, "tenants")
    assert tenants["protocolMapper"] == "oidc-group-membership-mapper"
    assert tenants["config"]["claim.name"] == CLAIM_TENANTS
    assert tenants["config"]["full.path"] == "false"
    institution = _mapper(scope, "institution")
    assert institution["protocolMapper"] == "oidc-usermodel-attribute-mapper"
    assert institution["config"]["user.attribute"] == CLAIM_INSTITUTION
    assert institution["config"]["claim.name"] == CLAIM_INSTITUTION
    roles = _mapper(_scope(realm, "roles"), "realm roles")["config"]
    assert roles["claim.name"] == "realm_access.roles"
    assert roles["access.token.claim"] == "true"


# ---- The running dev issuer --------------------------------------------------------------------


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIssuer]:
    with run_issuer(data_dir=tmp_path_factory.mktemp("dev-issuer")) as running:
        yield running


def _openid(
    issuer: RunningIssuer, client_id: str = "cus-cli", secret: str | None = None
) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=issuer.base_url, realm_name="cus", client_id=client_id, client_secret_key=secret
    )


def _password_claims(issuer: RunningIssuer, username: str) -> dict[str, Any]:
    openid = _openid(issuer)
    claims: dict[str, Any] = openid.decode_token(openid.token(username, "demo")["access_token"])
    return claims


def test_well_known_has_keycloak_layout(issuer: RunningIssuer) -> None:
    config = _openid(issuer).well_known()
    oidc = f"{issuer.issuer_url}/protocol/openid-connect"
    assert config["issuer"] == issuer.issuer_url
    assert config["authorization_endpoint"] == f"{oidc}/auth"
    assert config["token_endpoint"] == f"{oidc}/token"
    assert config["jwks_uri"] == f"{oidc}/certs"
    assert config["userinfo_endpoint"] == f"{oidc}/userinfo"
    assert config["end_session_endpoint"] == f"{oidc}/logout"
    assert config["introspection_endpoint"] == f"{oidc}/token/introspect"
    assert config["revocation_endpoint"] == f"{oidc}/revoke"
    assert "S256" in config["code_challenge_methods_supported"]


def test_password_grant_coord_a(issuer: RunningIssuer) -> None:
    openid = _openid(issuer)
    tokens = openid.token("coord-a", "demo")
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    assert header["kid"] in {k["kid"] for k in openid.certs()["keys"]}
    claims = openid.decode_token(tokens["access_token"], validate=True)
    assert claims["iss"] == issuer.issuer_url
    assert claims["realm_access"]["roles"] == ["coordinator"]
    assert claims["tenants"] == ["1219053"]
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert API_AUDIENCE in aud
    assert (claims["azp"], claims["typ"]) == ("cus-cli", "Bearer")
    assert claims["preferred_username"] == "coord-a"
    assert (claims["given_name"], claims["family_name"]) == ("Anna", "Kowalska")
    assert claims["name"] == "Anna Kowalska"
    assert claims["email"] == "coord-a@example.org"
    assert claims["exp"] - claims["iat"] == 300
    assert claims["sid"]
    assert claims["jti"]
    assert claims["sub"]
    assert "openid" in claims["scope"].split()
    assert "institution" not in claims
    assert tokens["expires_in"] == 300

    id_token = openid.decode_token(tokens["id_token"], validate=True)
    assert (id_token["typ"], id_token["aud"], id_token["azp"]) == ("ID", "cus-cli", "cus-cli")
    assert id_token["sub"] == claims["sub"]

    refreshed = openid.decode_token(openid.refresh_token(tokens["refresh_token"])["access_token"])
    assert refreshed["tenants"] == ["1219053"]
    assert refreshed["sub"] == claims["sub"]
    info = openid.userinfo(tokens["access_token"])
    assert isinstance(info, dict)
    assert (info["sub"], info["preferred_username"]) == (claims["sub"], "coord-a")
    assert info["tenants"] == ["1219053"]


def test_partner_has_institution_and_analyst_no_tenants(issuer: RunningIssuer) -> None:
    partner = _password_claims(issuer, "partner-a")
    assert partner["institution"] == PARTNER_INSTITUTION
    assert sorted(partner["realm_access"]["roles"]) == ["partner-editor", "partner-staff"]
    assert partner["tenants"] == ["1219053"]
    analyst = _password_claims(issuer, "analyst")
    assert analyst["realm_access"]["roles"] == ["analyst"]
    assert "tenants" not in analyst  # Keycloak maps an empty group list to no claim
    assert _password_claims(issuer, "coord-b")["tenants"] == ["1219043"]


def test_client_credentials_partner_system(issuer: RunningIssuer) -> None:
    openid = _openid(issuer, "partner-system-demo", PARTNER_SECRET)
    tokens = openid.token(grant_type="client_credentials")
    assert "refresh_token" not in tokens
    claims = openid.decode_token(tokens["access_token"], validate=True)
    assert (claims["azp"], claims["client_id"]) == ("partner-system-demo", "partner-system-demo")
    assert claims["preferred_username"] == "service-account-partner-system-demo"
    assert claims["realm_access"]["roles"] == ["partner-staff"]
    assert claims["tenants"] == ["1219053"]
    assert claims["institution"] == PARTNER_INSTITUTION
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert API_AUDIENCE in aud
    introspected = openid.introspect(tokens["access_token"])
    assert introspected["active"] is True
    assert introspected["client_id"] == "partner-system-demo"
    wrong = _openid(issuer, "partner-system-demo", "not-the-secret")
    with pytest.raises(KeycloakError):
        wrong.token(grant_type="client_credentials")


def test_wrong_password_and_disallowed_grants_are_refused(issuer: RunningIssuer) -> None:
    with pytest.raises(KeycloakAuthenticationError):
        _openid(issuer).token("coord-a", "not-demo")
    with pytest.raises(KeycloakError):
        _openid(issuer).token("nobody", "demo")
    # cus-web has no direct access grants, cus-cli no client credentials
    with pytest.raises(KeycloakError):
        _openid(issuer, "cus-web", WEB_SECRET).token("coord-a", "demo")
    with pytest.raises(KeycloakError):
        _openid(issuer).token(grant_type="client_credentials")


class _Page(HTMLParser):
    """Forms, inputs, labels and buttons of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.forms: list[dict[str, str | None]] = []
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.labels: dict[str, str] = {}
        self.buttons: list[str] = []
        self.alerts: list[str] = []
        self._open: str | None = None
        self._label_for: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "form":
            self.forms.append(a)
        elif tag == "input" and a.get("name"):
            self.inputs[str(a["name"])] = a
        elif tag in ("label", "button") or a.get("role") == "alert":
            self._open = "alert" if a.get("role") == "alert" else tag
            self._label_for = a.get("for")

    def handle_data(self, data: str) -> None:
        if self._open == "label" and self._label_for:
            self.labels[self._label_for] = data.strip()
        elif self._open == "button":
            self.buttons.append(data.strip())
        elif self._open == "alert":
            self.alerts.append(data.strip())
        self._open = None


def _follow(client: httpx.Client, response: httpx.Response, stop: str) -> httpx.Response | str:
    """Follow redirects until a page to fill in (the response) or a redirect to `stop` (its URL)."""
    while response.is_redirect:
        url = str(response.url.join(response.headers["location"]))
        if url.startswith(stop):
            return url
        response = client.get(url)
    return response


def _browser_sign_in(
    issuer: RunningIssuer, username: str, params: dict[str, str], client: httpx.Client
) -> str:
    """Authorization request, the dev issuer's login form, then the redirect back to cus-web."""
    auth = f"{issuer.issuer_url}/protocol/openid-connect/auth"
    base = {"client_id": "cus-web", "response_type": "code", "redirect_uri": WEB_REDIRECT}
    step = _follow(client, client.get(auth, params={**base, **params}), WEB_REDIRECT)
    if isinstance(step, str):
        return step
    page = _Page(step.text)
    action = str(step.url.join(str(page.forms[0]["action"])))
    posted = client.post(action, data={"username": username, "password": "demo"})
    result = _follow(client, posted, WEB_REDIRECT)
    assert isinstance(result, str), getattr(result, "text", result)
    return result


def test_login_page_is_polish_and_accessible(issuer: RunningIssuer) -> None:
    verifier = generate_code_verifier()
    challenge, method = generate_code_challenge(verifier)
    params = {"client_id": "cus-web", "response_type": "code", "redirect_uri": WEB_REDIRECT}
    params |= {"scope": "openid", "code_challenge": challenge, "code_challenge_method": method}
    with httpx.Client() as client:
        step = _follow(
            client,
            client.get(f"{issuer.issuer_url}/protocol/openid-connect/auth", params=params),
            WEB_REDIRECT,
        )
        assert isinstance(step, httpx.Response)
        assert step.status_code == 200
        page = _Page(step.text)
        assert page.lang == "pl"
        assert page.forms[0]["method"] == "post"
        assert page.inputs["username"]["id"] == "username"
        assert page.inputs["password"]["type"] == "password"
        assert page.labels == {"username": "Nazwa użytkownika", "password": "Hasło"}
        assert page.buttons == ["Zaloguj się"]
        action = str(step.url.join(str(page.forms[0]["action"])))
        wrong = _Page(client.post(action, data={"username": "coord-a", "password": "zle"}).text)
        assert wrong.alerts == ["Nieprawidłowa nazwa użytkownika lub hasło."]
        assert wrong.inputs["username"]["value"] == "coord-a"


def test_authorization_code_requires_pkce_s256(issuer: RunningIssuer) -> None:
    with httpx.Client() as client:
        refused = _browser_sign_in(issuer, "manager-a", {"scope": "openid", "state": "s1"}, client)
    query = parse_qs(urlsplit(refused).query)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query


def test_authorization_code_flow_with_pkce_and_logout(issuer: RunningIssuer) -> None:
    verifier = generate_code_verifier()
    challenge, method = generate_code_challenge(verifier)
    params = {"scope": "openid profile email", "state": "s2", "nonce": "n2"}
    params |= {"code_challenge": challenge, "code_challenge_method": method}
    web = _openid(issuer, "cus-web", WEB_SECRET)
    with httpx.Client() as client:
        redirect = _browser_sign_in(issuer, "manager-a", params, client)
        query = parse_qs(urlsplit(redirect).query)
        assert query["state"] == ["s2"]
        with pytest.raises(KeycloakError):  # the code is bound to the verifier
            web.token(
                grant_type="authorization_code",
                code=query["code"][0],
                redirect_uri=WEB_REDIRECT,
                code_verifier=generate_code_verifier(),
            )
        redirect = _browser_sign_in(issuer, "manager-a", params, client)  # session cookie: no form
        code = parse_qs(urlsplit(redirect).query)["code"][0]
        tokens = web.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=WEB_REDIRECT,
            code_verifier=verifier,
        )
        claims = web.decode_token(tokens["access_token"], validate=True)
        assert (claims["azp"], claims["typ"], claims["preferred_username"]) == (
            "cus-web",
            "Bearer",
            "manager-a",
        )
        assert claims["realm_access"]["roles"] == ["case-manager"]
        assert claims["tenants"] == ["1219053"]
        assert API_AUDIENCE in (
            claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        )
        assert claims["sid"]
        id_token = web.decode_token(tokens["id_token"], validate=True)
        assert (id_token["typ"], id_token["aud"], id_token["nonce"]) == ("ID", "cus-web", "n2")
        assert (
            web.decode_token(web.refresh_token(tokens["refresh_token"])["access_token"])["sub"]
            == claims["sub"]
        )

        # Keycloak's end session: id_token_hint + post_logout_redirect_uri, signs out without asking
        logout = client.get(
            f"{issuer.issuer_url}/protocol/openid-connect/logout",
            params={
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": "http://127.0.0.1:8100/",
                "state": "bye",
            },
        )
        assert logout.status_code == 200
        page = _Page(logout.text)
        assert page.lang == "pl"
        assert page.inputs["logout"]["value"] == "yes"
        form = {name: str(attrs.get("value") or "") for name, attrs in page.inputs.items()}
        done = client.post(str(logout.url.join(str(page.forms[0]["action"]))), data=form)
        assert done.is_redirect
        assert done.headers["location"].startswith("http://127.0.0.1:8100/?state=bye")
        # signed out: the next authorization request shows the login form again
        step = _follow(
            client,
            client.get(
                f"{issuer.issuer_url}/protocol/openid-connect/auth",
                params={
                    "client_id": "cus-web",
                    "response_type": "code",
                    "redirect_uri": WEB_REDIRECT,
                    "scope": "openid",
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                },
            ),
            WEB_REDIRECT,
        )
        assert isinstance(step, httpx.Response)
        assert "username" in _Page(step.text).inputs

        # with only a client_id the issuer asks first (as Keycloak does)
        asked = client.get(
            f"{issuer.issuer_url}/protocol/openid-connect/logout", params={"client_id": "cus-web"}
        )
        assert asked.status_code == 200


def test_logout_by_refresh_token(issuer: RunningIssuer) -> None:
    openid = _openid(issuer)
    tokens = openid.token("director-a", "demo")
    assert openid.logout(tokens["refresh_token"]) == {}
    with pytest.raises(KeycloakError):
        openid.refresh_token(tokens["refresh_token"])


def test_tokens_signed_with_the_issuers_key_file(issuer: RunningIssuer) -> None:
    if issuer.jwks_file is None:
        pytest.skip("external issuer (OIDC_ISSUER): no key file")
    openid = _openid(issuer)
    kid, _ = load_private_key(issuer.jwks_file)
    assert kid in {k["kid"] for k in openid.certs()["keys"]}
    now = int(time.time())
    good = _password_claims(issuer, "coord-a")
    forged = sign_token(issuer.jwks_file, {**good, "exp": now + 60})
    assert openid.decode_token(forged)["sub"] == good["sub"]
    expired = sign_token(issuer.jwks_file, {**good, "iat": now - 900, "exp": now - 600})
    with pytest.raises(Exception, match="xpired"):
        openid.decode_token(expired)


async def test_shared_token_verifier_and_bad_tokens(issuer: RunningIssuer) -> None:
    """The services' verifier accepts the issuer's access tokens, refuses ID tokens and bad ones."""
    partner = await asyncio.to_thread(_openid(issuer).token, "partner-a", "demo")
    system = _openid(issuer, "partner-system-demo", PARTNER_SECRET)
    service = await asyncio.to_thread(system.token, grant_type="client_credentials")
    async with httpx.AsyncClient() as http:
        verifier = TokenVerifier(issuer.issuer_url, API_AUDIENCE, http=http)
        person = await verifier.principal(partner["access_token"])
        assert person.roles == {Role.PARTNER_STAFF, Role.PARTNER_EDITOR}
        assert person.tenants == {"1219053"}
        assert person.institution_id == uuid.UUID(PARTNER_INSTITUTION)
        assert not person.service_account
        machine = await verifier.principal(service["access_token"])
        assert machine.service_account
        assert machine.client_id == "partner-system-demo"
        assert machine.roles == {Role.PARTNER_STAFF}
        assert machine.tenants == {"1219053"}
        with pytest.raises(InvalidToken):
            await verifier.verify(partner["id_token"])
        if issuer.jwks_file is None:
            return
        claims = jwt.decode(partner["access_token"], options={"verify_signature": False})
        now = int(time.time())
        for bad in (
            {**claims, "aud": "some-other-api"},
            {**claims, "iat": now - 900, "exp": now - 600},
            {**claims, "iss": "http://127.0.0.1:1/realms/cus"},
        ):
            with pytest.raises(InvalidToken):
                await verifier.verify(sign_token(issuer.jwks_file, bad))
        assert (await verifier.verify(sign_token(issuer.jwks_file, claims)))["sub"] == claims["sub"]


def test_restart_keeps_the_key_from_jwks_file(tmp_path: Path) -> None:
    jwks = write_jwks(tmp_path / "jwks.json")
    (key,) = jwks["keys"]
    assert (key["alg"], key["use"], key["kid"]) == ("RS256", "sig", jwk_thumbprint(key))
    assert load_private_key(tmp_path / "jwks.json")[0] == key["kid"]
    with run_issuer(data_dir=tmp_path) as issuer:
        if issuer.jwks_file is None:
            pytest.skip("external issuer (OIDC_ISSUER)")
        certs = httpx.get(f"{issuer.issuer_url}/protocol/openid-connect/certs").json()
        assert [k["kid"] for k in certs["keys"]] == [key["kid"]]
        assert "d" not in certs["keys"][0]


# ---- The Admin REST API subset (users) -----------------------------------------------------------

OTHER_INSTITUTION = "0b6f4a8e-2c1d-4e7f-9a3b-5c6d7e8f9a0b"
PARTNER_A_ID = "f02da813-fafb-4d15-a72a-ab7fc28e9416"


def _admin(issuer: RunningIssuer, secret: str = ADMIN_SECRET) -> KeycloakAdmin:
    """python-keycloak's admin client as against Keycloak, as the cus-admin service account."""
    return KeycloakAdmin(
        server_url=issuer.base_url,
        realm_name="cus",
        client_id="cus-admin",
        client_secret_key=secret,
    )


def test_admin_links_a_user_to_an_institution_and_new_tokens_carry_it(
    tmp_path: Path,
) -> None:
    with run_issuer(data_dir=tmp_path) as issuer:  # its own issuer: the change lives in it
        admin = _admin(issuer)
        user_id = admin.get_user_id("partner-a")
        assert user_id == PARTNER_A_ID
        found = admin.get_users({"username": "partner"})
        assert [u["username"] for u in found] == ["partner-a"]
        assert admin.get_users({"username": "service-account-cus-admin"}) == []
        user = admin.get_user(user_id)
        assert user["attributes"] == {"institution": [PARTNER_INSTITUTION]}
        assert "credentials" not in user

        before = _password_claims(issuer, "partner-a")
        assert before[CLAIM_INSTITUTION] == PARTNER_INSTITUTION
        admin.update_user(user_id, {**user, "attributes": {"institution": [OTHER_INSTITUTION]}})
        assert admin.get_user(user_id)["attributes"] == {"institution": [OTHER_INSTITUTION]}
        after = _password_claims(issuer, "partner-a")
        assert after[CLAIM_INSTITUTION] == OTHER_INSTITUTION
        assert set(after["realm_access"]["roles"]) >= {"partner-staff", "partner-editor"}

        # the user profile's validation (institution must be a UUID); nothing changes
        with pytest.raises(KeycloakPutError) as bad:
            admin.update_user(user_id, {"attributes": {"institution": ["not-a-uuid"]}})
        assert bad.value.response_code == 400
        assert admin.get_user(user_id)["attributes"] == {"institution": [OTHER_INSTITUTION]}
        # an attribute the user profile does not declare is dropped, as Keycloak 24+ does
        admin.update_user(user_id, {"attributes": {"institution": [OTHER_INSTITUTION], "x": ["y"]}})
        assert admin.get_user(user_id)["attributes"] == {"institution": [OTHER_INSTITUTION]}
        with pytest.raises(KeycloakGetError) as missing:
            admin.get_user(str(uuid.uuid4()))
        assert missing.value.response_code == 404


def test_admin_api_needs_the_manage_users_role(issuer: RunningIssuer) -> None:
    url = f"{issuer.base_url}admin/realms/cus/users"
    assert httpx.get(url, params={"username": "partner-a"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer forged"}).status_code == 401
    # a platform user and a partner system hold no realm-management role
    for token in (
        _openid(issuer).token("admin", "demo")["access_token"],
        _openid(issuer, "partner-system-demo", PARTNER_SECRET).token(
            grant_type="client_credentials"
        )["access_token"],
    ):
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(url, headers=headers).status_code == 403
        user = f"{url}/{PARTNER_A_ID}"
        assert httpx.get(user, headers=headers).status_code == 403
        body = {"attributes": {"institution": [OTHER_INSTITUTION]}}
        assert httpx.put(user, headers=headers, json=body).status_code == 403
    assert _password_claims(issuer, "partner-a")[CLAIM_INSTITUTION] == PARTNER_INSTITUTION
    with pytest.raises(KeycloakAuthenticationError):
        _admin(issuer, "not-the-secret").get_users({})
