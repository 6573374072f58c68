"""The header htmx sends with every request it makes, for Django's test client:
`client.get(url, headers=HTMX)`, or `headers={**HTMX, "HX-Target": "results"}` with more."""

HTMX = {"HX-Request": "true"}
