// SPDX-License-Identifier: MIT
/*
 * tools/raumctl/raumctl.c against a fake /dev/raum: `stats` lists every VP
 * until the hypervisor answers HV_STATUS_INVALID_VP_INDEX and stops only
 * there, `stats VP` keeps its per-reason output, `--json` output parses (with
 * json-c's own parser) and holds what the hypervisor answered, and a hostile
 * or broken answer (wrong VP index, too many reasons, a total below its
 * counters, a VP that never ends, bytes that are not ASCII) gives a clean
 * message and status 1, never bad output. Each run of raumctl's main is in a
 * forked child (raumctl exits on errors); its stdout, stderr and status come
 * back through files.
 */
#define open fake_open
#define ioctl fake_ioctl
#define main raumctl_main
#include "../../tools/raumctl/raumctl.c"
#undef open
#undef ioctl
#undef main

#include "unit.h"

#include <stdarg.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* ---- the fake hypervisor (in shared memory: raumctl runs in a child) ---- */
struct fake_hv {
	uint32_t nr_vps;        /* VPs 0 .. nr_vps - 1 exist */
	uint32_t fail_vp;       /* this VP answers fail_status (when fail_status) */
	unsigned fail_status;
	int answer_wrong_vp;    /* answers for VP index + 1 */
	uint32_t nr_reasons;    /* what GetExitStats reports (0: RAUM_EXIT_REASONS) */
	int total_too_small;    /* total below the sum of its counters */
	int bad_build;          /* GetVersion's build string holds control and non-ASCII bytes */
	int canary_broken;
	int no_device;          /* open fails with ENOENT */
	uint32_t calls;         /* GetExitStats calls made */
};
static struct fake_hv *hvp;
#define hv (*hvp)

/* The counters of VP v: reason r counts 1000 * v + r + 1 (hv_memory: 0, it is a subset of npf). */
static uint64_t fake_count(uint32_t v, int r)
{
	return r == RAUM_EXIT_HV_MEMORY ? 0 : 1000ULL * v + (uint64_t)r + 1;
}

static uint64_t fake_total(uint32_t v)
{
	uint64_t t = 0;

	for (int r = 0; r < RAUM_EXIT_REASONS; r++)
		t += fake_count(v, r);
	return t;
}

int fake_open(const char *path, int flags, ...)
{
	(void)flags;
	if (strcmp(path, RAUM_DEV_PATH) != 0 || hv.no_device) {
		errno = ENOENT;
		return -1;
	}
	return 1000;
}

/* A broken call from raumctl: the child ends with status 99 (a cmocka assert here would run in the child). */
#define FAKE_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "fake hypervisor: %s failed\n", #cond); \
			_exit(99); \
		} \
	} while (0)

