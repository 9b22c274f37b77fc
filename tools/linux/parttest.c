// SPDX-License-Identifier: MIT
/*
 * parttest: child partitions from the Linux root through /dev/raum (issue 12).
 * Creates and destroys partitions whose RAM is this process's memory, and
 * checks that every page comes back: the module's counts of deposited and
 * pinned pages and partitions return to their baseline, Raum's balance of
 * the root's pool is empty again, and the root's free memory is back within
 * 1 %. One line per check, 'parttest: <name> ok|FAILED ...'; exit status 0
 * when all passed.
 *
 *   parttest seq N MB       N partitions of MB MiB, one after another
 *   parallel N MB           N at once, one process (and /dev/raum file) each
 *   kill MB                 a process holding one is killed with SIGKILL
 *   bad                     malformed requests are refused, nothing created
 *   bench MB N              make bench: TSC ticks to create, start (a VP to its first exit) and destroy
 *                           one (median of N)
 *   cpuid N                 make bench: TSC ticks of the root's own CPUID exit
 *   hold MB                 holds one and prints its deposited pages' addresses (dmatest --deposited)
 * For the checks around raumctl run (init-test.sh's vm_checks):
 *   snap FILE               saves the counts and the free memory as a baseline
 *   since FILE NAME         'parttest: NAME ok' when they are back at FILE's baseline
 *   canary N                N root pages with a pattern: prints their physical addresses, then checks
 *                           them at a line on stdin, or its end ('parttest: root_canary ok')
 *   pfns PID BYTES N        N physical addresses spread over PID's BYTES-sized anonymous mapping (a guest's RAM)
 *   sse SECONDS             fills XMM0-7 with its own values and checks them for SECONDS, while a guest
 *                           does the same ('parttest: root_sse ok')
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hv/abi/raumdev.h>

static int failed;

static void check(const char *name, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static void check(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;
	printf("parttest: %s %s", name, ok ? "ok" : "FAILED");
	if (fmt && *fmt) {
		printf(" (");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(")");
	}
	printf("\n");
	fflush(stdout);
	failed += !ok;
}

static int dev(void)
{
	int fd = open(RAUM_DEV_PATH, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "parttest: cannot open %s: %s\n", RAUM_DEV_PATH, strerror(errno));
		exit(2);
	}
	return fd;
}

static struct raum_dev_counts counts(void)
{
	struct raum_dev_counts c;
	int fd = dev();
	if (ioctl(fd, RAUM_IOC_COUNTS, &c)) {
		fprintf(stderr, "parttest: RAUM_IOC_COUNTS: %s\n", strerror(errno));
		exit(2);
	}
	close(fd);
	return c;
}

/*
 * The root's free memory in kB: the zones' free pages plus the pages on
 * the per-CPU free lists (/proc/zoneinfo "pages free" and each pageset's
 * "count"). MemFree alone leaves the per-CPU lists out, and on a one-CPU
 * root with 1 GiB they hold up to the zone's low watermark (about 16 MiB
 * in Linux 6.1): freed memory moves between them and MemFree by megabytes.
 */
static long mem_free_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long pages = 0, n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %ld", &n) == 1 || sscanf(line, " count: %ld", &n) == 1)
			pages += n;
	}
	fclose(f);
	return pages * 4;
}

/* mmaps and touches mb MiB, creates a partition on it; returns its ID, 0 on failure (errno). */
static uint64_t create(int fd, unsigned mb, void **mem)
{
	size_t len = (size_t)mb << 20;
	*mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*mem == MAP_FAILED)
		return 0;
	madvise(*mem, len, MADV_NOHUGEPAGE); /* 4 KiB pages, as Raum maps them; no THP split or khugepaged work */
	memset(*mem, 0x5a, len);
	struct raum_part_create c = { (uintptr_t)*mem, len, 0, 0 };
	if (ioctl(fd, RAUM_IOC_PART_CREATE, &c))
		return 0;
	return c.partition_id;
}

