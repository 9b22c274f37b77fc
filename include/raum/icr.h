/* SPDX-License-Identifier: MIT */
/*
 * The Local APIC's Interrupt Command Register as the root writes it, in
 * vendor-neutral form, and what Raum must do with the write (issue 10:
 * INIT and SIPI are emulated, never forwarded; everything else goes to the
 * hardware as written). Pure code (kernel/icr.c, tests/unit/test_icr.c),
 * called from the xAPIC-page write trap (ICR low at 0x300, with ICR high
 * at 0x310 in effect), the x2APIC ICR WRMSR (0x830) and the VMX INIT exit.
 *
 * The ICR (SDM vol. 3A 11.6.1, figure "Interrupt Command Register"; APM
 * vol. 2 16.5):
 *
 *   63        56 55      32 31   20 19 18 17 16 15 14 13 12 11 10  8 7      0
 *  +------------+----------+-------+-----+-----+--+--+--+--+--+-----+--------+
 *  | xAPIC dest | reserved | rsvd  | SH  |rsvd |TM|L |r |DS|DM| DLM | vector |
 *  +------------+----------+-------+-----+-----+--+--+--+--+--+-----+--------+
 *   x2APIC: bits 63:32 are the 32-bit destination; DS (delivery status) is
 *   gone; bits 31:20, 17:16 and 13 are reserved and a WRMSR that sets one
 *   raises #GP (SDM vol. 3A 11.12.9; KVM X2APIC_ICR_RESERVED_BITS). Bit 12
 *   is reserved too: AMD raises #GP for it, Intel ignores it.
 */
#ifndef RAUM_ICR_H
#define RAUM_ICR_H

#include <raum/types.h>

#define ICR_VECTOR_MASK 0xffULL
#define ICR_DM_SHIFT 8
#define ICR_DM_MASK (7ULL << ICR_DM_SHIFT)
#define ICR_DESTMODE_LOGICAL BIT(11)
#define ICR_DELIVERY_STATUS BIT(12) /* xAPIC: read-only busy; x2APIC: reserved */
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_TRIGGER_LEVEL BIT(15)
#define ICR_SH_SHIFT 18
#define ICR_SH_MASK (3ULL << ICR_SH_SHIFT)
#define ICR_XAPIC_DEST_SHIFT 24 /* in ICR high (0x310) */
#define ICR_X2APIC_DEST_SHIFT 32
/* The bits a WRMSR to 0x830 must leave clear (SDM vol. 3A 11.12.9); bit 12 apart (ICR_DELIVERY_STATUS) */
#define ICR_X2APIC_RESERVED (0xfff00000ULL | (3ULL << 16) | BIT(13))

#define APIC_MSR_ICR 0x830 /* x2APIC ICR (SDM vol. 4 table 2-2) */
#define APIC_XAPIC_ICR_LO 0x300
#define APIC_XAPIC_ICR_HI 0x310

#define ICR_XAPIC_BROADCAST 0xffU
#define ICR_X2APIC_BROADCAST 0xffffffffU

/*
 * Delivery mode: ICR bits 10:8 as written (SDM vol. 3A 11.6.1), and
 * ICR_INIT_DEASSERT, which icr_decode_* reports for DM 101 with trigger
 * level and level de-assert (0x8500: not an INIT on P4 and later).
 */
enum icr_mode {
	ICR_FIXED = 0,
	ICR_LOWPRI = 1,
	ICR_SMI = 2,
	ICR_RESERVED3 = 3,
	ICR_NMI = 4,
	ICR_INIT = 5,
	ICR_STARTUP = 6,
	ICR_RESERVED7 = 7, /* ExtINT in an LVT / RTE; reserved in the ICR */
	ICR_INIT_DEASSERT = 8,
	ICR_MODES
};

/* Destination shorthand, bits 19:18 */
enum icr_shorthand { ICR_SH_NONE = 0, ICR_SH_SELF = 1, ICR_SH_ALL = 2, ICR_SH_OTHERS = 3 };

