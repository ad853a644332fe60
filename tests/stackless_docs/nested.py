# Blocking while native code is on the stack (a key= callback) raises a clear RuntimeError
# in that tasklet; nothing hangs, and the channel is left as it was.
import stackless

ch = stackless.channel()


def key(x):
    return ch.receive()


def sorter():
    try:
        sorted([3, 1, 2], key=key)
    except RuntimeError as e:
        print("RuntimeError:", e)
    print("balance", ch.balance)


stackless.tasklet(sorter)()
stackless.run()
print("done")
