"""What the views call: browsing keys, namespaces, editing (one guarded write per edit,
undo), pub/sub."""
