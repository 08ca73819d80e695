"""IVR flows: flow files, the engine, and the runtimes that run it (FastAGI, SIP, console)."""
