"""Call recordings: ingest, storage, linking to calls, retention and audited streaming."""
