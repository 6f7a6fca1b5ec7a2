"""The API docs page (Swagger UI) of a service, served with its scripts and styles from the
installed `fastapi-offline` package: school networks often filter the CDNs FastAPI's own
page loads them from, which left the docs blank."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = files("fastapi_offline") / "static"


def install_docs(app: FastAPI, prefix: str) -> None:
    """`<prefix>/docs`, and its assets under `<prefix>/docs/assets`."""
    assets = f"{prefix}/docs/assets"
    app.mount(assets, StaticFiles(directory=str(ASSETS)), name=f"{prefix}-docs-assets")
    openapi_url = app.openapi_url or f"{prefix}/openapi.json"

    @app.get(f"{prefix}/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
        )
