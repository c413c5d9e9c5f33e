"""The OpenAPI document says what the services really send: every error is problem details as
`application/problem+json` (FastAPI would declare `application/json`, and its own 422 with a
schema the services never send), every operation may be refused with 400 (not UTF-8) and 413
(body above the limit), and sign-in is OpenID Connect at the issuer's discovery document, so
tools find it. The bearer check at run time is unchanged (`shared.auth.deps`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared.errors.problems import MEDIA_TYPE, Problem, ProblemField
from shared.paging import MAX_PAGE, MAX_PER_PAGE

SECURITY_SCHEME = "oidc"
_PROBLEM_REF = "#/components/schemas/Problem"
_REFUSALS = {
    "400": "Błędne żądanie: parametr zapytania lub ścieżki nie jest poprawnie zakodowany w UTF-8",
    "413": "Treść żądania przekracza limit usługi",
}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def body_limit_note(max_body: int) -> str:
    return (
        f"\n\n**Limity żądań.** Treść żądania: najwyżej {max_body} bajtów (większa: 413, przed "
        f"odczytaniem). Listy: `page` ≤ {MAX_PAGE}, `per_page` ≤ {MAX_PER_PAGE}. "
        "Tekst nie może zawierać znaku NUL (422), a parametry zapytania i ścieżki muszą być "
        "w UTF-8 (400). Błędy: RFC 9457, "
        "`application/problem+json`, z polami w `errors`."
    )


def install_openapi(app: FastAPI, *, issuer: str) -> None:
    """Replace `app.openapi` by one that rewrites FastAPI's document once, as described above."""

    generate = app.openapi
    done = False

    def openapi() -> dict[str, Any]:
        nonlocal done
        document = generate()  # FastAPI's own, cached in app.openapi_schema
        if not done:
            problem_document(document, issuer=issuer)
            done = True
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def problem_document(document: dict[str, Any], *, issuer: str) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    if "Problem" not in schemas:
        ref = "#/components/schemas/{model}"
        schemas["ProblemField"] = ProblemField.model_json_schema(ref_template=ref)
        problem = Problem.model_json_schema(ref_template=ref)
        problem.pop("$defs", None)
        schemas["Problem"] = problem
    secured = False
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status[:1] in ("4", "5") or status == "default":
                    _as_problem(response)
            for status, description in _REFUSALS.items():
                if status == "413" and "requestBody" not in operation:
                    continue
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {MEDIA_TYPE: {"schema": {"$ref": _PROBLEM_REF}}},
                    },
                )
            if "security" in operation:
                secured = True
                operation["security"] = [{SECURITY_SCHEME: []}]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if secured or "securitySchemes" in components:
        components["securitySchemes"] = {
            SECURITY_SCHEME: {
                "type": "openIdConnect",
                "openIdConnectUrl": f"{issuer.rstrip('/')}/.well-known/openid-configuration",
                "description": "Keycloak, realm cus: token dostępu (audience cus-api) w "
                "nagłówku `Authorization: Bearer …`",
            }
        }
    return document


def _as_problem(response: dict[str, Any]) -> None:
    content = response.get("content")
    if not content:
        response["content"] = {MEDIA_TYPE: {"schema": {"$ref": _PROBLEM_REF}}}
        return
    declared = content.pop("application/json", None)
    schema = (declared or {}).get("schema", {})
    if schema.get("$ref", "").endswith("/HTTPValidationError") or not schema:
        schema = {"$ref": _PROBLEM_REF}
    content[MEDIA_TYPE] = {"schema": schema}
