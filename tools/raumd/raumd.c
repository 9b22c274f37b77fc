// SPDX-License-Identifier: MIT
/*
 * raumd: the VM management service of the root partition (docs/raumd.md).
 *
 *   raumd [--socket PATH] [--state-dir DIR] [--conf-dir DIR] [--group NAME]
 *   raumd --worker NAME ...          (a VM's worker; raumd starts them: worker.c)
 *
 * It owns the VMs' definitions (CONF_DIR/NAME.conf, copies of the files
 * `create` was given) and their state, starts one worker process per
 * running VM (fork + exec of itself in worker mode), and answers raumctl on
 * a Unix socket with newline-delimited JSON (proto.h). Workers outlive
 * raumd: killed with -9 and started again, raumd finds them through their
 * sockets STATE_DIR/vm/NAME.sock and their records NAME.json / NAME.exit.
 * Nothing is restarted automatically.
 *
 * Single-threaded around poll(). The socket's peers are not trusted: every
 * connection is checked with SO_PEERCRED, every request line is bounded
 * (RAUMD_REQUEST_MAX) and parsed by raumd_parse_request, replies are
 * queued and written as the peer takes them. Waits on workers (a start's
 * ready report, a stats / stop / destroy answer) are bounded: 5 s and 1 s.
 * Exit status: 0 on SIGTERM / SIGINT (the VMs keep running), 1 when it
 * cannot start, 2 usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "proto.h"
#include "util.h"
#include "vmconfig.h"
#include "worker.h"

#define CLIENTS_MAX 64
#define VMS_MAX 256
#define CLIENT_OUT_MAX (4u << 20)   /* replies queued for one client before it is dropped */
#define START_WAIT_MS 5000          /* a worker reports ready (or why not) within this */
#define WORKER_CALL_MS 1000         /* a worker answers a request within this */
#define EOF_GRACE_MS 2000           /* a child worker's wait status is awaited this long after its EOF */

struct vm {
	struct vmconfig cfg;
	enum vm_state state;
	pid_t worker_pid, vm_pid;
	bool worker_child;          /* forked by this raumd: its wait status comes here */
	bool reaped;
	int wstatus;
	time_t start_time;
	int wfd;                    /* the connection to its worker, -1 */
	bool eof;                   /* that connection ended: the worker is gone */
	long long eof_at;
	int exit_status, exit_signal;
	char reason[320];
};

struct client {
	int fd;                     /* -1: free */
	int bad;                    /* consecutive malformed requests */
	size_t n;
	char *in;                   /* RAUMD_REQUEST_MAX + 1 bytes */
	char *out;
	size_t on, ocap;
	bool discard;               /* closing once out is written */
};

static const char *sock_path = RAUMD_SOCKET_DEFAULT, *state_dir = RAUMD_STATE_DEFAULT, *conf_dir = RAUMD_CONF_DEFAULT;
static bool has_group;
static gid_t group_gid;
static int lfd = -1, sig_pipe[2] = { -1, -1 };
static struct vm *vms[VMS_MAX];
static struct client clients[CLIENTS_MAX];
static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		quit = 1;
	if (write(sig_pipe[1], &b, 1) < 0) { /* full: a wake-up is pending anyway */ }
	errno = e;
}

__attribute__((format(printf, 1, 2))) static void logf_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "raumd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int vm_path(char *dst, const struct vm *v, const char *ext)
{
	return snprintf(dst, PATH_MAX, "%s/vm/%s.%s", state_dir, v->cfg.name, ext) >= PATH_MAX ? -1 : 0;
}

static struct vm *find_vm(const char *name)
{
	for (int i = 0; i < VMS_MAX; i++)
		if (vms[i] && strcmp(vms[i]->cfg.name, name) == 0)
			return vms[i];
	return NULL;
}

