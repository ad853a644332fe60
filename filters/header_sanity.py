# header_sanity.py: checks the headers RFC 5322 requires.
#
# At phase data:
# - a message without exactly one From header holding a mailbox address (name@domain) is
#   REFUSED with 550 5.6.0: replies and bounces could not reach its author, and a forged or
#   garbled From is a common mark of abuse;
# - a missing Date or Message-ID is only MARKED: the header X-Header-Warning lists what is
#   missing ("missing Date, Message-ID"). Many scanners and scripts leave them out, and a
#   filter that read the header can score it (spam_score, a mail client's rules).
#
# Knobs:
#   REJECT_BAD_FROM  False marks a bad From instead of refusing
#   REQUIRED         headers whose absence is marked
#   WARNING          the marking header's name
import re

REJECT_BAD_FROM = True
REQUIRED = ["Date", "Message-ID"]
WARNING = "X-Header-Warning"

MAILBOX = re.compile(r"[^\s@<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def from_problem(message):
    """Why the From header is not acceptable, or None."""
    values = message.headers("From")
    if not values:
        return "no From header"
    if len(values) > 1:
        return "more than one From header"
    value = values[0]
    if value.count("<") != value.count(">") or not MAILBOX.search(value):
        return "From has no valid address"
    return None


def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "data":
            m = ev.message
            problems = []
            bad_from = from_problem(m)
            if bad_from is not None:
                if REJECT_BAD_FROM:
                    ev.reject(550, "5.6.0 " + bad_from)
                    continue
                problems.append(bad_from)
            missing = [h for h in REQUIRED if m.header(h) is None]
            if missing:
                problems.append("missing " + ", ".join(missing))
            if problems:
                m.set_header(WARNING, "; ".join(problems))
        outbox.send(ev)
