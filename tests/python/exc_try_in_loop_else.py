for attempt in range(5):
    try:
        if attempt < 2:
            raise ConnectionError if False else OSError("fail %d" % attempt)
        print("success at", attempt)
    except OSError as e:
        print("retry after", e)
        continue
    else:
        print("no exception this time")
        break
else:
    print("gave up")
