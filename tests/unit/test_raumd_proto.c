// SPDX-License-Identifier: MIT
/*
 * tools/raumd/proto.c: raumd's request parser against good requests, every
 * class of bad one (invalid JSON, non-objects, unknown commands, missing,
 * extra and ill-typed fields, bad names and paths, NUL bytes, trailing
 * bytes, deep nesting, oversized lines), worker-only commands refused on
 * raumd's socket and the other way round; 20000 seeded random and mutated
 * lines that parse or fail with a message, never crash (ASan, UBSan); the
 * exit-state mapping; the peer check; /etc/group lookups.
 */
#include "unit.h"

#include <signal.h>

#include "../../tools/raumd/proto.h"

static struct raumd_request rq;
static char err[512];

static int parse_scope(const char *line, enum raumd_scope scope)
{
	return raumd_parse_request(line, strlen(line), scope, &rq, err, sizeof(err));
}

static void expect_err(const char *line, enum raumd_scope scope, const char *what)
{
	int rc = parse_scope(line, scope);
	if (rc != -1 || !strstr(err, what))
		print_message("line '%s': rc %d, message '%s', expected '%s'\n", line, rc, err, what);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, what));
}

static void test_good(void **state)
{
	(void)state;
	assert_int_equal(parse_scope("{\"cmd\":\"list\"}", SCOPE_RAUMD), 0);
	assert_int_equal(rq.cmd, RQ_LIST);
	assert_int_equal(parse_scope(" {\"name\":\"web-1.a_b\", \"cmd\":\"start\"}\r", SCOPE_RAUMD), 0);
	assert_int_equal(rq.cmd, RQ_START);
	assert_string_equal(rq.name, "web-1.a_b");
	assert_int_equal(parse_scope("{\"cmd\":\"create\",\"config\":\"/etc/raum/web.conf\"}", SCOPE_RAUMD), 0);
	assert_int_equal(rq.cmd, RQ_CREATE);
	assert_string_equal(rq.config, "/etc/raum/web.conf");
	static const char *const named[] = { "stop", "destroy", "info", "remove", "console" };
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "{\"cmd\":\"%s\",\"name\":\"%s\"}", named[i], "a23456789012345678901234567890b");
		assert_int_equal(parse_scope(line, SCOPE_RAUMD), 0);
		assert_string_equal(raumd_cmd_name(rq.cmd), named[i]);
	}
	assert_int_equal(parse_scope("{\"cmd\":\"ping\"}", SCOPE_RAUMD), 0);
	assert_int_equal(parse_scope("{\"cmd\":\"attach\"}", SCOPE_WORKER), 0);
	assert_int_equal(rq.cmd, RQ_ATTACH);
	assert_int_equal(parse_scope("{\"cmd\":\"stop\"}", SCOPE_WORKER), 0);
	assert_int_equal(parse_scope("{\"cmd\":\"stats\"}", SCOPE_WORKER), 0);
}

