# disclaimer.py: appends a footer to the text of outgoing messages.
#
# At phase data, a message from a sender in SENDER_DOMAINS gets FOOTER appended to its first
# text/plain part (re-encoded when that part is base64 or quoted-printable; the rest of the
# message keeps its bytes). MARK records that the footer is there, so a message passing
# twice is not signed twice. A message without a text part, or whose charset cannot carry
# the footer, passes unchanged with a warning in the log: a footer is never worth a bounce.
#
# Knobs:
#   FOOTER          the text, lines separated by "\n" (starts with the "-- " signature line)
#   SENDER_DOMAINS  sender domains whose mail is signed; an empty list signs every message
#   MARK            the header that marks a signed message
import log

FOOTER = "-- \nThis message is confidential and meant for its recipients only.\nIf you received it by mistake, please tell the sender and delete it."
SENDER_DOMAINS = ["example.test"]
MARK = "X-Disclaimer"


def from_us(sender):
    if not SENDER_DOMAINS:
        return True
    if sender is None or "@" not in sender:
        return False
    return sender.rsplit("@", 1)[1].lower() in SENDER_DOMAINS


def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "data" and from_us(ev.mail_from) and ev.message.header(MARK) is None:
            try:
                ev.message.append_text(FOOTER)
                ev.message.add_header(MARK, "added")
            except ValueError as e:
                log.warning("no disclaimer added", reason=str(e))
        outbox.send(ev)
