classes = [ValueError, TypeError, KeyError, IndexError, AttributeError, NameError,
           UnboundLocalError, ZeroDivisionError, StopIteration, RuntimeError, RecursionError,
           MemoryError, AssertionError, LookupError, ArithmeticError, OverflowError, NotImplementedError]
for c in classes:
    bases = [b.__name__ for b in c.__mro__]
    print(c.__name__, bases)
    print(issubclass(c, Exception), issubclass(c, BaseException), issubclass(c, LookupError), issubclass(c, ArithmeticError))
print(issubclass(KeyboardInterrupt, Exception), issubclass(SystemExit, BaseException), issubclass(GeneratorExit, Exception))
for c in classes:
    try:
        raise c("msg")
    except Exception as e:
        print(type(e).__name__, str(e), repr(e), e.args)
class AppError(Exception):
    pass
class DbError(AppError):
    def __init__(self, table):
        self.table = table
        super().__init__("db failure on " + table)
try:
    raise DbError("users")
except AppError as e:
    print(e, e.table, isinstance(e, DbError), e.args)
try:
    raise AppError("a", "b")
except Exception as e:
    print(e, e.args)
print(str(KeyError("k")), str(KeyError("a", "b")), str(ValueError()), repr(ValueError()))
