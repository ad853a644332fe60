import re
class Event:
    def __init__(self, phase, **kw):
        self.phase = phase
        self.verdict = None
        for k, v in kw.items():
            setattr(self, k, v)
    def reject(self, code, text):
        self.verdict = (code, text)
    def __repr__(self):
        return "<Event %s %s>" % (self.phase, self.verdict)
class Outbox:
    def __init__(self):
        self.sent = []
    def send(self, ev):
        self.sent.append(ev)
SPAM = re.compile(r"\b(lottery|viagra)\b", re.I)
BLOCKED = {"10.0.0.66", "192.168.1.13"}
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "connect" and ev.ip in BLOCKED:
            ev.reject(554, "5.7.1 blocked")
            continue
        if ev.phase == "data" and SPAM.search(ev.subject + " " + ev.text):
            ev.reject(550, "5.7.1 Message looks like spam")
            continue
        outbox.send(ev)
events = [
    Event("connect", ip="10.0.0.66"),
    Event("connect", ip="10.0.0.1"),
    Event("data", subject="Hello", text="meeting at noon"),
    Event("data", subject="WIN the LOTTERY", text="now"),
    Event("data", subject="re: pills", text="cheap Viagra here"),
]
out = Outbox()
run(iter(events), out)
print(out.sent)
print([e for e in events if e.verdict])
