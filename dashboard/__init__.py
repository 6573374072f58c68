"""The standalone dashboard: a Django project around the reusable keyspace app, plus
development-only parts (a private Redis, demo data, `serve`)."""
