# close, closing, closed, open, and iteration that ends when the channel is closed and
# drained; send on a closed channel and receive on a closed, empty one raise ValueError.
import stackless

ch = stackless.channel()


def producer(items):
    for i in items:
        ch.send(i)
    print("producer closes")
    ch.close()


def consumer():
    for v in ch:
        print("consumed", v)
    print("consumer saw the end; closed", ch.closed)


stackless.tasklet(consumer)()
stackless.tasklet(producer)([1, 2, 3])
stackless.run()
print("closing", ch.closing, "closed", ch.closed)
try:
    ch.send(4)
except ValueError as e:
    print("send:", e)
try:
    ch.receive()
except ValueError as e:
    print("receive:", e)
ch.open()
print("reopened: closing", ch.closing)

# Senders already waiting may still be drained after close.
c2 = stackless.channel()
stackless.tasklet(c2.send)("late")
stackless.run()
c2.close()
print("closing", c2.closing, "closed", c2.closed, "balance", c2.balance)
print("drained", c2.receive(), "closed", c2.closed)
print("sent", c2.send_sequence if False else "")
c3 = stackless.channel()
got = []


def collect():
    for v in c3:
        got.append(v)


stackless.tasklet(collect)()
stackless.run()
n = c3.send_sequence(range(5))
c3.close()
stackless.run()
print("send_sequence sent", n, "collected", got)
print("TaskletExit is a builtin:", TaskletExit is stackless.TaskletExit)
