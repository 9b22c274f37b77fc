// SPDX-License-Identifier: MIT
/*
 * dmatest: a DMA attack on Raum from the root, through QEMU's "edu" PCI
 * device (vendor 0x1234, device 0x11e8; docs/specs/edu.rst in QEMU: a 4 KiB
 * buffer at device address 0x40000 and a DMA engine programmed through BAR 0:
 * source 0x80, destination 0x88, count 0x90, command 0x98 with bit 0 start,
 * bit 1 direction 1 = device to RAM). QEMU must give it
 * dma_mask=0xffffffffffffffff, or it clamps addresses to 28 bits.
 * For the test initramfs (tools/linux/init-test.sh); built static.
 *
 *   dmatest CANARY NEIGHBOUR [--canary-only]
 *
 * CANARY is Raum's canary page, NEIGHBOUR the root page right after Raum's
 * region (both from raumctl health). In order:
 *   1. ordinary DMA: a pattern from one page of this process to another,
 *      through the device (RAM -> device -> RAM): must arrive;
 *   2. a read of the canary page into the device, then back into this
 *      process: must not return Raum's canary pattern (raum_canary_byte);
 *   3. a write of the pattern into the canary page and into the last page of
 *      Raum's region (NEIGHBOUR - 4 KiB; not with --canary-only, the control
 *      run without an IOMMU, where the write would land in Raum's pool): the
 *      caller checks afterwards that the canary is intact and the faults were
 *      counted;
 *   4. a write of a second pattern into NEIGHBOUR, then a read of it back
 *      through the device: must return that pattern (the page next to Raum's
 *      memory is the root's and receives the data).
 * After each attack "raumctl health" runs, so that Raum polls the unit's
 * fault log between attacks (QEMU's VT-d model records one fault at a time).
 * One "RAUM-ROOT: dma ..." line per step. Exit status: 0 every check of this
 * program passed, 1 a check failed, 2 usage or setup error (no edu device,
 * no physical address for a buffer, ...).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <hv/abi/hvcall.h>

#define PAGE 4096u
/*
 * Bytes per DMA: half a page. QEMU 7.2's edu refuses (hw_error, QEMU aborts)
 * a transfer that ends at the very end of its 4 KiB buffer: its range check
 * wants the end address inside the buffer, not one past it.
 */
#define LEN 2048u
#define EDU_BUF 0x40000u
#define EDU_ID 0x00
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 1u
#define EDU_CMD_TO_RAM 2u

static volatile uint8_t *bar;
static int failed;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("RAUM-ROOT: dma ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void die(const char *what)
{
	say("setup FAILED: %s (%s)", what, strerror(errno));
	exit(2);
}

static uint32_t rd32(unsigned off) { return *(volatile uint32_t *)(bar + off); }
static void wr64(unsigned off, uint64_t v) { *(volatile uint64_t *)(bar + off) = v; }

/* One DMA of LEN bytes; waits (bounded: 5 s) for the engine. False when it never finished. */
static int dma(uint64_t src, uint64_t dst, int to_ram)
{
	struct timespec t0, t;

	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_CNT, LEN);
	*(volatile uint64_t *)(bar + EDU_DMA_CMD) = EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (rd32(EDU_DMA_CMD) & EDU_CMD_START) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5) {
			say("check FAILED: the edu DMA engine did not finish in 5 s");
			failed++;
			return 0;
		}
		usleep(1000);
	}
	return 1;
}

/* The physical address of a locked page of this process (/proc/self/pagemap, needs CAP_SYS_ADMIN). */
static uint64_t phys_of(void *p)
{
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)p / PAGE * 8)) != 8)
		die("cannot read /proc/self/pagemap");
	close(fd);
	if (!(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1)))
		die("a locked page has no physical address in /proc/self/pagemap");
	return (e & ((1ULL << 55) - 1)) * PAGE;
}

