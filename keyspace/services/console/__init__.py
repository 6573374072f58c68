"""The console: one command line at a time, run the way redis-cli would, under the dashboard's
rules. What a user may run is decided from what Redis says of each command (`COMMAND INFO`:
its flags and ACL categories), never from a list of names kept here."""
