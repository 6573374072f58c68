"""Export and import: keys as JSON lines (values base64, every type, TTLs as absolute expiry
times) or as DUMP payloads, written a bounded chunk at a time and read back with a conflict
policy. `formats` says what a line holds."""
