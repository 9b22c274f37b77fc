// SPDX-License-Identifier: MIT
/*
 * A VM's worker: the process that holds one VM (docs/raumd.md, "Process
 * model"). It runs the VM command (`raumctl run ...`, which holds the
 * /dev/raum file that owns the partition) as its child with stdin and
 * stdout/stderr on pipes, relays the console (to the console log, a 4 KiB
 * ring and every attached client; clients' bytes to the VM's stdin),
 * answers its own socket STATE_DIR/vm/NAME.sock (mode 0600) and, when the
 * VM process ends, writes STATE_DIR/vm/NAME.exit and leaves.
 *
 * It is single-threaded around poll(). Nothing blocks on a client: sockets
 * are non-blocking, console bytes a slow client cannot take are dropped
 * for it (the log has them all), input the VM does not read is dropped.
 * The VM process dies with the worker (PR_SET_PDEATHSIG): a worker killed
 * with -9 takes its partition down, raum.ko returns the memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../raumctl/run.h"
#include "proto.h"
#include "util.h"
#include "worker.h"

struct wclient {
	int fd;                        /* -1: free */
	bool attached;                 /* raw console bytes both ways */
	int bad;                       /* consecutive malformed requests */
	size_t n;
	char in[WORKER_LINE_MAX + 1];
};

static struct {
	const char *name, *state_dir, *log_path;
	unsigned stop_timeout;
	char sock_path[PATH_MAX], json_path[PATH_MAX], exit_path[PATH_MAX], stats_path[PATH_MAX];
	int lfd, logfd, vm_in, vm_out;
	pid_t vm_pid;
	time_t start_time;
	unsigned long long console_bytes, input_bytes, dropped_bytes;
	char ring[WORKER_RING];
	size_t ring_len, ring_at;      /* bytes held, where the next goes */
	bool stopping, kill_requested;
	long long stop_deadline;       /* now_ms() when the stop turns into SIGKILL */
	struct wclient cl[WORKER_CLIENTS_MAX];
} W;

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;
	if (write(sig_pipe[1], &b, 1) < 0) { /* the pipe is full: a wake-up is pending anyway */ }
	errno = e;
}

static void wlog(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "raumd worker %s: ", W.name);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static void client_close(struct wclient *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->attached = false;
	c->n = 0;
	c->bad = 0;
}

/* A reply line to a client; a client that cannot take it within 1 s is closed. */
static void client_reply(struct wclient *c, json_object *o)
{
	size_t len;
	char *line = json_line(o, &len);

	if (!line || write_all_timeout(c->fd, line, len, 1000))
		client_close(c);
	free(line);
}

static void client_error(struct wclient *c, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	client_reply(c, o);
}

/* Console output from the VM: to the log, the ring, and every attached client that can take it now. */
static void console_out(const char *buf, size_t n)
{
	W.console_bytes += n;
	if (W.logfd >= 0 && write_all_timeout(W.logfd, buf, n, 1000))
		wlog("writing the console log %s failed: %s", W.log_path, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		W.ring[W.ring_at] = buf[i];
		W.ring_at = (W.ring_at + 1) % WORKER_RING;
	}
	W.ring_len = W.ring_len + n > WORKER_RING ? WORKER_RING : W.ring_len + n;
	for (int i = 0; i < WORKER_CLIENTS_MAX; i++) {
		struct wclient *c = &W.cl[i];
		if (c->fd < 0 || !c->attached)
			continue;
		ssize_t w = send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			client_close(c);
		else if (w < (ssize_t)n)
			W.dropped_bytes += n - (size_t)(w < 0 ? 0 : w);
	}
}

/* Console input from a client: to the VM's stdin if it takes it now, else dropped. */
static void console_in(const char *buf, size_t n)
{
	if (W.vm_in < 0)
		return;
	ssize_t w = write(W.vm_in, buf, n);
	if (w > 0)
		W.input_bytes += (size_t)w;
	if (w < 0 && errno == EPIPE) {
		close(W.vm_in);
		W.vm_in = -1;
	}
}

