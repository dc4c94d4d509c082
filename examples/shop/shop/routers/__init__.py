"""HTTP routers, one module per area of the API."""
