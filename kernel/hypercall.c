// SPDX-License-Identifier: MIT
/*
 * The hypercall dispatcher: validate everything (kernel/hvcall_check.c),
 * copy the input block in, run the call, copy the output block out. A
 * simple call's caller never sees a partial result: output is written only
 * on success. A rep call writes each element's output as the element
 * completes (the TLFS allows partial results) and runs at most
 * HVCALL_REP_BUDGET elements per entry; then it leaves the instruction
 * pointer where it was and the next rep start index in RCX, so the caller
 * executes the call again and it goes on (TLFS "Hypercall Interface",
 * "Hypercall Continuation"). Blocks are dereferenced only once validation
 * found them wholly in the caller's RAM.
 */
#include <raum/childvp.h>
#include <raum/cpu.h>
#include <raum/health.h>
#include <raum/hvcall.h>
#include <raum/log.h>
#include <raum/partmem.h>
#include <raum/vendor.h>
#include <raum/version.h>
#include <raum/vp.h>

typedef u16 (*hvcall_fn)(struct vp *vp, const void *in, void *out, u64 rdx, u64 r8);
/* A rep call: element i (hdr is the copied header, in its input element, out its output element) ... */
typedef u16 (*hvcall_rep_fn)(struct vp *vp, const void *hdr, const void *in, void *out, u32 i, struct rep_batch *b);
/* ... and the end of each batch of elements, whatever their outcome: its status wins over a success. */
typedef u16 (*hvcall_done_fn)(struct vp *vp, const void *hdr, struct rep_batch *b);

