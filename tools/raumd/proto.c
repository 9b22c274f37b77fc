// SPDX-License-Identifier: MIT
/*
 * raumd's protocol, the pure part (proto.h). The request parser trusts
 * nothing: the line's length and NUL bytes are checked before json-c sees
 * it, json-c parses strictly with a small depth limit, and then every key
 * of the object must be one the command's table allows, of the type it
 * wants; a name or a path is validated before it is copied.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "proto.h"

/* What each command takes: FIELD_NAME a VM name, FIELD_CONFIG a config file's absolute path. */
enum { FIELD_NAME = 1, FIELD_CONFIG = 2 };

struct cmd_spec {
	const char *name;
	unsigned scopes;        /* SCOPE_* where the command exists */
	unsigned raumd_fields;  /* FIELD_* it needs on raumd's socket (on a worker's: none) */
};

static const struct cmd_spec cmds[RQ_NCMDS] = {
	[RQ_PING] = { "ping", SCOPE_RAUMD | SCOPE_WORKER, 0 },
	[RQ_CREATE] = { "create", SCOPE_RAUMD, FIELD_CONFIG },
	[RQ_LIST] = { "list", SCOPE_RAUMD, 0 },
	[RQ_START] = { "start", SCOPE_RAUMD, FIELD_NAME },
	[RQ_STOP] = { "stop", SCOPE_RAUMD | SCOPE_WORKER, FIELD_NAME },
	[RQ_DESTROY] = { "destroy", SCOPE_RAUMD | SCOPE_WORKER, FIELD_NAME },
	[RQ_INFO] = { "info", SCOPE_RAUMD, FIELD_NAME },
	[RQ_REMOVE] = { "remove", SCOPE_RAUMD, FIELD_NAME },
	[RQ_CONSOLE] = { "console", SCOPE_RAUMD, FIELD_NAME },
	[RQ_ATTACH] = { "attach", SCOPE_WORKER, 0 },
	[RQ_STATS] = { "stats", SCOPE_WORKER, 0 },
};

static const char *const state_names[VM_NSTATES] = {
	[VM_DEFINED] = "defined", [VM_RUNNING] = "running", [VM_STOPPING] = "stopping",
	[VM_STOPPED] = "stopped", [VM_FAILED] = "failed",
};

const char *raumd_cmd_name(enum raumd_cmd c) { return (unsigned)c < RQ_NCMDS ? cmds[c].name : "?"; }

const char *raumd_state_name(enum vm_state s) { return (unsigned)s < VM_NSTATES ? state_names[s] : "?"; }

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

bool raumd_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > VMCONFIG_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

/* The commands scope has, for messages: "ping, create, list, ...". */
static void cmd_list(enum raumd_scope scope, char *buf, size_t n)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < RQ_NCMDS && at < n; c++) {
		if (!(cmds[c].scopes & scope))
			continue;
		int w = snprintf(buf + at, n - at, "%s%s", at ? ", " : "", cmds[c].name);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

/* A string field's value: present, a string without control bytes, shorter than max. */
static int take_string(json_object *v, const char *cmd, const char *key, size_t max, const char **out, char *err,
		       size_t errlen)
{
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, "%s: field \"%s\" must be a string", cmd, key);
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n)
		return fail(err, errlen, "%s: field \"%s\" holds a NUL byte", cmd, key);
	if (n >= max)
		return fail(err, errlen, "%s: field \"%s\" is %zu bytes long: %zu at most", cmd, key, n, max - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(err, errlen, "%s: field \"%s\" holds a control character (byte 0x%02x at %zu)", cmd,
				    key, (unsigned char)s[i], i + 1);
	*out = s;
	return 0;
}

