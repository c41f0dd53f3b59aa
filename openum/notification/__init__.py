"""Notices that carry decisions to members and providers: letters now, the outbox later."""