/* Finds edu, turns on memory decoding and bus mastering, maps BAR 0. */
static void open_edu(void)
{
	const char *base = "/sys/bus/pci/devices";
	DIR *d = opendir(base);
	struct dirent *e;
	char path[512], buf[16];

	if (!d)
		die("no /sys/bus/pci/devices");
	while ((e = readdir(d))) {
		unsigned vendor = 0, device = 0;
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", base, e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%x", &vendor) != 1)
				vendor = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "%s/%s/device", base, e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%x", &device) != 1)
				device = 0;
			fclose(f);
		}
		if (vendor != 0x1234 || device != 0x11e8)
			continue;
		snprintf(path, sizeof(path), "%s/%s/config", base, e->d_name);
		int fd = open(path, O_RDWR);
		uint16_t cmd;
		if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
			die("cannot read edu's configuration space");
		cmd |= 0x6; /* memory space, bus master */
		if (pwrite(fd, &cmd, 2, 4) != 2)
			die("cannot enable edu's memory space and bus mastering");
		close(fd);
		snprintf(path, sizeof(path), "%s/%s/resource0", base, e->d_name);
		fd = open(path, O_RDWR | O_SYNC);
		if (fd < 0)
			die("cannot open edu's BAR 0");
		void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			die("cannot map edu's BAR 0");
		bar = m;
		snprintf(buf, sizeof(buf), "%08x", rd32(EDU_ID));
		say("edu at %s, id 0x%s", e->d_name, buf);
		closedir(d);
		return;
	}
	errno = ENODEV;
	die("no edu device (QEMU -device edu,dma_mask=0xffffffffffffffff)");
}

/* GetHealth through raumctl: Raum polls the IOMMU's fault log (docs/iommu.md). */
static void poll_raum(void)
{
	if (system("raumctl health >/dev/null 2>&1") == -1)
		say("raumctl health could not run");
}

static void fill(uint8_t *p, uint8_t seed)
{
	for (unsigned i = 0; i < PAGE; i++)
		p[i] = (uint8_t)(seed ^ (i * 7) ^ (i >> 5));
}

/*
 * dmatest --deposited PAGE...: reads of pages the root deposited with Raum
 * (parttest hold prints them). Each holds Raum's data for a child partition
 * (its SLAT tables, or a free page whose first word links the pool), so a
 * read that gets through returns non-zero data other than what the device's
 * buffer held; a blocked read leaves the buffer's pattern or returns zeros.
 */
