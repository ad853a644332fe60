# Who runs after a channel exchange, for every preference and both arrival orders.
import stackless


def scenario(pref, sender_first):
    ch = stackless.channel()
    ch.preference = pref

    def sender():
        print("sender: send")
        ch.send("x")
        print("sender: sent, balance %d" % ch.balance)

    def receiver():
        print("receiver: receive, balance %d" % ch.balance)
        v = ch.receive()
        print("receiver: got %s" % v)

    def bystander():
        print("bystander runs")

    first, second = (sender, receiver) if sender_first else (receiver, sender)
    stackless.tasklet(first)()
    stackless.tasklet(second)()
    stackless.tasklet(bystander)()
    stackless.run()
    print("balance %d" % ch.balance)


for pref in (-1, 0, 1):
    for sender_first in (True, False):
        print("== preference %d, %s first" % (pref, "sender" if sender_first else "receiver"))
        scenario(pref, sender_first)
