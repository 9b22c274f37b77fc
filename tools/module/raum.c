// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * raum.ko: the root partition's door to the Raum hypervisor.
 *
 * On load it checks that it runs under Raum (CPUID.1:ECX[31], the hypervisor
 * bit, and the "RaumRaumRaum" signature at leaf 0x40000000) and refuses to
 * load otherwise (-ENODEV, with a message that says which check failed). It
 * then registers the misc device /dev/raum, whose one ioctl,
 * RAUM_IOC_HYPERCALL (include/hv/abi/raumdev.h), issues one hypercall for
 * user space:
 *
 *   - only the calls user space may make (raum_allowed_call()), never fast
 *     calls, no reserved bits set, no rep or variable-header fields (none
 *     of the allowed calls uses them);
 *   - input and output blocks of at most one page, a pointer given exactly
 *     when its length is non-zero;
 *   - the input is copied into a zeroed kernel page and the output comes
 *     back through another one, both passed on every call: user space
 *     never names a guest-physical address, and the hypervisor sees only
 *     these two pages. (Null, a fast call for benchmarks, is not offered.)
 *
 * The ioctl returns 0 once the hypercall was made; its result value
 * (HV_STATUS in bits 15:0) is in struct raum_hypercall.result. Every request
 * has its own pages and nothing else is shared, so concurrent callers are
 * safe without a lock.
 *
 * Every CPU of the root runs under Raum (root VP n on CPU n), so a hypercall
 * is made on the calling CPU, with preemption disabled from the check that
 * this CPU is one of Raum's (raum_cpus) to the VMMCALL / VMCALL. On a CPU
 * outside Raum that instruction is a plain #UD, an oops in this module; so:
 *
 *   - the load runs the CPUID check on every online CPU and refuses (-ENODEV,
 *     naming the first CPU that fails) unless all of them see Raum;
 *   - a CPU that comes online later (the root starts it with INIT / SIPI,
 *     which Raum emulates) is checked on arrival by a CPU hotplug callback;
 *     one that does not see Raum is refused: its online fails and the kernel
 *     rolls it back, with a message naming it;
 *   - the ioctl still checks raum_cpus and answers -ENXIO on a CPU outside
 *     it, so no path reaches the instruction on such a CPU.
 *
 * The two pages are the request's own, not per-CPU buffers: the copies from
 * and to user space (which may sleep and migrate) happen outside the window
 * with preemption off, and need no lock.
 *
 * Child partitions (RAUM_IOC_PART_CREATE / _DESTROY / RAUM_IOC_COUNTS,
 * docs/partitions.md): a partition belongs to the open file that created it
 * and goes when the file goes. Raum's metadata pages are kernel pages the
 * module deposits (never mapped to user space); the child's RAM is the
 * caller's memory, pinned while mapped. User space never names a page for
 * Raum: the partition calls are not in raum_allowed_call().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/io.h>
#include <asm/processor.h>

#include <hv/abi/hvcall.h>
#include <hv/abi/raumdev.h>

#define RAUM_MAX_BLOCK PAGE_SIZE   /* 4096 on x86-64: the ABI's limit */

/* Control bits user space may set: the call code only (no fast, rep, varhead). */
#define RAUM_CONTROL_REFUSED (HV_HYPERCALL_FAST_BIT | HV_HYPERCALL_RSVD_MASK | \
			      HV_HYPERCALL_VARHEAD_MASK | HV_HYPERCALL_REP_COUNT_MASK | \
			      HV_HYPERCALL_REP_START_MASK)

static bool raum_use_vmmcall;   /* AMD-V: VMMCALL; Intel VT-x: VMCALL */
/*
 * The online CPUs whose CPUID showed Raum's signature: set by the load's probe
 * and by raum_cpu_online(), cleared by raum_cpu_offline() (both run on that
 * CPU's hotplug path). The ioctl tests its own CPU with preemption disabled,
 * so the bit cannot change under it (going offline needs that CPU to preempt).
 */
static struct cpumask raum_cpus;
static int raum_hp_state = -1;  /* the CPU hotplug state of raum_cpu_online / _offline */

static bool raum_allowed_call(u64 code)
{
	switch (code) {
	case RAUM_CALL_GET_VERSION:
	case RAUM_CALL_GET_EXIT_STATS:
	case RAUM_CALL_LOG_WRITE:
	case RAUM_CALL_LOG_READ:
	case RAUM_CALL_GET_HEALTH:
		return true;
	default:
		return false;
	}
}

/*
 * The hypercall (TLFS convention): RCX = input value, RDX = input GPA,
 * R8 = output GPA, result in RAX. The root's SLAT is an identity map, so a
 * kernel page's physical address is its GPA.
 */
static u64 raum_hypercall(u64 control, u64 in_gpa, u64 out_gpa)
{
	register u64 r8 asm("r8") = out_gpa;
	u64 result;

	if (raum_use_vmmcall)
		asm volatile("vmmcall"
			     : "=a"(result), "+c"(control), "+d"(in_gpa), "+r"(r8)
			     : : "memory");
	else
		asm volatile("vmcall"
			     : "=a"(result), "+c"(control), "+d"(in_gpa), "+r"(r8)
			     : : "memory");
	return result;
}

