# decimal: fixed-precision arithmetic (compound interest, series, quantize).
from decimal import Decimal, getcontext, ROUND_HALF_EVEN

getcontext().prec = 40


def run(n):
    balance = Decimal("1000.00")
    rate = Decimal("0.0375") / 12
    cents = Decimal("0.01")
    total_interest = Decimal(0)
    for month in range(n):
        interest = (balance * rate).quantize(cents, rounding=ROUND_HALF_EVEN)
        total_interest += interest
        balance += interest + Decimal(month % 13)
    # arctan series for pi/4 (Machin), many small Decimal ops
    def arctan_inv(x, terms):
        x = Decimal(x)
        power = 1 / x
        total = power
        x2 = x * x
        for k in range(1, terms):
            power /= x2
            term = power / (2 * k + 1)
            total = total - term if k % 2 else total + term
        return total
    pi = 4 * (4 * arctan_inv(5, 60) - arctan_inv(239, 20))
    return balance, total_interest, str(pi)[:30]


print("checksum", *run(20000))
