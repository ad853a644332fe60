# callbacks: set_channel_callback sees every channel action (sending, will block);
# set_schedule_callback sees switches between tasklets.
import stackless

events = []


def on_channel(chan, task, sending, willblock):
    events.append(("chan", chan is ch, task is stackless.getcurrent(), sending, willblock))


ch = stackless.channel()
stackless.set_channel_callback(on_channel)


def receiver():
    v = ch.receive()
    events.append(("recv", v))


def sender():
    ch.send(42)
    events.append(("sent",))


stackless.tasklet(receiver)()
stackless.tasklet(sender)()
stackless.run()
stackless.set_channel_callback(None)
for e in events:
    print(e)

switches = []


def on_schedule(prev, nxt):
    switches.append((prev is main, nxt is main))


main = stackless.getmain()


def step(n):
    for i in range(2):
        stackless.schedule()


stackless.set_schedule_callback(on_schedule)
stackless.tasklet(step)(1)
stackless.tasklet(step)(2)
stackless.run()
stackless.set_schedule_callback(None)
print(len(switches) > 0, switches[0])
