"""RSS per parked microthread: 100,000 greenlets (CPython) or stackless tasklets (pypy3)
blocked on one channel. Usage: python3 parked_rss.py greenlet | pypy3 parked_rss.py stackless"""
import sys

N = 100_000


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


kind = sys.argv[1] if len(sys.argv) > 1 else "greenlet"
if kind == "greenlet":
    from greenlet import greenlet

    main = greenlet.getcurrent()

    def park():
        main.switch()  # parked: suspended with its frame alive

    before = rss_kib()
    parked = []
    for _ in range(N):
        g = greenlet(park)
        g.switch()
        parked.append(g)
else:
    import stackless

    ch = stackless.channel()

    def park():
        ch.receive()

    before = rss_kib()
    for _ in range(N):
        stackless.tasklet(park)()
    stackless.run()
    assert ch.balance == -N
after = rss_kib()
print("%s: %d parked, RSS grew %d KiB, %.2f KiB each" % (kind, N, after - before, (after - before) / N))
