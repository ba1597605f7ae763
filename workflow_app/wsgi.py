"""The WSGI entry point gunicorn serves (``socorg serve``): refuses a configuration unsafe for production."""

from __future__ import annotations

import os

from workflow_app import create_app
from workflow_app.config import production_problems

app = create_app()
_problems = production_problems(app.config, workers=int(os.environ.get("SOCORG_WEB_WORKERS", "1")))
if _problems:  # gunicorn reports the worker failed to boot and exits
    raise SystemExit("socorg: refusing to serve:\n  " + "\n  ".join(_problems))
