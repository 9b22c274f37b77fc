// SPDX-License-Identifier: MIT
/*
 * Decoding and routing of Local APIC ICR writes (include/raum/icr.h).
 *
 * The rules come from the SDM vol. 3A 11.6.1 and its table "Valid
 * Combinations for the Pentium 4 and Intel Xeon Processors' Local xAPIC
 * Interrupt Command Register" (table 11-3; 10-3 in older editions):
 *
 *   shorthand          valid with                            level-triggered
 *   none               every delivery mode                   note 2
 *   self               fixed only                            note 2
 *   all incl. self     fixed only                            note 2
 *   all excl. self     fixed, lowest prio, NMI, INIT, SMI, SIPI  note 2
 *
 *   note 2: "Treated as edge triggered if Level is 1, otherwise ignored."
 *
 * So INIT level de-assert (DM 101, trigger level, level 0) does nothing on
 * P4 and later ("Not supported in the Pentium 4 and Intel Xeon
 * processors", 11.6.1; KVM __apic_accept_irq: "Ignoring de-assert INIT";
 * Bochs returns early), and INIT or SIPI with the self or all-including-
 * self shorthand is invalid. Raum emulates INIT and SIPI alone; it never
 * forwards them, so for those two it applies the table itself. Every other
 * delivery mode goes to the hardware exactly as the root wrote it, and the
 * hardware applies the table to it as it would natively.
 */
#include <raum/errno.h>
#include <raum/icr.h>

_Static_assert(ICR_MODES == 9, "enum icr_mode: DM 0-7 and the de-assert");
_Static_assert(ICR_X2APIC_RESERVED == 0xfff32000ULL, "x2APIC ICR reserved bits: 31:20, 17:16, 13");

static void decode_low(u32 lo, struct icr *out)
{
	out->vector = (u8)(lo & ICR_VECTOR_MASK);
	out->mode = (u8)((lo & ICR_DM_MASK) >> ICR_DM_SHIFT);
	out->logical = (lo & ICR_DESTMODE_LOGICAL) != 0;
	out->level = (lo & ICR_LEVEL_ASSERT) != 0;
	out->trigger_level = (lo & ICR_TRIGGER_LEVEL) != 0;
	out->shorthand = (u8)((lo & ICR_SH_MASK) >> ICR_SH_SHIFT);
	/* INIT level de-assert: DM 101, trigger level, level 0 (SDM vol. 3A 11.6.1) */
	if (out->mode == ICR_INIT && out->trigger_level && !out->level)
		out->mode = ICR_INIT_DEASSERT;
}

void icr_decode_xapic(u32 lo, u32 hi, struct icr *out)
{
	*out = (struct icr){ 0 };
	decode_low(lo, out);
	out->dest = hi >> ICR_XAPIC_DEST_SHIFT;
	out->raw = ((u64)hi << 32) | lo;
}

int icr_decode_x2apic(u64 val, bool amd, struct icr *out)
{
	/*
	 * SDM vol. 3A 11.12.9 "ICR Operation in x2APIC Mode": one 64-bit
	 * WRMSR, destination in bits 63:32, no delivery status. A reserved
	 * bit set faults with #GP (KVM kvm_x2apic_icr_write); bit 12 is
	 * reserved on both vendors but only AMD checks it (KVM's comment).
	 */
	if (val & ICR_X2APIC_RESERVED)
		return -RAUM_EINVAL;
	if (amd && (val & ICR_DELIVERY_STATUS))
		return -RAUM_EINVAL;
	val &= ~ICR_DELIVERY_STATUS;
	*out = (struct icr){ 0 };
	decode_low((u32)val, out);
	out->x2apic = true;
	out->dest = (u32)(val >> ICR_X2APIC_DEST_SHIFT);
	out->raw = val;
	return 0;
}

const char *icr_mode_name(u8 mode)
{
	static const char *const names[ICR_MODES] = {
		[ICR_FIXED] = "fixed", [ICR_LOWPRI] = "lowest-priority", [ICR_SMI] = "SMI",
		[ICR_RESERVED3] = "reserved (3)", [ICR_NMI] = "NMI", [ICR_INIT] = "INIT",
		[ICR_STARTUP] = "start-up", [ICR_RESERVED7] = "reserved (7)",
		[ICR_INIT_DEASSERT] = "INIT level de-assert",
	};
	return mode < ICR_MODES ? names[mode] : "?";
}

