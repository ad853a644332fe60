# Balance and the service order of several waiting senders, then several waiting receivers.
import stackless

ch = stackless.channel()


def sender(name):
    print("%s sends, balance %d" % (name, ch.balance))
    ch.send(name)
    print("%s done" % name)


def receiver(name):
    print("%s receives, balance %d" % (name, ch.balance))
    print("%s got %s" % (name, ch.receive()))


for name in ("s1", "s2", "s3"):
    stackless.tasklet(sender)(name)
stackless.run()
print("balance after senders %d" % ch.balance)
for name in ("r1", "r2", "r3"):
    stackless.tasklet(receiver)(name)
stackless.run()
print("balance after receivers %d" % ch.balance)

for name in ("r4", "r5"):
    stackless.tasklet(receiver)(name)
stackless.run()
print("balance with receivers waiting %d" % ch.balance)
for name in ("s4", "s5"):
    stackless.tasklet(sender)(name)
stackless.run()
print("final balance %d" % ch.balance)
