# send_exception: the receiver gets an error instead of a value, in both arrival orders.
import stackless


def scenario(receiver_first):
    ch = stackless.channel()

    def receiver():
        print("receiver waits")
        try:
            v = ch.receive()
            print("receiver got value %s" % v)
        except ValueError as e:
            print("receiver got exception %s" % e)
        print("receiver got value %s" % ch.receive())

    def sender():
        print("sender sends exception")
        ch.send_exception(ValueError, "bad mail")
        print("sender sends value")
        ch.send("ok")
        print("sender done")

    order = (receiver, sender) if receiver_first else (sender, receiver)
    for f in order:
        stackless.tasklet(f)()
    stackless.run()


scenario(True)
print("--")
scenario(False)
