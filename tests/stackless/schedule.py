# Round-robin order of schedule(), a ping-pong over two channels, and a pipeline of stages.
import stackless


def worker(name, n):
    for i in range(n):
        print("%s step %d" % (name, i))
        stackless.schedule()
    print("%s ends" % name)


stackless.tasklet(worker)("a", 3)
stackless.tasklet(worker)("b", 1)
stackless.tasklet(worker)("c", 2)
stackless.run()

ping = stackless.channel()
pong = stackless.channel()


def pinger():
    for i in range(3):
        print("ping %d" % i)
        ping.send(i)
        print("pinger got %d" % pong.receive())


def ponger():
    for i in range(3):
        v = ping.receive()
        print("pong %d" % v)
        pong.send(v * 10)


stackless.tasklet(pinger)()
stackless.tasklet(ponger)()
stackless.run()


def stage(name, inbox, outbox):
    for _ in range(3):
        v = inbox.receive()
        print("%s got %d" % (name, v))
        outbox.send(v + 1)


chans = [stackless.channel() for _ in range(4)]
for i in range(3):
    stackless.tasklet(stage)("stage%d" % i, chans[i], chans[i + 1])


def source():
    for v in (10, 20, 30):
        print("source sends %d" % v)
        chans[0].send(v)


def sink():
    for _ in range(3):
        print("sink got %d" % chans[3].receive())


stackless.tasklet(source)()
stackless.tasklet(sink)()
stackless.run()