static void begin_stop(void)
{
	if (W.stopping)
		return;
	W.stopping = true;
	W.stop_deadline = now_ms() + (long long)W.stop_timeout * 1000;
}

static void kill_vm(void)
{
	W.kill_requested = true;
	if (W.vm_pid > 0)
		kill(W.vm_pid, SIGKILL);
}

/*
 * The VM process's exit counters (tools/raumctl/run.h, struct
 * raumctl_run_stats, in the file it maps shared) into o; nothing when the
 * file is absent or not raumctl's (a fake VM, an old raumctl).
 */
static void add_vm_stats(json_object *o)
{
	static const char *const kinds[] = { "none", "interrupted", "io", "memory", "hlt", "shutdown", "failed",
					     "cpuid", "msr", "exception" };
	struct raumctl_run_stats st;
	int fd = open(W.stats_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return;
	ssize_t n = pread(fd, &st, sizeof(st), 0);
	close(fd);
	if (n != (ssize_t)sizeof(st) || st.magic != RAUMCTL_STATS_MAGIC || st.version != RAUMCTL_STATS_VERSION)
		return;
	json_object_object_add(o, "exits", json_object_new_int64((int64_t)st.exits));
	json_object_object_add(o, "exits_to_worker", json_object_new_int64((int64_t)st.dispatches));
	json_object_object_add(o, "port_io_exits", json_object_new_int64((int64_t)st.io_exits));
	json_object_object_add(o, "mmio_exits", json_object_new_int64((int64_t)st.mmio));
	json_object_object_add(o, "interrupts_raised", json_object_new_int64((int64_t)st.irqs));
	json_object *k = json_object_new_object();
	for (size_t i = 1; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		json_object_object_add(k, kinds[i], json_object_new_int64((int64_t)st.by_kind[i]));
	json_object_object_add(o, "exits_by_kind", k);
}

static void reply_stats(struct wclient *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "name", json_object_new_string(W.name));
	json_object_object_add(o, "state", json_object_new_string(W.stopping ? "stopping" : "running"));
	json_object_object_add(o, "vm_pid", json_object_new_int64(W.vm_pid));
	json_object_object_add(o, "worker_pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "uptime_s", json_object_new_int64((int64_t)(time(NULL) - W.start_time)));
	json_object_object_add(o, "console_bytes", json_object_new_int64((int64_t)W.console_bytes));
	json_object_object_add(o, "console_input_bytes", json_object_new_int64((int64_t)W.input_bytes));
	json_object_object_add(o, "console_dropped_bytes", json_object_new_int64((int64_t)W.dropped_bytes));
	add_vm_stats(o);
	client_reply(c, o);
}

static void reply_ok(struct wclient *c, const char *state)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (state)
		json_object_object_add(o, "state", json_object_new_string(state));
	client_reply(c, o);
}

/* One request line from a client that has not attached. */
static void client_request(struct wclient *c, const char *line, size_t len)
{
	struct raumd_request rq;
	char err[256];

	if (raumd_parse_request(line, len, SCOPE_WORKER, &rq, err, sizeof(err))) {
		client_error(c, err);
		if (c->fd >= 0 && ++c->bad >= RAUMD_MALFORMED_MAX) {
			client_error(c, "too many malformed requests: closing this connection");
			client_close(c);
		}
		return;
	}
	c->bad = 0;
	switch (rq.cmd) {
	case RQ_PING: reply_ok(c, NULL); break;
	case RQ_STATS: reply_stats(c); break;
	case RQ_STOP:
		begin_stop();
		reply_ok(c, "stopping");
		break;
	case RQ_DESTROY:
		kill_vm();
		reply_ok(c, "stopping");
		break;
	case RQ_ATTACH: {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		json_object_object_add(o, "name", json_object_new_string(W.name));
		json_object_object_add(o, "replay_bytes", json_object_new_int64((int64_t)W.ring_len));
		client_reply(c, o);
		if (c->fd < 0)
			return;
		c->attached = true;
		/* the last WORKER_RING bytes of output, oldest first, so that what came before the attach is seen */
		size_t first = (W.ring_at + WORKER_RING - W.ring_len) % WORKER_RING;
		size_t a = W.ring_len < WORKER_RING - first ? W.ring_len : WORKER_RING - first;
		if (write_all_timeout(c->fd, W.ring + first, a, 1000) ||
		    write_all_timeout(c->fd, W.ring, W.ring_len - a, 1000))
			client_close(c);
		break;
	}
	default: client_error(c, "not a worker command"); break;
	}
}

static void client_readable(struct wclient *c)
{
	char buf[4096];
	ssize_t r = read(c->fd, buf, sizeof(buf));

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		client_close(c);
		return;
	}
	size_t at = 0, n = (size_t)r;
	while (at < n && c->fd >= 0) {
		if (c->attached) {
			console_in(buf + at, n - at);
			return;
		}
		char ch = buf[at++];
		if (ch != '\n') {
			if (c->n == WORKER_LINE_MAX) {
				char msg[96];
				snprintf(msg, sizeof(msg), "request too long (limit %d bytes)", WORKER_LINE_MAX);
				client_error(c, msg);
				client_close(c);
				return;
			}
			c->in[c->n++] = ch;
			continue;
		}
		size_t len = c->n;
		c->n = 0;
		client_request(c, c->in, len);
	}
}

