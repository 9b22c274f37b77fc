// SPDX-License-Identifier: MIT
/*
 * AMD-Vi DMA remapping: the device table, a command buffer and an event log
 * of one page each. See drivers/iommu.c for the policy and
 * include/raum/iommu_hw.h for the registers. AMD IOMMU specification 48882
 * rev 3.08: 3.4.1-3.4.4 (base registers and control), 2.4 (commands), 2.5
 * (event log), 2.2.2 (device table).
 */
#include <raum/errno.h>
#include <raum/fmt.h>
#include <raum/iommu.h>
#include <raum/iommu_hw.h>
#include <raum/iopt.h>
#include <raum/log.h>
#include <raum/vm.h>

#include "iommu_int.h"

static u64 rd64(const struct iommu_unit *u, u32 off) { return *(volatile u64 *)(u->regs + off); }
static void wr64(const struct iommu_unit *u, u32 off, u64 v) { *(volatile u64 *)(u->regs + off) = v; }

int amdvi_probe(struct iommu_unit *u, int *levels, bool *l2m, bool *l1g, char *err, size_t errlen)
{
	u64 ctl = rd64(u, AMDVI_REG_CONTROL);

	u->cap = rd64(u, AMDVI_REG_EFR);
	if (ctl == ~0ULL) {
		raum_snprintf(err, errlen, "AMD-Vi unit at %#llx does not answer (control %#llx)",
			      (unsigned long long)u->reg_base, (unsigned long long)ctl);
		return -RAUM_EIO;
	}
	if (ctl & AMDVI_CTL_IOMMU_EN) {
		raum_snprintf(err, errlen, "AMD-Vi unit at %#llx is enabled already (control %#llx): the firmware "
			      "is using it", (unsigned long long)u->reg_base, (unsigned long long)ctl);
		return -RAUM_EBUSY;
	}
	/* 4 levels (48 bits): every AMD-Vi unit walks them (EFR.HATS 00b is 4 levels, more is optional). */
	if (*levels == 0 || *levels > 4)
		*levels = 4;
	(void)l2m;
	(void)l1g; /* a leaf with Next Level 0 at level 2 or 3 is architectural (48882, 2.2.3) */
	u->max_addr_bits = 48;
	pr_info("iommu: AMD-Vi unit %u: EFR %#llx, control %#llx", u->index, (unsigned long long)u->cap,
		(unsigned long long)ctl);
	return 0;
}

/* Queues one 16-byte command; waits (bounded) for room. False when the ring never drains. */
static bool cmd_put(struct iommu_unit *u, const u32 c[4])
{
	u32 next = (u->cmd_tail + 16) % (AMDVI_RING_ENTRIES * 16);

	for (u32 i = 0; (u32)rd64(u, AMDVI_REG_CMD_HEAD) == next; i++) {
		if (i == IOMMU_SPIN_MAX)
			return false;
		__builtin_ia32_pause();
	}
	volatile u32 *slot = (volatile u32 *)((u8 *)phys_to_virt(u->cmdbuf) + u->cmd_tail);
	for (int i = 0; i < 4; i++)
		slot[i] = c[i];
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the command is in memory before the tail moves */
	u->cmd_tail = next;
	wr64(u, AMDVI_REG_CMD_TAIL, next);
	return true;
}

