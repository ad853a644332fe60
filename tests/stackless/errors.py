# errors: an exception that escapes a tasklet is raised in the main tasklet; TaskletExit
# ends a tasklet silently; main goes on with the rest of the run queue afterwards.
import stackless


def bad(n):
    print("bad", n)
    raise ValueError("bad %d" % n)


def good(n):
    print("good", n)


def quits():
    print("quits")
    raise stackless.TaskletExit()


stackless.tasklet(good)(1)
stackless.tasklet(bad)(2)
stackless.tasklet(good)(3)
stackless.tasklet(quits)()
try:
    stackless.run()
except ValueError as e:
    print("main caught", e)
print("runcount", stackless.getruncount())
stackless.run()
print("done", stackless.getruncount())