static long raum_ioctl_hypercall(struct raum_hypercall __user *uarg)
{
	struct raum_hypercall hc;
	unsigned long in_page = 0, out_page = 0;
	long ret = 0;

	if (copy_from_user(&hc, uarg, sizeof(hc)))
		return -EFAULT;
	if (hc.control & RAUM_CONTROL_REFUSED)
		return -EINVAL;
	if (!raum_allowed_call(hc.control & HV_HYPERCALL_CODE_MASK))
		return -EINVAL;
	if (hc.in_len > RAUM_MAX_BLOCK || hc.out_len > RAUM_MAX_BLOCK)
		return -EINVAL;
	if (!hc.in_ptr != !hc.in_len || !hc.out_ptr != !hc.out_len)
		return -EINVAL;

	/*
	 * Both pages always exist, zeroed, whatever the lengths: the hypervisor
	 * reads the call's whole input block and writes its whole output block,
	 * so a missing block must not become guest-physical address 0 (the
	 * root's real memory there). Zeroed output leaks nothing it did not write.
	 */
	in_page = get_zeroed_page(GFP_KERNEL);
	out_page = get_zeroed_page(GFP_KERNEL);
	if (!in_page || !out_page) {
		ret = -ENOMEM;
		goto out;
	}
	if (hc.in_len && copy_from_user((void *)in_page, u64_to_user_ptr(hc.in_ptr), hc.in_len)) {
		ret = -EFAULT;
		goto out;
	}

	{
		u64 in_gpa = virt_to_phys((void *)in_page), out_gpa = virt_to_phys((void *)out_page);
		unsigned int cpu = get_cpu();   /* preemption off: the call stays on this CPU */

		if (!cpumask_test_cpu(cpu, &raum_cpus)) {
			put_cpu();
			pr_err_ratelimited("CPU %u does not run under Raum: no hypercall\n", cpu);
			ret = -ENXIO;
			goto out;
		}
		hc.result = raum_hypercall(hc.control, in_gpa, out_gpa);
		put_cpu();
	}

	if (hc.out_len &&
	    copy_to_user(u64_to_user_ptr(hc.out_ptr), (void *)out_page, hc.out_len)) {
		ret = -EFAULT;
		goto out;
	}
	if (put_user(hc.result, &uarg->result))
		ret = -EFAULT;
out:
	if (in_page)
		free_page(in_page);
	if (out_page)
		free_page(out_page);
	return ret;
}

/* ---- child partitions (include/hv/abi/raumdev.h) ------------------------------------------------ */

/*
 * One partition per struct raum_part, on the list of the file that made
 * it. All partition management runs under raum_part_mutex: the root's own
 * pool is shared by every file, and each step is a handful of hypercalls.
 */
struct raum_part {
	struct list_head node;
	u64 id;
	bool dying;     /* being destroyed: VP_RUN returns at its next interrupt */
	u64 dep[RAUM_PART_PAGES_MAX]; /* the first pages deposited to it (RAUM_IOC_PART_PAGES) */
	unsigned int ndep;
	struct page **pinned;
	unsigned long npinned;
};

struct raum_file {
	struct list_head parts;
	/* VP calls hold it shared for their whole run; create and destroy exclusively */
	struct rw_semaphore lock;
};

static DEFINE_MUTEX(raum_part_mutex);
static atomic64_t raum_deposited = ATOMIC64_INIT(0);
static atomic64_t raum_pinned = ATOMIC64_INIT(0);
static atomic64_t raum_nparts = ATOMIC64_INIT(0);

#define HC_FAILED (~0ULL) /* not made: this CPU is not Raum's */
#define MAP_BATCH 500     /* elements per MapGpaPages: 24 + 500 * 8 bytes fit a page */

/* One hypercall through the two kernel pages given, on this CPU with preemption off. */
static u64 raum_hc(u64 control, void *in, void *out)
{
	unsigned int cpu = get_cpu();
	u64 r = HC_FAILED;

	if (cpumask_test_cpu(cpu, &raum_cpus))
		r = raum_hypercall(control, virt_to_phys(in), virt_to_phys(out));
	put_cpu();
	return r;
}

static u16 hc_status(u64 r) { return r == HC_FAILED ? 0xffff : (u16)(r & HV_HYPERCALL_RESULT_MASK); }
static u32 hc_reps(u64 r) { return r == HC_FAILED ? 0 : (u32)((r >> HV_HYPERCALL_REP_COMP_SHIFT) & 0xfff); }
static u64 reps(u64 n) { return n << HV_HYPERCALL_REP_COUNT_SHIFT; }

/*
 * Deposits n fresh zeroed kernel pages to partition id; those Raum did not
 * take are freed again. rec: the partition whose first deposits to note.
 */