int fake_ioctl(int fd, unsigned long req, ...)
{
	struct raum_hypercall *hc;
	va_list ap;

	va_start(ap, req);
	hc = va_arg(ap, struct raum_hypercall *);
	va_end(ap);
	if (fd != 1000 || req != RAUM_IOC_HYPERCALL) {
		errno = EINVAL;
		return -1;
	}
	hc->result = HV_STATUS_SUCCESS;
	switch (hc->control) {
	case RAUM_CALL_GET_EXIT_STATS: {
		const struct raum_stats_in *in = (const void *)(uintptr_t)hc->in_ptr;
		struct raum_exit_stats *st = (void *)(uintptr_t)hc->out_ptr;

		FAKE_CHECK(hc->in_len == sizeof(*in));
		FAKE_CHECK(hc->out_len == sizeof(*st));
		FAKE_CHECK(in->reserved == 0);
		hv.calls++;
		if (hv.fail_status && in->vp_index == hv.fail_vp) {
			hc->result = hv.fail_status;
			break;
		}
		if (in->vp_index >= hv.nr_vps) {
			hc->result = HV_STATUS_INVALID_VP_INDEX;
			break;
		}
		st->vp_index = in->vp_index + (hv.answer_wrong_vp ? 1 : 0);
		st->nr_reasons = hv.nr_reasons ? hv.nr_reasons : RAUM_EXIT_REASONS;
		st->total = hv.total_too_small ? 5 : fake_total(in->vp_index);
		for (int r = 0; r < RAUM_EXIT_REASONS; r++)
			st->count[r] = fake_count(in->vp_index, r);
		break;
	}
	case RAUM_CALL_GET_VERSION: {
		struct raum_version *v = (void *)(uintptr_t)hc->out_ptr;

		FAKE_CHECK(hc->out_len == sizeof(*v));
		v->major = 0;
		v->minor = 10;
		v->patch = 3;
		v->vendor = 2;
		if (hv.bad_build)
			memcpy(v->build, "20\"26\n\x01\xff\xc3-12\\", 14);
		else
			strcpy(v->build, "2026-12-01");
		break;
	}
	case RAUM_CALL_GET_HEALTH: {
		struct raum_health *h = (void *)(uintptr_t)hc->out_ptr;

		FAKE_CHECK(hc->out_len == sizeof(*h));
		h->canary_phys = 0x7f000000;
		h->canary_ok = !hv.canary_broken;
		h->msr_denied = 2;
		h->last_denied_msr = 0xc0010117;
		h->last_denied_write = 1;
		h->buffers_refused = 3;
		h->fixups = 4;
		h->invd = 5;
		h->mtrr_writes = 6;
		h->neighbour_phys = 0x7e002000;
		h->iommu = 1;
		h->iommu_units = 1;
		h->dma_faults = 7;
		h->dma_fault_overflows = 8;
		h->pci_refused = 9;
		break;
	}
	default:
		hc->result = HV_STATUS_INVALID_HYPERCALL_CODE;
	}
	return 0;
}

/*
 * A sanitizer report (a leak in raumctl included: LeakSanitizer checks each
 * child at its exit) ends the process with 86, a status raumctl never uses,
 * so it cannot pass for raumctl's own failure status 1.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "exitcode=86";
}

/* ---- running raumctl ---- */
struct run {
	int status;          /* exit status */
	char out[1 << 16];   /* stdout */
	char err[4096];      /* stderr */
};

static void slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs `raumctl ARGS...` (NULL-terminated) against the fake hypervisor as it is set now. */
static struct run *run_raumctl(const char *arg, ...)
{
	static struct run r;
	char *argv[8] = { "raumctl" };
	int argc = 1, st;
	FILE *out = tmpfile(), *err = tmpfile();
	va_list ap;
	pid_t pid;

	assert_non_null(out);
	assert_non_null(err);
	va_start(ap, arg);
	for (const char *a = arg; a; a = va_arg(ap, const char *)) {
		assert_true(argc < 7);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fileno(out), 1);
		dup2(fileno(err), 2);
		exit(raumctl_main(argc, argv));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	r.status = WEXITSTATUS(st);
	slurp(out, r.out, sizeof(r.out));
	slurp(err, r.err, sizeof(r.err));
	return &r;
}

static int setup(void **state)
{
	(void)state;
	memset(&hv, 0, sizeof(hv));
	return 0;
}

/* The n-th line of s (from 0), copied into buf. */
static const char *line(const char *s, int n, char *buf, size_t size)
{
	for (; n > 0 && s; n--) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	assert_non_null(s);
	size_t len = strcspn(s, "\n");
	assert_true(len < size);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- stats: every VP, one line each ---- */
static void test_stats_lists_every_vp(void **state)
{
	struct run *r;
	char buf[512];
	const char *header = " vp        total     cpuid  msr_read msr_write        io       npf      intr       "
			     "nmi init_sipi hypercall      rest";

	(void)state;
	hv.nr_vps = 3;
	r = run_raumctl("stats", NULL);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->err, "");
	assert_int_equal(count_lines(r->out), 4);
	assert_string_equal(line(r->out, 0, buf, sizeof(buf)), header);
	for (uint32_t v = 0; v < 3; v++) {
		unsigned long long f[12], shown = 0;
		int k = sscanf(line(r->out, 1 + (int)v, buf, sizeof(buf)),
			       "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
			       &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &f[11]);
		const int cols[] = { RAUM_EXIT_CPUID, RAUM_EXIT_MSR_READ, RAUM_EXIT_MSR_WRITE, RAUM_EXIT_IO,
				     RAUM_EXIT_NPF, RAUM_EXIT_INTR, RAUM_EXIT_NMI, RAUM_EXIT_INIT_SIPI,
				     RAUM_EXIT_HYPERCALL };

		assert_int_equal(k, 12);
		assert_int_equal(f[0], v);
		assert_int_equal(f[1], fake_total(v));
		for (int c = 0; c < 9; c++) {
			assert_int_equal(f[2 + c], fake_count(v, cols[c]));
			shown += f[2 + c];
		}
		assert_int_equal(f[11], fake_total(v) - shown);
	}
	/* asked 0, 1, 2 and 3 (the one that does not exist), nothing more */
	assert_int_equal(hv.calls, 4);
}

