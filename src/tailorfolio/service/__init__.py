"""The tailorfolio web service (the ``service`` extra): REST API, browser UI and persistence.

``create_app()`` builds the FastAPI application; ``tailorfolio serve`` runs it with uvicorn.
Configuration comes from ``TAILORFOLIO_*`` environment variables (see :class:`ServiceSettings`).
"""

from tailorfolio.service._app import create_app
from tailorfolio.service._config import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