static int same(struct raum_dev_counts a, struct raum_dev_counts b)
{
	return a.deposited_pages == b.deposited_pages && a.pinned_pages == b.pinned_pages &&
	       a.partitions == b.partitions && a.root_available == b.root_available && a.root_in_use == b.root_in_use;
}

static void baseline_check(const char *name, struct raum_dev_counts base, long free_before)
{
	struct raum_dev_counts c = counts();
	long free_after = mem_free_kb();
	long diff = free_before > free_after ? free_before - free_after : free_after - free_before;
	check(name, same(c, base) && c.root_available == 0 && c.root_in_use == 0 && diff * 100 <= free_before, 
	      "deposited %llu pinned %llu partitions %llu, root pool %llu free %llu in use (baseline %llu/%llu/%llu); "
	      "free memory %ld -> %ld kB", (unsigned long long)c.deposited_pages, (unsigned long long)c.pinned_pages,
	      (unsigned long long)c.partitions, (unsigned long long)c.root_available, (unsigned long long)c.root_in_use,
	      (unsigned long long)base.deposited_pages, (unsigned long long)base.pinned_pages,
	      (unsigned long long)base.partitions, free_before, free_after);
}

static void seq(unsigned n, unsigned mb)
{
	struct raum_dev_counts base = counts();
	long free_before = mem_free_kb();
	unsigned ok = 0;
	uint64_t last = 0, deposited = 0;

	for (unsigned i = 0; i < n; i++) {
		int fd = dev();
		void *mem;
		uint64_t id = create(fd, mb, &mem);
		struct raum_dev_counts c = counts();
		if (id && id > last && c.partitions == base.partitions + 1 &&
		    c.pinned_pages == base.pinned_pages + ((uint64_t)mb << 8)) {
			struct raum_part_id q = { id };
			ok += ioctl(fd, RAUM_IOC_PART_DESTROY, &q) == 0;
			deposited = c.deposited_pages - base.deposited_pages;
		} else {
			printf("parttest: seq %u: id %llu (%s), partitions %llu, pinned %llu\n", i,
			       (unsigned long long)id, id ? "" : strerror(errno), (unsigned long long)c.partitions,
			       (unsigned long long)c.pinned_pages);
		}
		last = id;
		munmap(mem, (size_t)mb << 20);
		close(fd);
	}
	check("seq", ok == n, "%u of %u partitions of %u MiB created, checked and destroyed; %llu pages deposited for "
	      "each", ok, n, mb, (unsigned long long)deposited);
	baseline_check("seq_returned", base, free_before);
}

static void parallel(unsigned n, unsigned mb)
{
	struct raum_dev_counts base = counts();
	long free_before = mem_free_kb();
	int ready[2], go[2];
	pid_t pid[64];

	if (n > 64 || pipe(ready) || pipe(go))
		exit(2);
	for (unsigned i = 0; i < n; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(go[1]); /* else the parent's close never ends the read below */
			int fd = dev();
			void *mem;
			char c = create(fd, mb, &mem) ? 'y' : 'n';
			if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
				_exit(3);
			_exit(0); /* the file closes: the module destroys the partition */
		}
	}
	unsigned yes = 0;
	for (unsigned i = 0; i < n; i++) {
		char c = 'n';
		if (read(ready[0], &c, 1) == 1 && c == 'y')
			yes++;
	}
	struct raum_dev_counts during = counts();
	close(go[1]);
	for (unsigned i = 0; i < n; i++)
		waitpid(pid[i], NULL, 0);
	check("parallel", yes == n && during.partitions == base.partitions + n &&
	      during.pinned_pages == base.pinned_pages + (uint64_t)n * ((uint64_t)mb << 8),
	      "%u of %u processes hold a partition of %u MiB at once; the module counts %llu partitions, %llu pinned "
	      "pages", yes, n, mb, (unsigned long long)during.partitions, (unsigned long long)during.pinned_pages);
	baseline_check("parallel_returned", base, free_before);
}

