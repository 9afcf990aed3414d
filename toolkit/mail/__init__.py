"""Stage 1: bytes of mail files -> decoded `Message`s (see mbox, mime, message)."""

from toolkit.mail.mbox import read_messages

__all__ = ["read_messages"]
