# lifecycle: alive and blocked through creation, setup, blocking, finishing; getcurrent,
# getmain and getruncount from main and from tasklets; repr of main.
import stackless

ch = stackless.channel()
log = []


def worker(name):
    print("%s runs, current is me: %s" % (name, stackless.getcurrent() is me[name]))
    print("%s sees runcount %d, main is main: %s" % (name, stackless.getruncount(),
          stackless.getmain() is main))
    v = ch.receive()
    print("%s got %r" % (name, v))
    return v


main = stackless.getcurrent()
print("main", main is stackless.getmain(), stackless.getruncount())
me = {}
t = stackless.tasklet(worker)
print("created: alive %s blocked %s" % (t.alive, t.blocked))
me["w1"] = t
t("w1")
print("set up: alive %s blocked %s runcount %d" % (t.alive, t.blocked, stackless.getruncount()))
stackless.run()
print("after run: alive %s blocked %s balance %d" % (t.alive, t.blocked, ch.balance))
ch.send("hello")
print("after send: alive %s blocked %s balance %d" % (t.alive, t.blocked, ch.balance))
stackless.run()
print("finished: alive %s blocked %s" % (t.alive, t.blocked))
print("runcount", stackless.getruncount())
