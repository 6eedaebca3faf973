# String building: f-strings, join, concatenation, methods, slicing.
def build(n):
    parts = []
    for i in range(n):
        s = f"item-{i:06d}|{i * 3 % 101:3d}|" + ("x" * (i % 7))
        s = s.upper().replace("ITEM", "it").strip("X")
        if s.endswith("|"):
            s += "end"
        parts.append(s[::-1] if i % 5 == 0 else s)
    blob = ",".join(parts)
    words = blob.split(",")
    acc = 0
    for w in words:
        acc = (acc * 131 + len(w) + ord(w[0])) % 1000000007
    return len(blob), acc


print("checksum", *build(20000))
