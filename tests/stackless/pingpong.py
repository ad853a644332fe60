# ping-pong: two tasklets bounce a counter over two channels, in every preference.
import stackless


def ping(a, b, n, log):
    for i in range(n):
        a.send(i)
        log.append("ping got %d" % b.receive())


def pong(a, b, n, log):
    for i in range(n):
        v = a.receive()
        log.append("pong got %d" % v)
        b.send(v * 10)


for pref in (-1, 0, 1):
    a = stackless.channel()
    b = stackless.channel()
    a.preference = pref
    b.preference = pref
    log = []
    stackless.tasklet(ping)(a, b, 3, log)
    stackless.tasklet(pong)(a, b, 3, log)
    stackless.run()
    print(pref, log)
