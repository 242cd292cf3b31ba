"""Adapters that turn the pure core into HTTP: Twilio voice and SMS webhooks, health, simulator."""
