"""List the largest function bodies of a wasm module (names from the "name" section if present).

usage: python3 wasm_funcsizes.py module.wasm [N]
Chicory compiles each wasm function to one JVM method; bodies above roughly 50 KB do not fit the
JVM's 64 KB method limit and fall back to Chicory's interpreter.
"""
import sys


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return r, i


def main():
    data = open(sys.argv[1], "rb").read()
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    i = 8
    n_imported = 0
    sizes = []
    names = {}
    while i < len(data):
        sid = data[i]; i += 1
        size, i = leb(data, i)
        end = i + size
        if sid == 2:  # imports
            n, j = leb(data, i)
            for _ in range(n):
                l, j = leb(data, j); j += l
                l, j = leb(data, j); j += l
                kind = data[j]; j += 1
                if kind == 0:
                    n_imported += 1; _, j = leb(data, j)
                elif kind == 1:
                    j += 1; fl, j = leb(data, j); _, j = leb(data, j)
                    if fl & 1: _, j = leb(data, j)
                elif kind == 2:
                    fl, j = leb(data, j); _, j = leb(data, j)
                    if fl & 1: _, j = leb(data, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:  # code
            n, j = leb(data, i)
            for k in range(n):
                l, j = leb(data, j)
                sizes.append((l, n_imported + k)); j += l
        elif sid == 0:  # custom
            l, j = leb(data, i)
            if data[j:j + l] == b"name":
                j += l
                while j < end:
                    sub = data[j]; j += 1
                    sl, j = leb(data, j)
                    if sub == 1:
                        n, q = leb(data, j)
                        for _ in range(n):
                            idx, q = leb(data, q)
                            nl, q = leb(data, q)
                            names[idx] = data[q:q + nl].decode("utf-8", "replace"); q += nl
                    j += sl
        i = end
    sizes.sort(reverse=True)
    print(f"{len(sizes)} functions, code total {sum(s for s, _ in sizes)} bytes")
    for s, idx in sizes[:top]:
        print(f"{s:8d}  {names.get(idx, '#%d' % idx)}")


if __name__ == "__main__":
    main()
