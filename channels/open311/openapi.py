"""The Open311 part of the ``channels-http`` OpenAPI document (:func:`channels.openapi.document`): every route of
:data:`channels.open311.routes.ROUTES`, each answering JSON or XML (by the ``format`` path parameter)."""

from __future__ import annotations

from typing import Any

from channels.open311.keys import KEY_MIN
from channels.open311.reading import PAGE_SIZE, PAGE_SIZE_MAX
from channels.open311.routes import (
    DISCOVERY,
    REQUEST,
    REQUESTS,
    SERVICE,
    SERVICES,
    TOKEN,
)
from channels.open311.services import ATTRIBUTES

_TEXT = {"type": "string"}
_NULLABLE = {"type": "string", "nullable": True}
_FORMAT = {"name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": ["json", "xml"]},
           "description": "json (application/json) or xml (text/xml); another one gives 404."}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _TEXT, "description": description}


def _query(name: str, description: str, schema: dict[str, Any] = _TEXT) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _answer(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
        "text/xml": {"schema": {"type": "string"}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {400: "A malformed or unacceptable field, named in the description.", 403: "api_key missing or unknown.",
             404: "Unknown resource, identifier or format.", 413: "The body is larger than 256 KiB.",
             415: "The body is not application/x-www-form-urlencoded.",
             503: "The broker or the read models are unavailable: nothing was recorded, retry later."}
    return {str(status): _answer("Open311Errors", words[status]) for status in statuses}


def _get(operation: str, summary: str, parameters: list[dict[str, Any]], schema: str, *statuses: int
         ) -> dict[str, Any]:
    return {"get": {"summary": summary, "operationId": operation, "tags": ["Open311 GeoReport v2"],
                    "parameters": [*parameters, _FORMAT],
                    "responses": {"200": _answer(schema, summary), **_errors(404, *statuses)}}}


_SUBMISSION: dict[str, Any] = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "properties": {
        "api_key": {"type": "string", "minLength": KEY_MIN, "description": "The client's key (ADUAN_OPEN311_KEYS)."},
        "service_code": {"type": "string", "description": "A service of GET services (a category code)."},
        "jurisdiction_id": {"type": "string", "description": "Accepted and ignored: one jurisdiction."},
        "lat": {"type": "string", "description": "WGS84 latitude (with long); not enough alone to place it."},
        "long": {"type": "string", "description": "WGS84 longitude (with lat)."},
        "address_string": {"type": "string", "description": "Where, in words; a part naming a regency, city or "
                                                            "province places the request when wilayah is absent."},
        "address_id": {"type": "string", "description": "Accepted and ignored."},
        "email": _TEXT, "phone": _TEXT, "first_name": _TEXT, "last_name": _TEXT,
        "device_id": _TEXT, "account_id": _TEXT,
        "description": {"type": "string", "description": "What happened (10-10,000 characters)."},
        "media_url": {"type": "string", "description": "A photo or document, by http(s) URL."},
        **{f"attribute[{a['code']}]": {"type": "string", "description": a["description"]} for a in ATTRIBUTES},
    },
}

_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["service_request_id", "status", "requested_datetime", "updated_datetime"],
    "properties": {
        "service_request_id": {"type": "string", "description": "The tracking id."},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _NULLABLE, "service_name": _NULLABLE, "service_code": _NULLABLE, "description": _NULLABLE,
        "agency_responsible": _NULLABLE, "service_notice": _NULLABLE,
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": "string", "format": "date-time"},
        "expected_datetime": {"type": "string", "format": "date-time", "nullable": True},
        "address": _NULLABLE, "address_id": _NULLABLE, "zipcode": _NULLABLE,
        "lat": {"type": "number", "nullable": True}, "long": {"type": "number", "nullable": True},
        "media_url": _NULLABLE,
    },
}

