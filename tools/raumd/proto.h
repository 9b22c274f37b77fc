/* SPDX-License-Identifier: MIT */
/*
 * raumd's socket protocol (docs/raumd.md), the pure part: one request line
 * into a checked struct, the state a VM's exit record means, and who may
 * connect. No I/O here: tests/unit/test_raumd_proto.c feeds it hostile
 * lines under ASan.
 *
 * A request is one JSON object on one line: {"cmd":"start","name":"web"}.
 * Every field is checked against the command's table: unknown commands,
 * missing, extra or ill-typed fields, bad names and paths, NUL bytes,
 * trailing bytes after the object, nesting deeper than RAUMD_JSON_DEPTH
 * and lines over RAUMD_REQUEST_MAX bytes are refused with one message that
 * names the problem and the fix.
 */
#ifndef RAUMD_PROTO_H
#define RAUMD_PROTO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vmconfig.h"

#define RAUMD_REQUEST_MAX 65536    /* bytes in a request line, its '\n' not counted */
#define RAUMD_JSON_DEPTH 4         /* a request is flat: {"cmd":..,"name":..} */
#define RAUMD_MALFORMED_MAX 8      /* consecutive bad requests before a client is closed */
#define RAUMD_SOCKET_DEFAULT "/run/raum/raumd.sock"
#define RAUMD_STATE_DEFAULT "/run/raum"
#define RAUMD_CONF_DEFAULT "/var/lib/raum/vms"

/* Who a request is for: raumd's socket, or a worker's own (STATE_DIR/vm/NAME.sock). */
enum raumd_scope { SCOPE_RAUMD = 1, SCOPE_WORKER = 2 };

enum raumd_cmd {
	RQ_PING,
	RQ_CREATE,    /* config */
	RQ_LIST,
	RQ_START,     /* name */
	RQ_STOP,      /* name; on a worker: no fields */
	RQ_DESTROY,   /* name; on a worker: no fields */
	RQ_INFO,      /* name */
	RQ_REMOVE,    /* name */
	RQ_CONSOLE,   /* name */
	RQ_ATTACH,    /* worker only: the connection turns into the raw console */
	RQ_STATS,     /* worker only */
	RQ_NCMDS
};

struct raumd_request {
	enum raumd_cmd cmd;
	char name[VMCONFIG_NAME_MAX + 1];   /* "" when the command takes none */
	char config[PATH_MAX];              /* create only: an absolute path */
};

/* The command's name as the protocol spells it ("destroy"). */
const char *raumd_cmd_name(enum raumd_cmd c);

/*
 * Parses line[0..len) (no '\n'; it need not end in NUL) as a request for
 * scope into *rq. 0, or -1 with the reason in err (NUL-terminated, cut to
 * errlen): "request is not valid JSON: ...", "unknown cmd "x": one of
 * ...", "start: missing field "name" (...)", "request too long (limit
 * 65536 bytes)", and so on.
 */
int raumd_parse_request(const char *line, size_t len, enum raumd_scope scope, struct raumd_request *rq,
			char *err, size_t errlen);

/* Whether s is a VM name as vmconfig takes it: 1 to 32 of A-Z a-z 0-9 _ . -, not starting with . or -. */
bool raumd_valid_name(const char *s);

enum vm_state { VM_DEFINED, VM_RUNNING, VM_STOPPING, VM_STOPPED, VM_FAILED, VM_NSTATES };

/* "defined", "running", "stopping", "stopped", "failed". */
const char *raumd_state_name(enum vm_state s);

/*
 * What a VM process's end means (docs/raumd.md, "States"): status is its
 * exit status when signal is 0, signal the one that killed it otherwise;
 * requested says raumd asked for the kill (destroy, or stop's timeout).
 * Returns VM_STOPPED or VM_FAILED and writes the human reason into why:
 *   exit 0 (guest halted), odd exit but 1 (the guest's exit port),
 *   a kill that was asked for                        -> stopped
 *   1 (raumctl failed), 2 (usage), 4 (crash), 127 (command could not
 *   run), other even statuses, a kill nobody asked for -> failed
 */
enum vm_state raumd_exit_state(int status, int signal, bool requested, char *why, size_t whylen);

/*
 * Whether a peer (SO_PEERCRED) may use raumd: uid 0, the uid raumd runs
 * as, or, when has_group, the group's gid as its primary gid.
 */
bool raumd_peer_allowed(uid_t uid, gid_t gid, uid_t self_uid, bool has_group, gid_t group);

/*
 * The gid of group name in text[0..len), /etc/group's format
 * ("name:x:gid:members" lines). 0, or -1 when there is no such line.
 */
int raumd_group_gid(const char *text, size_t len, const char *name, gid_t *gid);

#endif
