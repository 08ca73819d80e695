"""The FastAGI runtime: Asterisk connects for each call, the IVR engine decides."""