static int raum_deposit_rec(u64 id, unsigned int n, void *in, void *out, struct raum_part *rec)
{
	struct hv_deposit_memory *h = in;
	u64 *list = (u64 *)(h + 1);
	unsigned int i, got = 0;
	u64 r;

	memset(in, 0, PAGE_SIZE);
	h->partition_id = id;
	for (i = 0; i < n; i++) {
		struct page *pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!pg)
			break;
		list[i] = page_to_pfn(pg);
	}
	if (i)
		r = raum_hc(HVCALL_DEPOSIT_MEMORY | reps(i), in, out);
	else
		r = HC_FAILED;
	got = hc_reps(r);
	atomic64_add(got, &raum_deposited);
	for (unsigned int k = 0; rec && k < got && rec->ndep < RAUM_PART_PAGES_MAX; k++)
		rec->dep[rec->ndep++] = list[k] << PAGE_SHIFT;
	for (unsigned int k = got; k < i; k++)
		__free_page(pfn_to_page(list[k]));
	if (got == n)
		return 0;
	pr_err("depositing %u pages to partition %llu: %u taken, status %#x\n", n, id, got, hc_status(r));
	return -ENOMEM;
}

static int raum_deposit(u64 id, unsigned int n, void *in, void *out)
{
	return raum_deposit_rec(id, n, in, out, NULL);
}

/* Withdraws every free page of partition id's pool and frees it; the module deposited each one. */
static void raum_withdraw_all(u64 id, void *in, void *out)
{
	for (;;) {
		struct hv_withdraw_memory_in *h = in;
		u64 r;
		u32 k;

		memset(in, 0, PAGE_SIZE);
		h->partition_id = id;
		r = raum_hc(HVCALL_WITHDRAW_MEMORY | reps(PAGE_SIZE / 8), in, out);
		k = hc_reps(r);
		for (u32 i = 0; i < k; i++) {
			u64 pfn = ((u64 *)out)[i];
			if (!pfn_valid(pfn)) {
				pr_err("Raum returned page %#llx, not one of this machine's: not freed\n", pfn);
				continue;
			}
			__free_page(pfn_to_page(pfn));
		}
		atomic64_sub(k, &raum_deposited);
		if (hc_status(r) != HV_STATUS_SUCCESS)
			return; /* NO_RESOURCES: the pool is empty */
	}
}