static void accept_client(void)
{
	int fd = accept4(W.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct ucred cr;
	socklen_t cl = sizeof(cr);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) || !raumd_peer_allowed(cr.uid, cr.gid, geteuid(), false, 0)) {
		static const char msg[] = "{\"ok\":false,\"error\":\"permission denied: a VM's worker serves root "
					  "and raumd's user only\"}\n";
		if (send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) { /* closing anyway */ }
		close(fd);
		return;
	}
	for (int i = 0; i < WORKER_CLIENTS_MAX; i++) {
		if (W.cl[i].fd < 0) {
			W.cl[i].fd = fd;
			return;
		}
	}
	static const char busy[] = "{\"ok\":false,\"error\":\"this VM's worker has 16 connections: detach another "
				   "console first\"}\n";
	if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) { /* closing anyway */ }
	close(fd);
}

/* The VM process's child side: its pipes as stdin/stdout/stderr, dies with the worker, runs the command. */
static void __attribute__((noreturn)) vm_child(pid_t worker, int in_r, int out_w, char **cmd)
{
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != worker)
		_exit(1); /* the worker is gone already */
	if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
		_exit(1);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setenv("RAUMCTL_STATS_FILE", W.stats_path, 1); /* raumctl run publishes its exit counters there */
	execv(cmd[0], cmd);
	dprintf(1, "raumd worker: cannot run the VM command %s: %s (raumctl next to raumd, /usr/bin/raumctl, "
		"or RAUMD_RUN_CMD)\n", cmd[0], strerror(errno));
	_exit(127);
}

static int path_in_state(char *dst, const char *ext)
{
	return snprintf(dst, PATH_MAX, "%s/vm/%s.%s", W.state_dir, W.name, ext) >= PATH_MAX ? -1 : 0;
}

