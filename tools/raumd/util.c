// SPDX-License-Identifier: MIT
/* raumd's small I/O helpers (util.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "proto.h"
#include "util.h"

int mkdirs(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char ch = p[i];
		p[i] = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			return -1;
		p[i] = ch;
	}
	struct stat st;
	if (stat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int mkdirs_parent(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return 0;
	if ((size_t)(slash - path) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, (size_t)(slash - path));
	p[slash - path] = '\0';
	return mkdirs(p, mode);
}

int write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	if (write_all_timeout(fd, data, len, 5000) || fsync(fd)) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) || rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

char *json_line(struct json_object *o, size_t *len)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *line = NULL;

	if (t) {
		size_t n = strlen(t);
		line = malloc(n + 2);
		if (line) {
			memcpy(line, t, n);
			line[n] = '\n';
			line[n + 1] = '\0';
			*len = n + 1;
		}
	}
	json_object_put(o);
	return line;
}

int write_json_file(const char *path, struct json_object *o)
{
	size_t len;
	char *line = json_line(o, &len);

	if (!line) {
		errno = ENOMEM;
		return -1;
	}
	int rc = write_atomic(path, line, len, 0600);
	free(line);
	return rc;
}

struct json_object *read_json_file(const char *path)
{
	char buf[65536 + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t n = 0;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[n] = '\0';
	if (memchr(buf, '\0', n))
		return NULL;
	json_object *o = json_tokener_parse(buf);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int write_all_timeout(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	long long deadline = now_ms() + timeout_ms;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -1;
		long long left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		poll(&pfd, 1, (int)left);
	}
	return 0;
}

int split_vm_file(const char *file, const char *ext, char *name_out, size_t n)
{
	size_t fl = strlen(file), el = strlen(ext);

	if (fl <= el || strcmp(file + fl - el, ext) != 0 || fl - el >= n)
		return 0;
	memcpy(name_out, file, fl - el);
	name_out[fl - el] = '\0';
	return raumd_valid_name(name_out);
}
