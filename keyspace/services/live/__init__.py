"""Live pages: keys, key lists and leaderboards redrawn as they change (from keyspace
notifications, or a cheap timed check when those are off), and the live activity view.

- `events.py`: notification channels, what an event means for a page, what the server's
  `notify-keyspace-events` flags allow;
- `feed.py`: the one place that subscribes (switch it to a shared hub there);
- `snapshot.py`: what a live key page shows, as digests, and what changed between two reads;
- `key_watch.py`: a key page kept current (re-reads bounded to the visible page);
- `keylist.py`: rows of the key list kept current; `activity.py` and `counters.py`: the
  activity view (bounded top-K); `chart.py`: its SVG chart, as numbers for a template.
"""