/* Sets up the socket, the log and the VM process. 0, or -1 with the reason in err. */
static int worker_setup(char **cmd, char *err, size_t errlen)
{
	if (path_in_state(W.sock_path, "sock") || path_in_state(W.json_path, "json") ||
	    path_in_state(W.exit_path, "exit") || path_in_state(W.stats_path, "stats")) {
		snprintf(err, errlen, "the state folder's path is too long");
		return -1;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(W.sock_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes: choose a shorter --state-dir",
			 W.sock_path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, W.sock_path);
	if (mkdirs_parent(W.log_path, 0755) ||
	    (W.logfd = open(W.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640)) < 0) {
		snprintf(err, errlen, "cannot open the console log %s: %s (console_log = a writable path)",
			 W.log_path, strerror(errno));
		return -1;
	}
	unlink(W.exit_path);
	unlink(W.stats_path); /* raumctl run creates it afresh */
	unlink(W.sock_path); /* raumd checked that no worker answers on it */
	mode_t old = umask(077);
	W.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc = W.lfd < 0 || bind(W.lfd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(W.sock_path, 0600) ||
		 listen(W.lfd, 16);
	umask(old);
	if (rc) {
		snprintf(err, errlen, "cannot listen on %s: %s", W.sock_path, strerror(errno));
		return -1;
	}
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot make pipes: %s", strerror(errno));
		return -1;
	}
	pid_t self = getpid();
	W.vm_pid = fork();
	if (W.vm_pid < 0) {
		snprintf(err, errlen, "cannot fork the VM process: %s", strerror(errno));
		return -1;
	}
	if (W.vm_pid == 0)
		vm_child(self, in[0], out[1], cmd);
	close(in[0]);
	close(out[1]);
	W.vm_in = in[1];
	W.vm_out = out[0];
	fcntl(W.vm_in, F_SETFL, O_NONBLOCK);
	fcntl(W.vm_out, F_SETFL, O_NONBLOCK);
	W.start_time = time(NULL);

	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(W.name));
	json_object_object_add(o, "worker_pid", json_object_new_int64(self));
	json_object_object_add(o, "vm_pid", json_object_new_int64(W.vm_pid));
	json_object_object_add(o, "start_time", json_object_new_int64((int64_t)W.start_time));
	json_object_object_add(o, "console_log", json_object_new_string(W.log_path));
	json_object_object_add(o, "stop_timeout_s", json_object_new_int64(W.stop_timeout));
	if (write_json_file(W.json_path, o)) {
		snprintf(err, errlen, "cannot write %s: %s", W.json_path, strerror(errno));
		kill(W.vm_pid, SIGKILL);
		return -1;
	}
	return 0;
}

/* The VM process ended with wait status st: its last output, the exit record, then the worker leaves. */
static void __attribute__((noreturn)) worker_finish(int st)
{
	char buf[4096], why[256];
	size_t drained = 0;

	/* what the VM wrote before it ended (a grandchild holding the pipe must not keep us: bounded) */
	while (W.vm_out >= 0 && drained < (1u << 20)) {
		ssize_t r = read(W.vm_out, buf, sizeof(buf));
		if (r <= 0)
			break;
		console_out(buf, (size_t)r);
		drained += (size_t)r;
	}
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	enum vm_state s = raumd_exit_state(status, sig, W.kill_requested, why, sizeof(why));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(W.name));
	json_object_object_add(o, "state", json_object_new_string(raumd_state_name(s)));
	json_object_object_add(o, "status", json_object_new_int64(status));
	json_object_object_add(o, "signal", json_object_new_int64(sig));
	json_object_object_add(o, "requested", json_object_new_boolean(W.kill_requested));
	json_object_object_add(o, "reason", json_object_new_string(why));
	json_object_object_add(o, "start_time", json_object_new_int64((int64_t)W.start_time));
	json_object_object_add(o, "end_time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "console_bytes", json_object_new_int64((int64_t)W.console_bytes));
	add_vm_stats(o); /* the final counters */
	unlink(W.stats_path);
	if (write_json_file(W.exit_path, o))
		wlog("cannot write %s: %s", W.exit_path, strerror(errno));
	unlink(W.sock_path);
	unlink(W.json_path);
	_exit(0); /* raumd sees its connection end and reads the record */
}

