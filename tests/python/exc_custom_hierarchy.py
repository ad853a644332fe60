class MailError(Exception):
    code = 451
    def __init__(self, msg, code=None):
        super().__init__(msg)
        if code is not None:
            self.code = code
    def __str__(self):
        return f"{self.code} {self.args[0]}"
class PermanentError(MailError):
    code = 550
class TempError(MailError):
    pass
def check(rcpt):
    if "@" not in rcpt:
        raise PermanentError("bad address " + rcpt)
    if rcpt.endswith(".invalid"):
        raise TempError("try later", code=421)
    return "250 ok"
for r in ["bob@example.com", "nobody", "x@y.invalid"]:
    try:
        print(check(r))
    except PermanentError as e:
        print("perm:", e, e.code, isinstance(e, MailError))
    except MailError as e:
        print("temp:", e, type(e).__name__, repr(e.args))
errors = [PermanentError("a"), TempError("b"), MailError("c", 499)]
print([str(e) for e in errors], [e.code for e in errors])
print(issubclass(PermanentError, MailError), PermanentError.__mro__[2].__name__)
