# rate_limit.py: limits how often one client address may connect and send.
#
# Counts, per client IP address, the connections (phase connect) and the messages (phase
# data) of the last WINDOW seconds. A client past MAX_CONNECTIONS or MAX_MESSAGES gets
# 451 4.7.1 at that phase and retries later; authenticated clients and addresses in EXEMPT
# are not counted. Counts live in this module's globals: one table per scheduler thread,
# shared by this stage's workers, forgotten on restart.
#
# Knobs:
#   MAX_CONNECTIONS, MAX_MESSAGES   per address per window (None: no limit)
#   WINDOW                          seconds
#   EXEMPT                          client addresses never limited
#   clock                           the time source; tests replace it
import log
import time

MAX_CONNECTIONS = 30
MAX_MESSAGES = 100
WINDOW = 60.0
EXEMPT = []
clock = time.time

# (kind, ip) -> times of the events still inside the window, oldest first
recent = {}


def allow(kind, ip, limit, now):
    """Counts one event; False when the address is already at its limit."""
    key = (kind, ip)
    times = [t for t in recent.get(key, []) if now - t < WINDOW]
    if limit is not None and len(times) >= limit:
        recent[key] = times
        return False
    times.append(now)
    recent[key] = times
    if len(recent) > 10000:
        forget(now)
    return True


def forget(now):
    """Drops addresses with nothing left in the window, so the table stays small."""
    for key in list(recent.keys()):
        if not [t for t in recent[key] if now - t < WINDOW]:
            del recent[key]


def run(inbox, outbox):
    for ev in inbox:
        ip = ev.client.ip
        if ev.client.auth_user is None and ip not in EXEMPT:
            if ev.phase == "connect" and not allow("connect", ip, MAX_CONNECTIONS, clock()):
                log.info("too many connections", ip=ip)
                ev.tempfail(451, "4.7.1 Too many connections from your address, try again later")
                continue
            if ev.phase == "data" and not allow("data", ip, MAX_MESSAGES, clock()):
                log.info("too many messages", ip=ip)
                ev.tempfail(451, "4.7.1 Too many messages from your address, try again later")
                continue
        outbox.send(ev)
