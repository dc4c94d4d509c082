"""Business logic and integrations shared by the routers."""
