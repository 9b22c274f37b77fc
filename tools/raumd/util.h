/* SPDX-License-Identifier: MIT */
/* raumd's small I/O helpers, shared by the service (raumd.c) and its workers (worker.c). */
#ifndef RAUMD_UTIL_H
#define RAUMD_UTIL_H

#include <stddef.h>
#include <sys/types.h>

struct json_object;

/* mkdir -p path with mode for the folders it makes. 0, or -1 with errno. */
int mkdirs(const char *path, mode_t mode);
/* mkdirs of path's parent folder. */
int mkdirs_parent(const char *path, mode_t mode);
/* Writes data to path through path.tmp and rename(): readers see the old file or the new, whole. 0 or -1 (errno). */
int write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* o as one line (plus '\n') into path, atomically; puts o. 0 or -1 (errno). */
int write_json_file(const char *path, struct json_object *o);
/* The JSON object in path (at most 64 KiB), or NULL (missing, unreadable, not an object). */
struct json_object *read_json_file(const char *path);
/* o as one line ending in '\n' (malloc'ed, *len set), or NULL when out of memory; puts o. */
char *json_line(struct json_object *o, size_t *len);
/* Writes all of buf to fd, waiting at most timeout_ms for it (fd may be non-blocking). 0 or -1. */
int write_all_timeout(int fd, const void *buf, size_t len, int timeout_ms);
/* Monotonic milliseconds. */
long long now_ms(void);
/* Whether name could be a file name "NAME.ext" for a VM and ext; *name_out gets NAME. */
int split_vm_file(const char *file, const char *ext, char *name_out, size_t n);

#endif
