"""``/docs``: Swagger UI served from the app itself (the ``swagger-ui-bundle-v2``
package's copy of the Swagger UI 5 distribution, which reads OpenAPI 3.1), so the API
reference works on a closed network. FastAPI's default page loads its script, styles
and icon from a CDN."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
SWAGGER_PREFIX = "/static/swagger-ui"


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json", title="decision-engine API",
        swagger_js_url=f"{SWAGGER_PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_PREFIX}/favicon-32x32.png",
        # No "validator" badge: it would call validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None})
