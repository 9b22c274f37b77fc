// SPDX-License-Identifier: MIT
/*
 * raumctl: the root partition's command-line tool for Raum, through the
 * /dev/raum device of the raum.ko module (include/hv/abi/raumdev.h).
 *
 *   raumctl version        hypervisor version, vendor, build date
 *   raumctl stats [VP]     exit counters of a VP (default 0)
 *   raumctl log [-f]       the hypervisor's log ring (-f: keep following)
 *   raumctl write TEXT...  append TEXT to the hypervisor's log
 *
 * Built static (it runs in a busybox initramfs). Exit status: 0 done,
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

#include <hv/abi/hvcall.h>
#include <hv/abi/raumdev.h>

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

/* One hypercall; exits with a message on any failure, HV_STATUS included. */
static void hypercall(const char *what, uint16_t code, const void *in, uint32_t in_len,
		      void *out, uint32_t out_len)
{
	struct raum_hypercall hc = {
		.control = code,
		.in_ptr = (uintptr_t)in,
		.out_ptr = (uintptr_t)out,
		.in_len = in_len,
		.out_len = out_len,
	};
	unsigned int status;
	const char *name;

	open_dev();
	if (ioctl(dev_fd, RAUM_IOC_HYPERCALL, &hc) < 0) {
		fprintf(stderr, "%s: %s: ioctl on %s failed: %s\n", prog, what, RAUM_DEV_PATH,
			strerror(errno));
		exit(1);
	}
	status = (unsigned int)(hc.result & HV_HYPERCALL_RESULT_MASK);
	if (status != HV_STATUS_SUCCESS) {
		name = hv_status_name(status);
		if (name)
			fprintf(stderr, "%s: %s: the hypervisor answered %s (%#x)\n", prog, what, name,
				status);
		else
			fprintf(stderr, "%s: %s: the hypervisor answered unknown HV_STATUS %#x\n", prog,
				what, status);
		exit(1);
	}
}

static int cmd_version(void)
{
	struct raum_version v;
	const char *vendor;

	memset(&v, 0, sizeof(v));
	hypercall("version", RAUM_CALL_GET_VERSION, NULL, 0, &v, sizeof(v));
	v.build[sizeof(v.build) - 1] = '\0';
	vendor = v.vendor == 1 ? "Intel VT-x" : v.vendor == 2 ? "AMD-V" : "unknown";
	printf("Raum %" PRIu32 ".%" PRIu32 ".%" PRIu32 " (vendor %s, built %s)\n", v.major, v.minor,
	       v.patch, vendor, v.build[0] ? v.build : "?");
	return 0;
}

/* GetHealth: Raum's canary and the hostile acts it refused (docs/security.md). Exit 1 if the canary broke. */
static int cmd_health(void)
{
	struct raum_health h;

	memset(&h, 0, sizeof(h));
	hypercall("health", RAUM_CALL_GET_HEALTH, NULL, 0, &h, sizeof(h));
	printf("canary           %s (page %#" PRIx64 ")\n", h.canary_ok ? "intact" : "BROKEN", h.canary_phys);
	printf("msr_denied       %" PRIu64, h.msr_denied);
	if (h.msr_denied)
		printf(" (latest: %s of %#" PRIx32 ")", h.last_denied_write ? "write" : "read", h.last_denied_msr);
	printf("\nbuffers_refused  %" PRIu64 "\n", h.buffers_refused);
	printf("fixups           %" PRIu64 "\n", h.fixups);
	printf("invd             %" PRIu64 "\n", h.invd);
	printf("mtrr_writes      %" PRIu64 "\n", h.mtrr_writes);
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

static int cmd_stats(int argc, char **argv)
{
	struct raum_stats_in in = { 0 };
	struct raum_exit_stats st;
	uint32_t i, n;

	if (argc > 1) {
		fprintf(stderr, "%s: usage: raumctl stats [VP]\n", prog);
		return 2;
	}
	if (argc == 1 && parse_u32(argv[0], &in.vp_index)) {
		fprintf(stderr, "%s: stats: VP index must be a number, not '%s'\n", prog, argv[0]);
		return 2;
	}
	memset(&st, 0, sizeof(st));
	hypercall("stats", RAUM_CALL_GET_EXIT_STATS, &in, sizeof(in), &st, sizeof(st));
	printf("VP %" PRIu32 " exits:\n", st.vp_index);
	n = st.nr_reasons < RAUM_EXIT_REASONS ? st.nr_reasons : RAUM_EXIT_REASONS;
	for (i = 0; i < n; i++)
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
		"  version        hypervisor version, vendor and build date\n"
		"  stats [VP]     exit counters of virtual processor VP (default 0)\n"
		"  health         Raum's canary and the counters of refused hostile acts\n"
		"  log [-f]       print the hypervisor's log (-f: keep following it)\n"
		"  write TEXT...  append TEXT to the hypervisor's log\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	argc -= 2;
	argv += 2;
	if (strcmp(cmd, "version") == 0 && argc == 0)
		return cmd_version();
	if (strcmp(cmd, "health") == 0 && argc == 0)
		return cmd_health();
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(argc, argv);
	if (strcmp(cmd, "log") == 0)
		return cmd_log(argc, argv);
	if (strcmp(cmd, "write") == 0)
		return cmd_write(argc, argv);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command or arguments: '%s'\n", prog, cmd);
	usage(stderr);
	return 2;
}
