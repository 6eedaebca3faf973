// End-to-end fixture: exercises wasi-libc's file APIs against eryx's WASI layer.
// Each line of output is checked by WasiFixturesTest; keep them stable.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void check(const char *what, int ok) { printf("%s %s\n", what, ok ? "ok" : strerror(errno)); }

int main(int argc, char **argv) {
  printf("argc=%d argv1=%s env=%s\n", argc, argc > 1 ? argv[1] : "", getenv("ERYX_TEST") ? getenv("ERYX_TEST") : "(null)");

  check("mkdir", mkdir("/work", 0755) == 0);
  check("mkdir-again-eexist", mkdir("/work", 0755) != 0 && errno == EEXIST);
  FILE *f = fopen("/work/a.txt", "w");
  check("fopen-w", f != NULL);
  fputs("hello eryx\n", f);
  fclose(f);

  char buf[64] = {0};
  f = fopen("/work/a.txt", "r");
  check("fopen-r", f != NULL);
  fgets(buf, sizeof buf, f);
  fclose(f);
  printf("read=%s", buf);

  f = fopen("/work/a.txt", "a");
  fputs("more\n", f);
  fclose(f);
  struct stat st;
  check("stat", stat("/work/a.txt", &st) == 0);
  printf("size=%lld isreg=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));

  int fd = open("/work/a.txt", O_RDONLY);
  printf("lseek-end=%lld\n", (long long)lseek(fd, 0, SEEK_END));
  printf("lseek-set=%lld\n", (long long)lseek(fd, 6, SEEK_SET));
  ssize_t n = read(fd, buf, 4);
  buf[n] = 0;
  printf("pread-ish=%s\n", buf);
  check("write-to-rdonly-ebadf", write(fd, "x", 1) < 0 && errno == EBADF);
  close(fd);

  check("open-missing-enoent", open("/work/nope", O_RDONLY) < 0 && errno == ENOENT);
  check("open-excl-eexist", open("/work/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST);
  check("open-dir-for-write-eisdir", open("/work", O_WRONLY) < 0 && errno == EISDIR);
  check("open-file-as-dir-enotdir", open("/work/a.txt", O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTDIR);

  check("rename", rename("/work/a.txt", "/work/b.txt") == 0);
  check("stat-old-enoent", stat("/work/a.txt", &st) != 0 && errno == ENOENT);
  check("symlink", symlink("b.txt", "/work/link") == 0);
  char target[64] = {0};
  ssize_t tl = readlink("/work/link", target, sizeof target - 1);
  printf("readlink=%.*s\n", (int)tl, target);
  check("stat-through-link", stat("/work/link", &st) == 0 && S_ISREG(st.st_mode));
  check("lstat-link", lstat("/work/link", &st) == 0 && S_ISLNK(st.st_mode));
  check("symlink-loop", symlink("loop2", "/work/loop1") == 0 && symlink("loop1", "/work/loop2") == 0);
  check("open-loop-eloop", open("/work/loop1", O_RDONLY) < 0 && errno == ELOOP);
  check("hardlink-refused", link("/work/b.txt", "/work/hard") != 0);
  check("dotdot-above-root", stat("/../../work/b.txt", &st) == 0);

  check("mkdir-sub", mkdir("/work/sub", 0755) == 0);
  check("rmdir-nonempty", rmdir("/work") != 0 && errno == ENOTEMPTY);
  DIR *d = opendir("/work");
  check("opendir", d != NULL);
  struct dirent *e;
  int count = 0;
  printf("entries=");
  while ((e = readdir(d)) != NULL) {
    printf("%s%s", count++ ? "," : "", e->d_name);
  }
  printf("\n");
  closedir(d);

  check("unlink", unlink("/work/b.txt") == 0);
  check("unlink-dir-eisdir-or-eperm", unlink("/work/sub") != 0);
  check("rmdir", rmdir("/work/sub") == 0);
  check("chdir", chdir("/work") == 0);
  check("relative-create", (fd = open("rel.txt", O_CREAT | O_WRONLY, 0644)) >= 0);
  close(fd);
  check("relative-stat", stat("/work/rel.txt", &st) == 0);

  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("realtime=%lld\n", (long long)ts.tv_sec);
  struct timespec m1, m2;
  clock_gettime(CLOCK_MONOTONIC, &m1);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  check("monotonic-advances", m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec > m1.tv_nsec));
  unsigned char r[8];
  check("getentropy", getentropy(r, sizeof r) == 0);
  printf("random=%02x%02x%02x%02x\n", r[0], r[1], r[2], r[3]);
  struct timespec sleep = {0, 1000000};
  check("nanosleep", nanosleep(&sleep, NULL) == 0);
  fflush(stdout);
  fprintf(stderr, "to-stderr\n");
  return 3;
}
