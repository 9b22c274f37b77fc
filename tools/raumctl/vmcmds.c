// SPDX-License-Identifier: MIT
/*
 * raumctl's VM verbs: one JSON request line to raumd on its socket
 * (RAUMD_SOCKET, default /run/raum/raumd.sock), one reply line back
 * (docs/raumd.md). --json prints raumd's reply as it came, one line;
 * without it the output is for people. `console` then talks to the VM's
 * worker directly. Every wait is bounded.
 *
 * Exit status: 0 done, 1 failure (raumd's error printed as "raumctl:
 * <error>", or raumd cannot be reached), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vmcmds.h"

#define DEFAULT_SOCKET "/run/raum/raumd.sock"
#define REPLY_MAX (4 << 20)     /* a reply line (a list of many VMs) */
#define REPLY_WAIT_MS 15000     /* raumd answers within this (a start waits up to 5 s for its worker) */
#define DETACH_KEY 0x1d         /* Ctrl-] */

static const char *const verbs[] = { "create", "list", "start", "stop", "destroy", "info", "remove", "console" };

int vm_is_command(const char *cmd)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(cmd, verbs[i]) == 0)
			return 1;
	return 0;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *socket_path(void)
{
	const char *s = getenv("RAUMD_SOCKET");

	return s && s[0] ? s : DEFAULT_SOCKET;
}

/* A connected socket to path, or -1 with the message printed (what names the other end). */
static int dial(const char *path, const char *what)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "raumctl: socket path %s is too long (%zu bytes at most)\n", path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (strcmp(what, "raumd") == 0)
			fprintf(stderr, "raumctl: cannot reach raumd at %s: %s (start it with: raumd &)\n", path, strerror(e));
		else
			fprintf(stderr, "raumctl: cannot reach %s at %s: %s\n", what, path, strerror(e));
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Reads one line from fd (waiting at most timeout_ms): a malloc'ed string
 * without its '\n', or NULL with a message. Bytes after the line stay in
 * *rest / *rest_len (malloc'ed; the console's first output).
 */
static char *read_line(int fd, const char *what, int timeout_ms, char **rest, size_t *rest_len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	long long deadline = ms_now() + timeout_ms;

	while (buf) {
		char *nl = memchr(buf, '\n', n);
		if (nl) {
			*nl = '\0';
			if (rest) {
				*rest_len = n - (size_t)(nl + 1 - buf);
				*rest = malloc(*rest_len + 1);
				if (*rest)
					memcpy(*rest, nl + 1, *rest_len);
				else
					*rest_len = 0;
			}
			return buf;
		}
		if (n == cap) {
			if (cap >= REPLY_MAX)
				break;
			char *p = realloc(buf, cap * 2);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		long long left = deadline - ms_now();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			fprintf(stderr, "raumctl: %s did not answer within %d s\n", what, timeout_ms / 1000);
			free(buf);
			return NULL;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "raumctl: %s closed the connection without an answer%s%s\n", what, r ? ": " : "",
				r ? strerror(errno) : "");
			free(buf);
			return NULL;
		}
		n += (size_t)r;
	}
	fprintf(stderr, "raumctl: %s's answer is too long or out of memory\n", what);
	free(buf);
	return NULL;
}

/* The reply object, or NULL with a message (also when it is not an object with a boolean "ok"). */
static json_object *parse_reply(const char *line, const char *what)
{
	json_object *o = json_tokener_parse(line), *ok;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		fprintf(stderr, "raumctl: %s answered something that is not a reply: %.200s\n", what, line);
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Sends req (put here) to raumd; its reply, or NULL with a message. *line_out (if asked) is the raw line. */
static json_object *call(json_object *req, char **line_out)
{
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	int fd = dial(socket_path(), "raumd");
	json_object *reply = NULL;

	if (fd >= 0 && text) {
		char *line = malloc(strlen(text) + 2);
		if (line) {
			sprintf(line, "%s\n", text);
			if (send_all(fd, line, strlen(line)))
				fprintf(stderr, "raumctl: sending to raumd at %s: %s\n", socket_path(), strerror(errno));
			else {
				char *ans = read_line(fd, "raumd", REPLY_WAIT_MS, NULL, NULL);
				if (ans && (reply = parse_reply(ans, "raumd")) && line_out)
					*line_out = ans;
				else
					free(ans);
			}
			free(line);
		}
	}
	if (fd >= 0)
		close(fd);
	json_object_put(req);
	return reply;
}

static json_object *request(const char *cmd, const char *key, const char *val)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	if (key)
		json_object_object_add(o, key, json_object_new_string(val));
	return o;
}

