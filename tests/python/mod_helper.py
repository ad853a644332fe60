CONSTANT = 42
_count = 0
def greet(name):
    return "hello " + name
def counter():
    global _count
    _count += 1
    return _count
class Helper:
    def describe(self):
        return "helper from " + __name__
def helper_func(x):
    return x * CONSTANT
