def wrap(text, width):
    lines, cur = [], ""
    for w in text.split():
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = (cur + " " + w) if cur else w
    if cur:
        lines.append(cur)
    return lines
t = "The quick brown fox jumps over the lazy dog and keeps running far away"
for width in (10, 20, 30):
    print("\n".join(l.ljust(width) + "|" for l in wrap(t, width)))
    print("-" * width)
