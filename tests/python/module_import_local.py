import mod_helper
from mod_helper import greet, CONSTANT as C
import mod_helper as mh
print(greet("x"), C, mod_helper.counter(), mh.counter(), mod_helper is mh)
print(mod_helper.__name__, sorted(n for n in dir_names(mod_helper) if not n.startswith("_")) if False else "ok")
from mod_helper import *
print(Helper().describe(), helper_func(2))
