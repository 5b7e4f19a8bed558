"""Support sessions: PINs, channel links, queues, the applet and console API,
and the stored session log (see docs/sessions.md)."""
