// SPDX-License-Identifier: MIT
/*
 * raumctl: the root partition's command-line tool for Raum, through the
 * /dev/raum device of the raum.ko module (include/hv/abi/raumdev.h).
 *
 *   raumctl version [--json]     hypervisor version, vendor, build date
 *   raumctl stats [--json]       one line per root VP: total and main exit counters
 *   raumctl stats VP [--json]    every exit counter of one VP
 *   raumctl health [--json]      Raum's canary and the refused hostile acts
 *   raumctl log [-f]             the hypervisor's log ring (-f: keep following)
 *   raumctl write TEXT...        append TEXT to the hypervisor's log
 *   raumctl run IMAGE [OPTIONS]  a guest in a child partition, in the foreground (run.c)
 *   raumctl create|list|start|stop|destroy|info|remove|console ...
 *                                VMs managed by raumd, through its socket (vmcmds.c)
 *
 * These talk to the hypervisor alone (hypercalls through raum.ko): no service
 * needs to run. --json prints one JSON document on one line (json-c), for
 * scripts. Built static (it runs in a busybox initramfs). Exit status: 0 done,
 * 1 failure (the message names it), 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <hv/abi/hvcall.h>
#include <hv/abi/raumdev.h>

#include "run.h"
#include "vmcmds.h"

static const char *prog = "raumctl";
static int dev_fd = -1;

static const char *const exit_names[RAUM_EXIT_REASONS] = {
	[RAUM_EXIT_CPUID] = "cpuid",
	[RAUM_EXIT_MSR_READ] = "msr_read",
	[RAUM_EXIT_MSR_WRITE] = "msr_write",
	[RAUM_EXIT_HYPERCALL] = "hypercall",
	[RAUM_EXIT_SVM_INSN] = "svm_insn",
	[RAUM_EXIT_VMX_INSN] = "vmx_insn",
	[RAUM_EXIT_NPF] = "npf",
	[RAUM_EXIT_HV_MEMORY] = "hv_memory",
	[RAUM_EXIT_IO] = "io",
	[RAUM_EXIT_NMI] = "nmi",
	[RAUM_EXIT_INTR] = "intr",
	[RAUM_EXIT_HLT] = "hlt",
	[RAUM_EXIT_CR_ACCESS] = "cr_access",
	[RAUM_EXIT_XSETBV] = "xsetbv",
	[RAUM_EXIT_INIT_SIPI] = "init_sipi",
	[RAUM_EXIT_SHUTDOWN] = "shutdown",
	[RAUM_EXIT_OTHER] = "other",
};

static const char *hv_status_name(unsigned int s)
{
	switch (s) {
	case HV_STATUS_SUCCESS: return "HV_STATUS_SUCCESS";
	case HV_STATUS_INVALID_HYPERCALL_CODE: return "HV_STATUS_INVALID_HYPERCALL_CODE";
	case HV_STATUS_INVALID_HYPERCALL_INPUT: return "HV_STATUS_INVALID_HYPERCALL_INPUT";
	case HV_STATUS_INVALID_ALIGNMENT: return "HV_STATUS_INVALID_ALIGNMENT";
	case HV_STATUS_INVALID_PARAMETER: return "HV_STATUS_INVALID_PARAMETER";
	case HV_STATUS_ACCESS_DENIED: return "HV_STATUS_ACCESS_DENIED";
	case HV_STATUS_INVALID_PARTITION_STATE: return "HV_STATUS_INVALID_PARTITION_STATE";
	case HV_STATUS_OPERATION_DENIED: return "HV_STATUS_OPERATION_DENIED";
	case HV_STATUS_INSUFFICIENT_MEMORY: return "HV_STATUS_INSUFFICIENT_MEMORY";
	case HV_STATUS_INVALID_PARTITION_ID: return "HV_STATUS_INVALID_PARTITION_ID";
	case HV_STATUS_INVALID_VP_INDEX: return "HV_STATUS_INVALID_VP_INDEX";
	default: return NULL;
	}
}

static void open_dev(void)
{
	if (dev_fd >= 0)
		return;
	dev_fd = open(RAUM_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dev_fd >= 0)
		return;
	if (errno == ENOENT)
		fprintf(stderr, "%s: %s not found: load the module (insmod raum.ko); is Raum running?\n",
			prog, RAUM_DEV_PATH);
	else if (errno == EACCES || errno == EPERM)
		fprintf(stderr, "%s: cannot open %s: %s (raumctl must run as root)\n", prog,
			RAUM_DEV_PATH, strerror(errno));
	else
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, RAUM_DEV_PATH, strerror(errno));
	exit(1);
}

/* One hypercall; returns its HV_STATUS, exits with a message when the ioctl itself fails. */
static unsigned int hypercall_status(const char *what, uint16_t code, const void *in,
				     uint32_t in_len, void *out, uint32_t out_len)
{
	struct raum_hypercall hc = {
		.control = code,
		.in_ptr = (uintptr_t)in,
		.out_ptr = (uintptr_t)out,
		.in_len = in_len,
		.out_len = out_len,
	};

	open_dev();
	if (ioctl(dev_fd, RAUM_IOC_HYPERCALL, &hc) < 0) {
		fprintf(stderr, "%s: %s: ioctl on %s failed: %s\n", prog, what, RAUM_DEV_PATH,
			strerror(errno));
		exit(1);
	}
	return (unsigned int)(hc.result & HV_HYPERCALL_RESULT_MASK);
}

