"""Sizes the line accepts from outside, in one place: what Twilio can send, and what is worth reading."""

# The longest text message Twilio delivers.
MAX_SMS_BODY = 1600
# The most of a speech result worth reading: nobody says more than this to choose a topic.
MAX_SPEECH_CHARS = 500
# Keys pressed in one turn; the menus take one, but a caller may press several.
MAX_DIGITS = 20
# A webhook request body: Twilio's are a few kilobytes; anything far larger is refused (413) unread.
MAX_REQUEST_BYTES = 32 * 1024
# Form fields in one webhook request: Twilio sends a few dozen; a forged form with thousands is refused.
MAX_FORM_PARTS = 200