static void killed(unsigned mb)
{
	struct raum_dev_counts base = counts();
	long free_before = mem_free_kb();
	int ready[2];

	if (pipe(ready))
		exit(2);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = dev();
		void *mem;
		char c = create(fd, mb, &mem) ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	char c = 'n';
	if (read(ready[0], &c, 1) != 1)
		c = 'n';
	struct raum_dev_counts during = counts();
	kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	check("kill9", c == 'y' && during.partitions == base.partitions + 1 && WIFSIGNALED(status) &&
	      WTERMSIG(status) == SIGKILL, "the holder %s, then died by signal %d", c == 'y' ? "had its partition" :
	      "could not create one", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	baseline_check("kill9_returned", base, free_before);
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * make bench (tools/bench-part.sh, under QEMU -icount shift=0: one TSC tick
 * per instruction): the median of n rounds of creating and of destroying a
 * partition of mb MiB (the module and Raum: deposits, pinning, mapping, and
 * back), beside the baseline of the same run: the process's own cost to
 * map and touch that memory (mmap, first touch of every page, munmap).
 */
static void bench(unsigned mb, unsigned n)
{
	uint64_t c[16], d[16], t[16], st[16];
	size_t len = (size_t)mb << 20;

	if (n > 16)
		n = 16;
	for (unsigned i = 0; i < n; i++) {
		int fd = dev();
		uint64_t t0 = rdtsc();
		char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			exit(2);
		madvise(mem, len, MADV_NOHUGEPAGE);
		for (size_t k = 0; k < len; k += 4096)
			mem[k] = 1;
		uint64_t t1 = rdtsc();
		struct raum_part_create cr = { (uintptr_t)mem, len, 0, 0 };
		if (ioctl(fd, RAUM_IOC_PART_CREATE, &cr)) {
			perror("parttest: bench: create");
			exit(1);
		}
		uint64_t t2 = rdtsc();
		/* start: a VP at 0:0x1000 in real mode, where one HLT waits (its first exit) */
		mem[0x1000] = (char)0xf4;
		struct raum_vp_id vid = { cr.partition_id, 0, 0 };
		struct raum_reg regs[2] = { { .name = HV_X64_REGISTER_CS, .high = 0xffff | 0x9bULL << 48 },
					    { .name = HV_X64_REGISTER_RIP, .low = 0x1000 } };
		struct raum_vp_regs rq = { cr.partition_id, 0, 2, 1, 0, 0, 0, (uintptr_t)regs };
		struct raum_vp_run run = { .partition_id = cr.partition_id };
		if (ioctl(fd, RAUM_IOC_VP_CREATE, &vid) || ioctl(fd, RAUM_IOC_VP_REGS, &rq) ||
		    ioctl(fd, RAUM_IOC_VP_RUN, &run) || run.exit.kind != RAUM_VPEXIT_HLT) {
			fprintf(stderr, "parttest: bench: starting the VP: %s (exit kind %u: %s)\n", strerror(errno),
				run.exit.kind, run.exit.why);
			exit(1);
		}
		uint64_t t2s = rdtsc();
		struct raum_part_id q = { cr.partition_id };
		if (ioctl(fd, RAUM_IOC_PART_DESTROY, &q)) {
			perror("parttest: bench: destroy");
			exit(1);
		}
		uint64_t t3 = rdtsc();
		munmap(mem, len);
		t[i] = t1 - t0 + (rdtsc() - t3);
		c[i] = t2 - t1;
		st[i] = t2s - t2;
		d[i] = t3 - t2s;
		close(fd);
	}
	qsort(c, n, 8, cmp_u64);
	qsort(d, n, 8, cmp_u64);
	qsort(t, n, 8, cmp_u64);
	printf("RAUM-BENCH part_create_%umib %llu\n", mb, (unsigned long long)c[n / 2]);
	qsort(st, n, 8, cmp_u64);
	printf("RAUM-BENCH part_start_%umib %llu\n", mb, (unsigned long long)st[n / 2]);
	printf("RAUM-BENCH part_destroy_%umib %llu\n", mb, (unsigned long long)d[n / 2]);
	printf("RAUM-BENCH mmap_touch_%umib %llu\n", mb, (unsigned long long)t[n / 2]);
	printf("RAUM-BENCH part done\n");
}

/*
 * For init-test.sh's DMA attack (dmatest --deposited): holds a partition of
 * mb MiB, prints the physical addresses of the pages deposited for it
 * ("parttest: pages A B ..."), then waits until it is killed.
 */
static void hold(unsigned mb)
{
	int fd = dev();
	void *mem;
	uint64_t id = create(fd, mb, &mem);
	static struct raum_part_pages q;

	q.partition_id = id;
	if (!id || ioctl(fd, RAUM_IOC_PART_PAGES, &q) || !q.count) {
		printf("parttest: hold FAILED (id %llu, %s)\n", (unsigned long long)id, strerror(errno));
		exit(1);
	}
	printf("parttest: pages");
	for (uint64_t i = 0; i < q.count; i++)
		printf(" %#llx", (unsigned long long)q.phys[i]);
	printf("\n");
	fflush(stdout);
	for (;;)
		pause();
}

static void bad(void)
{
	struct raum_dev_counts base = counts();
	int fd = dev();
	void *mem = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct {
		const char *name;
		struct raum_part_create c;
		int want;
	} cases[] = {
		{ "bad_size_zero", { (uintptr_t)mem, 0, 0, 0 }, EINVAL },
		{ "bad_size_unaligned", { (uintptr_t)mem, 4097, 0, 0 }, EINVAL },
		{ "bad_ptr_unaligned", { (uintptr_t)mem + 8, 4096, 0, 0 }, EINVAL },
		{ "bad_too_big", { (uintptr_t)mem, RAUM_PART_MEM_MAX + 4096, 0, 0 }, EINVAL },
		{ "bad_unmapped_memory", { 0x1000, 1 << 20, 0, 0 }, EFAULT },
		{ "bad_kernel_address", { 0xffff888000000000ULL, 1 << 20, 0, 0 }, EFAULT },
		{ "bad_beyond_mapping", { (uintptr_t)mem, 4 << 20, 0, 0 }, EFAULT },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ioctl(fd, RAUM_IOC_PART_CREATE, &cases[i].c), e = errno;
		struct raum_dev_counts c = counts();
		check(cases[i].name, rc == -1 && e == cases[i].want && same(c, base), "ioctl %d, errno %d (%s), want %d; "
		      "nothing created: %s", rc, rc ? e : 0, rc ? strerror(e) : "-", cases[i].want,
		      same(c, base) ? "yes" : "NO");
	}
	struct raum_part_id q = { 12345 };
	int rc = ioctl(fd, RAUM_IOC_PART_DESTROY, &q), e = errno;
	check("bad_destroy_unknown", rc == -1 && e == ENOENT, "errno %d", e);
	/* another file's partition is not this file's to destroy */
	int fd2 = dev();
	void *m2;
	uint64_t id = create(fd2, 1, &m2);
	q.partition_id = id;
	rc = ioctl(fd, RAUM_IOC_PART_DESTROY, &q);
	e = errno;
	check("bad_destroy_other_file", id && rc == -1 && e == ENOENT, "id %llu, errno %d", (unsigned long long)id, e);
	close(fd2);
	close(fd);
	munmap(mem, 2 << 20);
	struct raum_dev_counts c = counts();
	check("bad_returned", same(c, base), "deposited %llu pinned %llu partitions %llu",
	      (unsigned long long)c.deposited_pages, (unsigned long long)c.pinned_pages, (unsigned long long)c.partitions);
}

static void snap(const char *file)
{
	struct raum_dev_counts c = counts();
	FILE *f = fopen(file, "w");

	if (!f || fprintf(f, "%llu %llu %llu %llu %llu %ld\n", (unsigned long long)c.deposited_pages,
			  (unsigned long long)c.pinned_pages, (unsigned long long)c.partitions,
			  (unsigned long long)c.root_available, (unsigned long long)c.root_in_use, mem_free_kb()) < 0) {
		printf("parttest: snap FAILED (%s)\n", strerror(errno));
		exit(1);
	}
	fclose(f);
}

static void since(const char *file, const char *name)
{
	struct raum_dev_counts b;
	unsigned long long v[5];
	long free_before;
	FILE *f = fopen(file, "r");

	if (!f || fscanf(f, "%llu %llu %llu %llu %llu %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &free_before) != 6) {
		printf("parttest: %s FAILED (no baseline in %s)\n", name, file);
		exit(1);
	}
	fclose(f);
	b = (struct raum_dev_counts){ v[0], v[1], v[2], v[3], v[4] };
	baseline_check(name, b, free_before);
}

/* The physical address of the page at va of process pid (/proc/PID/pagemap: bits 54:0 the PFN, bit 63 present). */
static uint64_t phys_of(int pagemap, uintptr_t va)
{
	uint64_t e;

	if (pread(pagemap, &e, 8, (off_t)(va / 4096) * 8) != 8 || !(e & (1ULL << 63)))
		return 0;
	return (e & ((1ULL << 55) - 1)) * 4096;
}

static uint32_t canary_word(uint64_t i) { return (uint32_t)(i * 2246822519u) ^ 0x5a17c0deu; }

static void canary(unsigned n)
{
	size_t len = (size_t)n * 4096;
	uint32_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	int pm = open("/proc/self/pagemap", O_RDONLY);
	char c;

	if (m == MAP_FAILED || pm < 0) {
		printf("parttest: root_canary FAILED (%s)\n", strerror(errno));
		exit(1);
	}
	for (size_t i = 0; i < len / 4; i++)
		m[i] = canary_word(i);
	printf("parttest: canary pages");
	for (unsigned i = 0; i < n; i++)
		printf(" %#llx", (unsigned long long)phys_of(pm, (uintptr_t)m + (size_t)i * 4096));
	printf("\n");
	fflush(stdout);
	while (read(0, &c, 1) == 1 && c != '\n') /* a line on stdin (or its end): check now */
		;
	for (size_t i = 0; i < len / 4; i++)
		if (m[i] != canary_word(i)) {
			check("root_canary", 0, "word %zu changed to %#x", i, m[i]);
			return;
		}
	check("root_canary", 1, "%u pages unchanged", n);
}

static void pfns(int pid, unsigned long long bytes, unsigned n)
{
	char path[64], line[256];
	FILE *maps;
	int pm;
	uintptr_t lo = 0, hi = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY);
	if (!maps || pm < 0) {
		printf("parttest: pfns FAILED (%s)\n", strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && b - a == bytes) {
			lo = a;
			hi = b;
		}
	}
	fclose(maps);
	if (!lo) {
		printf("parttest: pfns FAILED (no mapping of %llu bytes in process %d)\n", bytes, pid);
		exit(1);
	}
	printf("parttest: pfns");
	/* from 2 MiB up (the canary guest's pattern), spread over the rest */
	for (unsigned i = 0; i < n; i++) {
		uintptr_t va = lo + 0x200000 + (hi - lo - 0x200000) / n * i;
		printf(" %#llx", (unsigned long long)phys_of(pm, va & ~4095UL));
	}
	printf("\n");
}

/* XMM0-7 hold this process's values for 'seconds'; any change is another context's state leaking in. */
static void sse(unsigned seconds)
{
	static uint32_t v[8][4] __attribute__((aligned(16))), out[8][4] __attribute__((aligned(16)));
	time_t end = time(NULL) + seconds;
	unsigned long rounds = 0;

	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 4; k++)
			v[i][k] = 0xa0a00000u + (uint32_t)(i * 16 + k);
	/* each round: the registers loaded, a window in which other contexts run (the guest, the kernel,
	 * raumctl), the registers stored and compared outside the window (library code may use XMM) */
	while (time(NULL) < end) {
		__asm__ volatile("movdqa 0(%0), %%xmm0\n\tmovdqa 16(%0), %%xmm1\n\tmovdqa 32(%0), %%xmm2\n\t"
				 "movdqa 48(%0), %%xmm3\n\tmovdqa 64(%0), %%xmm4\n\tmovdqa 80(%0), %%xmm5\n\t"
				 "movdqa 96(%0), %%xmm6\n\tmovdqa 112(%0), %%xmm7\n\t"
				 "mov $200000, %%ecx\n"
				 "1:\tpause\n\tdec %%ecx\n\tjnz 1b\n\t"
				 "movdqa %%xmm0, 0(%1)\n\tmovdqa %%xmm1, 16(%1)\n\tmovdqa %%xmm2, 32(%1)\n\t"
				 "movdqa %%xmm3, 48(%1)\n\tmovdqa %%xmm4, 64(%1)\n\tmovdqa %%xmm5, 80(%1)\n\t"
				 "movdqa %%xmm6, 96(%1)\n\tmovdqa %%xmm7, 112(%1)" ::"r"(v), "r"(out)
				 : "ecx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
		rounds++;
		if (memcmp(out, v, sizeof(v))) {
			check("root_sse", 0, "XMM registers changed after %lu rounds: %#x", rounds, out[0][0]);
			return;
		}
	}
	check("root_sse", rounds > 0, "XMM0-7 held for %u s (%lu checks)", seconds, rounds);
}

/* make bench: the root's own CPUID exit, the baseline of the child's (TSC ticks, n of them). */
static void cpuid_bench(unsigned n)
{
	uint32_t a, b, c, d;
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < n; i++)
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	printf("RAUM-BENCH root_cpuid %llu\n", (unsigned long long)((rdtsc() - t0) / (n ? n : 1)));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "seq"))
		seq((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
	else if (argc >= 4 && !strcmp(argv[1], "parallel"))
		parallel((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
	else if (argc >= 3 && !strcmp(argv[1], "kill"))
		killed((unsigned)atoi(argv[2]));
	else if (argc >= 2 && !strcmp(argv[1], "bad"))
		bad();
	else if (argc >= 3 && !strcmp(argv[1], "hold"))
		hold((unsigned)atoi(argv[2]));
	else if (argc >= 4 && !strcmp(argv[1], "bench"))
		bench((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
	else if (argc >= 3 && !strcmp(argv[1], "snap"))
		snap(argv[2]);
	else if (argc >= 4 && !strcmp(argv[1], "since"))
		since(argv[2], argv[3]);
	else if (argc >= 3 && !strcmp(argv[1], "canary"))
		canary((unsigned)atoi(argv[2]));
	else if (argc >= 5 && !strcmp(argv[1], "pfns"))
		pfns(atoi(argv[2]), strtoull(argv[3], NULL, 0), (unsigned)atoi(argv[4]));
	else if (argc >= 3 && !strcmp(argv[1], "cpuid"))
		cpuid_bench((unsigned)atoi(argv[2]));
	else if (argc >= 3 && !strcmp(argv[1], "sse"))
		sse((unsigned)atoi(argv[2]));
	else {
		fprintf(stderr, "usage: parttest seq N MB | parallel N MB | kill MB | bad | hold MB | bench MB N | snap FILE | "
			"since FILE NAME | canary N | pfns PID BYTES N | sse SECONDS\n");
		return 2;
	}
	return failed ? 1 : 0;
}
