/* Never terminates: a loop with no calls, stopped only by fuel. */
#include <stdint.h>

int64_t eryx_fuel = INT64_MAX;

volatile uint64_t spins;

int main(void) {
    for (;;) spins++;
}
