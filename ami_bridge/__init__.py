"""The PBX side: AMI framing and connection, the raw journal, the call tracker, the call
log, queue statistics and live queue state."""