static int reply_ok(json_object *r)
{
	json_object *ok;

	return json_object_object_get_ex(r, "ok", &ok) && json_object_get_boolean(ok);
}

static const char *rstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : "";
}

static long long rint_(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

/* The reply as the verb's result: --json prints it; an error goes to stderr. Returns 0 or 1. */
static int finish(json_object *r, char *line, int json)
{
	int ok = reply_ok(r);

	if (json)
		printf("%s\n", line);
	else if (!ok)
		fprintf(stderr, "raumctl: %s\n", rstr(r, "error"));
	return ok ? 0 : 1;
}

static void fmt_uptime(long long s, char *buf, size_t n)
{
	if (s >= 86400)
		snprintf(buf, n, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lldm%02llds", s / 60, s % 60);
}

static int cmd_list(int json)
{
	char *line = NULL;
	json_object *r = call(request("list", NULL, NULL), &line), *arr;

	if (!r)
		return 1;
	int rc = finish(r, line, json);
	if (!json && rc == 0 && json_object_object_get_ex(r, "vms", &arr)) {
		printf("%-32s %-9s %7s %4s %9s\n", "NAME", "STATE", "MEMORY", "VPS", "UPTIME");
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *v = json_object_array_get_idx(arr, i);
			char up[32] = "-", mem[24];
			const char *st = rstr(v, "state");
			if (strcmp(st, "running") == 0 || strcmp(st, "stopping") == 0)
				fmt_uptime(rint_(v, "uptime_s"), up, sizeof(up));
			snprintf(mem, sizeof(mem), "%lldM", rint_(v, "memory_mb"));
			printf("%-32s %-9s %7s %4lld %9s\n", rstr(v, "name"), st, mem, rint_(v, "vps"), up);
		}
	}
	json_object_put(r);
	free(line);
	return rc;
}

static int cmd_info(const char *name, int json)
{
	char *line = NULL;
	json_object *r = call(request("info", "name", name), &line), *st;

	if (!r)
		return 1;
	int rc = finish(r, line, json);
	if (!json && rc == 0) {
		char up[32];
		fmt_uptime(rint_(r, "uptime_s"), up, sizeof(up));
		printf("name          %s\nstate         %s\n", rstr(r, "name"), rstr(r, "state"));
		if (*rstr(r, "reason"))
			printf("reason        %s\nexit status   %lld%s\n", rstr(r, "reason"), rint_(r, "exit_status"),
			       rint_(r, "exit_signal") ? " (killed by a signal)" : "");
		printf("memory        %lld MiB\nvps           %lld\n", rint_(r, "memory_mb"), rint_(r, "vps"));
		if (rint_(r, "pid"))
			printf("uptime        %s (%lld s)\nworker pid    %lld\nvm pid        %lld\n", up, rint_(r, "uptime_s"),
			       rint_(r, "pid"), rint_(r, "vm_pid"));
		printf("image         %s\nconsole log   %s\nstop timeout  %lld s\n", rstr(r, "image"), rstr(r, "console_log"),
		       rint_(r, "stop_timeout_s"));
		if (json_object_object_get_ex(r, "stats", &st)) {
			printf("console bytes %lld out, %lld in, %lld dropped for slow consoles\n", rint_(st, "console_bytes"),
			       rint_(st, "console_input_bytes"), rint_(st, "console_dropped_bytes"));
			if (json_object_object_get_ex(st, "exits", NULL))
				printf("exits         %lld (%lld to its worker: %lld port I/O, %lld MMIO); %lld interrupts "
				       "raised\n", rint_(st, "exits"), rint_(st, "exits_to_worker"), rint_(st, "port_io_exits"),
				       rint_(st, "mmio_exits"), rint_(st, "interrupts_raised"));
		}
	}
	json_object_put(r);
	free(line);
	return rc;
}

/* Polls info until name is neither running nor stopping, at most timeout_s. The last reply, or NULL. */
static json_object *wait_stopped(const char *name, unsigned timeout_s)
{
	long long deadline = ms_now() + (long long)timeout_s * 1000;

	for (;;) {
		json_object *r = call(request("info", "name", name), NULL);
		if (!r || !reply_ok(r))
			return r;
		const char *st = rstr(r, "state");
		if ((strcmp(st, "running") != 0 && strcmp(st, "stopping") != 0) || ms_now() >= deadline)
			return r;
		json_object_put(r);
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
}

/* stop / destroy NAME [--no-wait]: asks raumd, then (unless --no-wait) waits until the VM stopped. */
static int cmd_stop(const char *verb, const char *name, int json, int wait)
{
	char *line = NULL;
	json_object *r = call(request(verb, "name", name), &line);

	if (!r)
		return 1;
	if (!reply_ok(r) || !wait) {
		int rc = finish(r, line, json);
		if (!json && rc == 0)
			printf("%s: stopping\n", name);
		json_object_put(r);
		free(line);
		return rc;
	}
	unsigned limit = (unsigned)rint_(r, "stop_timeout_s") + 5;
	json_object_put(r);
	free(line);
	r = wait_stopped(name, limit);
	if (!r)
		return 1;
	const char *st = rstr(r, "state");
	int rc = strcmp(st, "running") == 0 || strcmp(st, "stopping") == 0 ? 1 : 0;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (rc) {
		fprintf(stderr, "raumctl: %s is still %s after %u s: raumctl destroy %s forces it\n", name, st, limit, name);
	} else {
		printf("%s: %s (%s)\n", name, st, rstr(r, "reason"));
	}
	json_object_put(r);
	return rc;
}

/* create / start / remove: one request, "NAME: STATE" on success. */
static int cmd_simple(const char *verb, const char *key, const char *val, int json)
{
	char *line = NULL;
	json_object *r = call(request(verb, key, val), &line);

	if (!r)
		return 1;
	int rc = finish(r, line, json);
	if (!json && rc == 0)
		printf("%s: %s\n", rstr(r, "name"), rstr(r, "state"));
	json_object_put(r);
	free(line);
	return rc;
}

/* ---- console ---- */

static struct termios saved_tio;
static int tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tio_saved = 0;
}

/*
 * console NAME [--timeout S]: attaches to the VM's serial console through
 * its worker's socket. Ctrl-] detaches. stdin's end of file stops the
 * input; output goes on until the VM ends, or S seconds after stdin ended
 * (--timeout), or Ctrl-].
 */
static int cmd_console(const char *name, int timeout_s)
{
	char *line = NULL;
	json_object *r = call(request("console", "name", name), &line);

	if (!r)
		return 1;
	if (!reply_ok(r)) {
		int rc = finish(r, line, 0);
		json_object_put(r);
		free(line);
		return rc;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", rstr(r, "socket"));
	json_object_put(r);
	free(line);

	int fd = dial(path, "the VM's worker");
	if (fd < 0)
		return 1;
	static const char attach[] = "{\"cmd\":\"attach\"}\n";
	char *rest = NULL;
	size_t rest_len = 0;
	if (send_all(fd, attach, sizeof(attach) - 1)) {
		fprintf(stderr, "raumctl: sending to the worker of %s: %s\n", name, strerror(errno));
		close(fd);
		return 1;
	}
	line = read_line(fd, "the VM's worker", REPLY_WAIT_MS, &rest, &rest_len);
	r = line ? parse_reply(line, "the VM's worker") : NULL;
	if (!r || !reply_ok(r)) {
		if (r)
			fprintf(stderr, "raumctl: %s\n", rstr(r, "error"));
		json_object_put(r);
		free(line);
		free(rest);
		close(fd);
		return 1;
	}
	json_object_put(r);
	free(line);

	int tty = isatty(STDIN_FILENO);
	if (tty && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		struct termios raw = saved_tio;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* the guest's "\n" still starts a line */
		tio_saved = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
		atexit(restore_tty);
		fprintf(stderr, "attached to %s: Ctrl-] detaches\r\n", name);
	}
	signal(SIGPIPE, SIG_IGN);
	if (rest_len && write(STDOUT_FILENO, rest, rest_len) < 0) { /* stdout gone: the loop ends on it */ }
	free(rest);

	int in_open = 1, rc = 0;
	long long deadline = -1;  /* after stdin's end: when to leave */
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
		int wait = -1;
		if (deadline >= 0) {
			long long left = deadline - ms_now();
			if (left <= 0)
				break;
			wait = (int)left;
		}
		if (poll(p, in_open ? 2 : 1, wait) < 0) {
			if (errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		char buf[4096];
		if (p[0].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0) {
				restore_tty();
				fprintf(stderr, "\nraumctl: the console of %s ended (the VM stopped)\n", name);
				break;
			}
			if (write(STDOUT_FILENO, buf, (size_t)n) < 0) {
				rc = 1;
				break;
			}
		}
		if (in_open && p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			char *key = n > 0 ? memchr(buf, DETACH_KEY, (size_t)n) : NULL;
			if (key)
				n = key - buf;
			if (n > 0 && send_all(fd, buf, (size_t)n)) {
				rc = 1;
				break;
			}
			if (key) {
				restore_tty();
				fprintf(stderr, "\r\ndetached from %s\n", name);
				break;
			}
			if (n <= 0) {
				in_open = 0;
				if (timeout_s >= 0)
					deadline = ms_now() + (long long)timeout_s * 1000;
			}
		}
	}
	restore_tty();
	close(fd);
	return rc;
}

static void usage_vm(void)
{
	fprintf(stderr,
		"usage: raumctl VERB ... (talks to raumd at $RAUMD_SOCKET, default %s)\n"
		"  create CONFIG [--json]        define a VM from its config file (docs/raumd-config.md)\n"
		"  list [--json]                 every VM: name, state, memory, VPs, uptime\n"
		"  start NAME [--json]           start it (a worker process runs it in the background)\n"
		"  stop NAME [--no-wait] [--json]    ask it to stop; forced after its stop_timeout\n"
		"  destroy NAME [--no-wait] [--json] force it off now\n"
		"  info NAME [--json]            state, memory, VPs, uptime, pids, exit reason, statistics\n"
		"  remove NAME [--json]          delete a VM that does not run\n"
		"  console NAME [--timeout S]    its serial console; Ctrl-] detaches\n",
		DEFAULT_SOCKET);
}

int vm_command(const char *cmd, int argc, char **argv)
{
	int json = 0, wait = 1, timeout = -1, n = 0;
	const char *arg = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && strcmp(cmd, "console") != 0)
			json = 1;
		else if (strcmp(argv[i], "--no-wait") == 0 && (strcmp(cmd, "stop") == 0 || strcmp(cmd, "destroy") == 0))
			wait = 0;
		else if (strcmp(argv[i], "--timeout") == 0 && strcmp(cmd, "console") == 0 && i + 1 < argc) {
			char *end;
			long t = strtol(argv[++i], &end, 10);
			if (*end || t < 0 || t > 86400) {
				fprintf(stderr, "raumctl: console: --timeout takes seconds, 0 to 86400, not '%s'\n", argv[i]);
				return 2;
			}
			timeout = (int)t;
		} else if (argv[i][0] != '-' && n++ == 0)
			arg = argv[i];
		else {
			fprintf(stderr, "raumctl: %s: unknown option or extra argument '%s'\n", cmd, argv[i]);
			usage_vm();
			return 2;
		}
	}
	if (strcmp(cmd, "list") == 0) {
		if (n) {
			fprintf(stderr, "raumctl: list takes no name\n");
			return 2;
		}
		return cmd_list(json);
	}
	if (n != 1) {
		fprintf(stderr, "raumctl: %s needs %s\n", cmd, strcmp(cmd, "create") == 0 ? "a config file" : "a VM name");
		usage_vm();
		return 2;
	}
	if (strcmp(cmd, "create") == 0) {
		char abs[PATH_MAX];
		if (!realpath(arg, abs)) {
			fprintf(stderr, "raumctl: create: %s: %s\n", arg, strerror(errno));
			return 1;
		}
		return cmd_simple("create", "config", abs, json);
	}
	if (strcmp(cmd, "info") == 0)
		return cmd_info(arg, json);
	if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "destroy") == 0)
		return cmd_stop(cmd, arg, json, wait);
	if (strcmp(cmd, "console") == 0)
		return cmd_console(arg, timeout);
	return cmd_simple(cmd, "name", arg, json);
}
