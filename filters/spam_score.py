# spam_score.py: scores a message against weighted patterns and refuses likely spam.
#
# At phase data, the subject, the text body and the HTML body are searched with each rule of
# RULES; the weights of the rules that match add up to the score. Every message gets the
# header X-Spam-Score ("3.5"), and X-Spam-Rules names the rules that matched, so a mail
# client can sort on them (headers of those names sent by the client are replaced). A score at or above THRESHOLD is refused with 550 5.7.1.
#
# Knobs:
#   RULES      (pattern, weight, name) triples; patterns are Python regexes, case-insensitive
#   SHOUTING   weight added when the subject is written in capitals
#   THRESHOLD  the score at which a message is refused; None only marks messages
#   HEADER     the score header's name
import log
import re

RULES = [
    (r"\b(lottery|jackpot|you have won|winner)\b", 3.0, "lottery"),
    (r"\b(viagra|cialis|pharmacy)\b", 4.0, "pharma"),
    (r"\b(wire transfer|western union|bank details|beneficiary)\b", 2.0, "money-transfer"),
    (r"\b(urgent|act now|limited time|expires today)\b", 1.0, "urgency"),
    (r"\bclick (here|below)\b", 1.0, "click-here"),
    (r"100% (free|guaranteed)", 1.5, "guarantee"),
    (r"\b(bitcoin|crypto) (investment|opportunity)\b", 2.0, "crypto"),
]
SHOUTING = 1.0
THRESHOLD = 5.0
HEADER = "X-Spam-Score"

COMPILED = [(re.compile(p, re.I), w, n) for p, w, n in RULES]


def score(message):
    """The score of a message and the names of the rules that matched."""
    subject = message.subject
    text = subject + "\n" + message.text + "\n" + message.html
    total = 0.0
    hits = []
    for pattern, weight, name in COMPILED:
        if pattern.search(text):
            total += weight
            hits.append(name)
    letters = [c for c in subject if c.isalpha()]
    if len(letters) >= 8 and subject.upper() == subject:
        total += SHOUTING
        hits.append("shouting-subject")
    return total, hits


def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "data":
            total, hits = score(ev.message)
            ev.message.set_header(HEADER, "%.1f" % total)
            if hits:
                ev.message.set_header("X-Spam-Rules", ", ".join(hits))
            else:
                ev.message.remove_header("X-Spam-Rules")  # the sender's own is not ours
            if THRESHOLD is not None and total >= THRESHOLD:
                log.info("refused as spam", score=total, rules=", ".join(hits))
                ev.reject(550, "5.7.1 Message looks like spam")
                continue
        outbox.send(ev)