static void print_status_error(const char *what, unsigned int status)
{
	const char *name = hv_status_name(status);

	if (name)
		fprintf(stderr, "%s: %s: the hypervisor answered %s (%#x)\n", prog, what, name, status);
	else
		fprintf(stderr, "%s: %s: the hypervisor answered unknown HV_STATUS %#x\n", prog, what,
			status);
}

/* One hypercall; exits with a message on any failure, HV_STATUS included. */
static void hypercall(const char *what, uint16_t code, const void *in, uint32_t in_len,
		      void *out, uint32_t out_len)
{
	unsigned int status = hypercall_status(what, code, in, in_len, out, out_len);

	if (status != HV_STATUS_SUCCESS) {
		print_status_error(what, status);
		exit(1);
	}
}

/* ---- JSON (json-c): every constructor's NULL (out of memory) ends the program ---- */

static json_object *jchk(json_object *o)
{
	if (!o) {
		fprintf(stderr, "%s: out of memory building JSON\n", prog);
		exit(1);
	}
	return o;
}

static void jadd(json_object *obj, const char *key, json_object *val)
{
	if (json_object_object_add(obj, key, jchk(val))) {
		fprintf(stderr, "%s: out of memory building JSON\n", prog);
		exit(1);
	}
}

static void jappend(json_object *arr, json_object *val)
{
	if (json_object_array_add(arr, jchk(val))) {
		fprintf(stderr, "%s: out of memory building JSON\n", prog);
		exit(1);
	}
}

/* Prints the document on one line, frees it, and returns the exit status rc (1 if stdout failed). */
static int jprint(json_object *doc, int rc)
{
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!text) {
		fprintf(stderr, "%s: out of memory printing JSON\n", prog);
		exit(1);
	}
	printf("%s\n", text);
	json_object_put(doc);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: writing to stdout: %s\n", prog, strerror(errno));
		return 1;
	}
	return rc;
}

/* Strips the --json flag out of argv (anywhere among the arguments); returns whether it was there. */
static int take_json_flag(int *argc, char **argv)
{
	int i, o = 0, found = 0;

	for (i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			found = 1;
		else
			argv[o++] = argv[i];
	}
	*argc = o;
	return found;
}

/* A string from the hypervisor, shown as printable ASCII only (anything else becomes '?'). */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static int cmd_version(int json)
{
	struct raum_version v;
	const char *vendor;
	char ver[48];

	memset(&v, 0, sizeof(v));
	hypercall("version", RAUM_CALL_GET_VERSION, NULL, 0, &v, sizeof(v));
	v.build[sizeof(v.build) - 1] = '\0';
	sanitize(v.build);
	vendor = v.vendor == 1 ? "Intel VT-x" : v.vendor == 2 ? "AMD-V" : "unknown";
	if (json) {
		json_object *o = jchk(json_object_new_object());

		snprintf(ver, sizeof(ver), "%" PRIu32 ".%" PRIu32 ".%" PRIu32, v.major, v.minor, v.patch);
		jadd(o, "version", json_object_new_string(ver));
		jadd(o, "major", json_object_new_uint64(v.major));
		jadd(o, "minor", json_object_new_uint64(v.minor));
		jadd(o, "patch", json_object_new_uint64(v.patch));
		jadd(o, "vendor", json_object_new_string(vendor));
		jadd(o, "build", json_object_new_string(v.build));
		jadd(o, "features", json_object_new_uint64(v.features));
		return jprint(o, 0);
	}
	printf("Raum %" PRIu32 ".%" PRIu32 ".%" PRIu32 " (vendor %s, built %s)\n", v.major, v.minor,
	       v.patch, vendor, v.build[0] ? v.build : "?");
	return 0;
}

