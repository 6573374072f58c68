"""Live pages: a key page, the key list and the leaderboard redrawn as they change, and the
live activity view. `key.py`, `lists.py` and `activity.py` are the views; `streaming.py`
serves their event streams against the shared stream limit; `notifications.py` explains the
server's notification settings and lets an admin turn them on."""
