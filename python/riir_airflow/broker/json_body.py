"""A list page's JSON made once, from the dicts its handler built, instead of FastAPI validating them into the
route's response model and serializing that.

The route keeps its `response_model` (the OpenAPI document is unchanged); FastAPI skips the model when a handler
returns a Response. The handler's dicts therefore carry exactly the model's fields, in its order, with values of the
model's types: tests/broker/test_list_bodies.py checks each body against the model. pydantic-core writes the JSON
(the same encoder the model would use: datetimes, UUIDs, floats come out alike), which left validating 100 rows
into models, most of the cost, out of every request.
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi.responses import Response

# The collections' cursor fields, which the REST API's offset paging leaves empty (the model's defaults).
NO_CURSORS = {"total_entries_limit": None, "next_cursor": None, "previous_cursor": None}


def json_body(payload: dict[str, Any]) -> Response:
    return Response(pydantic_core.to_json(payload), media_type="application/json")