static const char *iommu_name(uint32_t kind)
{
	return kind == 1 ? "VT-d" : kind == 2 ? "AMD-Vi" : kind == 0 ? "none" : "unknown";
}

/* GetHealth: Raum's canary and the hostile acts it refused (docs/security.md). Exit 1 if the canary broke. */
static int cmd_health(int json)
{
	struct raum_health h;

	memset(&h, 0, sizeof(h));
	hypercall("health", RAUM_CALL_GET_HEALTH, NULL, 0, &h, sizeof(h));
	if (json) {
		json_object *o = jchk(json_object_new_object());

		jadd(o, "canary", json_object_new_string(h.canary_ok ? "intact" : "BROKEN"));
		jadd(o, "canary_page", json_object_new_uint64(h.canary_phys));
		jadd(o, "msr_denied", json_object_new_uint64(h.msr_denied));
		if (h.msr_denied) {
			json_object *l = jchk(json_object_new_object());

			jadd(l, "msr", json_object_new_uint64(h.last_denied_msr));
			jadd(l, "access", json_object_new_string(h.last_denied_write ? "write" : "read"));
			jadd(o, "msr_denied_latest", l);
		}
		jadd(o, "buffers_refused", json_object_new_uint64(h.buffers_refused));
		jadd(o, "fixups", json_object_new_uint64(h.fixups));
		jadd(o, "invd", json_object_new_uint64(h.invd));
		jadd(o, "mtrr_writes", json_object_new_uint64(h.mtrr_writes));
		jadd(o, "iommu", json_object_new_string(iommu_name(h.iommu)));
		jadd(o, "iommu_units", json_object_new_uint64(h.iommu_units));
		jadd(o, "dma_faults", json_object_new_uint64(h.dma_faults));
		jadd(o, "dma_fault_overflows", json_object_new_uint64(h.dma_fault_overflows));
		jadd(o, "neighbour_page", json_object_new_uint64(h.neighbour_phys));
		jadd(o, "pci_refused", json_object_new_uint64(h.pci_refused));
		return jprint(o, h.canary_ok ? 0 : 1);
	}
	printf("canary           %s (page %#" PRIx64 ")\n", h.canary_ok ? "intact" : "BROKEN", h.canary_phys);
	printf("msr_denied       %" PRIu64, h.msr_denied);
	if (h.msr_denied)
		printf(" (latest: %s of %#" PRIx32 ")", h.last_denied_write ? "write" : "read", h.last_denied_msr);
	printf("\nbuffers_refused  %" PRIu64 "\n", h.buffers_refused);
	printf("fixups           %" PRIu64 "\n", h.fixups);
	printf("invd             %" PRIu64 "\n", h.invd);
	printf("mtrr_writes      %" PRIu64 "\n", h.mtrr_writes);
	if (h.iommu)
		printf("iommu            %s DMA remapping, %" PRIu32 " unit%s\n", iommu_name(h.iommu), h.iommu_units,
		       h.iommu_units == 1 ? "" : "s");
	else
		printf("iommu            none: device DMA is not confined\n");
	printf("dma_faults       %" PRIu64 " (log overflows %" PRIu64 ")\n", h.dma_faults, h.dma_fault_overflows);
	printf("neighbour_page   %#" PRIx64 "\n", h.neighbour_phys);
	printf("pci_refused      %" PRIu64 "\n", h.pci_refused);
	return h.canary_ok ? 0 : 1;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno || end == s || *end || n > UINT32_MAX || s[0] == '-')
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/*
 * The columns of `raumctl stats` (every VP, one line each): the VP index, its
 * total, these counters by name, and "rest": every other reason (the total
 * less the columns shown; hv_memory is a subset of npf and not in the total).
 * The layout is stable: scripts may pick columns by the header's names.
 */
static const int stats_columns[] = {
	RAUM_EXIT_CPUID, RAUM_EXIT_MSR_READ, RAUM_EXIT_MSR_WRITE, RAUM_EXIT_IO, RAUM_EXIT_NPF,
	RAUM_EXIT_INTR, RAUM_EXIT_NMI, RAUM_EXIT_INIT_SIPI, RAUM_EXIT_HYPERCALL,
};
#define STATS_NR_COLUMNS (sizeof(stats_columns) / sizeof(stats_columns[0]))
/* More VPs than any partition holds (PARTITION_MAX_VPS): the listing stops here, with an error. */
#define STATS_MAX_VPS 65536