/* One decoded ICR write. */
struct icr {
	u8 vector;
	u8 mode;          /* enum icr_mode */
	u8 shorthand;     /* enum icr_shorthand */
	bool logical;     /* destination mode: logical (1) or physical (0) */
	bool level;       /* bit 14: assert */
	bool trigger_level; /* bit 15 */
	bool x2apic;      /* decoded from WRMSR 0x830 (32-bit destination) rather than the xAPIC page */
	u32 dest;         /* xAPIC: ICR high bits 31:24; x2APIC: bits 63:32 */
	/*
	 * What to write to the hardware for ICR_PASS: xAPIC: ICR high in bits
	 * 63:32 (as written) and ICR low in 31:0 (as written); x2APIC: the
	 * MSR value with bit 12 cleared.
	 */
	u64 raw;
};

/*
 * An xAPIC ICR-low write 'lo' with ICR high 'hi' in effect. Never fails:
 * an MMIO write cannot fault, reserved bits are ignored as the xAPIC
 * ignores them (delivery status is read-only).
 */
void icr_decode_xapic(u32 lo, u32 hi, struct icr *out);
/*
 * A WRMSR of 'val' to the x2APIC ICR: 0, or -RAUM_EINVAL when a reserved
 * bit is set (the caller injects #GP and changes nothing). 'amd': bit 12
 * faults too (AMD); Intel ignores it (KVM kvm_x2apic_icr_write).
 */
int icr_decode_x2apic(u64 val, bool amd, struct icr *out);

/* What Raum does with a decoded ICR write. */
enum icr_action {
	ICR_PASS,     /* write it to the hardware as written (icr.raw): fixed, lowest priority, SMI, NMI */
	ICR_EMULATE,  /* INIT or start-up: delivered to the target VPs through include/raum/initsipi.h */
	ICR_IGNORE,   /* no effect: INIT level de-assert, or INIT / SIPI level-triggered with level 0 */
	ICR_INVALID,  /* an invalid combination or a reserved delivery mode: dropped, nothing is sent */
};

/* The xAPIC Destination Format Register's model, bits 31:28 (SDM vol. 3A 11.6.2.2) */
#define APIC_DFR_FLAT 0xfU
#define APIC_DFR_CLUSTER 0x0U

/* A VP as the routing sees it: the partition's VP table, indexed by VP index. */
struct icr_vp {
	bool present;
	u32 apic_id;  /* its (x2)APIC ID */
	u32 ldr;      /* xAPIC: the Logical Destination Register as written (logical ID in bits 31:24) */
	u32 dfr;      /* xAPIC: the Destination Format Register as written (model in bits 31:28) */
};

#define ICR_MAX_VPS 64 /* targets is a u64 bitmap */

struct icr_route {
	u8 action;        /* enum icr_action */
	u64 targets;      /* bit i: VP i of the table is addressed (ICR_PASS and ICR_EMULATE; 0 otherwise) */
	const char *why;  /* ICR_IGNORE / ICR_INVALID: the rule, for a log line */
};

/*
 * Routes 'icr' sent by the VP whose APIC ID is 'sender' over the table
 * vps[0..nr) (nr <= ICR_MAX_VPS; more are not looked at). The targets are
 * the VPs the destination (or shorthand) addresses, the way the local
 * APIC would; an APIC ID no VP has addresses nobody. x2APIC logical
 * destinations use the LDR the x2APIC derives from the ID (icr_x2apic_ldr),
 * never the table's.
 */
void icr_route(const struct icr *icr, u32 sender, const struct icr_vp *vps, u32 nr, struct icr_route *out);

/* The x2APIC's read-only logical ID for an x2APIC ID (SDM vol. 3A 11.12.10.2). */
static inline u32 icr_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1U << (id & 0xf));
}

const char *icr_mode_name(u8 mode);

#endif
