# Objects that cannot be pickled are refused with an error naming them.
import pickle
import sys

with open(sys.argv[0]) as f:
    try:
        pickle.dumps(f)
    except TypeError as e:
        print("file:", e)
    print(f.read().splitlines()[0])

for bad in (b"", b"not a pickle", b"\x80\x04\x95"):
    try:
        pickle.loads(bad)
    except Exception as e:
        print("loads refused", isinstance(e, pickle.UnpicklingError) or isinstance(e, EOFError))