/* GetExitStats for one VP: its HV_STATUS; st holds the counters on success. */
static unsigned int get_exit_stats(uint32_t vp, struct raum_exit_stats *st)
{
	struct raum_stats_in in = { .vp_index = vp };
	unsigned int status;

	memset(st, 0, sizeof(*st));
	status = hypercall_status("stats", RAUM_CALL_GET_EXIT_STATS, &in, sizeof(in), st, sizeof(*st));
	if (status == HV_STATUS_SUCCESS && st->vp_index != vp) {
		fprintf(stderr, "%s: stats: asked for VP %" PRIu32 ", the hypervisor answered for VP %" PRIu32
			"\n", prog, vp, st->vp_index);
		exit(1);
	}
	if (st->nr_reasons > RAUM_EXIT_REASONS) /* a newer hypervisor: only the reasons we know */
		st->nr_reasons = RAUM_EXIT_REASONS;
	return status;
}

static uint64_t stats_count(const struct raum_exit_stats *st, int reason)
{
	return (uint32_t)reason < st->nr_reasons ? st->count[reason] : 0;
}

static json_object *stats_json(const struct raum_exit_stats *st)
{
	json_object *o = jchk(json_object_new_object()), *e = jchk(json_object_new_object());
	uint32_t i;

	jadd(o, "vp", json_object_new_uint64(st->vp_index));
	jadd(o, "total", json_object_new_uint64(st->total));
	for (i = 0; i < st->nr_reasons; i++)
		jadd(e, exit_names[i], json_object_new_uint64(st->count[i]));
	jadd(o, "exits", e);
	return o;
}

static void stats_header(void)
{
	size_t c;

	printf("%3s %12s", "vp", "total");
	for (c = 0; c < STATS_NR_COLUMNS; c++)
		printf(" %9s", exit_names[stats_columns[c]]);
	printf(" %9s\n", "rest");
}

static void stats_line(const struct raum_exit_stats *st)
{
	uint64_t shown = 0, n;
	size_t c;

	printf("%3" PRIu32 " %12" PRIu64, st->vp_index, st->total);
	for (c = 0; c < STATS_NR_COLUMNS; c++) {
		n = stats_count(st, stats_columns[c]);
		shown += n;
		printf(" %9" PRIu64, n);
	}
	/* the hypervisor's total is the sum of its counters; never print a wrapped difference */
	printf(" %9" PRIu64 "\n", st->total >= shown ? st->total - shown : 0);
}

/* raumctl stats [--json]: every VP of the root, asked 0, 1, 2, ... until Raum has no such VP. */
static int stats_all(int json)
{
	struct raum_exit_stats st;
	json_object *arr = json ? jchk(json_object_new_array()) : NULL;
	unsigned int status;
	uint32_t vp;

	for (vp = 0;; vp++) {
		if (vp == STATS_MAX_VPS) {
			fprintf(stderr, "%s: stats: the hypervisor answered for more than %d VPs\n", prog,
				STATS_MAX_VPS);
			goto fail;
		}
		status = get_exit_stats(vp, &st);
		if (status == HV_STATUS_INVALID_VP_INDEX)
			break;
		if (status != HV_STATUS_SUCCESS) {
			fflush(stdout);
			print_status_error("stats", status);
			goto fail;
		}
		if (json) {
			jappend(arr, stats_json(&st));
		} else {
			if (vp == 0)
				stats_header();
			stats_line(&st);
		}
	}
	if (vp == 0) {
		fprintf(stderr, "%s: stats: the hypervisor has no VP 0 in the root partition\n", prog);
		goto fail;
	}
	return json ? jprint(arr, 0) : 0;
fail:
	if (arr)
		json_object_put(arr);
	return 1;
}

