"""Transcription with Vosk, transcript search and quality inspection."""