/*
 * Does a VP with this table entry accept a logical destination 'dest'?
 * xAPIC (SDM vol. 3A 11.6.2.2): the LDR's logical ID (bits 31:24) against
 * the 8-bit MDA, by the receiving APIC's own DFR model: flat, a bit per
 * APIC; cluster, cluster number in bits 7:4 and a member bit in 3:0.
 * x2APIC (11.12.10.2): cluster in 31:16, a member bit in 15:0, the LDR
 * derived from the x2APIC ID. A DFR model that is neither matches nothing
 * (KVM kvm_apic_match_logical_addr).
 */
static bool match_logical(const struct icr_vp *v, u32 dest, bool x2apic)
{
	if (x2apic) {
		u32 ldr = icr_x2apic_ldr(v->apic_id);
		return (ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff) != 0;
	}
	u32 id = v->ldr >> 24;
	dest &= 0xff;
	switch (v->dfr >> 28) {
	case APIC_DFR_FLAT:
		return (id & dest) != 0;
	case APIC_DFR_CLUSTER:
		return (id >> 4) == (dest >> 4) && (id & dest & 0xf) != 0;
	default:
		return false;
	}
}

/* The VPs 'icr' addresses: the shorthand if any, else the destination in its mode. */
static u64 targets(const struct icr *icr, u32 sender, const struct icr_vp *vps, u32 nr)
{
	u32 bcast = icr->x2apic ? ICR_X2APIC_BROADCAST : ICR_XAPIC_BROADCAST;
	u64 t = 0;

	for (u32 i = 0; i < nr && i < ICR_MAX_VPS; i++) {
		const struct icr_vp *v = &vps[i];
		bool hit;
		if (!v->present)
			continue;
		switch (icr->shorthand) {
		case ICR_SH_SELF:
			hit = v->apic_id == sender;
			break;
		case ICR_SH_ALL:
			hit = true;
			break;
		case ICR_SH_OTHERS:
			hit = v->apic_id != sender;
			break;
		default:
			/*
			 * The all-ones destination is a broadcast in both
			 * modes (SDM vol. 3A 11.6.2.1 for xAPIC physical,
			 * 11.12.9 for x2APIC; KVM kvm_apic_match_dest), and
			 * includes the sender.
			 */
			if (icr->dest == bcast)
				hit = true;
			else if (icr->logical)
				hit = match_logical(v, icr->dest, icr->x2apic);
			else
				hit = v->apic_id == icr->dest;
			break;
		}
		if (hit)
			t |= BIT(i);
	}
	return t;
}

void icr_route(const struct icr *icr, u32 sender, const struct icr_vp *vps, u32 nr, struct icr_route *out)
{
	*out = (struct icr_route){ .action = ICR_INVALID };
	switch (icr->mode) {
	case ICR_FIXED:
	case ICR_LOWPRI:
	case ICR_SMI:
	case ICR_NMI:
		/* the hardware's own: sent as written, the table above applied by the APIC as natively */
		out->action = ICR_PASS;
		out->targets = targets(icr, sender, vps, nr);
		return;
	case ICR_INIT_DEASSERT:
		out->action = ICR_IGNORE;
		out->why = "INIT level de-assert has no effect on P4 and later (SDM vol. 3A 11.6.1)";
		return;
	case ICR_INIT:
	case ICR_STARTUP:
		break;
	default:
		out->why = "reserved delivery mode (SDM vol. 3A 11.6.1)";
		return;
	}
	/* INIT or start-up: never forwarded, so the validity table is Raum's to apply */
	if (icr->shorthand == ICR_SH_SELF || icr->shorthand == ICR_SH_ALL) {
		out->why = icr->mode == ICR_INIT ? "INIT to self is invalid (SDM vol. 3A table 11-3)"
						 : "start-up IPI to self is invalid (SDM vol. 3A table 11-3)";
		return;
	}
	if (icr->trigger_level && !icr->level) {
		/* table 11-3 note 2; only SIPI gets here, the INIT case is ICR_INIT_DEASSERT */
		out->action = ICR_IGNORE;
		out->why = "level-triggered with level 0 is ignored (SDM vol. 3A table 11-3, note 2)";
		return;
	}
	/*
	 * SIPI vectors A0H-BFH are reserved (SDM vol. 3A 9.4.4.1 "do not use
	 * them"): what a CPU does with them is not written, so Raum starts
	 * the VP at the vector as KVM does; the root only hurts itself.
	 */
	out->action = ICR_EMULATE;
	out->targets = targets(icr, sender, vps, nr);
}