static void test_stats_other_error_fails(void **state)
{
	struct run *r;

	(void)state;
	hv.nr_vps = 4;
	hv.fail_vp = 2;
	hv.fail_status = HV_STATUS_ACCESS_DENIED;
	r = run_raumctl("stats", NULL);
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->err, "stats: the hypervisor answered HV_STATUS_ACCESS_DENIED (0x6)"));
	assert_int_equal(count_lines(r->out), 3); /* header, VP 0, VP 1: what it had before the error */

	r = run_raumctl("stats", "--json", NULL);
	assert_int_equal(r->status, 1);
	assert_string_equal(r->out, ""); /* no half document */
	assert_non_null(strstr(r->err, "HV_STATUS_ACCESS_DENIED"));

	hv.fail_vp = 0;
	hv.fail_status = 0x77;
	r = run_raumctl("stats", NULL);
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->err, "unknown HV_STATUS 0x77"));
	assert_string_equal(r->out, "");
}

static void test_stats_no_vp0(void **state)
{
	struct run *r;

	(void)state;
	hv.nr_vps = 0;
	r = run_raumctl("stats", NULL);
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->err, "no VP 0"));
	r = run_raumctl("stats", "--json", NULL);
	assert_int_equal(r->status, 1);
	assert_string_equal(r->out, "");
}

static void test_stats_endless_vps(void **state)
{
	struct run *r;

	(void)state;
	hv.nr_vps = UINT32_MAX; /* a hypervisor that never says "no such VP" */
	r = run_raumctl("stats", "--json", NULL);
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->err, "more than 65536 VPs"));
	assert_string_equal(r->out, "");
}

static void test_stats_wrong_vp_answer(void **state)
{
	struct run *r;

	(void)state;
	hv.nr_vps = 2;
	hv.answer_wrong_vp = 1;
	r = run_raumctl("stats", NULL);
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->err, "asked for VP 0, the hypervisor answered for VP 1"));
	r = run_raumctl("stats", "1", NULL);
	assert_int_equal(r->status, 1);
}

static void test_stats_hostile_counts(void **state)
{
	struct run *r;
	char buf[512];
	unsigned long long f[12];

	(void)state;
	hv.nr_vps = 1;
	hv.nr_reasons = 0xffffffff; /* more reasons than the structure holds: only the known ones */
	hv.total_too_small = 1;     /* rest never wraps below zero */
	r = run_raumctl("stats", NULL);
	assert_int_equal(r->status, 0);
	assert_int_equal(sscanf(line(r->out, 1, buf, sizeof(buf)),
				"%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
				&f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &f[11]),
			 12);
	assert_int_equal(f[1], 5);
	assert_int_equal(f[11], 0);
	r = run_raumctl("stats", "0", NULL);
	assert_int_equal(r->status, 0);
	assert_int_equal(count_lines(r->out), 1 + RAUM_EXIT_REASONS - 1 + 1); /* hv_memory is 0 */

	/* fewer reasons than this raumctl knows (an older hypervisor): those only */
	hv.nr_reasons = 2;
	r = run_raumctl("stats", "0", NULL);
	assert_string_equal(r->out, "VP 0 exits:\n  cpuid        1\n  msr_read     2\n  total        5\n");
	r = run_raumctl("stats", "0", "--json", NULL);
	assert_string_equal(r->out, "[{\"vp\":0,\"total\":5,\"exits\":{\"cpuid\":1,\"msr_read\":2}}]\n");
}

