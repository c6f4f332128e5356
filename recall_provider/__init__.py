"""Pulumi dynamic provider, typed client and local emulator for Recall.ai Zoom OAuth apps."""
