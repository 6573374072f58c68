"""Scaffolding shared by the tests and the benchmarks: the dashboard under uvicorn, an SSE
client, the headers htmx sends."""
