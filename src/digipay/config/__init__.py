"""The Django project: settings from the environment, URLs, the API root, WSGI/ASGI."""