static int deposited(int n, char **pages)
{
	uint8_t *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || mlock(buf, 2 * PAGE))
		die("cannot lock two pages");
	uint8_t *src = buf, *dst = buf + PAGE, a[PAGE];
	uint64_t psrc = phys_of(src), pdst = phys_of(dst);
	int leaked = 0, read = 0;

	fill(a, 0x96);
	for (int i = 0; i < n; i++) {
		uint64_t page = strtoull(pages[i], NULL, 0);
		if (!page || page % PAGE)
			return fprintf(stderr, "dmatest: %s is not a page address\n", pages[i]), 2;
		memcpy(src, a, PAGE);
		memset(dst, 0, PAGE);
		/* the device's buffer gets the pattern, then the deposited page's first half over it, then comes back */
		if (!dma(psrc, EDU_BUF, 0) || !dma(page, EDU_BUF, 0) || !dma(EDU_BUF, pdst, 1))
			continue;
		read++;
		unsigned zero = 0, pattern = 0;
		for (unsigned k = 0; k < LEN; k++) {
			zero += dst[k] == 0;
			pattern += dst[k] == a[k];
		}
		if (zero != LEN && pattern != LEN) {
			say("check FAILED: a DMA read of deposited page %#" PRIx64 " returned Raum's data (%u of %u bytes "
			    "zero, first word %#" PRIx64 ")", page, zero, LEN, *(uint64_t *)dst);
			leaked++;
			failed++;
		}
		poll_raum();
	}
	say("deposited pages: %d read by DMA, %d returned Raum's data", read, leaked);
	say("%s (%d failed)", failed ? "deposited checks FAILED" : "deposited checks passed", failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--deposited") == 0) {
		open_edu();
		return deposited(argc - 2, argv + 2);
	}
	int canary_only = argc == 4 && strcmp(argv[3], "--canary-only") == 0;
	if (argc != 3 && !canary_only)
		return fprintf(stderr, "usage: dmatest CANARY NEIGHBOUR [--canary-only] (physical addresses, from "
			       "raumctl health)\n"), 2;
	uint64_t canary = strtoull(argv[1], NULL, 0), neighbour = strtoull(argv[2], NULL, 0);
	if (!canary || !neighbour || canary % PAGE || neighbour % PAGE)
		return fprintf(stderr, "dmatest: the addresses must be non-zero and page aligned\n"), 2;
	open_edu();

	uint8_t *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || mlock(buf, 2 * PAGE))
		die("cannot lock two pages");
	uint8_t *src = buf, *dst = buf + PAGE;
	uint8_t a[PAGE], b[PAGE];
	fill(a, 0x5a);
	fill(b, 0xc3);
	memset(dst, 0, PAGE);
	memcpy(src, a, PAGE);
	uint64_t psrc = phys_of(src), pdst = phys_of(dst);

	/* 1. ordinary DMA */
	if (dma(psrc, EDU_BUF, 0) && dma(EDU_BUF, pdst, 1)) {
		if (memcmp(dst, a, LEN) == 0) {
			say("ordinary DMA ok (page %#" PRIx64 " -> device -> page %#" PRIx64 ")", psrc, pdst);
		} else {
			say("check FAILED: ordinary DMA did not arrive (page %#" PRIx64 " -> device -> page %#" PRIx64 ")",
			    psrc, pdst);
			failed++;
		}
	}
	/* 2. a read of the canary: nothing of Raum's comes back (before any write of ours lands there) */
	memset(dst, 0, PAGE);
	if (dma(canary, EDU_BUF, 0) && dma(EDU_BUF, pdst, 1)) {
		unsigned same = 0;
		for (unsigned i = 0; i < LEN; i++)
			same += dst[i] == raum_canary_byte(i);
		if (same < LEN / 2) {
			say("read of the canary blocked (%u of %u bytes match its pattern, as chance gives)", same, LEN);
		} else {
			say("check FAILED: a read of Raum's canary page returned its data (%u of %u bytes)", same, LEN);
			failed++;
		}
	}
	poll_raum();
	/* 3. writes into Raum's memory: the caller checks the canary and the fault counter */
	memcpy(src, a, PAGE);
	dma(psrc, EDU_BUF, 0);
	dma(EDU_BUF, canary, 1);
	poll_raum();
	if (!canary_only) {
		dma(EDU_BUF, neighbour - PAGE, 1);
		poll_raum();
		say("wrote the pattern at Raum's canary %#" PRIx64 " and Raum's last page %#" PRIx64, canary,
		    neighbour - PAGE);
	} else {
		say("wrote the pattern at Raum's canary %#" PRIx64, canary);
	}
	/* 4. the neighbouring root page receives pattern b, and gives it back */
	memcpy(src, b, PAGE);
	memset(dst, 0, PAGE);
	if (dma(psrc, EDU_BUF, 0) && dma(EDU_BUF, neighbour, 1)) {
		/* the device's buffer holds b now: clear it through a page of zeros, then read the neighbour into it */
		memset(src, 0, PAGE);
		if (dma(psrc, EDU_BUF, 0) && dma(neighbour, EDU_BUF, 0) && dma(EDU_BUF, pdst, 1)) {
			if (memcmp(dst, b, LEN) == 0) {
				say("neighbour page %#" PRIx64 " written and read back ok", neighbour);
			} else {
				say("check FAILED: the root page %#" PRIx64 " next to Raum's region did not take the data",
				    neighbour);
				failed++;
			}
		}
	}
	say("%s (%d failed)", failed ? "checks FAILED" : "checks passed", failed);
	return failed ? 1 : 0;
}