struct hvcall {
	struct hvcall_desc d;
	hvcall_fn fn;
	hvcall_rep_fn rep_fn;
	hvcall_done_fn done;
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

/* The partition calls (kernel/partmem.c) take no fast-call registers: adapted to hvcall_fn here. */
#define PART_CALL(fn)                                                                                       \
	static u16 call_##fn(struct vp *vp, const void *in, void *out, u64 a __unused, u64 b __unused)      \
	{                                                                                                   \
		return fn(vp, in, out);                                                                     \
	}
PART_CALL(get_memory_balance)
PART_CALL(create_partition)
PART_CALL(initialize_partition)
PART_CALL(finalize_partition)
PART_CALL(delete_partition)
PART_CALL(get_next_child_partition)
PART_CALL(get_partition_property)
PART_CALL(set_partition_property)
PART_CALL(create_vp)
PART_CALL(delete_vp)
PART_CALL(dispatch_vp)
PART_CALL(install_intercept)

#define ROOT_CALL(code, in, out, name, fn)                                                                    \
	[code - TLFS_CALL_FIRST] = { { code, in, out, false, name, false, 0, 0, HVCALL_ROOT_ONLY }, fn, NULL, NULL }

#define CALL(code, in, out, fast, name, fn) { { code, in, out, fast, name, false, 0, 0, HVCALL_ANY }, fn, NULL, NULL }
#define RAUM_ROOT_CALL(code, in, out, name, fn) { { code, in, out, false, name, false, 0, 0, HVCALL_ROOT_ONLY }, fn, NULL, NULL }
#define ROOT_REP(code, hdr, ie, oe, name, elem, done)                                                          \
	{ { code, hdr, 0, false, name, true, ie, oe, HVCALL_ROOT_ONLY }, NULL, elem, done }

/*
 * Two tables, each indexed by code - its first code (the lookup is a
 * subtraction and a bounds check): the TLFS's codes 0x0040-0x00ff, where
 * Raum implements a few (holes are empty), and Raum's own 0x4000-0x40ff.
 */
#define TLFS_CALL_FIRST 0x0040
static const struct hvcall tlfs_calls[] = {
	ROOT_CALL(HVCALL_CREATE_PARTITION, sizeof(struct hv_create_partition_in), sizeof(struct hv_create_partition_out),
		  "CreatePartition", call_create_partition),
	ROOT_CALL(HVCALL_INITIALIZE_PARTITION, sizeof(struct hv_partition_id_in), 0, "InitializePartition",
		  call_initialize_partition),
	ROOT_CALL(HVCALL_FINALIZE_PARTITION, sizeof(struct hv_partition_id_in), 0, "FinalizePartition", call_finalize_partition),
	ROOT_CALL(HVCALL_DELETE_PARTITION, sizeof(struct hv_partition_id_in), 0, "DeletePartition", call_delete_partition),
	ROOT_CALL(HVCALL_GET_PARTITION_PROPERTY, sizeof(struct hv_get_partition_property_in),
		  sizeof(struct hv_get_partition_property_out), "GetPartitionProperty", call_get_partition_property),
	ROOT_CALL(HVCALL_SET_PARTITION_PROPERTY, sizeof(struct hv_set_partition_property_in), 0, "SetPartitionProperty",
		  call_set_partition_property),
	ROOT_CALL(HVCALL_GET_NEXT_CHILD_PARTITION, sizeof(struct hv_get_next_child_in),
		  sizeof(struct hv_get_next_child_out), "GetNextChildPartition", call_get_next_child_partition),
	[HVCALL_DEPOSIT_MEMORY - TLFS_CALL_FIRST] = ROOT_REP(HVCALL_DEPOSIT_MEMORY, sizeof(struct hv_deposit_memory),
							     8, 0, "DepositMemory", deposit_elem, deposit_done),
	[HVCALL_MAP_GPA_PAGES - TLFS_CALL_FIRST] = ROOT_REP(HVCALL_MAP_GPA_PAGES, sizeof(struct hv_map_gpa_pages), 8, 0,
							    "MapGpaPages", map_gpa_elem, NULL),
	[HVCALL_UNMAP_GPA_PAGES - TLFS_CALL_FIRST] = ROOT_REP(HVCALL_UNMAP_GPA_PAGES, sizeof(struct hv_unmap_gpa_pages),
							      0, 0, "UnmapGpaPages", unmap_gpa_elem, unmap_gpa_done),
	[HVCALL_WITHDRAW_MEMORY - TLFS_CALL_FIRST] = ROOT_REP(HVCALL_WITHDRAW_MEMORY,
							      sizeof(struct hv_withdraw_memory_in), 0, 8, "WithdrawMemory",
							      withdraw_elem, withdraw_done),
	ROOT_CALL(HVCALL_GET_MEMORY_BALANCE, sizeof(struct hv_get_memory_balance_in), sizeof(struct hv_memory_balance),
		  "GetMemoryBalance", call_get_memory_balance),
	ROOT_CALL(HVCALL_INSTALL_INTERCEPT, sizeof(struct hv_install_intercept_in), 0, "InstallIntercept",
		  call_install_intercept),
	ROOT_CALL(HVCALL_CREATE_VP, sizeof(struct hv_create_vp_in), 0, "CreateVp", call_create_vp),
	ROOT_CALL(HVCALL_DELETE_VP, sizeof(struct hv_delete_vp_in), 0, "DeleteVp", call_delete_vp),
	[HVCALL_GET_VP_REGISTERS - TLFS_CALL_FIRST] = ROOT_REP(HVCALL_GET_VP_REGISTERS,
							       sizeof(struct hv_vp_registers_hdr), 4,
							       sizeof(struct hv_register_value), "GetVpRegisters",
							       get_vp_reg_elem, NULL),
	[HVCALL_SET_VP_REGISTERS - TLFS_CALL_FIRST] = ROOT_REP(HVCALL_SET_VP_REGISTERS,
							       sizeof(struct hv_vp_registers_hdr),
							       sizeof(struct hv_register_assoc), 0, "SetVpRegisters",
							       set_vp_reg_elem, NULL),
};

/* Raum's own calls, in code order from RAUM_CALL_FIRST with no gaps (hypercall_selftest). */
#define RAUM_CALL_FIRST RAUM_CALL_GET_VERSION
static const struct hvcall calls[] = {
	CALL(RAUM_CALL_GET_VERSION, 0, sizeof(struct raum_version), false, "GetVersion", call_version),
	CALL(RAUM_CALL_GET_EXIT_STATS, sizeof(struct raum_stats_in), sizeof(struct raum_exit_stats), false,
	    "GetExitStats", call_exit_stats),
	CALL(RAUM_CALL_LOG_WRITE, sizeof(struct raum_log_write), 0, false, "LogWrite", call_log_write),
	CALL(RAUM_CALL_LOG_READ, sizeof(struct raum_log_read_in), sizeof(struct raum_log_read_out), false,
	    "LogRead", call_log_read),
	CALL(RAUM_CALL_NULL, 0, 0, true, "Null", call_null),
	CALL(RAUM_CALL_GET_HEALTH, 0, sizeof(struct raum_health), false, "GetHealth", call_health),
	RAUM_ROOT_CALL(RAUM_CALL_DISPATCH_VP, sizeof(struct raum_dispatch_in), sizeof(struct raum_vp_exit), "DispatchVp",
		       call_dispatch_vp),
};

static const struct hvcall *lookup(u16 code)
{
	u16 i = code - RAUM_CALL_FIRST;
	if (i < ARRAY_SIZE(calls))
		return &calls[i];
	i = code - TLFS_CALL_FIRST;
	return i < ARRAY_SIZE(tlfs_calls) && tlfs_calls[i].d.name ? &tlfs_calls[i] : NULL;
}

/*
 * The tables are in code order (checked once, at first use, by
 * hypercall_selftest): Raum's without gaps, the TLFS's at their codes; a
 * rep call has its element step, any other call its handler.
 */
bool hypercall_selftest(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(calls); i++)
		if (calls[i].d.code != RAUM_CALL_FIRST + i || !calls[i].fn || calls[i].d.rep)
			return false;
	for (unsigned i = 0; i < ARRAY_SIZE(tlfs_calls); i++) {
		const struct hvcall *c = &tlfs_calls[i];
		if (c->d.name && (c->d.code != TLFS_CALL_FIRST + i || (c->d.rep ? !c->rep_fn : !c->fn) ||
				  c->d.out_elem > 64))
			return false;
	}
	return true;
}

