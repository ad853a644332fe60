# aliases.py: recipient aliases and the list of local mailboxes.
#
# At phase rcpt, a recipient in one of DOMAINS is looked up: an alias is rewritten to its
# target (or targets: the first replaces the recipient, the others are added), a mailbox in
# LOCAL_USERS passes, and anything else is refused with 550 5.1.1, so that senders learn at
# once and no bounce is ever needed. Recipients in other domains pass untouched (whether
# they may be relayed is the server's decision). Local parts compare case-insensitively.
# A recipient without a domain (RCPT TO:<postmaster>) counts as local.
#
# Knobs:
#   DOMAINS      the domains this table is for
#   LOCAL_USERS  mailboxes that exist
#   ALIASES      local part -> a local part or address, or a list of them
DOMAINS = ["example.test", "localhost"]
LOCAL_USERS = ["alice", "bob", "carol", "postmaster"]
ALIASES = {
    "abuse": "postmaster",
    "info": "alice",
    "sales": ["alice", "bob"],
    "webmaster": "carol",
}


def split(addr):
    if "@" in addr:
        local, domain = addr.rsplit("@", 1)
        return local, domain.lower()
    return addr, None


def expand(target, domain):
    """An alias target as a full address: a bare local part stays in the recipient's domain,
    or goes to the first of DOMAINS for a recipient without one (Postmaster)."""
    if "@" in target or (domain is None and target.lower() == "postmaster"):
        return target
    return target + "@" + (domain or DOMAINS[0])


def printable(addr):
    """The address for a reply line, which must be ASCII (an SMTPUTF8 one is masked)."""
    return "".join(c if " " <= c <= "~" else "?" for c in addr)


def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt":
            local, domain = split(ev.rcpt)
            if domain is None or domain in DOMAINS:
                key = local.lower()
                target = ALIASES.get(key)
                if target is not None:
                    targets = [target] if isinstance(target, str) else target
                    ev.redirect(expand(targets[0], domain))
                    for t in targets[1:]:
                        ev.add_rcpt(expand(t, domain))
                elif key not in LOCAL_USERS:
                    ev.reject(550, "5.1.1 <" + printable(ev.rcpt) + ">: no such user here")
                    continue
        outbox.send(ev)