/* ---- stats VP: unchanged ---- */
static void test_stats_one_vp(void **state)
{
	struct run *r;
	char want[2048];
	int n;

	(void)state;
	hv.nr_vps = 3;
	r = run_raumctl("stats", "2", NULL);
	assert_int_equal(r->status, 0);
	n = snprintf(want, sizeof(want), "VP 2 exits:\n");
	for (int i = 0; i < RAUM_EXIT_REASONS; i++)
		if (fake_count(2, i))
			n += snprintf(want + n, sizeof(want) - (size_t)n, "  %-12s %llu\n", exit_names[i],
				      (unsigned long long)fake_count(2, i));
	snprintf(want + n, sizeof(want) - (size_t)n, "  %-12s %llu\n", "total",
		 (unsigned long long)fake_total(2));
	assert_string_equal(r->out, want);
}

static void test_stats_missing_vp(void **state)
{
	struct run *r;

	(void)state;
	hv.nr_vps = 3;
	r = run_raumctl("stats", "999", NULL);
	assert_int_equal(r->status, 1);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "raumctl: stats: the root partition has no VP 999 "
				    "(HV_STATUS_INVALID_VP_INDEX); 'raumctl stats' lists its VPs\n");
	r = run_raumctl("stats", "3", "--json", NULL);
	assert_int_equal(r->status, 1);
	assert_string_equal(r->out, "");
}

static void test_usage(void **state)
{
	(void)state;
	hv.nr_vps = 1;
	assert_int_equal(run_raumctl("stats", "1", "2", NULL)->status, 2);
	assert_int_equal(run_raumctl("stats", "x", NULL)->status, 2);
	assert_int_equal(run_raumctl("stats", "-1", NULL)->status, 2);
	assert_int_equal(run_raumctl("stats", "--jsonx", NULL)->status, 2);
	assert_int_equal(run_raumctl("version", "--json", "--json", NULL)->status, 2);
	assert_int_equal(run_raumctl("health", "x", NULL)->status, 2);
	assert_int_equal(run_raumctl("log", "--json", NULL)->status, 2);
	hv.no_device = 1;
	struct run *r = run_raumctl("stats", "--json", NULL);
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->err, "/dev/raum not found"));
}

/* ---- JSON, read back with json-c's parser ---- */
static json_object *parse(const char *text)
{
	json_object *o;

	/* one document on one line */
	assert_int_equal(count_lines(text), 1);
	o = json_tokener_parse(text);
	assert_non_null(o);
	return o;
}

static uint64_t juint(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_uint64(v);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static void test_stats_json(void **state)
{
	struct run *r;
	json_object *doc, *e;

	(void)state;
	hv.nr_vps = 5;
	r = run_raumctl("stats", "--json", NULL);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->err, "");
	doc = parse(r->out);
	assert_true(json_object_is_type(doc, json_type_array));
	assert_int_equal(json_object_array_length(doc), 5);
	for (uint32_t v = 0; v < 5; v++) {
		json_object *o = json_object_array_get_idx(doc, v);

		assert_int_equal(json_object_object_length(o), 3);
		assert_int_equal(juint(o, "vp"), v);
		assert_int_equal(juint(o, "total"), fake_total(v));
		assert_true(json_object_object_get_ex(o, "exits", &e));
		assert_int_equal(json_object_object_length(e), RAUM_EXIT_REASONS);
		for (int i = 0; i < RAUM_EXIT_REASONS; i++)
			assert_int_equal(juint(e, exit_names[i]), fake_count(v, i));
	}
	json_object_put(doc);

	/* stats VP --json: the same object, alone in its array; --json may come first */
	r = run_raumctl("stats", "--json", "4", NULL);
	assert_int_equal(r->status, 0);
	doc = parse(r->out);
	assert_int_equal(json_object_array_length(doc), 1);
	assert_int_equal(juint(json_object_array_get_idx(doc, 0), "vp"), 4);
	json_object_put(doc);
}