static bool taken(const void *ctx __unused, u64 gpa, u64 size) { return partmem_taken(gpa, size); }

/*
 * A rep call from rep start on, at most HVCALL_REP_BUDGET elements: the
 * input block (header and list) was copied to in; each element's output
 * goes to the caller's block as it completes. Returns the result value;
 * *again when elements are left (RCX then holds the next rep start).
 */
/*
 * Byte copies between guest memory and the bounce buffers, 8 bytes at a
 * time where they can be (every block's size is a multiple of 8 but a
 * rep element's may not be): each guest byte is still read or written
 * exactly once. Loops of their own: Raum has no memcpy.
 */
static inline void hc_copy(u8 *dst, const u8 *src, u64 n)
{
	u64 i = 0;
	for (; i + 8 <= n; i += 8) {
		u64 w;
		__builtin_memcpy(&w, src + i, 8);
		__builtin_memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i];
}

static inline void hc_zero(u8 *dst, u64 n)
{
	u64 i = 0;
	for (; i + 8 <= n; i += 8)
		__builtin_memcpy(dst + i, &(u64){ 0 }, 8);
	for (; i < n; i++)
		dst[i] = 0;
}

static u64 run_rep(struct vp *vp, const struct hvcall *c, u64 control, const u8 *in, u64 out_gpa, bool *again)
{
	u32 count = hvcall_rep_count(control), i = hvcall_rep_start(control);
	u8 *elem_out = this_cpu()->hc_out;
	struct rep_batch *b = (struct rep_batch *)(this_cpu()->hc_out + 64);
	u16 st = HV_STATUS_SUCCESS;

	_Static_assert(64 + sizeof(struct rep_batch) <= PAGE_SIZE, "the batch fits the output bounce page");
	b->n = 0;
	for (u32 done = 0; i < count; i++, done++) {
		if (done == HVCALL_REP_BUDGET) {
			vp->gpr[GPR_RCX] = (control & ~HV_HYPERCALL_REP_START_MASK) |
					   ((u64)i << HV_HYPERCALL_REP_START_SHIFT);
			*again = true;
			break;
		}
		hc_zero(elem_out, c->d.out_elem);
		st = c->rep_fn(vp, in, in + c->d.in_size + (u64)i * c->d.in_elem, elem_out, i, b);
		if (st != HV_STATUS_SUCCESS)
			break;
		if (c->d.out_elem) {
			hc_copy(partition_gpa_ptr(vp->part, out_gpa + (u64)i * c->d.out_elem), elem_out, c->d.out_elem);
		}
	}
	if (c->done) {
		u16 d = c->done(vp, in, b);
		if (st == HV_STATUS_SUCCESS && d != HV_STATUS_SUCCESS) {
			st = d;
			*again = false;
		}
	}
	return st | ((u64)i << HV_HYPERCALL_REP_COMP_SHIFT);
}

u64 hypercall_dispatch(struct vp *vp, u64 control, u64 in_gpa, u64 out_gpa, bool *again)
{
	const struct hvcall *c = lookup(control & HV_HYPERCALL_CODE_MASK);
	const struct partition *p = vp->part;

	*again = false;
	/* A fast call whose control word holds nothing but its code and the fast bit is valid as is. */
	if (c && c->d.fast && control == (c->d.code | HV_HYPERCALL_FAST_BIT) && c->d.priv == HVCALL_ANY)
		return c->fn(vp, NULL, NULL, in_gpa, out_gpa);

	struct gpa_space space = { p->gpa_limit, p->hv_base, p->hv_size, p->ram, p->nr_ram, taken, NULL, p->id == 0 };
	unsigned not_ram;
	u16 st = hvcall_validate(c ? &c->d : NULL, control, in_gpa, out_gpa, &space, &not_ram);

	if (st != HV_STATUS_SUCCESS) {
		if (not_ram) /* blocks outside RAM: MMIO, holes, beyond the space, Raum's memory */
			health_add(&health.buffers_refused, not_ram);
		return st;
	}
	/* per-CPU bounce buffers: the handler never reads guest memory twice (no TOCTOU) */
	u8 *in = this_cpu()->hc_in, *out = this_cpu()->hc_out;
	u64 in_size = hvcall_in_bytes(&c->d, control); /* at most a page: validated */
	if (in_size) {
		hc_copy(in, partition_gpa_ptr(p, in_gpa), in_size);
	}
	if (c->d.rep)
		return run_rep(vp, c, control, in, out_gpa, again);
	hc_zero(out, c->d.out_size);
	st = c->fn(vp, in, out, in_gpa, out_gpa);
	if (st == HV_STATUS_SUCCESS && c->d.out_size)
		hc_copy(partition_gpa_ptr(p, out_gpa), out, c->d.out_size);
	return st;
}