/* A simple call on partition id (Initialize, Finalize, Delete), depositing and retrying while Raum asks. */
static u16 raum_id_call(u16 code, u64 id, u64 deposit_to, void *in, void *out, struct raum_part *rec)
{
	for (int tries = 0; tries < 8; tries++) {
		u64 r;

		memset(in, 0, PAGE_SIZE);
		((struct hv_partition_id_in *)in)->partition_id = id;
		r = raum_hc(code, in, out);
		if (hc_status(r) != HV_STATUS_INSUFFICIENT_MEMORY || !deposit_to)
			return hc_status(r);
		if (raum_deposit_rec(deposit_to, 4, in, out, rec))
			return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	return HV_STATUS_INSUFFICIENT_MEMORY;
}

/* Takes partition p apart: its RAM unmapped and unpinned, its pool withdrawn, the partition deleted. */
static void raum_part_destroy(struct raum_part *p, void *in, void *out)
{
	u16 st;

	for (unsigned long done = 0; done < p->npinned;) {
		struct hv_unmap_gpa_pages *h = in;
		unsigned long n = min_t(unsigned long, p->npinned - done, 0xfff);
		u64 r;

		memset(in, 0, PAGE_SIZE);
		h->target_partition_id = p->id;
		h->target_gpa_base = done;
		r = raum_hc(HVCALL_UNMAP_GPA_PAGES | reps(n), in, out);
		if (hc_status(r) != HV_STATUS_SUCCESS) {
			pr_err("partition %llu: unmapping its RAM failed (status %#x)\n", p->id, hc_status(r));
			break; /* finalize releases what is left */
		}
		done += n;
	}
	st = raum_id_call(HVCALL_FINALIZE_PARTITION, p->id, 0, in, out, NULL);
	if (st != HV_STATUS_SUCCESS && st != HV_STATUS_INVALID_PARTITION_STATE)
		pr_err("partition %llu: finalize failed (status %#x)\n", p->id, st);
	raum_withdraw_all(p->id, in, out);
	st = raum_id_call(HVCALL_DELETE_PARTITION, p->id, 0, in, out, NULL);
	if (st != HV_STATUS_SUCCESS)
		pr_err("partition %llu: delete failed (status %#x): its object stays in Raum\n", p->id, st);
	else
		atomic64_dec(&raum_nparts);
	raum_withdraw_all(HV_PARTITION_ID_SELF, in, out); /* the object's page, free again */
	if (p->pinned) {
		unpin_user_pages_dirty_lock(p->pinned, p->npinned, true);
		atomic64_sub(p->npinned, &raum_pinned);
		kvfree(p->pinned);
	}
	kfree(p);
}

static long raum_part_create(struct raum_file *f, struct raum_part_create __user *uarg, void *in, void *out)
{
	struct raum_part_create c;
	struct raum_part *p;
	u64 before = atomic64_read(&raum_deposited), r;
	long ret;
	u16 st;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (!c.mem_bytes || c.mem_bytes > RAUM_PART_MEM_MAX || (c.mem_bytes | c.mem_ptr) & (PAGE_SIZE - 1))
		return -EINVAL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	/* the object comes from the root's own pool: deposit to ourselves and retry (as Linux's mshv does) */
	for (int tries = 0;; tries++) {
		memset(in, 0, PAGE_SIZE);
		r = raum_hc(HVCALL_CREATE_PARTITION, in, out);
		st = hc_status(r);
		if (st != HV_STATUS_INSUFFICIENT_MEMORY || tries == 4 || raum_deposit(HV_PARTITION_ID_SELF, 1, in, out))
			break;
	}
	if (st != HV_STATUS_SUCCESS) {
		pr_err("CreatePartition failed (status %#x)\n", st);
		kfree(p);
		raum_withdraw_all(HV_PARTITION_ID_SELF, in, out);
		return st == HV_STATUS_NO_RESOURCES ? -ENOSPC : -EIO;
	}
	p->id = ((struct hv_create_partition_out *)out)->partition_id;
	atomic64_inc(&raum_nparts);
	st = raum_id_call(HVCALL_INITIALIZE_PARTITION, p->id, p->id, in, out, p);
	if (st != HV_STATUS_SUCCESS) {
		pr_err("partition %llu: InitializePartition failed (status %#x)\n", p->id, st);
		ret = -EIO;
		goto fail;
	}
	p->npinned = c.mem_bytes >> PAGE_SHIFT;
	p->pinned = kvmalloc_array(p->npinned, sizeof(*p->pinned), GFP_KERNEL);
	if (!p->pinned) {
		p->npinned = 0;
		ret = -ENOMEM;
		goto fail;
	}
	ret = pin_user_pages_fast(c.mem_ptr, p->npinned, FOLL_WRITE | FOLL_LONGTERM, p->pinned);
	if (ret != (long)p->npinned) {
		if (ret > 0)
			unpin_user_pages(p->pinned, ret);
		kvfree(p->pinned);
		p->pinned = NULL;
		p->npinned = 0;
		ret = ret < 0 ? ret : -EFAULT;
		goto fail;
	}
	atomic64_add(p->npinned, &raum_pinned);
	/* the RAM at GPA 0, read / write / execute; more pool pages as Raum asks for them (its SLAT's tables) */
	for (unsigned long done = 0; done < p->npinned;) {
		struct hv_map_gpa_pages *h = in;
		u64 *list = (u64 *)(h + 1);
		unsigned long n = min_t(unsigned long, p->npinned - done, MAP_BATCH);

		memset(in, 0, PAGE_SIZE);
		h->target_partition_id = p->id;
		h->target_gpa_base = done;
		h->map_flags = HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_EXECUTABLE;
		for (unsigned long i = 0; i < n; i++)
			list[i] = page_to_pfn(p->pinned[done + i]);
		r = raum_hc(HVCALL_MAP_GPA_PAGES | reps(n), in, out);
		done += hc_reps(r);
		st = hc_status(r);
		if (st == HV_STATUS_INSUFFICIENT_MEMORY && !raum_deposit_rec(p->id, 16, in, out, p))
			continue;
		if (st != HV_STATUS_SUCCESS) {
			pr_err("partition %llu: mapping its RAM failed at page %lu (status %#x)\n", p->id, done, st);
			ret = -EIO;
			goto fail;
		}
	}
	c.partition_id = p->id;
	c.deposited = atomic64_read(&raum_deposited) - before;
	if (copy_to_user(uarg, &c, sizeof(c))) {
		ret = -EFAULT;
		goto fail;
	}
	list_add_tail(&p->node, &f->parts);
	return 0;
fail:
	raum_part_destroy(p, in, out);
	return ret;
}

static long raum_part_destroy_id(struct raum_file *f, struct raum_part_id __user *uarg, void *in, void *out)
{
	struct raum_part_id q;
	struct raum_part *p;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	list_for_each_entry(p, &f->parts, node) {
		if (p->id == q.partition_id) {
			list_del(&p->node);
			raum_part_destroy(p, in, out);
			return 0;
		}
	}
	return -ENOENT; /* not this file's */
}

static long raum_part_pages(struct raum_file *f, struct raum_part_pages __user *uarg)
{
	struct raum_part_pages *q = kzalloc(sizeof(*q), GFP_KERNEL);
	struct raum_part *p;
	long ret = -ENOENT;

	if (!q)
		return -ENOMEM;
	if (copy_from_user(&q->partition_id, &uarg->partition_id, sizeof(q->partition_id))) {
		kfree(q);
		return -EFAULT;
	}
	list_for_each_entry(p, &f->parts, node) {
		if (p->id != q->partition_id)
			continue;
		q->count = p->ndep;
		memcpy(q->phys, p->dep, p->ndep * sizeof(u64));
		ret = copy_to_user(uarg, q, sizeof(*q)) ? -EFAULT : 0;
		break;
	}
	kfree(q);
	return ret;
}

static long raum_counts(struct raum_dev_counts __user *uarg, void *in, void *out)
{
	struct raum_dev_counts c = { 0 };
	struct hv_memory_balance *b = out;
	u64 r;

	memset(in, 0, PAGE_SIZE);
	((struct hv_get_memory_balance_in *)in)->partition_id = HV_PARTITION_ID_SELF;
	r = raum_hc(HVCALL_GET_MEMORY_BALANCE, in, out);
	if (hc_status(r) != HV_STATUS_SUCCESS)
		return -EIO;
	c.deposited_pages = atomic64_read(&raum_deposited);
	c.pinned_pages = atomic64_read(&raum_pinned);
	c.partitions = atomic64_read(&raum_nparts);
	c.root_available = b->pages_available;
	c.root_in_use = b->pages_in_use;
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

/* ---- a child's VPs (RAUM_IOC_VP_*) ------------------------------------------------------------ */

/* Under f->lock: this file's partition id, or NULL. */
static struct raum_part *raum_part_find(struct raum_file *f, u64 id)
{
	struct raum_part *p;

	list_for_each_entry(p, &f->parts, node)
		if (p->id == id)
			return p;
	return NULL;
}

/* Tells a VP_RUN of the partition a DESTROY names to return, so that the destroy gets the lock. */
static void raum_part_mark_dying(struct raum_file *f, struct raum_part_id __user *uarg)
{
	struct raum_part_id q;
	struct raum_part *p;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return;
	down_read(&f->lock);
	p = raum_part_find(f, q.partition_id);
	if (p)
		WRITE_ONCE(p->dying, true);
	up_read(&f->lock);
}

static long raum_vp_create(struct raum_part *p, struct raum_vp_id *q, void *in, void *out)
{
	for (int tries = 0; tries < 8; tries++) {
		struct hv_create_vp_in *c = in;
		u16 st;

		memset(in, 0, PAGE_SIZE);
		c->partition_id = p->id;
		c->vp_index = q->vp_index;
		st = hc_status(raum_hc(HVCALL_CREATE_VP, in, out));
		if (st == HV_STATUS_SUCCESS)
			return 0;
		if (st != HV_STATUS_INSUFFICIENT_MEMORY) {
			pr_err("partition %llu: CreateVp %u refused (status %#x)\n", p->id, q->vp_index, st);
			return st == HV_STATUS_INVALID_VP_INDEX ? -EEXIST : -EIO;
		}
		mutex_lock(&raum_part_mutex);
		st = raum_deposit_rec(p->id, 4, in, out, p) ? HV_STATUS_INSUFFICIENT_MEMORY : 0;
		mutex_unlock(&raum_part_mutex);
		if (st)
			return -ENOMEM;
	}
	return -ENOMEM;
}

static long raum_vp_regs(struct raum_part *p, struct raum_vp_regs __user *uarg, void *in, void *out)
{
	struct raum_vp_regs q;
	struct hv_vp_registers_hdr *h = in;
	struct raum_reg *regs;
	long ret = 0;
	u64 r;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	if (!q.count || q.count > RAUM_VP_REGS_MAX || q.set > 1 || q.reserved)
		return -EINVAL;
	regs = kcalloc(q.count, sizeof(*regs), GFP_KERNEL);
	if (!regs)
		return -ENOMEM;
	if (copy_from_user(regs, u64_to_user_ptr(q.regs_ptr), q.count * sizeof(*regs))) {
		ret = -EFAULT;
		goto out;
	}
	memset(in, 0, PAGE_SIZE);
	h->partition_id = p->id;
	h->vp_index = q.vp_index;
	for (u32 i = 0; i < q.count; i++) {
		if (q.set) {
			struct hv_register_assoc *a = (struct hv_register_assoc *)(h + 1) + i;
			a->name = regs[i].name;
			a->value.low = regs[i].low;
			a->value.high = regs[i].high;
		} else {
			((u32 *)(h + 1))[i] = regs[i].name;
		}
	}
	/* a rep call that stops early for the root's sake is simply made again from where it stopped */
	q.failed_index = 0;
	for (u32 start = 0;;) {
		u64 control = (q.set ? HVCALL_SET_VP_REGISTERS : HVCALL_GET_VP_REGISTERS) | reps(q.count) |
			      ((u64)start << HV_HYPERCALL_REP_START_SHIFT);
		r = raum_hc(control, in, out);
		start = hc_reps(r);
		if (hc_status(r) != HV_STATUS_SUCCESS || start >= q.count)
			break;
	}
	q.status = hc_status(r);
	if (q.status != HV_STATUS_SUCCESS) {
		q.failed_index = hc_reps(r);
		ret = -EINVAL;
	} else if (!q.set) {
		for (u32 i = 0; i < q.count; i++) {
			struct hv_register_value *v = (struct hv_register_value *)out + i;
			regs[i].low = v->low;
			regs[i].high = v->high;
		}
		if (copy_to_user(u64_to_user_ptr(q.regs_ptr), regs, q.count * sizeof(*regs)))
			ret = -EFAULT;
	}
	if (copy_to_user(uarg, &q, sizeof(q)))
		ret = -EFAULT;
out:
	kfree(regs);
	return ret;
}

/*
 * Dispatches the VP until an exit user space must handle. The root's own
 * interrupts end a dispatch (INTERRUPTED): they are taken as soon as the
 * hypercall returns, and the VP runs again unless a signal is pending
 * (-EINTR: kill -9 reaches the process within a timer tick) or the
 * partition is being destroyed.
 */
static long raum_vp_run(struct raum_part *p, struct raum_vp_run __user *uarg, void *in, void *out)
{
	struct raum_vp_run q;
	struct raum_dispatch_in *d = in;
	long ret = 0;
	u64 r;

	if (copy_from_user(&q, uarg, offsetof(struct raum_vp_run, status)))
		return -EFAULT;
	if (q.flags & ~RAUM_DISPATCH_COMPLETE)
		return -EINVAL;
	memset(in, 0, PAGE_SIZE);
	d->partition_id = p->id;
	d->vp_index = q.vp_index;
	d->flags = q.flags;
	d->data = q.data;
	for (;;) {
		r = raum_hc(RAUM_CALL_DISPATCH_VP, in, out);
		d->flags = 0;
		q.status = hc_status(r);
		memcpy(&q.exit, out, sizeof(q.exit));
		if (q.status != HV_STATUS_SUCCESS) {
			ret = q.status == HV_STATUS_INVALID_VP_STATE ? -EBUSY :
			      q.status == HV_STATUS_INVALID_VP_INDEX ? -ENOENT : -EIO;
			break;
		}
		if (q.exit.kind != RAUM_VPEXIT_INTERRUPTED)
			break;
		if (signal_pending(current) || READ_ONCE(p->dying)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	if (copy_to_user(uarg, &q, sizeof(q)))
		ret = -EFAULT;
	return ret;
}

static long raum_intercept(struct raum_file *f, struct raum_intercept __user *uarg, void *in, void *out)
{
	struct raum_intercept q;
	struct hv_install_intercept_in *h = in;
	long ret;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	if (q.reserved)
		return -EINVAL;
	down_read(&f->lock);
	if (!raum_part_find(f, q.partition_id)) {
		up_read(&f->lock);
		return -ENOENT;
	}
	memset(in, 0, PAGE_SIZE);
	h->partition_id = q.partition_id;
	h->access_type = q.access_type;
	h->intercept_type = q.intercept_type;
	h->parameter = q.parameter;
	q.status = hc_status(raum_hc(HVCALL_INSTALL_INTERCEPT, in, out));
	up_read(&f->lock);
	ret = q.status == HV_STATUS_SUCCESS ? 0 : q.status == HV_STATUS_NO_RESOURCES ? -ENOSPC : -EINVAL;
	if (copy_to_user(uarg, &q, sizeof(q)))
		ret = -EFAULT;
	return ret;
}

static long raum_vp_ioctl(struct raum_file *f, unsigned int cmd, unsigned long arg)
{
	unsigned long in = get_zeroed_page(GFP_KERNEL), out = get_zeroed_page(GFP_KERNEL);
	struct raum_vp_id id;
	struct raum_part *p;
	long ret;

	if (!in || !out) {
		ret = -ENOMEM;
		goto out;
	}
	if (cmd == RAUM_IOC_INTERCEPT) {
		ret = raum_intercept(f, (void __user *)arg, (void *)in, (void *)out);
		goto out;
	}
	/* every VP command starts with the partition ID and the VP index */
	if (copy_from_user(&id, (void __user *)arg, sizeof(id))) {
		ret = -EFAULT;
		goto out;
	}
	if (id.vp_index >= RAUM_MAX_CHILD_VPS) {
		ret = -EINVAL;
		goto out;
	}
	down_read(&f->lock);
	p = raum_part_find(f, id.partition_id);
	if (!p)
		ret = -ENOENT; /* not this file's */
	else if (cmd == RAUM_IOC_VP_CREATE)
		ret = id.reserved ? -EINVAL : raum_vp_create(p, &id, (void *)in, (void *)out);
	else if (cmd == RAUM_IOC_VP_REGS)
		ret = raum_vp_regs(p, (void __user *)arg, (void *)in, (void *)out);
	else
		ret = raum_vp_run(p, (void __user *)arg, (void *)in, (void *)out);
	up_read(&f->lock);
out:
	free_page(in);
	free_page(out);
	return ret;
}

static long raum_part_ioctl(struct raum_file *f, unsigned int cmd, unsigned long arg)
{
	unsigned long in = get_zeroed_page(GFP_KERNEL), out = get_zeroed_page(GFP_KERNEL);
	long ret;

	if (!in || !out) {
		ret = -ENOMEM;
		goto out;
	}
	if (cmd == RAUM_IOC_PART_DESTROY)
		raum_part_mark_dying(f, (void __user *)arg);
	down_write(&f->lock);
	mutex_lock(&raum_part_mutex);
	if (cmd == RAUM_IOC_PART_CREATE)
		ret = raum_part_create(f, (void __user *)arg, (void *)in, (void *)out);
	else if (cmd == RAUM_IOC_PART_DESTROY)
		ret = raum_part_destroy_id(f, (void __user *)arg, (void *)in, (void *)out);
	else if (cmd == RAUM_IOC_PART_PAGES)
		ret = raum_part_pages(f, (void __user *)arg);
	else
		ret = raum_counts((void __user *)arg, (void *)in, (void *)out);
	mutex_unlock(&raum_part_mutex);
	up_write(&f->lock);
out:
	free_page(in);
	free_page(out);
	return ret;
}

static int raum_open(struct inode *inode, struct file *file)
{
	struct raum_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	INIT_LIST_HEAD(&f->parts);
	init_rwsem(&f->lock);
	file->private_data = f;
	return 0;
}

/* The file goes (close, exit, kill -9): its partitions go with it, all their memory returned. */
static int raum_release(struct inode *inode, struct file *file)
{
	struct raum_file *f = file->private_data;
	unsigned long in = get_zeroed_page(GFP_KERNEL | __GFP_NOFAIL), out = get_zeroed_page(GFP_KERNEL | __GFP_NOFAIL);
	struct raum_part *p, *n;

	mutex_lock(&raum_part_mutex);
	list_for_each_entry_safe(p, n, &f->parts, node) {
		list_del(&p->node);
		raum_part_destroy(p, (void *)in, (void *)out);
	}
	mutex_unlock(&raum_part_mutex);
	free_page(in);
	free_page(out);
	kfree(f);
	return 0;
}

static long raum_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case RAUM_IOC_HYPERCALL:
		return raum_ioctl_hypercall((struct raum_hypercall __user *)arg);
	case RAUM_IOC_PART_CREATE:
	case RAUM_IOC_PART_DESTROY:
	case RAUM_IOC_COUNTS:
	case RAUM_IOC_PART_PAGES:
		return raum_part_ioctl(file->private_data, cmd, arg);
	case RAUM_IOC_VP_CREATE:
	case RAUM_IOC_VP_REGS:
	case RAUM_IOC_VP_RUN:
	case RAUM_IOC_INTERCEPT:
		return raum_vp_ioctl(file->private_data, cmd, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations raum_fops = {
	.owner = THIS_MODULE,
	.open = raum_open,
	.release = raum_release,
	.unlocked_ioctl = raum_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice raum_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "raum",
	.fops = &raum_fops,
	.mode = 0600,
};

/* What one CPU's CPUID says about the hypervisor below it. */
struct raum_probe {
	bool hv_bit;        /* CPUID.1:ECX[31], hypervisor present */
	u32 sig[3];         /* leaf 0x40000000 EBX ECX EDX */
};

static void raum_probe_cpu(void *arg)
{
	struct raum_probe *p = arg;
	unsigned int eax;

	p->hv_bit = cpuid_ecx(1) & (1u << 31);
	if (p->hv_bit)
		cpuid(RAUM_CPUID_VENDOR_LEAF, &eax, &p->sig[0], &p->sig[1], &p->sig[2]);
}

static bool raum_probe_is_raum(const struct raum_probe *p)
{
	return p->hv_bit && p->sig[0] == RAUM_CPUID_SIGNATURE_EBX &&
	       p->sig[1] == RAUM_CPUID_SIGNATURE_ECX && p->sig[2] == RAUM_CPUID_SIGNATURE_EDX;
}

/* What a probe saw, for a message: "hypervisor bit clear" or the signature found. */
static void raum_probe_describe(const struct raum_probe *p, char *buf, size_t len)
{
	char sig[13];
	int i;

	if (!p->hv_bit) {
		snprintf(buf, len, "CPUID.1:ECX[31] (hypervisor present) is clear");
		return;
	}
	memcpy(sig, p->sig, 12);
	sig[12] = '\0';
	for (i = 0; i < 12; i++)   /* the hypervisor below chose these bytes */
		if (sig[i] < 0x20 || sig[i] > 0x7e)
			sig[i] = '.';
	snprintf(buf, len, "CPUID leaf 0x%x signature is \"%s\" (%08x %08x %08x), not \"RaumRaumRaum\"",
		 RAUM_CPUID_VENDOR_LEAF, sig, p->sig[0], p->sig[1], p->sig[2]);
}

/* Probes one CPU, on that CPU. Returns false when it could not run there (not online). */
static bool raum_probe_on(unsigned int cpu, struct raum_probe *p)
{
	memset(p, 0, sizeof(*p));
	return smp_call_function_single(cpu, raum_probe_cpu, p, 1) == 0;
}

/*
 * Returns 0 when Raum runs below every online CPU (raum_cpus: all of them),
 * else -ENODEV after saying why not: no hypervisor, another hypervisor, or
 * the first CPU that does not run under Raum while others do. Runs under
 * cpus_read_lock(), so the online set cannot change during the probe.
 */
static int raum_detect(void)
{
	struct raum_probe p, first = { 0 }, bad = { 0 };
	unsigned int cpu, n = 0, bad_cpu = 0, nbad = 0;
	char why[128];

	cpumask_clear(&raum_cpus);
	for_each_online_cpu(cpu) {
		n++;
		if (!raum_probe_on(cpu, &p)) {
			/* cannot happen under cpus_read_lock; count it as not Raum's */
			memset(&p, 0, sizeof(p));
		}
		if (n == 1)
			first = p;
		if (raum_probe_is_raum(&p)) {
			cpumask_set_cpu(cpu, &raum_cpus);
			continue;
		}
		if (!nbad++) {
			bad_cpu = cpu;
			bad = p;
		}
	}
	if (cpumask_empty(&raum_cpus) && !first.hv_bit) {
		pr_err("no hypervisor: CPUID.1:ECX[31] (hypervisor present) is clear, so Raum is not running "
		       "(did the Raum loader start this OS, and does the CPU have AMD-V with NPT or VT-x with EPT?)\n");
		return -ENODEV;
	}
	if (cpumask_empty(&raum_cpus)) {
		raum_probe_describe(&first, why, sizeof(why));
		pr_err("a hypervisor runs but it is not Raum: %s\n", why);
		return -ENODEV;
	}
	if (nbad) {
		/* a hypercall from that CPU would be #UD: refuse rather than pin every call */
		raum_probe_describe(&bad, why, sizeof(why));
		pr_err("CPU %u does not run under Raum: refusing (%s; %u of %u online CPUs lack Raum, "
		       "CPU %u has it; every CPU must run under Raum)\n",
		       bad_cpu, why, nbad, n, cpumask_first(&raum_cpus));
		return -ENODEV;
	}
	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		raum_use_vmmcall = true;
		break;
	case X86_VENDOR_INTEL:
	case X86_VENDOR_CENTAUR:
	case X86_VENDOR_ZHAOXIN:
		raum_use_vmmcall = false;
		break;
	default:
		pr_err("Raum signature found, but CPU vendor %u is neither AMD nor Intel: "
		       "cannot choose VMMCALL or VMCALL\n", boot_cpu_data.x86_vendor);
		return -ENODEV;
	}
	return 0;
}

/*
 * CPU hotplug, startup (CPUHP_AP_ONLINE_DYN: runs in the incoming CPU's hotplug
 * thread, the CPU already online). A CPU the root (re)starts must come up
 * under Raum; one that does not is refused: the error makes the kernel roll
 * the online back, so it never runs a task that could reach the ioctl.
 */
static int raum_cpu_online(unsigned int cpu)
{
	struct raum_probe p;
	char why[128];

	if (raum_probe_on(cpu, &p) && raum_probe_is_raum(&p)) {
		cpumask_set_cpu(cpu, &raum_cpus);
		return 0;
	}
	raum_probe_describe(&p, why, sizeof(why));
	pr_err("CPU %u came online outside Raum: refusing it while raum.ko is loaded (%s)\n", cpu, why);
	return -ENODEV;
}

/* CPU hotplug, teardown: runs on the outgoing CPU; no hypercall starts there afterwards. */
static int raum_cpu_offline(unsigned int cpu)
{
	cpumask_clear_cpu(cpu, &raum_cpus);
	return 0;
}

static int __init raum_init(void)
{
	unsigned int eax, ebx, ecx, edx, ncpus;
	int ret;

	/* The CPU set may not change between the probe and the hotplug callbacks. */
	cpus_read_lock();
	ret = raum_detect();
	if (!ret) {
		ret = cpuhp_setup_state_nocalls_cpuslocked(CPUHP_AP_ONLINE_DYN, "raum:online",
							   raum_cpu_online, raum_cpu_offline);
		if (ret >= 0) {
			raum_hp_state = ret;
			ret = 0;
		} else {
			pr_err("cannot register the CPU hotplug check (error %d)\n", ret);
		}
	}
	ncpus = cpumask_weight(&raum_cpus);
	cpus_read_unlock();
	if (ret)
		return ret;
	ret = misc_register(&raum_misc);
	if (ret) {
		pr_err("cannot register /dev/raum (error %d)\n", ret);
		cpuhp_remove_state_nocalls(raum_hp_state);
		return ret;
	}
	/* Every online CPU runs under Raum: its version leaf answers on any of them. */
	cpuid(RAUM_CPUID_VERSION_LEAF, &eax, &ebx, &ecx, &edx);
	pr_info("Raum %u.%u.%u detected (%s) on all %u CPU%s: /dev/raum ready\n", eax >> 16,
		eax & 0xffff, ebx, raum_use_vmmcall ? "AMD-V, VMMCALL" : "Intel VT-x, VMCALL", ncpus,
		ncpus == 1 ? "" : "s");
	return 0;
}

static void __exit raum_exit(void)
{
	misc_deregister(&raum_misc);
	cpuhp_remove_state_nocalls(raum_hp_state);
}

module_init(raum_init);
module_exit(raum_exit);

MODULE_LICENSE("Dual MIT/GPL");
MODULE_AUTHOR("The Raum project");
MODULE_DESCRIPTION("Raum root partition: hypercalls for user space through /dev/raum");
