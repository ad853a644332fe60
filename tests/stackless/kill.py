# kill: a blocked tasklet unwinds at once (its finally runs) and the killer continues; a
# killed waiter is skipped by the channel.
import stackless

ch = stackless.channel()


def victim(name):
    try:
        print("%s waits" % name)
        print("%s got %s" % (name, ch.receive()))
    finally:
        print("%s cleans up" % name)


def killer(target):
    print("killer kills")
    target.kill()
    print("killer continues, victim alive %s" % target.alive)
    ch.send("mail")
    print("killer sent")


v1 = stackless.tasklet(victim)("v1")
v2 = stackless.tasklet(victim)("v2")
stackless.run()
stackless.tasklet(killer)(v1)
stackless.run()
print("v2 alive %s" % v2.alive)
