"""Pub/sub: channels, publishing, the live stream, its rate and its Server-Sent Events framing."""