SCHEMAS: dict[str, Any] = {
    "Open311Errors": {"type": "array", "items": {"type": "object", "required": ["code", "description"],
                                                 "properties": {"code": {"type": "integer"}, "description": _TEXT}}},
    "Open311Discovery": {"type": "object", "required": ["changeset", "endpoints"], "properties": {
        "changeset": _TEXT, "contact": _TEXT, "key_service": _TEXT,
        "endpoints": {"type": "array", "items": {"type": "object", "required": ["specification", "url", "formats"],
                                                 "properties": {"specification": _TEXT, "url": _TEXT,
                                                                "changeset": _TEXT, "type": _TEXT,
                                                                "formats": {"type": "array", "items": _TEXT}}}}}},
    "Open311Services": {"type": "array", "items": {
        "type": "object", "required": ["service_code", "service_name", "metadata", "type"], "properties": {
            "service_code": _TEXT, "service_name": _TEXT, "description": _TEXT, "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]}, "keywords": _TEXT,
            "group": _TEXT}}},
    "Open311ServiceDefinition": {"type": "object", "required": ["service_code", "attributes"], "properties": {
        "service_code": _TEXT,
        "attributes": {"type": "array", "items": {
            "type": "object", "required": ["variable", "code", "datatype", "required", "order", "description"],
            "properties": {"variable": {"type": "boolean"}, "code": _TEXT, "datatype": {"type": "string", "enum": [
                "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
                "required": {"type": "boolean"}, "datatype_description": _NULLABLE, "order": {"type": "integer"},
                "description": _TEXT, "values": {"type": "array", "items": {
                    "type": "object", "required": ["key", "name"], "properties": {"key": _TEXT, "name": _TEXT}}}}}}}},
    "Open311Submission": _SUBMISSION,
    "Open311Receipts": {"type": "array", "items": {
        "type": "object", "required": ["service_request_id"], "properties": {
            "service_request_id": _TEXT, "token": _NULLABLE, "service_notice": _NULLABLE,
            "account_id": _NULLABLE}}},
    "Open311Requests": {"type": "array", "items": _REQUEST},
    "Open311Tokens": {"type": "array", "items": {"type": "object", "required": ["service_request_id", "token"],
                                                 "properties": {"service_request_id": _TEXT, "token": _TEXT}}},
}

_FILTERS = [
    _query("service_request_id", "Tracking ids, comma-separated; the other filters are then ignored."),
    _query("service_code", "Service codes, comma-separated."),
    _query("agency", "aduan extension: agency codes of the directory, comma-separated (what an agency handles)."),
    _query("start_date", "ISO 8601 with offset; on requested_datetime. Neither date: the last 90 days."),
    _query("end_date", "ISO 8601 with offset; on requested_datetime."),
    _query("status", "open, closed or open,closed."),
    _query("page", "From 1.", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
    _query("page_size", f"1-{PAGE_SIZE_MAX}, default {PAGE_SIZE}.",
           {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX}),
]


def paths() -> dict[str, Any]:
    """The Open311 paths of the OpenAPI document."""
    return {
        DISCOVERY: _get("open311Discovery", "Where this API is and what it speaks", [], "Open311Discovery"),
        SERVICES: _get("open311Services", "One service per complaint category", [], "Open311Services"),
        SERVICE: _get("open311Service", "A service's attributes",
                      [_path("service_code", "A code of GET services.")], "Open311ServiceDefinition"),
        REQUESTS: {
            **_get("open311Requests", "Public service requests (never a confidential one), newest first",
                   _FILTERS, "Open311Requests", 400, 503),
            "post": {"summary": "Submit a request: its tracking id at once; a retry never makes a second one",
                     "operationId": "open311Submit", "tags": ["Open311 GeoReport v2"], "parameters": [_FORMAT],
                     "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                         "schema": {"$ref": "#/components/schemas/Open311Submission"}}}},
                     "responses": {"200": _answer("Open311Receipts", "Accepted: service_request_id is the "
                                                                     "tracking id."),
                                   **_errors(400, 403, 404, 413, 415, 503)}},
        },
        REQUEST: _get("open311Request", "One public service request",
                      [_path("service_request_id", "The tracking id.")], "Open311Requests", 503),
        TOKEN: _get("open311Token", "The request of a token (the token is the tracking id)",
                    [_path("token", "A token of POST requests.")], "Open311Tokens", 503),
    }
