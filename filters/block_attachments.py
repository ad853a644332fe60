# block_attachments.py: refuses messages carrying executable attachments.
#
# At phase data, every attachment's file name is checked: a name whose last extension is in
# BLOCKED (report.exe, and double extensions meant to look harmless: invoice.pdf.exe,
# "photo.jpg   .scr") refuses the whole message with 554 5.7.1 naming the file. Trailing
# dots and spaces, which Windows ignores, are ignored here too. Attachments without a name
# whose MIME type is in BLOCKED_TYPES are refused as well.
#
# Knobs:
#   BLOCKED        extensions refused, lower case, without the dot
#   BLOCKED_TYPES  MIME types refused whatever the name
#   CODE, TEXT     the reply; TEXT gets the file name appended
import log

BLOCKED = ["exe", "scr", "js", "vbs", "bat", "cmd", "com", "pif", "jar"]
BLOCKED_TYPES = ["application/x-msdownload", "application/x-msdos-program"]
CODE = 554
TEXT = "5.7.1 Attachment type not allowed:"


def dangerous(filename):
    """Whether a file name ends in a blocked extension (after any decoy extensions)."""
    name = filename.strip().rstrip(". ").lower()
    if "." not in name:
        return False
    ext = name.rsplit(".", 1)[1].strip()
    return ext in BLOCKED


def offending(message):
    """The first attachment that is not allowed, as a name to report, or None."""
    for part in message.attachments:
        if part.filename is not None and dangerous(part.filename):
            return part.filename
        if part.content_type in BLOCKED_TYPES:
            return part.filename or part.content_type
    return None


def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "data":
            bad = offending(ev.message)
            if bad is not None:
                log.info("refused an attachment", filename=bad)
                # A reply is one line of ASCII: keep the name printable and short.
                shown = "".join(c if " " <= c <= "~" else "?" for c in bad)[:100]
                ev.reject(CODE, TEXT + " " + shown)
                continue
        outbox.send(ev)
