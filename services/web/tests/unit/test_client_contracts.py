"""The web's typed models of the services' answers against each service's own OpenAPI document
(`app.openapi()`, ADR 0082): every field the web reads is there, of a JSON type the web accepts,
and always sent when the web requires it; every path the web reads answers with the schema the
web's model names. A change of a service the web would not follow fails here, in ./test."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from web.clients import cases_models
from web.clients.cases_models import ServiceModel

Schema = dict[str, Any]


def service_openapi(router: Any) -> Schema:
    app = FastAPI()
    app.include_router(router)
    return app.openapi()


@pytest.fixture(scope="module")
def cases_openapi() -> Schema:
    from cases.entrypoints.api import router

    return service_openapi(router)


def _models(module: Any) -> dict[str, type[ServiceModel]]:
    return {
        name: cls
        for name, cls in vars(module).items()
        if isinstance(cls, type) and issubclass(cls, ServiceModel) and cls is not ServiceModel
    }


def _types(schema: Schema, defs: Schema, names: dict[str, str]) -> set[str]:
    """The JSON types a schema admits; a reference to an object is `object:<its schema name>`,
    one to an enumeration its values' type."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = defs[name]
        if "properties" in target:
            return {f"object:{names.get(name, name)}"}
        return _types(target, defs, names)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return set().union(*(_types(x, defs, names) for x in schema[key]))
    kind = schema.get("type")
    if kind == "array":
        return {f"array[{t}]" for t in _types(schema.get("items", {}), defs, names)}
    if kind is None:
        return {"string"} if "enum" in schema or "const" in schema else {"any"}
    return {kind} if isinstance(kind, str) else set(kind)


def _accepts(web: set[str], sent: str) -> bool:
    if sent.startswith("array[") and "array[any]" in web:
        return True
    return sent in web or "any" in web or (sent == "integer" and "number" in web)


def drift(model: type[BaseModel], openapi: Schema) -> list[str]:
    """What in `model` (and the models it holds) the service's document does not back."""
    components = openapi["components"]["schemas"]
    mine = model.model_json_schema(by_alias=True)
    web_defs = {**mine.get("$defs", {}), model.__name__: mine}
    web_names = {name: cls.SCHEMA for name, cls in _models(cases_models).items()}
    problems: list[str] = []
    todo: list[tuple[str, str]] = [(model.__name__, getattr(model, "SCHEMA", model.__name__))]
    seen: set[str] = set()
    while todo:
        web_name, service_name = todo.pop()
        if web_name in seen:
            continue
        seen.add(web_name)
        if service_name not in components:
            problems.append(f"{web_name}: the service has no schema {service_name}")
            continue
        theirs, ours = components[service_name], web_defs[web_name]
        sent_always = set(theirs.get("required", []))
        for field, schema in ours.get("properties", {}).items():
            where = f"{service_name}.{field}"
            if field not in theirs.get("properties", {}):
                problems.append(f"{where}: not in the service's answer")
                continue
            if field in ours.get("required", []) and field not in sent_always:
                problems.append(f"{where}: required by the web, not always sent")
            web_types = _types(schema, web_defs, web_names)
            sent = _types(theirs["properties"][field], components, {})
            for kind in sent:
                if not _accepts(web_types, kind):
                    problems.append(f"{where}: the service sends {kind}, the web takes {web_types}")
            for kind in web_types:
                for prefix in ("object:", "array[object:"):
                    if kind.startswith(prefix):
                        target = kind.removeprefix(prefix).rstrip("]")
                        nested = next(n for n, s in web_names.items() if s == target)
                        todo.append((nested, target))
    return problems


def test_every_answer_the_web_reads_from_cases_is_the_schema_its_model_names(
    cases_openapi: Schema,
) -> None:
    for (method, path), (model, many) in cases_models.ANSWERS.items():
        operation = cases_openapi["paths"].get(path, {}).get(method.lower())
        assert operation is not None, f"{method} {path}: not in the cases service's document"
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        if many:
            assert schema.get("type") == "array", (path, schema)
            schema = schema["items"]
        assert schema.get("$ref", "").endswith(f"/{model.SCHEMA}"), (path, schema, model.SCHEMA)


@pytest.mark.parametrize("model", sorted(_models(cases_models).values(), key=lambda m: m.SCHEMA))
def test_the_web_models_of_cases_answers_match_the_service(
    model: type[ServiceModel], cases_openapi: Schema
) -> None:
    assert drift(model, cases_openapi) == []


def test_a_drift_is_found(cases_openapi: Schema) -> None:
    """The check itself: a field the service does not send, one it may leave out, a wrong type."""

    class Drifted(ServiceModel):
        SCHEMA: ClassVar[str] = "ReferralOut"
        state: int
        invented: str
        moves: list[cases_models.ReferralMove]
        id: uuid.UUID

    class Unknown(ServiceModel):
        SCHEMA: ClassVar[str] = "NoSuchOut"

    found = drift(Drifted, cases_openapi)
    assert any("ReferralOut.invented: not in" in p for p in found), found
    assert any("ReferralOut.state: the service sends string" in p for p in found), found
    assert not any(".moves" in p or ".id" in p for p in found), found  # these agree
    assert drift(Unknown, cases_openapi) == ["Unknown: the service has no schema NoSuchOut"]

    class Optional(ServiceModel):
        SCHEMA: ClassVar[str] = "CaseOut"
        family: list[Any]  # sent only when the caller may see it

    assert drift(Optional, cases_openapi) == [
        "CaseOut.family: required by the web, not always sent",
        "CaseOut.family: the service sends null, the web takes {'array[any]'}",
    ]


def test_the_reference_lists_are_defined_once_in_the_contracts() -> None:
    """Sectors and target groups: one definition each, with both languages' names, which the
    services and the web import (ADR 0082)."""
    from basket.domain import model as basket_model
    from partners.domain import model as partners_model
    from shared.contracts import basket as basket_contract
    from shared.contracts import partners as partners_contract
    from web import i18n
    from web.routes import basket as basket_pages

    assert set(partners_contract.SECTORS) == set(partners_contract.Sector.__args__)  # type: ignore[attr-defined]
    assert set(partners_contract.SECTORS) == {s.value for s in partners_model.Sector}
    assert list(basket_contract.TARGET_GROUP_NAMES["pl"]) == list(basket_contract.TARGET_GROUPS)
    for names in (partners_contract.SECTOR_NAMES, basket_contract.TARGET_GROUP_NAMES):
        assert list(names["pl"]) == list(names["en"])
    assert i18n.SECTORS is partners_contract.SECTORS
    assert basket_model.TARGET_GROUPS is basket_contract.TARGET_GROUP_NAMES["pl"]
    assert basket_pages.TARGET_GROUPS is basket_contract.TARGET_GROUPS
    for lang in ("pl", "en"):
        t = i18n.Translator(lang)
        for code, name in basket_contract.TARGET_GROUP_NAMES[lang].items():
            assert t(f"basket.group.{code}") == name
        assert t.sector("education") == partners_contract.SECTOR_NAMES[lang]["education"]
