# Loops: nested integer loops with arithmetic, branches and local variables.
def loops(n):
    total = 0
    for i in range(n):
        x = i
        for j in range(8):
            x = (x * 31 + j) & 0xFFFFF
            if x % 3 == 0:
                total += x
            else:
                total -= j
    return total


print("checksum", loops(25000))
