/* Never terminates: unbounded recursion with no loop in the recursive function, so only the
 * function-entry counts can stop it. The call goes through a volatile pointer so that the
 * compiler cannot turn it into a loop. */
#include <stdint.h>
#include <stdio.h>

int64_t eryx_fuel = INT64_MAX;

static int (*volatile self)(int);

static int down(int n) {
    return self(n + 1) + 1;
}

int main(void) {
    self = down;
    printf("%d\n", down(0));
    return 0;
}