static int cmd_stats(int argc, char **argv)
{
	struct raum_exit_stats st;
	unsigned int status;
	uint32_t i, vp;
	int json = take_json_flag(&argc, argv);

	if (argc > 1) {
		fprintf(stderr, "%s: usage: raumctl stats [VP] [--json]\n", prog);
		return 2;
	}
	if (argc == 0)
		return stats_all(json);
	if (parse_u32(argv[0], &vp)) {
		fprintf(stderr, "%s: stats: VP index must be a number, not '%s'\n", prog, argv[0]);
		return 2;
	}
	status = get_exit_stats(vp, &st);
	if (status == HV_STATUS_INVALID_VP_INDEX) {
		fprintf(stderr, "%s: stats: the root partition has no VP %" PRIu32
			" (HV_STATUS_INVALID_VP_INDEX); 'raumctl stats' lists its VPs\n", prog, vp);
		return 1;
	}
	if (status != HV_STATUS_SUCCESS) {
		print_status_error("stats", status);
		return 1;
	}
	if (json) {
		json_object *arr = jchk(json_object_new_array());

		jappend(arr, stats_json(&st));
		return jprint(arr, 0);
	}
	printf("VP %" PRIu32 " exits:\n", st.vp_index);
	for (i = 0; i < st.nr_reasons; i++)
		if (st.count[i])
			printf("  %-12s %" PRIu64 "\n", exit_names[i], st.count[i]);
	printf("  %-12s %" PRIu64 "\n", "total", st.total);
	return 0;
}

static int cmd_log(int argc, char **argv)
{
	static struct raum_log_read_out out;
	struct raum_log_read_in in = { .seq = 0, .max = RAUM_LOG_READ_MAX };
	int follow = 0;

	if (argc == 1 && strcmp(argv[0], "-f") == 0) {
		follow = 1;
	} else if (argc != 0) {
		fprintf(stderr, "%s: usage: raumctl log [-f]\n", prog);
		return 2;
	}
	for (;;) {
		memset(&out, 0, sizeof(out));
		hypercall("log", RAUM_CALL_LOG_READ, &in, sizeof(in), &out, sizeof(out));
		if (out.lost)
			printf("[... %" PRIu64 " bytes lost]\n", out.lost);
		if (out.len > RAUM_LOG_READ_MAX) {
			fprintf(stderr, "%s: log: the hypervisor returned %" PRIu32
				" bytes, more than the %d asked for\n", prog, out.len, RAUM_LOG_READ_MAX);
			return 1;
		}
		if (out.len) {
			fwrite(out.data, 1, out.len, stdout);
		} else {
			if (!follow)
				break;
			fflush(stdout);
			nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000 * 1000 }, NULL);
		}
		in.seq = out.next_seq;
	}
	fflush(stdout);
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	struct raum_log_write w;
	size_t len = 0, n;
	int i;

	if (argc < 1) {
		fprintf(stderr, "%s: usage: raumctl write TEXT...\n", prog);
		return 2;
	}
	memset(&w, 0, sizeof(w));
	w.level = 2; /* info */
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (len + (i ? 1 : 0) + n > RAUM_LOG_TEXT_MAX) {
			fprintf(stderr, "%s: write: text longer than %d bytes\n", prog, RAUM_LOG_TEXT_MAX);
			return 2;
		}
		if (i)
			w.text[len++] = ' ';
		memcpy(w.text + len, argv[i], n);
		len += n;
	}
	w.len = (uint32_t)len;
	hypercall("write", RAUM_CALL_LOG_WRITE, &w, sizeof(w), NULL, 0);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: raumctl COMMAND\n"
		"  version [--json]    hypervisor version, vendor and build date\n"
		"  stats [--json]      every virtual processor of the root: one line each, its\n"
		"                      total and main exit counters\n"
		"  stats VP [--json]   every exit counter of virtual processor VP\n"
		"  health [--json]     Raum's canary and the counters of refused hostile acts\n"
		"  log [-f]            print the hypervisor's log (-f: keep following it)\n"
		"  write TEXT...       append TEXT to the hypervisor's log\n"
		"  run IMAGE [OPTIONS] run a guest image in a child partition, in the foreground\n"
		"                      (raumctl run --help: the options)\n"
		"  create CONFIG, list, start NAME, stop NAME, destroy NAME, info NAME,\n"
		"  remove NAME, console NAME   VMs managed by raumd (docs/raumd.md)\n"
		"--json prints one JSON document on one line.\n");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int json;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	argc -= 2;
	argv += 2;
	if ((strcmp(cmd, "version") == 0 || strcmp(cmd, "health") == 0) &&
	    (argc == 0 || (argc == 1 && strcmp(argv[0], "--json") == 0))) {
		json = argc == 1;
		return cmd[0] == 'v' ? cmd_version(json) : cmd_health(json);
	}
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(argc, argv);
	if (strcmp(cmd, "log") == 0)
		return cmd_log(argc, argv);
	if (strcmp(cmd, "write") == 0)
		return cmd_write(argc, argv);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	if (vm_is_command(cmd))
		return vm_command(cmd, argc, argv);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command or arguments: '%s'\n", prog, cmd);
	usage(stderr);
	return 2;
}
