msg = "unterminated
print(msg)
