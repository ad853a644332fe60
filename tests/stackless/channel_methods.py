# Channel methods as scripts reach them: called on the channel, fetched as bound methods,
# and called with the wrong arguments.
import stackless


def producer(ch, n):
    for i in range(n):
        ch.send(i)


def consumer(ch, n):
    total = 0
    for i in range(n):
        total += ch.receive()
    print("total", total)


ch = stackless.channel()
stackless.tasklet(producer)(ch, 3)
stackless.tasklet(consumer)(ch, 3)
stackless.run()

# Bound methods taken once and called in the loop.
ch = stackless.channel()
send, receive = ch.send, ch.receive


def bound_producer():
    for i in range(3):
        send(i * i)


def bound_consumer():
    print("bound", [receive() for i in range(3)])


stackless.tasklet(bound_producer)()
stackless.tasklet(bound_consumer)()
stackless.run()

# Wrong arguments still fail as a method call does.
ch = stackless.channel()
try:
    ch.send()
except TypeError:
    print("send() without a value: TypeError")
try:
    ch.send(1, 2)
except TypeError:
    print("send(1, 2): TypeError")
try:
    ch.receive(1)
except TypeError:
    print("receive(1): TypeError")
