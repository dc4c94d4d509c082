"""The FastAPI project model: discovery, parsing, names, apps, routers, routes, models."""
