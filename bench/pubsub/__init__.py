"""The pub/sub benchmark's parts (bench/pubsub_bench.py runs them): SSE viewers, a bare
redis-py subscriber as the floor, one phase per rate and viewer count, the report."""
