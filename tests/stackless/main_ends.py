# The program ends with the main tasklet: a tasklet still in the run queue never runs.
import stackless
def f():
    print("f runs")
stackless.tasklet(f)()
print("main ends")