static int usage(void)
{
	fprintf(stderr, "raumd: usage: raumd --worker NAME --state-dir DIR --console-log FILE --stop-timeout S "
		"--ready-fd FD -- COMMAND [ARGS...] (raumd starts its workers itself)\n");
	return 2;
}

int worker_main(int argc, char **argv)
{
	int ready = -1, i;
	char **cmd = NULL;
	char err[512];

	memset(&W, 0, sizeof(W));
	W.lfd = W.logfd = W.vm_in = W.vm_out = -1;
	for (i = 0; i < WORKER_CLIENTS_MAX; i++)
		W.cl[i].fd = -1;
	W.stop_timeout = VMCONFIG_STOP_TIMEOUT_DEFAULT;
	for (i = 1; i < argc; i += 2) /* OPTION VALUE pairs */ {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--") == 0) {
			cmd = argv + i + 1;
			break;
		}
		if (!v)
			return usage();
		if (strcmp(a, "--worker") == 0)
			W.name = v;
		else if (strcmp(a, "--state-dir") == 0)
			W.state_dir = v;
		else if (strcmp(a, "--console-log") == 0)
			W.log_path = v;
		else if (strcmp(a, "--stop-timeout") == 0)
			W.stop_timeout = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--ready-fd") == 0)
			ready = atoi(v);
		else
			return usage();
	}
	if (!W.name || !raumd_valid_name(W.name) || !W.state_dir || !W.log_path || !cmd || !cmd[0] || ready < 0 ||
	    W.stop_timeout > VMCONFIG_STOP_TIMEOUT_MAX)
		return usage();
	fcntl(ready, F_SETFD, FD_CLOEXEC);

	setsid(); /* its own session: no terminal's signals, raumd's end is not ours */
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK))
		return 1;
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);

	if (worker_setup(cmd, err, sizeof(err))) {
		dprintf(ready, "%s\n", err);
		return 1;
	}
	if (write(ready, "ok\n", 3) != 3) { /* raumd gone: keep the VM, a restarted raumd adopts it */ }
	close(ready);

	for (;;) {
		struct pollfd p[3 + WORKER_CLIENTS_MAX];
		int map[3 + WORKER_CLIENTS_MAX], n = 0;
		p[n] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN }; map[n++] = -1;
		p[n] = (struct pollfd){ .fd = W.lfd, .events = POLLIN }; map[n++] = -2;
		if (W.vm_out >= 0) {
			p[n] = (struct pollfd){ .fd = W.vm_out, .events = POLLIN };
			map[n++] = -3;
		}
		for (i = 0; i < WORKER_CLIENTS_MAX; i++)
			if (W.cl[i].fd >= 0) {
				p[n] = (struct pollfd){ .fd = W.cl[i].fd, .events = POLLIN };
				map[n++] = i;
			}
		int timeout = -1;
		if (W.stopping && !W.kill_requested) {
			long long left = W.stop_deadline - now_ms();
			timeout = left < 0 ? 0 : (int)left;
		}
		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
			return 1;
		if (W.stopping && !W.kill_requested && now_ms() >= W.stop_deadline)
			kill_vm(); /* no shutdown channel yet: stop means force after the timeout */
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (map[k] == -1) {
				unsigned char sigs[64];
				ssize_t r = read(sig_pipe[0], sigs, sizeof(sigs));
				for (ssize_t j = 0; j < r; j++)
					if (sigs[j] == SIGTERM)
						begin_stop();
				int st;
				if (waitpid(W.vm_pid, &st, WNOHANG) == W.vm_pid)
					worker_finish(st);
			} else if (map[k] == -2) {
				accept_client();
			} else if (map[k] == -3) {
				char buf[4096];
				ssize_t r = read(W.vm_out, buf, sizeof(buf));
				if (r > 0)
					console_out(buf, (size_t)r);
				else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					close(W.vm_out);
					W.vm_out = -1;
				}
			} else {
				client_readable(&W.cl[map[k]]);
			}
		}
	}
}