static void test_version_json(void **state)
{
	struct run *r;
	json_object *doc;

	(void)state;
	r = run_raumctl("version", "--json", NULL);
	assert_int_equal(r->status, 0);
	doc = parse(r->out);
	assert_string_equal(jstr(doc, "version"), "0.10.3");
	assert_int_equal(juint(doc, "minor"), 10);
	assert_string_equal(jstr(doc, "vendor"), "AMD-V");
	assert_string_equal(jstr(doc, "build"), "2026-12-01");
	json_object_put(doc);
	/* the text form is unchanged */
	r = run_raumctl("version", NULL);
	assert_string_equal(r->out, "Raum 0.10.3 (vendor AMD-V, built 2026-12-01)\n");

	/* a build string with quotes, a newline, control and non-UTF-8 bytes: printable ASCII only */
	hv.bad_build = 1;
	r = run_raumctl("version", "--json", NULL);
	assert_int_equal(r->status, 0);
	doc = parse(r->out);
	assert_string_equal(jstr(doc, "build"), "20\"26????" "-12\\");
	json_object_put(doc);
	r = run_raumctl("version", NULL);
	assert_string_equal(r->out, "Raum 0.10.3 (vendor AMD-V, built 20\"26????" "-12\\)\n");
}

static void test_health_json(void **state)
{
	struct run *r;
	json_object *doc, *l;

	(void)state;
	r = run_raumctl("health", "--json", NULL);
	assert_int_equal(r->status, 0);
	doc = parse(r->out);
	assert_string_equal(jstr(doc, "canary"), "intact");
	assert_int_equal(juint(doc, "canary_page"), 0x7f000000);
	assert_int_equal(juint(doc, "msr_denied"), 2);
	assert_true(json_object_object_get_ex(doc, "msr_denied_latest", &l));
	assert_int_equal(juint(l, "msr"), 0xc0010117);
	assert_string_equal(jstr(l, "access"), "write");
	assert_int_equal(juint(doc, "buffers_refused"), 3);
	assert_int_equal(juint(doc, "fixups"), 4);
	assert_int_equal(juint(doc, "invd"), 5);
	assert_int_equal(juint(doc, "mtrr_writes"), 6);
	assert_string_equal(jstr(doc, "iommu"), "VT-d");
	assert_int_equal(juint(doc, "iommu_units"), 1);
	assert_int_equal(juint(doc, "dma_faults"), 7);
	assert_int_equal(juint(doc, "dma_fault_overflows"), 8);
	assert_int_equal(juint(doc, "neighbour_page"), 0x7e002000);
	assert_int_equal(juint(doc, "pci_refused"), 9);
	json_object_put(doc);
	r = run_raumctl("health", NULL);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->out, "iommu            VT-d DMA remapping, 1 unit\n"));
	assert_non_null(strstr(r->out, "dma_faults       7 (log overflows 8)\n"));

	hv.canary_broken = 1; /* still a whole document, and status 1 */
	r = run_raumctl("health", "--json", NULL);
	assert_int_equal(r->status, 1);
	doc = parse(r->out);
	assert_string_equal(jstr(doc, "canary"), "BROKEN");
	json_object_put(doc);
}

int main(void)
{
	hvp = mmap(NULL, sizeof(*hvp), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (hvp == MAP_FAILED)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_stats_lists_every_vp, setup),
		cmocka_unit_test_setup(test_stats_other_error_fails, setup),
		cmocka_unit_test_setup(test_stats_no_vp0, setup),
		cmocka_unit_test_setup(test_stats_endless_vps, setup),
		cmocka_unit_test_setup(test_stats_wrong_vp_answer, setup),
		cmocka_unit_test_setup(test_stats_hostile_counts, setup),
		cmocka_unit_test_setup(test_stats_one_vp, setup),
		cmocka_unit_test_setup(test_stats_missing_vp, setup),
		cmocka_unit_test_setup(test_usage, setup),
		cmocka_unit_test_setup(test_stats_json, setup),
		cmocka_unit_test_setup(test_version_json, setup),
		cmocka_unit_test_setup(test_health_json, setup),
	};
	return cmocka_run_group_tests_name("raumctl", tests, NULL, NULL) ? 1 : 0;
}