/* ---- replies ---- */

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Writes what c has queued, as far as the socket takes it now. */
static void client_flush(struct client *c)
{
	while (c->on) {
		ssize_t w = send(c->fd, c->out, c->on, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (w <= 0) {
			client_close(c);
			return;
		}
		memmove(c->out, c->out + w, c->on - (size_t)w);
		c->on -= (size_t)w;
	}
	if (c->discard)
		client_close(c);
}

/* Queues o (put here) as a reply line; a client that lets CLIENT_OUT_MAX pile up is dropped. */
static void reply(struct client *c, json_object *o)
{
	size_t len;
	char *line = json_line(o, &len);

	if (!line || c->on + len > CLIENT_OUT_MAX) {
		free(line);
		client_close(c);
		return;
	}
	if (c->on + len > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 4096;
		while (cap < c->on + len)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (!p) {
			free(line);
			client_close(c);
			return;
		}
		c->out = p;
		c->ocap = cap;
	}
	memcpy(c->out + c->on, line, len);
	c->on += len;
	free(line);
	client_flush(c);
}

static json_object *ok_obj(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

__attribute__((format(printf, 2, 3))) static void reply_err(struct client *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	reply(c, o);
}

/* ---- workers ---- */

/*
 * One request to v's worker and its one-line answer, waiting at most
 * WORKER_CALL_MS. The answer object, or NULL (the worker is gone: v->eof
 * set, or it did not answer in time).
 */
static json_object *worker_call(struct vm *v, const char *req)
{
	char buf[4096];
	size_t n = 0;

	if (v->wfd < 0 || v->eof)
		return NULL;
	if (write_all_timeout(v->wfd, req, strlen(req), WORKER_CALL_MS))
		return NULL;
	long long deadline = now_ms() + WORKER_CALL_MS;
	for (;;) {
		ssize_t r = recv(v->wfd, buf + n, sizeof(buf) - 1 - n, MSG_DONTWAIT);
		if (r == 0) {
			v->eof = true;
			v->eof_at = now_ms();
			return NULL;
		}
		if (r > 0) {
			n += (size_t)r;
			char *nl = memchr(buf, '\n', n);
			if (nl) {
				*nl = '\0';
				json_object *o = json_tokener_parse(buf);
				if (o && !json_object_is_type(o, json_type_object)) {
					json_object_put(o);
					o = NULL;
				}
				return o;
			}
			if (n == sizeof(buf) - 1)
				return NULL;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return NULL;
		long long left = deadline - now_ms();
		if (left <= 0)
			return NULL;
		struct pollfd p = { .fd = v->wfd, .events = POLLIN };
		poll(&p, 1, (int)left);
	}
}

static int connect_worker(struct vm *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[PATH_MAX];

	if (vm_path(path, v, "sock") || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static const char *json_str(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : dflt;
}

static long long json_int(json_object *o, const char *key, long long dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int) ?
		       (long long)json_object_get_int64(v) : dflt;
}

/* v's last exit record (NAME.exit) into its state; false when there is none. */
static bool load_exit_record(struct vm *v)
{
	char path[PATH_MAX];

	if (vm_path(path, v, "exit"))
		return false;
	json_object *o = read_json_file(path);
	if (!o)
		return false;
	const char *st = json_str(o, "state", "failed");
	v->state = strcmp(st, "stopped") == 0 ? VM_STOPPED : VM_FAILED;
	snprintf(v->reason, sizeof(v->reason), "%s", json_str(o, "reason", "no reason recorded"));
	v->exit_status = (int)json_int(o, "status", -1);
	v->exit_signal = (int)json_int(o, "signal", 0);
	json_object_put(o);
	return true;
}

/* v failed without a record from its worker: raumd writes one, so that the reason outlives raumd too. */
static void record_failure(struct vm *v, const char *why)
{
	char path[PATH_MAX];

	v->state = VM_FAILED;
	v->exit_status = -1;
	v->exit_signal = 0;
	snprintf(v->reason, sizeof(v->reason), "%s", why);
	if (vm_path(path, v, "exit"))
		return;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(v->cfg.name));
	json_object_object_add(o, "state", json_object_new_string("failed"));
	json_object_object_add(o, "status", json_object_new_int64(-1));
	json_object_object_add(o, "signal", json_object_new_int64(0));
	json_object_object_add(o, "reason", json_object_new_string(why));
	json_object_object_add(o, "end_time", json_object_new_int64((int64_t)time(NULL)));
	if (write_json_file(path, o))
		logf_("%s: cannot write %s: %s", v->cfg.name, path, strerror(errno));
}

/* Removes a gone worker's leftovers (a worker killed with -9 leaves its socket and NAME.json). */
static void remove_runtime_files(struct vm *v)
{
	char path[PATH_MAX];

	if (!vm_path(path, v, "sock"))
		unlink(path);
	if (!vm_path(path, v, "json"))
		unlink(path);
}

/* v's worker is gone (its connection ended): its record decides the state. */
static void vm_ended(struct vm *v)
{
	char why[320];

	if (v->wfd >= 0)
		close(v->wfd);
	v->wfd = -1;
	v->eof = false;
	if (!load_exit_record(v)) {
		if (v->reaped && WIFSIGNALED(v->wstatus))
			snprintf(why, sizeof(why), "worker (pid %d) killed by signal %d%s; its VM process died with it",
				 (int)v->worker_pid, WTERMSIG(v->wstatus), WTERMSIG(v->wstatus) == SIGKILL ? " (SIGKILL)" : "");
		else if (v->reaped && WIFEXITED(v->wstatus))
			snprintf(why, sizeof(why), "worker (pid %d) exited with status %d without an exit record",
				 (int)v->worker_pid, WEXITSTATUS(v->wstatus));
		else
			snprintf(why, sizeof(why), "worker (pid %d) vanished without an exit record (killed?); its VM "
				 "process died with it", (int)v->worker_pid);
		record_failure(v, why);
	}
	remove_runtime_files(v);
	logf_("%s: %s: %s", v->cfg.name, raumd_state_name(v->state), v->reason);
	v->worker_pid = v->vm_pid = 0;
	v->worker_child = v->reaped = false;
}

/* Reads NAME.json of a running worker: pids and start time. */
static void load_runtime(struct vm *v)
{
	char path[PATH_MAX];

	if (vm_path(path, v, "json"))
		return;
	json_object *o = read_json_file(path);
	if (!o)
		return;
	v->worker_pid = (pid_t)json_int(o, "worker_pid", 0);
	v->vm_pid = (pid_t)json_int(o, "vm_pid", 0);
	v->start_time = (time_t)json_int(o, "start_time", (long long)time(NULL));
	json_object_put(o);
}

/* The path of the VM command: RAUMD_RUN_CMD, raumctl next to raumd, or /usr/bin/raumctl. */
static void run_command(char *dst, size_t n)
{
	const char *env = getenv("RAUMD_RUN_CMD");
	char self[PATH_MAX];
	ssize_t len;

	if (env && env[0] == '/') {
		snprintf(dst, n, "%s", env);
		return;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
		char *slash = strrchr(self, '/');
		if (slash && snprintf(dst, n, "%.*s/raumctl", (int)(slash - self), self) < (int)n && access(dst, X_OK) == 0)
			return;
	}
	snprintf(dst, n, "/usr/bin/raumctl");
}

/*
 * Starts v's worker: fork + exec of raumd --worker, then waits (at most
 * START_WAIT_MS) for its ready line on a pipe. 0, or -1 with the reason in err.
 */
static int start_worker(struct vm *v, char *err, size_t errlen)
{
	static struct vmconfig_args a;
	char cmd[PATH_MAX], timeout[16], readyfd[16], path[PATH_MAX];
	char *argv[20 + VMCONFIG_ARGS_MAX];
	int n = 0, rp[2];

	if (vmconfig_run_args(&v->cfg, &a) < 0) {
		snprintf(err, errlen, "the config of %s does not fit raumctl run's arguments", v->cfg.name);
		return -1;
	}
	run_command(cmd, sizeof(cmd));
	snprintf(timeout, sizeof(timeout), "%u", v->cfg.stop_timeout_s);
	if (pipe2(rp, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	snprintf(readyfd, sizeof(readyfd), "%d", 3);
	argv[n++] = "raumd";
	argv[n++] = "--worker";
	argv[n++] = v->cfg.name;
	argv[n++] = "--state-dir";
	argv[n++] = (char *)state_dir;
	argv[n++] = "--console-log";
	argv[n++] = v->cfg.console_log;
	argv[n++] = "--stop-timeout";
	argv[n++] = timeout;
	argv[n++] = "--ready-fd";
	argv[n++] = readyfd;
	argv[n++] = "--";
	argv[n++] = cmd;
	argv[n++] = "run";
	/* the worker relays the console itself: raumctl run's own --log FILE pair is left out */
	for (int i = 0; i < a.argc; i++) {
		if (strcmp(a.argv[i], "--log") == 0 && i + 1 < a.argc) {
			i++;
			continue;
		}
		argv[n++] = a.argv[i];
	}
	argv[n] = NULL;
	if (!vm_path(path, v, "exit"))
		unlink(path);
	pid_t pid = fork();
	if (pid < 0) {
		close(rp[0]);
		close(rp[1]);
		snprintf(err, errlen, "cannot fork the worker: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (dup2(rp[1], 3) < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv("/proc/self/exe", argv);
		dprintf(3, "cannot run raumd --worker: %s\n", strerror(errno));
		_exit(1);
	}
	close(rp[1]);
	char line[600];
	size_t got = 0;
	long long deadline = now_ms() + START_WAIT_MS;
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
		long long left = deadline - now_ms();
		struct pollfd p = { .fd = rp[0], .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			break;
		ssize_t r = read(rp[0], line + got, sizeof(line) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(rp[0]);
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	v->worker_pid = pid;
	v->worker_child = true;
	v->reaped = false;
	if (strcmp(line, "ok") != 0) {
		kill(pid, SIGKILL); /* reaped with the others; its VM process dies with it */
		v->worker_pid = 0;
		v->worker_child = false;
		snprintf(err, errlen, "%s", got ? line : "its worker did not report ready within 5 s");
		return -1;
	}
	v->wfd = connect_worker(v);
	load_runtime(v);
	v->worker_pid = pid;
	if (v->wfd < 0) {
		kill(pid, SIGKILL);
		snprintf(err, errlen, "cannot connect to its worker's socket: %s", strerror(errno));
		return -1;
	}
	v->state = VM_RUNNING;
	v->reason[0] = '\0';
	v->exit_status = v->exit_signal = 0;
	return 0;
}

/* At startup: v's worker may still run (raumd was restarted). Finds it, or what it left. */
static void adopt(struct vm *v)
{
	char path[PATH_MAX];
	struct stat st;

	v->state = VM_DEFINED;
	if (!vm_path(path, v, "sock") && lstat(path, &st) == 0) {
		v->wfd = connect_worker(v);
		if (v->wfd >= 0) {
			load_runtime(v);
			v->state = VM_RUNNING;
			json_object *o = worker_call(v, "{\"cmd\":\"stats\"}\n");
			if (o) {
				if (strcmp(json_str(o, "state", ""), "stopping") == 0)
					v->state = VM_STOPPING;
				json_object_put(o);
			}
			logf_("%s: found its worker (pid %d) running: adopted", v->cfg.name, (int)v->worker_pid);
			return;
		}
	}
	if (load_exit_record(v)) {
		remove_runtime_files(v);
		return;
	}
	if (!vm_path(path, v, "json") && lstat(path, &st) == 0) {
		load_runtime(v);
		char why[200];
		snprintf(why, sizeof(why), "worker (pid %d) vanished without an exit record while raumd was not running",
			 (int)v->worker_pid);
		record_failure(v, why);
		remove_runtime_files(v);
	}
}

/* ---- definitions ---- */

static int add_vm(const struct vmconfig *c)
{
	for (int i = 0; i < VMS_MAX; i++) {
		if (!vms[i]) {
			vms[i] = calloc(1, sizeof(struct vm));
			if (!vms[i])
				return -1;
			vms[i]->cfg = *c;
			vms[i]->wfd = -1;
			return i;
		}
	}
	return -1;
}

static void load_definitions(void)
{
	DIR *d = opendir(conf_dir);
	struct dirent *e;
	static struct vmconfig c;
	char name[VMCONFIG_NAME_MAX + 2], path[PATH_MAX], err[1024];

	if (!d) {
		logf_("cannot read %s: %s (no VMs defined yet?)", conf_dir, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (!split_vm_file(e->d_name, ".conf", name, sizeof(name)))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", conf_dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (vmconfig_load(path, &c, err, sizeof(err))) {
			logf_("skipping a bad definition: %s", err);
			continue;
		}
		if (strcmp(c.name, name) != 0) {
			logf_("skipping %s: it defines the VM \"%s\", its file name says \"%s\"", path, c.name, name);
			continue;
		}
		if (find_vm(c.name)) {
			logf_("skipping %s: a VM named %s exists already", path, c.name);
			continue;
		}
		int i = add_vm(&c);
		if (i < 0) {
			logf_("skipping %s: raumd holds %d VMs at most", path, VMS_MAX);
			continue;
		}
		adopt(vms[i]);
	}
	closedir(d);
}

/* Reads the regular file at path (at most VMCONFIG_FILE_MAX + 1 bytes, so that a bigger one is refused). */
static char *read_config(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *buf = malloc(VMCONFIG_FILE_MAX + 1);
	size_t n = 0;
	while (buf && n < VMCONFIG_FILE_MAX + 1) {
		ssize_t r = read(fd, buf + n, VMCONFIG_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			free(buf);
			buf = NULL;
		}
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf && !err[0])
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(ENOMEM));
	*len = n;
	return buf;
}

/* ---- requests ---- */

static void do_create(struct client *cl, const char *config)
{
	static struct vmconfig c;
	char err[1024] = "", path[PATH_MAX];
	size_t len;
	char *text = read_config(config, &len, err, sizeof(err));

	if (!text) {
		reply_err(cl, "%s", err);
		return;
	}
	if (vmconfig_parse(config, text, len, &c, err, sizeof(err)) || vmconfig_check_files(&c, err, sizeof(err))) {
		free(text);
		reply_err(cl, "%s", err);
		return;
	}
	if (find_vm(c.name)) {
		free(text);
		reply_err(cl, "a VM named %s exists: remove it first (raumctl remove %s) or choose another name", c.name,
			  c.name);
		return;
	}
	if (snprintf(path, sizeof(path), "%s/%s.conf", conf_dir, c.name) >= (int)sizeof(path) ||
	    write_atomic(path, text, len, 0600)) {
		free(text);
		reply_err(cl, "cannot store the definition in %s: %s", conf_dir, strerror(errno));
		return;
	}
	free(text);
	/* the stored copy names its own file in later messages (a restarted raumd reads it) */
	snprintf(c.file, sizeof(c.file), "%s", path);
	int i = add_vm(&c);
	if (i < 0) {
		unlink(path);
		reply_err(cl, "raumd holds %d VMs at most: remove one first", VMS_MAX);
		return;
	}
	vms[i]->state = VM_DEFINED;
	logf_("%s: defined from %s", c.name, config);
	json_object *o = ok_obj();
	json_object_object_add(o, "name", json_object_new_string(c.name));
	json_object_object_add(o, "state", json_object_new_string("defined"));
	reply(cl, o);
}

static json_object *vm_summary(const struct vm *v)
{
	json_object *o = json_object_new_object();
	bool up = v->state == VM_RUNNING || v->state == VM_STOPPING;

	json_object_object_add(o, "name", json_object_new_string(v->cfg.name));
	json_object_object_add(o, "state", json_object_new_string(raumd_state_name(v->state)));
	json_object_object_add(o, "memory_mb", json_object_new_int64(v->cfg.mem_mb));
	json_object_object_add(o, "vps", json_object_new_int64(v->cfg.vps));
	json_object_object_add(o, "uptime_s", json_object_new_int64(up ? (int64_t)(time(NULL) - v->start_time) : 0));
	if (up)
		json_object_object_add(o, "pid", json_object_new_int64(v->worker_pid));
	if (v->state == VM_STOPPED || v->state == VM_FAILED) {
		json_object_object_add(o, "exit_status", json_object_new_int64(v->exit_status));
		json_object_object_add(o, "exit_signal", json_object_new_int64(v->exit_signal));
		json_object_object_add(o, "reason", json_object_new_string(v->reason));
	}
	return o;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct vm *const *)a)->cfg.name, (*(struct vm *const *)b)->cfg.name);
}

static void do_list(struct client *cl)
{
	struct vm *sorted[VMS_MAX];
	int n = 0;
	json_object *arr = json_object_new_array(), *o = ok_obj();

	for (int i = 0; i < VMS_MAX; i++)
		if (vms[i])
			sorted[n++] = vms[i];
	qsort(sorted, (size_t)n, sizeof(sorted[0]), by_name);
	for (int i = 0; i < n; i++)
		json_object_array_add(arr, vm_summary(sorted[i]));
	json_object_object_add(o, "vms", arr);
	reply(cl, o);
}

/*
 * The statistics a worker reports (its stats reply while the VM runs, its
 * NAME.exit record after): the console's counts, and the VM process's exit
 * counters where it is raumctl run (tools/raumctl/run.h).
 */
static json_object *stats_from(json_object *s)
{
	static const char *const keys[] = { "console_bytes", "console_input_bytes", "console_dropped_bytes", "exits",
					     "exits_to_worker", "port_io_exits", "mmio_exits", "interrupts_raised" };
	json_object *stats = json_object_new_object(), *k;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (i < 3 || json_object_object_get_ex(s, keys[i], NULL))
			json_object_object_add(stats, keys[i], json_object_new_int64(json_int(s, keys[i], 0)));
	if (json_object_object_get_ex(s, "exits_by_kind", &k) && json_object_is_type(k, json_type_object))
		json_object_object_add(stats, "exits_by_kind", json_object_get(k));
	return stats;
}

static void do_info(struct client *cl, struct vm *v)
{
	json_object *o = vm_summary(v), *cfg = NULL;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "image", json_object_new_string(v->cfg.image));
	json_object_object_add(o, "console_log", json_object_new_string(v->cfg.console_log));
	json_object_object_add(o, "stop_timeout_s", json_object_new_int64(v->cfg.stop_timeout_s));
	if (v->state == VM_RUNNING || v->state == VM_STOPPING) {
		json_object_object_add(o, "vm_pid", json_object_new_int64(v->vm_pid));
		json_object *s = worker_call(v, "{\"cmd\":\"stats\"}\n");
		json_object *stats;
		if (s) {
			stats = stats_from(s);
			json_object_put(s);
		} else {
			stats = json_object_new_object();
			json_object_object_add(stats, "error", json_object_new_string("its worker did not answer within 1 s"));
		}
		json_object_object_add(o, "stats", stats);
	} else if (v->state == VM_STOPPED || v->state == VM_FAILED) {
		/* its last run's final figures, from the worker's record (none when raumd wrote it: the worker died) */
		char path[PATH_MAX];
		json_object *rec = vm_path(path, v, "exit") ? NULL : read_json_file(path);
		if (rec && json_object_object_get_ex(rec, "console_bytes", NULL))
			json_object_object_add(o, "stats", stats_from(rec));
		if (rec)
			json_object_put(rec);
	}
	if (vmconfig_to_json(&v->cfg, &cfg) == 0)
		json_object_object_add(o, "config", cfg);
	reply(cl, o);
}

static void do_start(struct client *cl, struct vm *v)
{
	char err[700];

	if (v->state == VM_RUNNING || v->state == VM_STOPPING) {
		reply_err(cl, "VM %s is %s: it runs already (raumctl stop or destroy it first to start it again)",
			  v->cfg.name, raumd_state_name(v->state));
		return;
	}
	if (vmconfig_check_files(&v->cfg, err, sizeof(err))) {
		reply_err(cl, "cannot start %s: %s", v->cfg.name, err);
		return;
	}
	if (start_worker(v, err, sizeof(err))) {
		reply_err(cl, "cannot start %s: %s", v->cfg.name, err);
		return;
	}
	logf_("%s: started, worker pid %d", v->cfg.name, (int)v->worker_pid);
	json_object *o = ok_obj();
	json_object_object_add(o, "name", json_object_new_string(v->cfg.name));
	json_object_object_add(o, "state", json_object_new_string("running"));
	json_object_object_add(o, "pid", json_object_new_int64(v->worker_pid));
	reply(cl, o);
}

/* stop and destroy: the worker does it; the reply comes at once, state "stopping" (docs/raumd.md). */
static void do_stop(struct client *cl, struct vm *v, bool force)
{
	if (v->state != VM_RUNNING && v->state != VM_STOPPING) {
		reply_err(cl, "VM %s is %s: it does not run, there is nothing to %s", v->cfg.name,
			  raumd_state_name(v->state), force ? "destroy" : "stop");
		return;
	}
	json_object *a = worker_call(v, force ? "{\"cmd\":\"destroy\"}\n" : "{\"cmd\":\"stop\"}\n");
	if (!a) {
		reply_err(cl, "the worker of %s (pid %d) did not answer within 1 s: try again, or kill -9 %d (its VM "
			  "dies with it)", v->cfg.name, (int)v->worker_pid, (int)v->worker_pid);
		return;
	}
	json_object_put(a);
	v->state = VM_STOPPING;
	json_object *o = ok_obj();
	json_object_object_add(o, "name", json_object_new_string(v->cfg.name));
	json_object_object_add(o, "state", json_object_new_string("stopping"));
	json_object_object_add(o, "stop_timeout_s", json_object_new_int64(force ? 0 : v->cfg.stop_timeout_s));
	reply(cl, o);
}

static void do_remove(struct client *cl, struct vm *v)
{
	char path[PATH_MAX];

	if (v->state == VM_RUNNING || v->state == VM_STOPPING) {
		reply_err(cl, "VM %s is %s: stop or destroy it first (raumctl destroy %s)", v->cfg.name,
			  raumd_state_name(v->state), v->cfg.name);
		return;
	}
	if (snprintf(path, sizeof(path), "%s/%s.conf", conf_dir, v->cfg.name) < (int)sizeof(path) && unlink(path) &&
	    errno != ENOENT) {
		reply_err(cl, "cannot remove the definition %s: %s", path, strerror(errno));
		return;
	}
	if (!vm_path(path, v, "exit"))
		unlink(path);
	remove_runtime_files(v);
	logf_("%s: removed", v->cfg.name);
	json_object *o = ok_obj();
	json_object_object_add(o, "name", json_object_new_string(v->cfg.name));
	json_object_object_add(o, "state", json_object_new_string("removed"));
	for (int i = 0; i < VMS_MAX; i++)
		if (vms[i] == v) {
			free(v);
			vms[i] = NULL;
		}
	reply(cl, o);
}

static void do_console(struct client *cl, struct vm *v)
{
	char path[PATH_MAX];

	if (v->state != VM_RUNNING && v->state != VM_STOPPING) {
		reply_err(cl, "VM %s is %s: start it first (raumctl start %s); its console log is %s", v->cfg.name,
			  raumd_state_name(v->state), v->cfg.name, v->cfg.console_log);
		return;
	}
	vm_path(path, v, "sock");
	json_object *o = ok_obj();
	json_object_object_add(o, "name", json_object_new_string(v->cfg.name));
	json_object_object_add(o, "socket", json_object_new_string(path));
	reply(cl, o);
}

static void handle_request(struct client *c, const char *line, size_t len)
{
	struct raumd_request rq;
	char err[512];

	if (raumd_parse_request(line, len, SCOPE_RAUMD, &rq, err, sizeof(err))) {
		reply_err(c, "%s", err);
		if (c->fd >= 0 && ++c->bad >= RAUMD_MALFORMED_MAX) {
			reply_err(c, "%d malformed requests in a row: closing this connection", RAUMD_MALFORMED_MAX);
			c->discard = true;
			client_flush(c);
		}
		return;
	}
	c->bad = 0;
	if (rq.cmd == RQ_PING) {
		json_object *o = ok_obj();
		json_object_object_add(o, "pong", json_object_new_boolean(1));
		reply(c, o);
		return;
	}
	if (rq.cmd == RQ_CREATE) {
		do_create(c, rq.config);
		return;
	}
	if (rq.cmd == RQ_LIST) {
		do_list(c);
		return;
	}
	struct vm *v = find_vm(rq.name);
	if (!v) {
		reply_err(c, "no VM named %s: raumctl list shows the VMs, raumctl create CONFIG defines one", rq.name);
		return;
	}
	switch (rq.cmd) {
	case RQ_START: do_start(c, v); break;
	case RQ_STOP: do_stop(c, v, false); break;
	case RQ_DESTROY: do_stop(c, v, true); break;
	case RQ_INFO: do_info(c, v); break;
	case RQ_REMOVE: do_remove(c, v); break;
	case RQ_CONSOLE: do_console(c, v); break;
	default: reply_err(c, "%s is not a raumd command", raumd_cmd_name(rq.cmd)); break;
	}
}

static void client_readable(struct client *c)
{
	char buf[16384];
	ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (r <= 0) {
		client_close(c);
		return;
	}
	for (size_t at = 0; at < (size_t)r && c->fd >= 0 && !c->discard; at++) {
		if (buf[at] != '\n') {
			if (c->n == RAUMD_REQUEST_MAX) {
				reply_err(c, "request too long (limit %d bytes): closing this connection", RAUMD_REQUEST_MAX);
				if (c->fd >= 0) {
					c->discard = true;
					client_flush(c);
				}
				return;
			}
			c->in[c->n++] = buf[at];
			continue;
		}
		size_t len = c->n;
		c->n = 0;
		handle_request(c, c->in, len);
	}
}

static void accept_client(void)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char msg[300];

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) ||
	    !raumd_peer_allowed(cr.uid, cr.gid, geteuid(), has_group, group_gid)) {
		snprintf(msg, sizeof(msg), "{\"ok\":false,\"error\":\"permission denied: raumd serves root%s only; run "
			 "raumctl as root\"}\n", has_group ? " and its --group" : "");
		if (send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) { /* closing anyway */ }
		close(fd);
		return;
	}
	for (int i = 0; i < CLIENTS_MAX; i++) {
		if (clients[i].fd < 0) {
			clients[i].in = malloc(RAUMD_REQUEST_MAX + 1);
			if (!clients[i].in)
				break;
			clients[i].fd = fd;
			return;
		}
	}
	snprintf(msg, sizeof(msg), "{\"ok\":false,\"error\":\"raumd serves %d connections at once: try again\"}\n",
		 CLIENTS_MAX);
	if (send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) { /* closing anyway */ }
	close(fd);
}

