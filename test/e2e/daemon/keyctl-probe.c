/* keyctl-probe: tries add_key(2) and keyctl(2), the kernel keyring calls docker's default
 * seccomp profile refuses. Prints "<call>: ok" or "<call>: <error>"; exits 1 if any failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEY_SPEC_PROCESS_KEYRING -2
#define KEYCTL_GET_KEYRING_ID 0

int main(void) {
  int failed = 0;
  long k = syscall(SYS_add_key, "user", "pier-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
  if (k < 0) { printf("add_key: %s\n", strerror(errno)); failed = 1; } else printf("add_key: ok\n");
  long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0);
  if (r < 0) { printf("keyctl: %s\n", strerror(errno)); failed = 1; } else printf("keyctl: ok\n");
  return failed;
}
