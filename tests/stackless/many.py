# many: 20,000 tasklets, each blocking on one channel, then served in order.
import stackless

ch = stackless.channel()
results = []


def worker(i):
    v = ch.receive()
    results.append(v * 2 + i)


N = 20000
for i in range(N):
    stackless.tasklet(worker)(i)
stackless.run()
print("balance", ch.balance)
for i in range(N):
    ch.send(i)
stackless.run()
print(len(results), sum(results), results[:3], results[-3:])
print("balance", ch.balance)
