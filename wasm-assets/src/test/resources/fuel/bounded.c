/* Terminates: nested loops with break/continue, a switch, and recursion through a function
 * pointer (so the recursive calls are call_indirect). Prints a result that must not change
 * when the module is fuel-instrumented. */
#include <stdint.h>
#include <stdio.h>

int64_t eryx_fuel = INT64_MAX;

static int (*volatile indirect)(int);

static int fib(int n) {
    return n < 2 ? n : indirect(n - 1) + indirect(n - 2);
}

int main(void) {
    indirect = fib;
    uint32_t h = 2166136261u;
    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < 200; j++) {
            if ((i * j) % 7 == 3) continue;
            if (j > i + 50) break;
            switch ((i ^ j) & 7) {
                case 0: h ^= (uint32_t) i; break;
                case 1: h += (uint32_t) j * 3u; break;
                case 2: h *= 16777619u; break;
                case 3: h ^= h >> 13; break;
                case 4: h -= (uint32_t) (i * j); break;
                case 5: h = (h << 5) | (h >> 27); break;
                default: h ^= 0x5bd1e995u; break;
            }
            h *= 16777619u;
        }
    }
    printf("hash=%u fib(20)=%d\n", h, fib(20));
    return 0;
}