static int check_object(json_object *o, enum raumd_scope scope, struct raumd_request *rq, char *err, size_t errlen)
{
	json_object *v;
	char list[160];

	cmd_list(scope, list, sizeof(list));
	if (!json_object_object_get_ex(o, "cmd", &v))
		return fail(err, errlen, "request has no \"cmd\" field: send e.g. {\"cmd\":\"list\"} (commands: %s)",
			    list);
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, "field \"cmd\" must be a string, one of: %s", list);
	const char *name = json_object_get_string(v);
	unsigned c;
	for (c = 0; c < RQ_NCMDS; c++)
		if ((cmds[c].scopes & scope) && strlen(name) == (size_t)json_object_get_string_len(v) &&
		    strcmp(name, cmds[c].name) == 0)
			break;
	if (c == RQ_NCMDS) {
		char shown[40];
		size_t i, n = (size_t)json_object_get_string_len(v);
		for (i = 0; i < n && i < sizeof(shown) - 1; i++) /* printable ASCII only in messages */
			shown[i] = name[i] >= 0x20 && name[i] < 0x7f && name[i] != '"' ? name[i] : '?';
		shown[i] = '\0';
		return fail(err, errlen, "unknown cmd \"%s%s\": one of %s", shown, n > i ? "..." : "", list);
	}
	const struct cmd_spec *spec = &cmds[c];
	unsigned fields = scope == SCOPE_RAUMD ? spec->raumd_fields : 0;

	memset(rq, 0, sizeof(*rq));
	rq->cmd = (enum raumd_cmd)c;
	json_object_object_foreach(o, key, val) {
		const char *s;
		if (strcmp(key, "cmd") == 0)
			continue;
		if (strcmp(key, "name") == 0 && (fields & FIELD_NAME)) {
			if (take_string(val, spec->name, key, sizeof(rq->name) + 1, &s, err, errlen))
				return -1;
			if (!raumd_valid_name(s))
				return fail(err, errlen, "%s: \"name\" is not a VM name: 1 to %d of A-Z a-z 0-9 _ . -, "
					    "not starting with . or -", spec->name, VMCONFIG_NAME_MAX);
			strcpy(rq->name, s);
		} else if (strcmp(key, "config") == 0 && (fields & FIELD_CONFIG)) {
			if (take_string(val, spec->name, key, sizeof(rq->config), &s, err, errlen))
				return -1;
			if (s[0] != '/')
				return fail(err, errlen, "%s: \"config\" must be an absolute path (raumctl create makes "
					    "it one)", spec->name);
			strcpy(rq->config, s);
		} else {
			char shown[40];
			size_t i;
			for (i = 0; key[i] && i < sizeof(shown) - 1; i++)
				shown[i] = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"' ? key[i] : '?';
			shown[i] = '\0';
			return fail(err, errlen, "%s: unexpected field \"%s%s\" (%s takes %s)", spec->name, shown,
				    key[i] ? "..." : "", spec->name,
				    fields == FIELD_NAME ? "\"cmd\" and \"name\"" :
				    fields == FIELD_CONFIG ? "\"cmd\" and \"config\"" : "\"cmd\" alone");
		}
	}
	if ((fields & FIELD_NAME) && !rq->name[0])
		return fail(err, errlen, "%s: missing field \"name\" (e.g. {\"cmd\":\"%s\",\"name\":\"web\"})",
			    spec->name, spec->name);
	if ((fields & FIELD_CONFIG) && !rq->config[0])
		return fail(err, errlen, "%s: missing field \"config\" (e.g. {\"cmd\":\"create\",\"config\":"
			    "\"/etc/raum/web.conf\"})", spec->name);
	return 0;
}

