// SPDX-License-Identifier: MIT
/*
 * Faults during event delivery: the decision (include/raum/evdeliver.h).
 * Pure; both vendors decode their exit into it.
 */
#include <raum/evdeliver.h>

enum ev_class ev_class_of(enum ev_type type, u8 vector)
{
	if (type != EV_HW_EXC)
		return EV_BENIGN; /* interrupts, NMIs, INT n / INT3 / INTO / INT1 */
	switch (vector) {
	case 0:  /* #DE */
	case 10: /* #TS */
	case 11: /* #NP */
	case 12: /* #SS */
	case 13: /* #GP */
		return EV_CONTRIBUTORY;
	case 14:
		return EV_PAGE_FAULT;
	case 8:
		return EV_DOUBLE_FAULT;
	default:
		return EV_BENIGN;
	}
}

bool ev_external(enum ev_type type)
{
	return type != EV_SW_INT && type != EV_SW_EXC;
}

struct ev_outcome ev_delivery_fault(enum ev_type type, u8 vector, enum ev_access access)
{
	u32 ext = ev_external(type) ? 1 : 0;
	struct ev_outcome o = { .shutdown = false, .vector = 13,
				.error = (access == EV_ACCESS_GATE ? (u32)vector * 8 + 2 : 0) | ext };

	/* The #GP (contributory) meets the event being delivered: SDM vol. 3A table 6-5. */
	switch (ev_class_of(type, vector)) {
	case EV_DOUBLE_FAULT:
		o = (struct ev_outcome){ .shutdown = true, .vector = 0, .error = 0 };
		break;
	case EV_CONTRIBUTORY:
	case EV_PAGE_FAULT:
		o = (struct ev_outcome){ .shutdown = false, .vector = 8, .error = 0 };
		break;
	case EV_BENIGN:
		break;
	}
	return o;
}

enum ev_type ev_type_svm(u32 type, u8 vector)
{
	switch (type) {
	case 2:
		return EV_NMI;
	case 3: /* exceptions, INT3 and INTO among them (APM vol. 2 15.20) */
		return vector == 3 || vector == 4 ? EV_SW_EXC : EV_HW_EXC;
	case 4:
		return EV_SW_INT;
	default:
		return EV_EXTINT; /* 0, and the reserved 1, 5-7 */
	}
}

enum ev_type ev_type_vmx(u32 type)
{
	switch (type) {
	case 2:
		return EV_NMI;
	case 3:
		return EV_HW_EXC;
	case 4:
		return EV_SW_INT;
	case 5:
		return EV_PRIV_SW_EXC;
	case 6:
		return EV_SW_EXC;
	default:
		return EV_EXTINT; /* 0, and 1 / 7 (never in IDT-vectoring information) */
	}
}
