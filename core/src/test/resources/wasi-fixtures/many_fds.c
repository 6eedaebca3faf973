// Opens files until the host refuses; prints how many and the errno name.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  int opened = 0;
  for (;;) {
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
      printf("opened=%d emfile=%d\n", opened, errno == EMFILE);
      return 0;
    }
    opened++;
  }
}