int raumd_parse_request(const char *line, size_t len, enum raumd_scope scope, struct raumd_request *rq,
			char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	memset(rq, 0, sizeof(*rq));
	if (len > RAUMD_REQUEST_MAX)
		return fail(err, errlen, "request too long (limit %d bytes)", RAUMD_REQUEST_MAX);
	if (memchr(line, '\0', len))
		return fail(err, errlen, "request holds a NUL byte: send one JSON object per line");
	if (len > 0 && line[len - 1] == '\r') /* tolerate CRLF (nc -C, telnet) */
		len--;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return fail(err, errlen, "empty request: send one JSON object per line, e.g. {\"cmd\":\"list\"}");

	json_tokener *tok = json_tokener_new_ex(RAUMD_JSON_DEPTH);
	if (!tok)
		return fail(err, errlen, "out of memory parsing the request: try again");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		return fail(err, errlen, "request is not valid JSON (%s at byte %zu): send one JSON object per line, "
			    "e.g. {\"cmd\":\"list\"}", jerr == json_tokener_continue ? "unexpected end" :
			    json_tokener_error_desc(jerr), end + 1);
	}
	for (; end < len; end++)
		if (line[end] != ' ' && line[end] != '\t')
			break;
	int rc;
	if (end < len)
		rc = fail(err, errlen, "request has bytes after its JSON object (at byte %zu): one object per line",
			  end + 1);
	else if (!json_object_is_type(o, json_type_object))
		rc = fail(err, errlen, "request must be a JSON object, e.g. {\"cmd\":\"list\"}");
	else
		rc = check_object(o, scope, rq, err, errlen);
	json_object_put(o);
	if (rc)
		memset(rq, 0, sizeof(*rq));
	return rc;
}

enum vm_state raumd_exit_state(int status, int signal, bool requested, char *why, size_t whylen)
{
	if (signal) {
		const char *sn = signal == SIGKILL ? "SIGKILL" : signal == SIGTERM ? "SIGTERM" :
				 signal == SIGSEGV ? "SIGSEGV" : signal == SIGABRT ? "SIGABRT" : "";
		snprintf(why, whylen, "VM process killed by signal %d%s%s%s", signal, *sn ? " (" : "", sn, *sn ? ")" : "");
		if (requested) {
			size_t n = strlen(why);
			snprintf(why + n, whylen > n ? whylen - n : 0, ", as raumd asked (stop or destroy)");
			return VM_STOPPED;
		}
		size_t n = strlen(why);
		snprintf(why + n, whylen > n ? whylen - n : 0, " that raumd did not send");
		return VM_FAILED;
	}
	if (status == 0) {
		snprintf(why, whylen, "guest halted (status 0)");
		return VM_STOPPED;
	}
	if (status == 1) {
		snprintf(why, whylen, "raumctl run failed (status 1; or the guest wrote 0 to the exit port): see the "
			 "console log");
		return VM_FAILED;
	}
	if (status == 2) {
		snprintf(why, whylen, "raumctl run refused its arguments (status 2): see the console log");
		return VM_FAILED;
	}
	if (status == 4) {
		snprintf(why, whylen, "guest crashed (raumctl run status 4): see the console log");
		return VM_FAILED;
	}
	if (status == 127) {
		snprintf(why, whylen, "the VM command could not be run (status 127): see the console log");
		return VM_FAILED;
	}
	if (status & 1) {
		snprintf(why, whylen, "guest exited with status %d (exit port value %d)", status, status >> 1);
		return VM_STOPPED;
	}
	snprintf(why, whylen, "VM process exited with unexpected status %d: see the console log", status);
	return VM_FAILED;
}

bool raumd_peer_allowed(uid_t uid, gid_t gid, uid_t self_uid, bool has_group, gid_t group)
{
	return uid == 0 || uid == self_uid || (has_group && gid == group);
}

int raumd_group_gid(const char *text, size_t len, const char *name, gid_t *gid)
{
	size_t nl = strlen(name);

	for (size_t at = 0; at < len;) {
		const char *s = text + at, *eol = memchr(s, '\n', len - at);
		size_t n = eol ? (size_t)(eol - s) : len - at;
		at += n + 1;
		/* name:password:gid:... */
		if (n <= nl || memcmp(s, name, nl) != 0 || s[nl] != ':' || nl == 0)
			continue;
		const char *pw_end = memchr(s + nl + 1, ':', n - nl - 1);
		if (!pw_end)
			continue;
		const char *g = pw_end + 1, *end = s + n;
		unsigned long long x = 0;
		const char *q = g;
		while (q < end && *q >= '0' && *q <= '9' && x <= 0xffffffffULL)
			x = x * 10 + (unsigned)(*q++ - '0');
		if (q == g || (q < end && *q != ':') || x > 0xfffffffeULL)
			continue;
		*gid = (gid_t)x;
		return 0;
	}
	return -1;
}
