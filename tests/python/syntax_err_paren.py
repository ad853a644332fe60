print("ok")
value = (1 +
