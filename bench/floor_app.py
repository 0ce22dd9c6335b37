"""The floor for ``bench/bench_api.py``: a bare FastAPI app that decides nothing.

It answers the product's path, ``POST /v1/decisions/gravity-matrix``, with the least any
JSON POST route in FastAPI does: read the body, parse it as JSON into a ``dict``, and
answer 201 with a small JSON body. No middleware, no key, no policy, no store, so under
the same uvicorn, workers and load generator its requests/s and latency are what the
HTTP stack alone costs on this machine, and the product's figures are read as a ratio
to it (issue #14). ``GET /readyz`` is there because the benchmark waits for it.

Run: ``uvicorn --app-dir bench floor_app:app``.
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI, Response

app = FastAPI(title="floor", openapi_url=None, docs_url=None, redoc_url=None)
_ids = itertools.count(1)


@app.get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "ready"}


@app.post("/v1/decisions/gravity-matrix", status_code=201)
async def create(body: dict[str, Any]) -> Response:
    """Parse the body and answer a small JSON object (no decision, nothing recorded)."""
    seq = next(_ids)
    return Response(b'{"seq":' + str(seq).encode() + b',"keys":' + str(len(body)).encode()
                    + b"}", status_code=201, media_type="application/json")
