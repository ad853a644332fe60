# greylist.py: temporarily refuses mail from unknown (network, sender, recipient) triplets.
#
# At phase rcpt, the triplet (client network, sender, recipient) is looked up. The first
# time it is seen the recipient gets 451 4.7.1; a real MTA retries, and a retry at least
# DELAY seconds later (and within RETRY_WINDOW of the first attempt) passes, after which the
# triplet passes at once for LIFETIME seconds. The network is the client's /24 (IPv4) or
# /64 (IPv6), since large senders retry from another address of the same pool.
# Authenticated clients and networks in EXEMPT pass. The table is kept in memory, in this
# module's globals: one per scheduler thread, forgotten on restart (senders are then
# greylisted once more).
#
# Knobs:
#   DELAY         seconds before a retry is accepted
#   RETRY_WINDOW  seconds after the first attempt during which a retry counts
#   LIFETIME      seconds a triplet that passed keeps passing without a new delay
#   EXEMPT        networks as written by network() ("192.0.2.0/24") that always pass
#   clock         the time source; tests replace it
import log
import time

DELAY = 300.0
RETRY_WINDOW = 4 * 3600.0
LIFETIME = 36 * 86400.0
EXEMPT = ["127.0.0.0/24"]
clock = time.time

# (network, sender, recipient) -> [first seen, passed at (None until it passed)]
triplets = {}


def network(ip):
    if ":" in ip:
        groups = ip.split(":")
        return ":".join(groups[:4]) + "::/64"
    return ".".join(ip.split(".")[:3]) + ".0/24"


def passes(ip, sender, rcpt, now):
    """Records an attempt; True when the triplet may pass now."""
    key = (network(ip), sender.lower(), rcpt.lower())
    entry = triplets.get(key)
    if entry is not None and entry[1] is not None and now - entry[1] < LIFETIME:
        entry[1] = now
        return True
    if entry is None or entry[1] is not None or now - entry[0] > RETRY_WINDOW:
        triplets[key] = [now, None]
        return False
    if now - entry[0] >= DELAY:
        entry[1] = now
        return True
    return False


def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt" and ev.client.auth_user is None:
            net = network(ev.client.ip)
            if net not in EXEMPT and not passes(ev.client.ip, ev.mail_from, ev.rcpt, clock()):
                log.info("greylisted", network=net, sender=ev.mail_from, rcpt=ev.rcpt)
                ev.tempfail(451, "4.7.1 Greylisted, please try again later")
                continue
        outbox.send(ev)
