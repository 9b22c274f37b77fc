// SPDX-License-Identifier: MIT
/*
 * raumctl run: one child partition in the foreground of this process
 * (docs/raumctl-run.md). The partition belongs to this process's open
 * /dev/raum: when the process ends, however it ends, raum.ko tears it down
 * and every page comes back.
 *
 * The device model follows QEMU's PC so that its test images run as they
 * are: a 16550 UART at 0x3f8 (output to the terminal or --log, input from
 * stdin, its receive interrupt on IRQ 4), the exit port at 0xf4 with
 * isa-debug-exit's semantics (the process exits with (value << 1) | 1), the
 * PICs' initialization and mask (struct pic); any other port reads all-ones
 * and drops writes, and so does any guest-physical address outside the
 * guest's RAM (unassigned_mmio: loads get all-ones, stores are dropped;
 * an instruction fetch there stops the guest). CPUID leaf 0x40000100 (an intercept raumctl installs)
 * names the device model: EAX 1, "raumctl-dm  " in EBX, ECX, EDX.
 *
 * Exit status: the guest's through the exit port (odd); 0 the guest halted
 * with nothing left to wake it; 1 raumctl failed (the message says why);
 * 2 usage; 4 the guest crashed (triple fault, code run outside its
 * memory, an instruction Raum or raumctl cannot complete), its state
 * printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hv/abi/hvcall.h>
#include <hv/abi/raumdev.h>

#include "image.h"
#include "mmio.h"
#include "run.h"

#define EXIT_GUEST_CRASHED 4
#define DEFAULT_MEM_MB 16
#define DEBUG_EXIT_PORT 0xf4
#define COM1 0x3f8

struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	int fd;                  /* where the guest's output goes */
	int in_fd;               /* where its input comes from (stdin), -1 after end of file */
	int have_in;             /* rx holds a byte */
	uint8_t rx;
	char buf[256];
	size_t n;
};

/*
 * The two 8259As, as much as a guest that takes the UART's interrupt needs:
 * the initialization words (ICW2: the vector base), the mask (OCW1); EOIs
 * and the other commands are accepted and dropped. Raum delivers the
 * vector itself (HV_X64_REGISTER_PENDING_INTERRUPTION); there is no IRR /
 * ISR model: one interrupt source so far.
 */
struct pic {
	uint8_t base, imr, icw_step; /* icw_step: the next ICW expected on the data port (0: none) */
	int icw4;
};

struct runner {
	int dev;
	uint64_t id;
	struct uart com1;
	struct pic pic[2];
	int irq_pending;             /* the UART's interrupt is with Raum, not taken yet */
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t exits, io_exits, irqs, mmio;
	struct raumctl_run_stats *pub; /* RAUMCTL_STATS_FILE's mapping, or NULL */
};

/* Maps RAUMCTL_STATS_FILE (created, mode 0600) for the counters; a failure only costs the statistics. */
static struct raumctl_run_stats *stats_publish_open(void)
{
	const char *path = getenv("RAUMCTL_STATS_FILE");
	struct raumctl_run_stats *p;

