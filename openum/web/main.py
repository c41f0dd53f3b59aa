"""The ASGI entry point uvicorn and gunicorn load: `openum.web.main:app`."""

from openum.web.app import create_app

app = create_app()