static void reap(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (int i = 0; i < VMS_MAX; i++)
			if (vms[i] && vms[i]->worker_child && vms[i]->worker_pid == pid) {
				vms[i]->reaped = true;
				vms[i]->wstatus = st;
				if (!vms[i]->eof) { /* the exit came first: the connection's end follows */
					vms[i]->eof = true;
					vms[i]->eof_at = now_ms();
				}
			}
}

/* ---- setup ---- */

static int listen_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		logf_("--socket %s is longer than %zu bytes: choose a shorter path", sock_path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, sock_path);
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		logf_("another raumd answers on %s: stop it first, or use --socket", sock_path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(sock_path); /* a stale socket of a raumd that was killed */
	if (mkdirs_parent(sock_path, 0755)) {
		logf_("cannot make the folder of %s: %s", sock_path, strerror(errno));
		return -1;
	}
	mode_t old = umask(077);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc = lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || (has_group && chown(sock_path, (uid_t)-1, group_gid)) || chmod(sock_path, has_group ? 0660 : 0600) ||
	    listen(lfd, 64)) {
		logf_("cannot listen on %s: %s", sock_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: raumd [--socket PATH] [--state-dir DIR] [--conf-dir DIR] [--group NAME]\n"
		"  --socket PATH     where raumctl reaches it (default %s)\n"
		"  --state-dir DIR   the workers' sockets and records, DIR/vm (default %s)\n"
		"  --conf-dir DIR    the VMs' definitions (default %s)\n"
		"  --group NAME      members (primary gid) may use raumd too (the socket gets mode 0660)\n",
		RAUMD_SOCKET_DEFAULT, RAUMD_STATE_DEFAULT, RAUMD_CONF_DEFAULT);
	return 2;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	const char *group = NULL;

	if (argc > 1 && strcmp(argv[1], "--worker") == 0)
		return worker_main(argc, argv);
	for (int i = 1; i < argc; i += 2) /* OPTION VALUE pairs */ {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			return 0;
		}
		if (!v || (strcmp(a, "--group") != 0 && v[0] != '/')) {
			fprintf(stderr, "raumd: %s needs a value%s\n", a, v ? " that is an absolute path" : "");
			return usage();
		}
		if (strcmp(a, "--socket") == 0)
			sock_path = v;
		else if (strcmp(a, "--state-dir") == 0)
			state_dir = v;
		else if (strcmp(a, "--conf-dir") == 0)
			conf_dir = v;
		else if (strcmp(a, "--group") == 0)
			group = v;
		else {
			fprintf(stderr, "raumd: unknown option '%s'\n", a);
			return usage();
		}
	}
	if (group) {
		char text[65536];
		int fd = open("/etc/group", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n < 0 || raumd_group_gid(text, (size_t)n, group, &group_gid)) {
			fprintf(stderr, "raumd: --group %s: no such group in /etc/group (groupadd it, or leave --group out)\n",
				group);
			return 2;
		}
		has_group = true;
	}
	for (int i = 0; i < CLIENTS_MAX; i++)
		clients[i].fd = -1;
	if (snprintf(path, sizeof(path), "%s/vm", state_dir) >= (int)sizeof(path) || mkdirs(state_dir, 0755) ||
	    mkdirs(path, 0700) || mkdirs(conf_dir, 0700)) {
		logf_("cannot make %s and %s: %s", path, conf_dir, strerror(errno));
		return 1;
	}
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK))
		return 1;
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (listen_socket())
		return 1;
	load_definitions();
	logf_("serving on %s (definitions in %s, state in %s)", sock_path, conf_dir, state_dir);

	while (!quit) {
		struct pollfd p[2 + CLIENTS_MAX + VMS_MAX];
		int map[2 + CLIENTS_MAX + VMS_MAX], n = 0;
		p[n] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN }; map[n++] = -1;
		p[n] = (struct pollfd){ .fd = lfd, .events = POLLIN }; map[n++] = -2;
		for (int i = 0; i < CLIENTS_MAX; i++)
			if (clients[i].fd >= 0) {
				p[n] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN | (clients[i].on ? POLLOUT : 0) };
				map[n++] = i;
			}
		for (int i = 0; i < VMS_MAX; i++)
			if (vms[i] && vms[i]->wfd >= 0 && !vms[i]->eof) {
				p[n] = (struct pollfd){ .fd = vms[i]->wfd, .events = POLLIN };
				map[n++] = CLIENTS_MAX + i;
			}
		if (poll(p, (nfds_t)n, 250) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (map[k] == -1) {
				unsigned char b[64];
				while (read(sig_pipe[0], b, sizeof(b)) > 0)
					;
				reap();
			} else if (map[k] == -2) {
				accept_client();
			} else if (map[k] < CLIENTS_MAX) {
				struct client *c = &clients[map[k]];
				if (c->fd >= 0 && (p[k].revents & POLLOUT))
					client_flush(c);
				if (c->fd >= 0 && (p[k].revents & (POLLIN | POLLHUP | POLLERR)))
					client_readable(c);
			} else {
				struct vm *v = vms[map[k] - CLIENTS_MAX];
				char buf[512];
				if (!v || v->wfd < 0)
					continue;
				ssize_t r = recv(v->wfd, buf, sizeof(buf), MSG_DONTWAIT);
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
					v->eof = true;
					v->eof_at = now_ms();
				}
			}
		}
		reap();
		/* a gone worker: once its wait status is here (or it is not our child, or the grace passed) */
		for (int i = 0; i < VMS_MAX; i++) {
			struct vm *v = vms[i];
			if (v && v->eof && (v->reaped || !v->worker_child || now_ms() - v->eof_at > EOF_GRACE_MS))
				vm_ended(v);
		}
	}
	logf_("leaving on a signal; the VMs' workers keep running (a new raumd adopts them)");
	unlink(sock_path);
	return 0;
}
