# N script tasklets parked on one channel (run with /usr/bin/time -v; N=0 is the baseline).
import stackless
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
ch = stackless.channel()


def waiter():
    ch.receive()


for i in range(N):
    stackless.tasklet(waiter)()
stackless.run()
print("parked", -ch.balance)