/* COMPLETION_WAIT with a store: true once every earlier command has completed (48882, 2.4.1). */
static bool cmd_sync(struct iommu_unit *u)
{
	volatile u64 *sem = phys_to_virt(u->wait_phys);
	u64 seq = ++u->wait_seq;
	u32 c[4] = { (u32)(u->wait_phys & 0xfffffff8u) | 1u /* S: store */,
		     (u32)((u->wait_phys >> 32) & 0xfffff) | AMDVI_CMD_COMPLETION_WAIT << 28, (u32)seq,
		     (u32)(seq >> 32) };

	if (!cmd_put(u, c))
		return false;
	for (u32 i = 0; i < IOMMU_SPIN_MAX; i++) {
		if (*sem == seq)
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

/* Every cached translation and device-table entry dropped (48882, 2.4.8, else 2.4.2 for each ID). */
static bool invalidate_all(struct iommu_unit *u, u16 domain)
{
	if (u->cap & AMDVI_EFR_IA) {
		u32 c[4] = { 0, AMDVI_CMD_INVAL_IOMMU_ALL << 28, 0, 0 };
		return cmd_put(u, c) && cmd_sync(u);
	}
	for (u32 id = 0; id < AMDVI_DEVTAB_ENTRIES; id++) {
		u32 c[4] = { id, AMDVI_CMD_INVAL_DEVTAB_ENTRY << 28, 0, 0 };
		if (!cmd_put(u, c))
			return false;
	}
	/* all pages of the domain: S = 1, PDE = 1, the address with every size bit set */
	u32 p[4] = { 0, domain | AMDVI_CMD_INVAL_IOMMU_PAGES << 28, 0xfffff000u | 3u, 0x7fffffffu };
	return cmd_put(u, p) && cmd_sync(u);
}

bool amdvi_flush_domain(struct iommu_unit *u, u16 domain)
{
	/* all pages of the domain: S = 1, PDE = 1, the address with every size bit set */
	u32 p[4] = { 0, domain | AMDVI_CMD_INVAL_IOMMU_PAGES << 28, 0xfffff000u | 3u, 0x7fffffffu };
	return cmd_put(u, p) && cmd_sync(u);
}

int amdvi_enable(struct iommu_unit *u, u64 devtab, u16 domain, char *err, size_t errlen)
{
	const char *what;
	int rc;

	if (!u->cmdbuf && ((rc = page_alloc_zeroed(1, &u->cmdbuf)) || (rc = page_alloc_zeroed(1, &u->evtlog)) ||
			   (rc = page_alloc_zeroed(1, &u->wait_phys)))) {
		raum_snprintf(err, errlen, "no pool pages for AMD-Vi unit %u's rings (raise pool_mb in raum.cfg)",
			      u->index);
		return rc;
	}
	u64 ctl = rd64(u, AMDVI_REG_CONTROL) &
		  ~(AMDVI_CTL_IOMMU_EN | AMDVI_CTL_CMDBUF_EN | AMDVI_CTL_EVTLOG_EN | AMDVI_CTL_EVTINT_EN |
		    AMDVI_CTL_COMWAITINT_EN);
	wr64(u, AMDVI_REG_CONTROL, ctl);
	wr64(u, AMDVI_REG_DEVTAB, devtab | (AMDVI_DEVTAB_ENTRIES * 32 / PAGE_SIZE - 1)); /* Size: pages - 1 */
	wr64(u, AMDVI_REG_CMDBUF, u->cmdbuf | AMDVI_RING_LEN_CODE << 56);
	wr64(u, AMDVI_REG_EVTLOG, u->evtlog | AMDVI_RING_LEN_CODE << 56);
	wr64(u, AMDVI_REG_CMD_HEAD, 0);
	wr64(u, AMDVI_REG_CMD_TAIL, 0);
	wr64(u, AMDVI_REG_EVT_HEAD, 0);
	wr64(u, AMDVI_REG_EVT_TAIL, 0);
	wr64(u, AMDVI_REG_STATUS, AMDVI_STATUS_EVT_OVERFLOW); /* write 1 to clear */
	u->cmd_tail = 0;
	/* no interrupt enables: Raum owns no vector and polls the event log */
	ctl |= AMDVI_CTL_CMDBUF_EN | AMDVI_CTL_EVTLOG_EN;
	wr64(u, AMDVI_REG_CONTROL, ctl);
	ctl |= AMDVI_CTL_IOMMU_EN;
	wr64(u, AMDVI_REG_CONTROL, ctl);
	what = "complete its first invalidation";
	if (!invalidate_all(u, domain))
		goto timeout;
	u->enabled = true;
	return 0;
timeout:
	raum_snprintf(err, errlen, "AMD-Vi unit at %#llx did not %s (status %#llx)", (unsigned long long)u->reg_base,
		      what, (unsigned long long)rd64(u, AMDVI_REG_STATUS));
	amdvi_disable(u);
	return -RAUM_EIO;
}

void amdvi_disable(struct iommu_unit *u)
{
	wr64(u, AMDVI_REG_CONTROL,
	     rd64(u, AMDVI_REG_CONTROL) & ~(AMDVI_CTL_IOMMU_EN | AMDVI_CTL_CMDBUF_EN | AMDVI_CTL_EVTLOG_EN));
	u->enabled = false;
}

/*
 * Reads the events between head and tail (at most one ring's worth: a
 * bounded pass) and hands the IO_PAGE_FAULTs, and any other event as a
 * fault with its code, to rec(). An overflowed log is restarted and
 * reported as one overflow record (48882, 2.5: the log stops on overflow).
 */
unsigned amdvi_poll_faults(struct iommu_unit *u, void (*rec)(const struct iommu_fault *f))
{
	const volatile u32 *log = phys_to_virt(u->evtlog);
	u32 head = (u32)rd64(u, AMDVI_REG_EVT_HEAD) % (AMDVI_RING_ENTRIES * 16);
	u32 tail = (u32)rd64(u, AMDVI_REG_EVT_TAIL) % (AMDVI_RING_ENTRIES * 16);
	unsigned n = 0;

	if (!u->enabled)
		return 0;
	for (unsigned i = 0; head != tail && i < AMDVI_RING_ENTRIES; i++) {
		const volatile u32 *e = log + head / 4;
		u32 w0 = e[0], w1 = e[1];
		struct iommu_fault f = { .unit = u->index, .requester = (u16)w0, .reason = (u8)AMDVI_EVT_CODE(w1),
					 .flags = (u16)((w1 >> 16) & 0xfff), .addr = ((u64)e[3] << 32 | e[2]) & ~0xfffULL };
		/* IO_PAGE_FAULT flags (48882, table 49): RW in bit 5 of the flags field, 1 a write */
		f.write = (f.flags >> 5) & 1;
		rec(&f);
		n++;
		head = (head + 16) % (AMDVI_RING_ENTRIES * 16);
	}
	wr64(u, AMDVI_REG_EVT_HEAD, head);
	if (rd64(u, AMDVI_REG_STATUS) & AMDVI_STATUS_EVT_OVERFLOW) {
		u64 ctl = rd64(u, AMDVI_REG_CONTROL);
		wr64(u, AMDVI_REG_CONTROL, ctl & ~AMDVI_CTL_EVTLOG_EN);
		wr64(u, AMDVI_REG_STATUS, AMDVI_STATUS_EVT_OVERFLOW);
		wr64(u, AMDVI_REG_EVT_HEAD, 0);
		wr64(u, AMDVI_REG_EVT_TAIL, 0);
		wr64(u, AMDVI_REG_CONTROL, ctl | AMDVI_CTL_EVTLOG_EN);
		struct iommu_fault f = { .unit = u->index, .overflow = true };
		rec(&f);
	}
	return n;
}