	if (!path || !*path)
		return NULL;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || ftruncate(fd, sizeof(*p))) {
		fprintf(stderr, "raumctl: RAUMCTL_STATS_FILE %s: %s (no statistics published)\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->version = RAUMCTL_STATS_VERSION;
	__atomic_store_n(&p->magic, RAUMCTL_STATS_MAGIC, __ATOMIC_RELEASE);
	return p;
}

static void stats_publish(struct runner *r, uint32_t kind)
{
	struct raumctl_run_stats *p = r->pub;

	if (!p)
		return;
	__atomic_store_n(&p->exits, r->exits, __ATOMIC_RELAXED);
	__atomic_store_n(&p->dispatches, p->dispatches + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&p->io_exits, r->io_exits, __ATOMIC_RELAXED);
	__atomic_store_n(&p->mmio, r->mmio, __ATOMIC_RELAXED);
	__atomic_store_n(&p->irqs, r->irqs, __ATOMIC_RELAXED);
	if (kind < 16)
		__atomic_store_n(&p->by_kind[kind], p->by_kind[kind] + 1, __ATOMIC_RELAXED);
}

#define DEVICE_MODEL_LEAF 0x40000100u /* CPUID: raumctl's device model (InstallIntercept) */
#define DEVICE_MODEL_MSR 0x40000100u  /* RDMSR: the exits raumctl handled so far; writes dropped (InstallIntercept) */

static void uart_flush(struct uart *u)
{
	size_t off = 0;

	while (off < u->n) {
		ssize_t w = write(u->fd, u->buf + off, u->n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	u->n = 0;
}

static void uart_out(struct uart *u, uint8_t c)
{
	u->buf[u->n++] = (char)c;
	if (c == '\n' || u->n == sizeof(u->buf))
		uart_flush(u);
}

/* Whether a byte of input is there (polled, never waiting): LSR.DR. */
static int uart_rx_ready(struct uart *u)
{
	struct pollfd p = { .fd = u->in_fd, .events = POLLIN };

	if (u->have_in || u->in_fd < 0)
		return u->have_in;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP))) {
		if (read(u->in_fd, &u->rx, 1) == 1)
			u->have_in = 1;
		else
			u->in_fd = -1; /* end of input */
	}
	return u->have_in;
}

/* A 16550's registers (offset 0-7 from the base): transmit, and receive from stdin by polling (no interrupts yet). */
static uint32_t uart_io(struct uart *u, unsigned off, int write, uint32_t v)
{
	int dlab = u->lcr & 0x80;

	switch (off) {
	case 0:
		if (dlab) {
			if (write)
				u->dll = (uint8_t)v;
			return u->dll;
		}
		if (write) {
			uart_out(u, (uint8_t)v);
			return 0;
		}
		if (!uart_rx_ready(u))
			return 0;
		u->have_in = 0;
		return u->rx;
	case 1:
		if (dlab) {
			if (write)
				u->dlm = (uint8_t)v;
			return u->dlm;
		}
		if (write)
			u->ier = (uint8_t)(v & 0x0f);
		return u->ier;
	case 2:
		if (write)
			return 0; /* FCR: ignored */
		return (u->ier & 1) && uart_rx_ready(u) ? 0x04 : 0x01; /* IIR: received data, or none */
	case 3:
		if (write)
			u->lcr = (uint8_t)v;
		return u->lcr;
	case 4:
		if (write)
			u->mcr = (uint8_t)(v & 0x1f);
		return u->mcr;
	case 5:
		return 0x60 | (uart_rx_ready(u) ? 1 : 0); /* LSR: THRE, TEMT; DR when input is there */
	case 6:
		return 0xb0; /* MSR: DCD, DSR, CTS */
	default:
		if (write)
			u->scr = (uint8_t)v;
		return u->scr;
	}
}

/* One port access; *exit_status set when the guest asked to end. */
static uint32_t port_io(struct runner *r, uint16_t port, unsigned size, int write, uint32_t v, int *exit_status)
{
	uint32_t mask = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;

	if (port >= COM1 && port < COM1 + 8) {
		uint32_t val = uart_io(&r->com1, port - COM1, write, v) & mask;
		if (!write && (port == COM1 + 0 || port == COM1 + 2)) /* RBR or IIR read: the interrupt was taken */
			r->irq_pending = 0;
		return val;
	}
	if (port == DEBUG_EXIT_PORT) {
		if (write)
			*exit_status = (int)(((v & mask) << 1) | 1);
		return mask;
	}
	if (port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1) {
		struct pic *p = &r->pic[port >= 0xa0];
		int data = port & 1;
		if (!write)
			return data ? p->imr : 0;
		v &= 0xff;
		if (!data) {
			if (v & 0x10) { /* ICW1: ICW2, ICW3, then ICW4 when bit 0 asks for it */
				p->icw_step = 2;
				p->icw4 = v & 1;
				p->imr = 0;
			}
			return 0; /* OCW2 (EOI), OCW3: dropped */
		}
		if (p->icw_step == 2) {
			p->base = (uint8_t)(v & 0xf8);
			p->icw_step = 3;
		} else if (p->icw_step == 3) {
			p->icw_step = p->icw4 ? 4 : 0;
		} else if (p->icw_step == 4) {
			p->icw_step = 0;
		} else {
			p->imr = (uint8_t)v; /* OCW1 */
		}
		return 0;
	}
	return mask; /* unassigned: all ones, writes dropped */
}

