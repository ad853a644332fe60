# size_route.py: holds very large messages for an operator to look at.
#
# At phase data (and queue, when the stage is configured post-queue), a message larger than
# MAX_SIZE bytes is quarantined: the client gets 250, and the message is kept in the spool's
# quarantine folder instead of being delivered. Smaller messages pass. (The server's own
# server.max_message_size refuses messages outright with 552; this is the softer limit
# below it.)
#
# Knobs:
#   MAX_SIZE  bytes, as received (headers included)
import log

MAX_SIZE = 10 * 1024 * 1024


def run(inbox, outbox):
    for ev in inbox:
        if ev.phase in ("data", "queue") and ev.message.size > MAX_SIZE:
            reason = "size %d bytes is over %d" % (ev.message.size, MAX_SIZE)
            log.info("quarantined a large message", size=ev.message.size)
            ev.quarantine(reason)
            continue
        outbox.send(ev)
