// SPDX-License-Identifier: MIT
/*
 * The hypercall dispatcher: validate everything (kernel/hvcall_check.c),
 * copy the input block in, run the call, copy the output block out. The
 * guest never sees a partial result: output is written only on success.
 * Blocks are dereferenced only once validation found them wholly in RAM.
 */
#include <raum/cpu.h>
#include <raum/health.h>
#include <raum/hvcall.h>
#include <raum/log.h>
#include <raum/vendor.h>
#include <raum/version.h>
#include <raum/vp.h>

typedef u16 (*hvcall_fn)(struct vp *vp, const void *in, void *out, u64 rdx, u64 r8);

struct hvcall {
	struct hvcall_desc d;
	hvcall_fn fn;
};

static u16 call_version(struct vp *vp __unused, const void *in __unused, void *out, u64 a __unused,
			u64 b __unused)
{
	struct raum_version *v = out;
	const char *date = RAUM_BUILD_DATE;

	v->major = RAUM_VERSION_MAJOR;
	v->minor = RAUM_VERSION_MINOR;
	v->patch = RAUM_VERSION_PATCH;
	v->vendor = vendor_current()->vendor;
	v->features = 0;
	for (unsigned i = 0; i < sizeof(v->build); i++) {
		v->build[i] = date[i];
		if (!date[i])
			break;
	}
	v->build[sizeof(v->build) - 1] = '\0';
	return HV_STATUS_SUCCESS;
}

static u16 call_exit_stats(struct vp *vp __unused, const void *in, void *out, u64 a __unused,
			   u64 b __unused)
{
	const struct raum_stats_in *q = in;
	struct raum_exit_stats *s = out;

	if (q->reserved)
		return HV_STATUS_INVALID_PARAMETER;
	if (!root_vp(q->vp_index))
		return HV_STATUS_INVALID_VP_INDEX;
	const struct vp *t = root_vp(q->vp_index);
	s->vp_index = q->vp_index;
	s->nr_reasons = RAUM_EXIT_REASONS;
	s->total = vp_exits_total(t);
	for (int i = 0; i < RAUM_EXIT_REASONS; i++)
		s->count[i] = t->exits[i];
	return HV_STATUS_SUCCESS;
}

static u16 call_log_write(struct vp *vp, const void *in, void *out __unused, u64 a __unused,
			  u64 b __unused)
{
	const struct raum_log_write *w = in;
	char text[RAUM_LOG_TEXT_MAX + 1];

	if (w->level > RAUM_LOG_DEBUG || w->len > RAUM_LOG_TEXT_MAX)
		return HV_STATUS_INVALID_PARAMETER;
	/* Printable ASCII only: the root cannot forge escape sequences or extra lines. */
	for (u32 i = 0; i < w->len; i++) {
		char ch = w->text[i];
		text[i] = (ch >= 0x20 && ch < 0x7f) ? ch : '?';
	}
	text[w->len] = '\0';
	log_printf(w->level, "root vp%u: %s", vp->index, text);
	return HV_STATUS_SUCCESS;
}

static u16 call_log_read(struct vp *vp __unused, const void *in, void *out, u64 a __unused,
			 u64 b __unused)
{
	const struct raum_log_read_in *q = in;
	struct raum_log_read_out *r = out;
	u64 seq = q->seq;

	if (q->max > RAUM_LOG_READ_MAX || q->reserved)
		return HV_STATUS_INVALID_PARAMETER;
	r->len = (u32)logring_read(log_ring(), &seq, r->data, q->max, &r->lost);
	r->next_seq = seq;
	r->reserved = 0;
	return HV_STATUS_SUCCESS;
}

static u16 call_null(struct vp *vp __unused, const void *in __unused, void *out __unused,
		     u64 a __unused, u64 b __unused)
{
	return HV_STATUS_SUCCESS;
}

static u16 call_health(struct vp *vp __unused, const void *in __unused, void *out, u64 a __unused,
		       u64 b __unused)
{
	health_report(out);
	return HV_STATUS_SUCCESS;
}

/* Indexed by code - RAUM_CALL_FIRST: the lookup is one bounds check. */
#define RAUM_CALL_FIRST RAUM_CALL_GET_VERSION
static const struct hvcall calls[] = {
	{ { RAUM_CALL_GET_VERSION, 0, sizeof(struct raum_version), false, "GetVersion" }, call_version },
	{ { RAUM_CALL_GET_EXIT_STATS, sizeof(struct raum_stats_in), sizeof(struct raum_exit_stats), false,
	    "GetExitStats" }, call_exit_stats },
	{ { RAUM_CALL_LOG_WRITE, sizeof(struct raum_log_write), 0, false, "LogWrite" }, call_log_write },
	{ { RAUM_CALL_LOG_READ, sizeof(struct raum_log_read_in), sizeof(struct raum_log_read_out), false,
	    "LogRead" }, call_log_read },
	{ { RAUM_CALL_NULL, 0, 0, true, "Null" }, call_null },
	{ { RAUM_CALL_GET_HEALTH, 0, sizeof(struct raum_health), false, "GetHealth" }, call_health },
};

static const struct hvcall *lookup(u16 code)
{
	u16 i = code - RAUM_CALL_FIRST;
	return i < ARRAY_SIZE(calls) ? &calls[i] : NULL;
}

/* The table is in code order with no gaps (checked once, at first use, by hypercall_selftest). */
bool hypercall_selftest(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(calls); i++)
		if (calls[i].d.code != RAUM_CALL_FIRST + i)
			return false;
	return true;
}

u64 hypercall_dispatch(struct vp *vp, u64 control, u64 in_gpa, u64 out_gpa)
{
	const struct hvcall *c = lookup(control & HV_HYPERCALL_CODE_MASK);
	const struct partition *p = vp->part;

	/* A fast call whose control word holds nothing but its code and the fast bit is valid as is. */
	if (c && c->d.fast && control == (c->d.code | HV_HYPERCALL_FAST_BIT))
		return c->fn(vp, NULL, NULL, in_gpa, out_gpa);

	struct gpa_space space = { p->gpa_limit, p->hv_base, p->hv_size, p->ram, p->nr_ram };
	unsigned not_ram;
	u16 st = hvcall_validate(c ? &c->d : NULL, control, in_gpa, out_gpa, &space, &not_ram);

	if (st != HV_STATUS_SUCCESS) {
		if (not_ram) /* blocks outside RAM: MMIO, holes, beyond the space, Raum's memory */
			health_add(&health.buffers_refused, not_ram);
		return st;
	}
	/* per-CPU bounce buffers: the handler never reads guest memory twice (no TOCTOU) */
	u8 *in = this_cpu()->hc_in, *out = this_cpu()->hc_out;
	if (c->d.in_size) {
		const u8 *src = partition_gpa_ptr(p, in_gpa);
		for (u32 i = 0; i < c->d.in_size; i++)
			in[i] = src[i];
	}
	for (u32 i = 0; i < c->d.out_size; i++)
		out[i] = 0;
	st = c->fn(vp, in, out, in_gpa, out_gpa);
	if (st == HV_STATUS_SUCCESS && c->d.out_size) {
		u8 *dst = partition_gpa_ptr(p, out_gpa);
		for (u32 i = 0; i < c->d.out_size; i++)
			dst[i] = out[i];
	}
	return st;
}