/* Whether the UART's interrupt (IRQ 4) can reach the guest: enabled, unmasked, the PIC initialized. */
static int uart_irq_enabled(const struct runner *r)
{
	return (r->com1.ier & 1) && r->pic[0].base && !(r->pic[0].imr & (1u << 4));
}

/* Hands the UART's interrupt to Raum when data waits and none is pending (Raum holds it until RFLAGS.IF). */
static int raise_irqs(struct runner *r)
{
	if (r->irq_pending || !uart_irq_enabled(r) || !uart_rx_ready(&r->com1))
		return 0;
	struct raum_reg reg = { .name = HV_X64_REGISTER_PENDING_INTERRUPTION,
				.low = 1 | (uint64_t)(r->pic[0].base + 4) << 16 };
	struct raum_vp_regs q = { .partition_id = r->id, .vp_index = 0, .count = 1, .set = 1,
				  .regs_ptr = (uintptr_t)&reg };
	if (ioctl(r->dev, RAUM_IOC_VP_REGS, &q)) {
		fprintf(stderr, "raumctl: raising the serial interrupt failed: %s (Raum: %#x)\n", strerror(errno), q.status);
		return -1;
	}
	r->irq_pending = 1;
	r->irqs++;
	return 0;
}

/*
 * An access outside the guest's RAM (a MEMORY exit): unassigned MMIO, as
 * QEMU has it: a load gets all-ones, a store is dropped, and the guest
 * goes on after the instruction. 0 when emulated, -1 when the instruction
 * is not one raumctl decodes (or cannot be fetched): the guest stops.
 */
static int unassigned_mmio(struct runner *r, const struct raum_vp_exit *x)
{
	struct raum_reg regs[16];
	struct raum_vp_regs q = { .partition_id = r->id, .count = 16, .regs_ptr = (uintptr_t)regs };
	struct mmio_insn d;

	for (unsigned i = 0; i < 16; i++)
		regs[i].name = HV_X64_REGISTER_RAX + i;
	/* a fetch has no bytes; Raum gives fewer than 15 where a page is not readable (the decoder needs what it has) */
	if (x->flags & RAUM_VPEXIT_F_EXECUTE || x->insn_len > sizeof(x->insn) || ioctl(r->dev, RAUM_IOC_VP_REGS, &q))
		return -1;
	if (mmio_decode(x->insn, x->insn_len, x->mode, &d))
		return -1;
	struct raum_reg set[2] = { { .name = HV_X64_REGISTER_RIP, .low = x->rip + (uint64_t)d.len } };
	struct raum_vp_regs sq = { .partition_id = r->id, .count = 1, .set = 1, .regs_ptr = (uintptr_t)set };
	if (!d.write) {
		set[1] = (struct raum_reg){ .name = HV_X64_REGISTER_RAX + (uint32_t)d.reg,
					    .low = mmio_read_result(regs[d.reg].low, &d) };
		sq.count = 2;
	}
	if (ioctl(r->dev, RAUM_IOC_VP_REGS, &sq))
		return -1;
	r->mmio++;
	return 0;
}