static void test_bad(void **state)
{
	(void)state;
	expect_err("", SCOPE_RAUMD, "empty request");
	expect_err("{\"cmd\":", SCOPE_RAUMD, "not valid JSON");
	expect_err("{'cmd':'list'}", SCOPE_RAUMD, "not valid JSON");
	expect_err("[\"list\"]", SCOPE_RAUMD, "must be a JSON object");
	expect_err("\"list\"", SCOPE_RAUMD, "must be a JSON object");
	expect_err("{\"cmd\":\"list\"} x", SCOPE_RAUMD, "at byte 16");
	expect_err("{\"cmd\":\"list\"}{}", SCOPE_RAUMD, "at byte 15");
	expect_err("{}", SCOPE_RAUMD, "no \"cmd\" field");
	expect_err("{\"cmd\":5}", SCOPE_RAUMD, "\"cmd\" must be a string");
	expect_err("{\"cmd\":\"reboot\"}", SCOPE_RAUMD, "unknown cmd \"reboot\"");
	expect_err("{\"cmd\":\"attach\"}", SCOPE_RAUMD, "unknown cmd \"attach\"");
	expect_err("{\"cmd\":\"create\",\"config\":\"/x\"}", SCOPE_WORKER, "unknown cmd \"create\"");
	expect_err("{\"cmd\":\"start\"}", SCOPE_RAUMD, "missing field \"name\"");
	expect_err("{\"cmd\":\"create\"}", SCOPE_RAUMD, "missing field \"config\"");
	expect_err("{\"cmd\":\"start\",\"name\":7}", SCOPE_RAUMD, "\"name\" must be a string");
	expect_err("{\"cmd\":\"start\",\"name\":null}", SCOPE_RAUMD, "\"name\" must be a string");
	expect_err("{\"cmd\":\"start\",\"name\":\"../etc\"}", SCOPE_RAUMD, "not a VM name");
	expect_err("{\"cmd\":\"start\",\"name\":\"a/b\"}", SCOPE_RAUMD, "not a VM name");
	expect_err("{\"cmd\":\"start\",\"name\":\"\"}", SCOPE_RAUMD, "not a VM name");
	expect_err("{\"cmd\":\"start\",\"name\":\"a234567890123456789012345678901234\"}", SCOPE_RAUMD, "bytes long");
	expect_err("{\"cmd\":\"start\",\"name\":\"a\\u0000b\"}", SCOPE_RAUMD, "NUL byte");
	expect_err("{\"cmd\":\"start\",\"name\":\"a\\nb\"}", SCOPE_RAUMD, "control character");
	expect_err("{\"cmd\":\"create\",\"config\":\"rel.conf\"}", SCOPE_RAUMD, "absolute path");
	expect_err("{\"cmd\":\"list\",\"name\":\"x\"}", SCOPE_RAUMD, "unexpected field \"name\"");
	expect_err("{\"cmd\":\"start\",\"name\":\"x\",\"force\":true}", SCOPE_RAUMD, "unexpected field \"force\"");
	expect_err("{\"cmd\":\"stop\",\"name\":\"x\"}", SCOPE_WORKER, "unexpected field \"name\"");
	expect_err("{\"cmd\":\"list\",\"a\":[[[[[[[[[[1]]]]]]]]]]}", SCOPE_RAUMD, "not valid JSON");
	/* a NUL byte inside the line */
	assert_int_equal(raumd_parse_request("{\"cmd\":\"list\"}\0", 15, SCOPE_RAUMD, &rq, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL byte"));
	/* oversized: refused before json-c sees it */
	size_t n = RAUMD_REQUEST_MAX + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(raumd_parse_request(big, n, SCOPE_RAUMD, &rq, err, sizeof(err)), -1);
	assert_string_equal(err, "request too long (limit 65536 bytes)");
	free(big);
	/* a tiny message buffer stays NUL-terminated */
	char small[8];
	assert_int_equal(raumd_parse_request("{}", 2, SCOPE_RAUMD, &rq, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

/* 20000 seeded random and mutated lines: each parses (and then is whole) or fails with a message. */
static void test_hostile(void **state)
{
	(void)state;
	static const char *const seeds[] = {
		"{\"cmd\":\"start\",\"name\":\"web\"}", "{\"cmd\":\"create\",\"config\":\"/etc/raum/w.conf\"}",
		"{\"cmd\":\"list\"}", "{\"cmd\":\"attach\"}",
	};
	static const char inserts[] = { '{', '}', '"', '\\', ':', ',', '[', ']', '\0', 'u', '0', ' ', '\x80', '\xff' };
	static char m[4096];
	u64 seed = 0x7a0d13;
	unsigned ok = 0, bad = 0;

	for (int iter = 0; iter < 20000; iter++) {
		u64 r = unit_rand(&seed);
		size_t n;
		if (r % 8 == 0) { /* random bytes */
			n = (size_t)(r >> 8) % 300;
			for (size_t i = 0; i < n; i++)
				m[i] = (char)unit_rand(&seed);
		} else {
			const char *s = seeds[(r >> 3) % 4];
			n = strlen(s);
			memcpy(m, s, n);
			int edits = 1 + (int)((r >> 8) % 4);
			for (int e = 0; e < edits; e++) {
				u64 q = unit_rand(&seed);
				size_t at = n ? (size_t)(q >> 8) % n : 0;
				switch (q % 4) {
				case 0: if (n) m[at] = (char)(q >> 32); break;
				case 1: n = at; break;
				case 2:
					if (n < sizeof(m) - 1) {
						memmove(m + at + 1, m + at, n - at);
						m[at] = inserts[(q >> 40) % sizeof(inserts)];
						n++;
					}
					break;
				default: {
					size_t run = (size_t)(q >> 40) % 1000;
					if (n + run < sizeof(m)) {
						memmove(m + at + run, m + at, n - at);
						memset(m + at, (q >> 20) % 2 ? '[' : (char)(q >> 28), run);
						n += run;
					}
				}
				}
			}
		}
		char *t = malloc(n ? n : 1); /* exactly n bytes: ASan sees a read past the end */
		assert_non_null(t);
		memcpy(t, m, n);
		enum raumd_scope scope = (r >> 60) & 1 ? SCOPE_WORKER : SCOPE_RAUMD;
		if (raumd_parse_request(t, n, scope, &rq, err, sizeof(err)) == 0) {
			ok++;
			assert_true((unsigned)rq.cmd < RQ_NCMDS);
			assert_true(rq.name[0] == '\0' || raumd_valid_name(rq.name));
			assert_true(rq.config[0] == '\0' || rq.config[0] == '/');
		} else {
			bad++;
			assert_true(strlen(err) > 10);
			assert_int_equal(rq.cmd, 0);
			assert_int_equal(rq.name[0], 0);
		}
		free(t);
	}
	print_message("hostile: %u parsed, %u refused\n", ok, bad);
	assert_true(ok > 100 && bad > 10000);
}

static void test_exit_state(void **state)
{
	(void)state;
	char why[256];

	assert_int_equal(raumd_exit_state(43, 0, false, why, sizeof(why)), VM_STOPPED);
	assert_non_null(strstr(why, "status 43 (exit port value 21)"));
	assert_int_equal(raumd_exit_state(0, 0, false, why, sizeof(why)), VM_STOPPED);
	assert_int_equal(raumd_exit_state(1, 0, false, why, sizeof(why)), VM_FAILED);
	assert_int_equal(raumd_exit_state(2, 0, false, why, sizeof(why)), VM_FAILED);
	assert_int_equal(raumd_exit_state(4, 0, false, why, sizeof(why)), VM_FAILED);
	assert_non_null(strstr(why, "crashed"));
	assert_int_equal(raumd_exit_state(127, 0, false, why, sizeof(why)), VM_FAILED);
	assert_int_equal(raumd_exit_state(6, 0, false, why, sizeof(why)), VM_FAILED);
	assert_int_equal(raumd_exit_state(-1, SIGKILL, true, why, sizeof(why)), VM_STOPPED);
	assert_int_equal(raumd_exit_state(-1, SIGKILL, false, why, sizeof(why)), VM_FAILED);
	assert_non_null(strstr(why, "signal 9 (SIGKILL)"));
	assert_int_equal(raumd_exit_state(-1, SIGSEGV, false, why, sizeof(why)), VM_FAILED);
	char tiny[4];
	raumd_exit_state(-1, SIGKILL, true, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), 3);
	assert_string_equal(raumd_state_name(VM_FAILED), "failed");
	assert_string_equal(raumd_state_name(VM_NSTATES), "?");
}

static void test_peer_and_group(void **state)
{
	(void)state;
	assert_true(raumd_peer_allowed(0, 5, 0, false, 0));
	assert_false(raumd_peer_allowed(1000, 1000, 0, false, 0));
	assert_true(raumd_peer_allowed(1000, 1000, 1000, false, 0));          /* raumd's own user */
	assert_true(raumd_peer_allowed(1000, 123, 0, true, 123));             /* the group */
	assert_false(raumd_peer_allowed(1000, 124, 0, true, 123));
	assert_false(raumd_peer_allowed(1000, 0, 0, false, 0));               /* gid 0 alone is not root */

	static const char grp[] = "root:x:0:\nraum:x:123:alice,bob\nraumx:x:7:\nbad:x:abc:\nbig:x:99999999999:\nlast:x:9";
	gid_t g = 77;
	assert_int_equal(raumd_group_gid(grp, strlen(grp), "raum", &g), 0);
	assert_int_equal(g, 123);
	assert_int_equal(raumd_group_gid(grp, strlen(grp), "root", &g), 0);
	assert_int_equal(g, 0);
	assert_int_equal(raumd_group_gid(grp, strlen(grp), "last", &g), 0);
	assert_int_equal(g, 9);
	assert_int_equal(raumd_group_gid(grp, strlen(grp), "rau", &g), -1);
	assert_int_equal(raumd_group_gid(grp, strlen(grp), "bad", &g), -1);
	assert_int_equal(raumd_group_gid(grp, strlen(grp), "big", &g), -1);
	assert_int_equal(raumd_group_gid(grp, strlen(grp), "", &g), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),       cmocka_unit_test(test_bad),
		cmocka_unit_test(test_hostile),    cmocka_unit_test(test_exit_state),
		cmocka_unit_test(test_peer_and_group),
	};
	return cmocka_run_group_tests_name("raumd_proto", tests, NULL, NULL) ? 1 : 0;
}
