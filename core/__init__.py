"""Generic service plumbing: settings, database, clock and time formats, the in-process
event bus. Nothing here knows about calls, queues or agents."""