static void usage_run(void)
{
	fprintf(stderr,
		"usage: raumctl run IMAGE [--mem MB] [--cmdline TEXT] [--module FILE[=STRING]]... [--log FILE]\n"
		"       raumctl run IMAGE --flat --load ADDR --entry ADDR [--mode 16|32|64] [--mem MB] [--log FILE]\n"
		"IMAGE is Multiboot v1 (ELF32 or a.out kludge) unless --flat. MB: 2 to %llu (default %d).\n",
		(unsigned long long)(RAUM_PART_MEM_MAX >> 20), DEFAULT_MEM_MB);
}

static int read_file(const char *path, uint8_t **data, size_t *len, uint64_t max)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	if (fd < 0) {
		fprintf(stderr, "raumctl: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "raumctl: '%s' is not a regular file\n", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		fprintf(stderr, "raumctl: '%s' (%lld bytes) is larger than the guest's memory\n", path,
			(long long)st.st_size);
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	*data = malloc(*len ? *len : 1);
	if (!*data) {
		close(fd);
		return -1;
	}
	for (size_t off = 0; off < *len;) {
		ssize_t n = read(fd, *data + off, *len - off);
		if (n <= 0) {
			fprintf(stderr, "raumctl: reading '%s' failed\n", path);
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	close(fd);
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static struct raum_reg seg(uint32_t name, uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr)
{
	return (struct raum_reg){ .name = name, .low = base,
				  .high = limit | (uint64_t)sel << 32 | (uint64_t)attr << 48 };
}

static struct raum_reg reg(uint32_t name, uint64_t v) { return (struct raum_reg){ .name = name, .low = v }; }

/* The entry state of the image (docs/raumctl-run.md): Multiboot's for Multiboot, the mode's for flat. */
static size_t boot_regs(const struct image_boot *b, struct raum_reg *r)
{
	size_t n = 0;
	uint16_t code = b->mode == 64 ? 0xa9b : 0xc9b, data = 0xc93;

	if (b->mode == 16) {
		uint16_t cs = (uint16_t)(b->entry >> 4), ss = (uint16_t)((b->rsp - 1) >> 4 & 0xf000);
		r[n++] = seg(HV_X64_REGISTER_CS, cs, (uint64_t)cs << 4, 0xffff, 0x9b);
		r[n++] = reg(HV_X64_REGISTER_RIP, b->entry & 0xf);
		r[n++] = seg(HV_X64_REGISTER_SS, ss, (uint64_t)ss << 4, 0xffff, 0x93);
		r[n++] = reg(HV_X64_REGISTER_RAX + 4, b->rsp - ((uint64_t)ss << 4));
		for (uint32_t s = HV_X64_REGISTER_ES; s <= HV_X64_REGISTER_GS; s++)
			if (s != HV_X64_REGISTER_CS && s != HV_X64_REGISTER_SS)
				r[n++] = seg(s, 0, 0, 0xffff, 0x93);
		r[n++] = reg(HV_X64_REGISTER_CR0, 0x10);
	} else {
		r[n++] = seg(HV_X64_REGISTER_CS, IMAGE_SEL_CODE, 0, 0xffffffff, code);
		for (uint32_t s = HV_X64_REGISTER_ES; s <= HV_X64_REGISTER_GS; s++)
			if (s != HV_X64_REGISTER_CS)
				r[n++] = seg(s, IMAGE_SEL_DATA, 0, 0xffffffff, data);
		r[n++] = reg(HV_X64_REGISTER_RIP, b->entry);
		r[n++] = reg(HV_X64_REGISTER_RAX + 4, b->rsp);
		r[n++] = (struct raum_reg){ .name = HV_X64_REGISTER_GDTR, .low = b->gdt_base, .high = 23 };
		r[n++] = (struct raum_reg){ .name = HV_X64_REGISTER_IDTR, .low = 0, .high = 0 };
		if (b->mode == 64) {
			r[n++] = reg(HV_X64_REGISTER_CR4, 0x20);          /* PAE */
			r[n++] = reg(HV_X64_REGISTER_CR3, b->cr3);
			r[n++] = reg(HV_X64_REGISTER_EFER, 0x500);        /* LME, LMA */
			r[n++] = reg(HV_X64_REGISTER_CR0, 0x80000031);    /* PG, NE, ET, PE */
		} else {
			r[n++] = reg(HV_X64_REGISTER_CR0, 0x11);          /* ET, PE */
		}
	}
	r[n++] = seg(HV_X64_REGISTER_TR, 0, 0, 0x67, 0x8b);
	r[n++] = seg(HV_X64_REGISTER_LDTR, 0, 0, 0xffff, 0x82);
	r[n++] = reg(HV_X64_REGISTER_RFLAGS, 0x2);
	r[n++] = reg(HV_X64_REGISTER_RAX, b->rax);
	r[n++] = reg(HV_X64_REGISTER_RAX + 3, b->rbx);
	return n;
}

static const char *status_name(unsigned s)
{
	switch (s) {
	case HV_STATUS_INVALID_PARAMETER: return "INVALID_PARAMETER";
	case HV_STATUS_INVALID_VP_STATE: return "INVALID_VP_STATE";
	case HV_STATUS_INVALID_VP_INDEX: return "INVALID_VP_INDEX";
	case HV_STATUS_ACCESS_DENIED: return "ACCESS_DENIED";
	case HV_STATUS_INSUFFICIENT_MEMORY: return "INSUFFICIENT_MEMORY";
	default: return "an error";
	}
}

/* The VP's registers on stderr, for a guest that crashed. */
static void dump_vp(struct runner *r)
{
	static const char *const gpr[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
	struct raum_reg regs[24];
	struct raum_vp_regs q = { .partition_id = r->id, .vp_index = 0, .count = 0, .regs_ptr = (uintptr_t)regs };
	unsigned n = 0;

	for (unsigned i = 0; i < 16; i++)
		regs[n++].name = HV_X64_REGISTER_RAX + i;
	regs[n++].name = HV_X64_REGISTER_RIP;
	regs[n++].name = HV_X64_REGISTER_RFLAGS;
	regs[n++].name = HV_X64_REGISTER_CR0;
	regs[n++].name = HV_X64_REGISTER_CR3;
	regs[n++].name = HV_X64_REGISTER_CR4;
	regs[n++].name = HV_X64_REGISTER_EFER;
	regs[n++].name = HV_X64_REGISTER_CS;
	q.count = n;
	if (ioctl(r->dev, RAUM_IOC_VP_REGS, &q)) {
		fprintf(stderr, "raumctl: the guest's registers cannot be read (%s)\n", strerror(errno));
		return;
	}
	for (unsigned i = 0; i < 16; i++)
		fprintf(stderr, "  %-3s %016" PRIx64 "%s", gpr[i], regs[i].low, i % 4 == 3 ? "\n" : "");
	fprintf(stderr, "  rip %016" PRIx64 "  rflags %08" PRIx64 "  cs %04" PRIx64 " (attr %03" PRIx64 ")\n",
		regs[16].low, regs[17].low, (regs[22].high >> 32) & 0xffff, regs[22].high >> 48);
	fprintf(stderr, "  cr0 %08" PRIx64 "  cr3 %016" PRIx64 "  cr4 %08" PRIx64 "  efer %08" PRIx64 "\n",
		regs[18].low, regs[19].low, regs[20].low, regs[21].low);
}

static int run_loop(struct runner *r)
{
	struct raum_vp_run q = { .partition_id = r->id, .vp_index = 0 };
	int status = -1;

	for (;;) {
		if (ioctl(r->dev, RAUM_IOC_VP_RUN, &q)) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "raumctl: running the guest failed: %s (Raum: %s %#x)\n", strerror(errno),
				status_name(q.status), q.status);
			return 1;
		}
		r->exits += q.exit.exits + 1;
		stats_publish(r, q.exit.kind);
		q.flags = 0;
		q.data = 0;
		switch (q.exit.kind) {
		case RAUM_VPEXIT_IO: {
			r->io_exits++;
			if (q.exit.flags & RAUM_VPEXIT_F_STRING) {
				fprintf(stderr, "raumctl: the guest used string I/O (INS / OUTS) on port %#x at rip %#" PRIx64
					", which is not emulated: stopping\n", q.exit.port, q.exit.rip);
				dump_vp(r);
				return EXIT_GUEST_CRASHED;
			}
			int write = q.exit.flags & RAUM_VPEXIT_F_WRITE;
			uint32_t v = port_io(r, q.exit.port, q.exit.size, write, (uint32_t)q.exit.data, &status);
			if (status >= 0)
				return status;
			if (raise_irqs(r))
				return 1;
			q.flags = RAUM_DISPATCH_COMPLETE;
			q.data = write ? 0 : v;
			break;
		}
		case RAUM_VPEXIT_HLT:
			/* with interrupts on and the UART's enabled: wait for input, which raises it */
			if ((q.exit.rflags & 0x200) && uart_irq_enabled(r) && r->com1.in_fd >= 0) {
				struct pollfd p = { .fd = r->com1.in_fd, .events = POLLIN };
				if (!r->irq_pending)
					poll(&p, 1, -1);
				if (raise_irqs(r))
					return 1;
				q.flags = RAUM_DISPATCH_COMPLETE;
				break;
			}
			fprintf(stderr, "raumctl: the guest halted at rip %#" PRIx64 " with nothing to wake it: stopping\n",
				q.exit.rip);
			return 0;
		case RAUM_VPEXIT_MSR:
			if (q.exit.index != DEVICE_MODEL_MSR) {
				fprintf(stderr, "raumctl: an MSR exit for %#x it did not ask for\n", q.exit.index);
				return 1;
			}
			q.flags = RAUM_DISPATCH_COMPLETE;
			q.data = (q.exit.flags & RAUM_VPEXIT_F_WRITE) ? 0 : r->exits; /* RDMSR: EDX:EAX */
			break;
		case RAUM_VPEXIT_CPUID: {
			/* the device model's leaf: EAX its version, EBX ECX EDX "raumctl-dm  " */
			struct raum_reg regs[4] = { { .name = HV_X64_REGISTER_RAX, .low = 1 },
						    { .name = HV_X64_REGISTER_RAX + 3, .low = 0x6d756172 },
						    { .name = HV_X64_REGISTER_RAX + 1, .low = 0x2d6c7463 },
						    { .name = HV_X64_REGISTER_RAX + 2, .low = 0x20206d64 } };
			struct raum_vp_regs rq = { .partition_id = r->id, .count = 4, .set = 1, .regs_ptr = (uintptr_t)regs };
			if (q.exit.index != DEVICE_MODEL_LEAF || ioctl(r->dev, RAUM_IOC_VP_REGS, &rq)) {
				fprintf(stderr, "raumctl: a CPUID exit for leaf %#x it did not ask for\n", q.exit.index);
				return 1;
			}
			q.flags = RAUM_DISPATCH_COMPLETE;
			break;
		}
		case RAUM_VPEXIT_MEMORY:
			if (unassigned_mmio(r, &q.exit) == 0)
				break;
			fprintf(stderr, "raumctl: the guest %s GPA %#" PRIx64 " outside its memory at rip %#" PRIx64
				"%s: stopping\n", (q.exit.flags & RAUM_VPEXIT_F_EXECUTE) ? "executed at" :
				(q.exit.flags & RAUM_VPEXIT_F_WRITE) ? "wrote" : "read", q.exit.gpa, q.exit.rip,
				(q.exit.flags & RAUM_VPEXIT_F_EXECUTE) ? "" : " (an instruction raumctl does not emulate)");
			dump_vp(r);
			return EXIT_GUEST_CRASHED;
		case RAUM_VPEXIT_SHUTDOWN:
		case RAUM_VPEXIT_FAILED:
			q.exit.why[sizeof(q.exit.why) - 1] = 0;
			fprintf(stderr, "raumctl: the guest %s: %s\n",
				q.exit.kind == RAUM_VPEXIT_SHUTDOWN ? "shut down (triple fault)" :
				(q.exit.flags & RAUM_VPEXIT_F_REFUSED) ? "cannot start" : "failed", q.exit.why);
			dump_vp(r);
			return EXIT_GUEST_CRASHED;
		default:
			fprintf(stderr, "raumctl: Raum returned an exit of unknown kind %u: stopping\n", q.exit.kind);
			return 1;
		}
	}
}

int cmd_run(int argc, char **argv)
{
	struct image_opts o = { .mode = 32 };
	const char *path = NULL, *log = NULL;
	uint64_t mem_mb = DEFAULT_MEM_MB, v;
	int have_load = 0, have_entry = 0, have_mode = 0;
	static char err[256];

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--mem") == 0 && val && parse_u64(val, &mem_mb) == 0) {
			i++;
		} else if (strcmp(a, "--cmdline") == 0 && val) {
			o.cmdline = val;
			i++;
		} else if (strcmp(a, "--log") == 0 && val) {
			log = val;
			i++;
		} else if (strcmp(a, "--module") == 0 && val) {
			if (o.nr_mods == MB_MAX_MODULES) {
				fprintf(stderr, "raumctl: at most %d modules\n", MB_MAX_MODULES);
				return 2;
			}
			o.mods[o.nr_mods++].cmdline = val; /* the file is read below */
			i++;
		} else if (strcmp(a, "--flat") == 0) {
			o.flat = 1;
		} else if (strcmp(a, "--load") == 0 && val && parse_u64(val, &v) == 0) {
			o.load = v;
			have_load = 1;
			i++;
		} else if (strcmp(a, "--entry") == 0 && val && parse_u64(val, &v) == 0) {
			o.entry = v;
			have_entry = 1;
			i++;
		} else if (strcmp(a, "--mode") == 0 && val && parse_u64(val, &v) == 0 && (v == 16 || v == 32 || v == 64)) {
			o.mode = (unsigned)v;
			have_mode = 1;
			i++;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage_run();
			return 0;
		} else if (a[0] != '-' && !path) {
			path = a;
		} else {
			fprintf(stderr, "raumctl run: bad option or value: '%s'%s%s\n", a, val ? " " : "", val ? val : "");
			usage_run();
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "raumctl run: no image given\n");
		usage_run();
		return 2;
	}
	if (mem_mb < 2 || mem_mb > (RAUM_PART_MEM_MAX >> 20)) {
		fprintf(stderr, "raumctl run: --mem %" PRIu64 " is out of range: 2 to %llu MiB\n", mem_mb,
			(unsigned long long)(RAUM_PART_MEM_MAX >> 20));
		return 2;
	}
	if (o.flat && (!have_load || !have_entry)) {
		fprintf(stderr, "raumctl run: a flat image needs --load and --entry\n");
		return 2;
	}
	if (!o.flat && (have_load || have_entry || have_mode)) {
		fprintf(stderr, "raumctl run: --load, --entry and --mode are for flat images (--flat)\n");
		return 2;
	}
	uint64_t mem = mem_mb << 20;
	uint8_t *file, *ram;
	size_t len;
	if (read_file(path, &file, &len, mem))
		return 1;
	for (unsigned i = 0; i < o.nr_mods; i++) {
		/* FILE[=ARGS]: the module is FILE; its string "FILE ARGS", as GRUB passes it */
		char *file_name = strdup(o.mods[i].cmdline), *spec = strdup(o.mods[i].cmdline);
		if (!file_name || !spec)
			return 1;
		char *eq = strchr(file_name, '=');
		if (eq) {
			*eq = '\0';
			spec[eq - file_name] = ' ';
		}
		uint8_t *d;
		size_t l;
		if (read_file(file_name, &d, &l, mem))
			return 1;
		free(file_name);
		o.mods[i].data = d;
		o.mods[i].len = l;
		o.mods[i].cmdline = spec;
	}
	ram = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		fprintf(stderr, "raumctl: cannot allocate %" PRIu64 " MiB for the guest: %s\n", mem_mb, strerror(errno));
		return 1;
	}
	struct image_boot b;
	if (image_load(file, len, ram, mem, &o, &b, err, sizeof(err))) {
		fprintf(stderr, "raumctl: %s: %s\n", path, err);
		return 1;
	}

	struct runner r = { .com1 = { .fd = STDOUT_FILENO, .in_fd = STDIN_FILENO }, .ram = ram, .ram_size = mem };
	if (log) {
		r.com1.fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (r.com1.fd < 0) {
			fprintf(stderr, "raumctl: cannot open the log '%s': %s\n", log, strerror(errno));
			return 1;
		}
	}
	r.dev = open(RAUM_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (r.dev < 0) {
		fprintf(stderr, "raumctl: cannot open %s: %s (is raum.ko loaded, and is this the root partition "
			"under Raum?)\n", RAUM_DEV_PATH, strerror(errno));
		return 1;
	}
	struct raum_part_create c = { .mem_ptr = (uintptr_t)ram, .mem_bytes = mem };
	if (ioctl(r.dev, RAUM_IOC_PART_CREATE, &c)) {
		fprintf(stderr, "raumctl: creating the partition failed: %s (the kernel log says more)\n", strerror(errno));
		return 1;
	}
	r.id = c.partition_id;
	struct raum_vp_id vid = { .partition_id = r.id, .vp_index = 0 };
	if (ioctl(r.dev, RAUM_IOC_VP_CREATE, &vid)) {
		fprintf(stderr, "raumctl: creating the virtual processor failed: %s\n", strerror(errno));
		return 1;
	}
	struct raum_intercept ic = { .partition_id = r.id, .access_type = HV_INTERCEPT_ACCESS_READ,
				     .intercept_type = HV_INTERCEPT_TYPE_X64_CPUID, .parameter = DEVICE_MODEL_LEAF };
	if (ioctl(r.dev, RAUM_IOC_INTERCEPT, &ic)) {
		fprintf(stderr, "raumctl: installing the CPUID intercept failed: %s (Raum: %#x)\n", strerror(errno),
			ic.status);
		return 1;
	}
	struct raum_intercept im = { .partition_id = r.id, .access_type = HV_INTERCEPT_ACCESS_READ | HV_INTERCEPT_ACCESS_WRITE,
				     .intercept_type = HV_INTERCEPT_TYPE_X64_MSR, .parameter = DEVICE_MODEL_MSR };
	if (ioctl(r.dev, RAUM_IOC_INTERCEPT, &im)) {
		fprintf(stderr, "raumctl: installing the MSR intercept failed: %s (Raum: %#x)\n", strerror(errno),
			im.status);
		return 1;
	}
	struct raum_reg regs[40];
	struct raum_vp_regs q = { .partition_id = r.id, .vp_index = 0, .set = 1, .regs_ptr = (uintptr_t)regs };
	q.count = (uint32_t)boot_regs(&b, regs);
	if (ioctl(r.dev, RAUM_IOC_VP_REGS, &q)) {
		fprintf(stderr, "raumctl: setting the entry state failed at register %#x: Raum says %s (%#x)\n",
			regs[q.failed_index].name, status_name(q.status), q.status);
		return 1;
	}
	r.pub = stats_publish_open();
	int st = run_loop(&r);
	uart_flush(&r.com1);
	if (getenv("RAUMCTL_STATS"))
		fprintf(stderr, "raumctl: %" PRIu64 " exits, %" PRIu64 " port I/O exits handled here, %" PRIu64
			" interrupts raised, %" PRIu64 " unassigned MMIO accesses\n", r.exits, r.io_exits, r.irqs, r.mmio);
	return st; /* closing /dev/raum (exit) tears the partition down */
}
