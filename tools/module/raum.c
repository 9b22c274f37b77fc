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
 * Only the CPU Raum late-launched on runs under Raum (until the SMP work puts
 * every CPU under it); on the others VMMCALL / VMCALL is a plain #UD, an oops
 * in this module. So the load runs the CPUID check on every online CPU,
 * records the first that sees Raum's signature (raum_cpu: not necessarily the
 * one insmod runs on), and every hypercall runs there, through
 * smp_call_function_single(). That CPU may not go offline while the module is
 * loaded (its hotplug teardown refuses with -EBUSY): a CPU that comes back
 * online is started by the root with INIT / SIPI, natively, out of Raum.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
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
static unsigned int raum_cpu;   /* the CPU that runs under Raum: every hypercall runs there */
static int raum_hp_state = -1;  /* the CPU hotplug state that keeps raum_cpu online */

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

struct raum_call {
	u64 control, in_gpa, out_gpa, result;
};

/* Runs on raum_cpu (smp_call_function_single: IPI context, interrupts off). */
static void raum_call_on_cpu(void *arg)
{
	struct raum_call *c = arg;

	c->result = raum_hypercall(c->control, c->in_gpa, c->out_gpa);
}

/*
 * Raum's CPU must stay online: offlining it and bringing it back would start
 * it natively (INIT / SIPI from the root), without Raum. Refusing the
 * teardown makes the kernel roll the offline request back.
 */
static int raum_cpu_down(unsigned int cpu)
{
	if (cpu != raum_cpu)
		return 0;
	pr_warn("CPU %u runs under Raum and serves /dev/raum: it stays online while raum.ko is loaded\n",
		cpu);
	return -EBUSY;
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
		struct raum_call call = {
			.control = hc.control,
			.in_gpa = virt_to_phys((void *)in_page),
			.out_gpa = virt_to_phys((void *)out_page),
		};
		int rc = smp_call_function_single(raum_cpu, raum_call_on_cpu, &call, 1);

		if (rc) {
			pr_err_ratelimited("CPU %u (Raum's) is not online: no hypercall (error %d)\n",
					   raum_cpu, rc);
			ret = -ENXIO;
			goto out;
		}
		hc.result = call.result;
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

static long raum_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != RAUM_IOC_HYPERCALL)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return raum_ioctl_hypercall((struct raum_hypercall __user *)arg);
}

static const struct file_operations raum_fops = {
	.owner = THIS_MODULE,
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

/*
 * Returns 0 when Raum runs below some online CPU (raum_cpu: the first such),
 * else -ENODEV after saying why not. Runs under cpus_read_lock().
 */
static int raum_detect(void)
{
	struct raum_probe p, first = { 0 };
	unsigned int cpu;
	bool found = false;
	char sig[13];

	for_each_online_cpu(cpu) {
		memset(&p, 0, sizeof(p));
		if (smp_call_function_single(cpu, raum_probe_cpu, &p, 1))
			continue;
		if (cpu == cpumask_first(cpu_online_mask))
			first = p;
		if (raum_probe_is_raum(&p)) {
			raum_cpu = cpu;
			found = true;
			break;
		}
	}
	if (!found && !first.hv_bit) {
		pr_err("no hypervisor: CPUID.1:ECX[31] (hypervisor present) is clear on every CPU, so Raum is not running "
		       "(did the Raum loader start this OS, and does the CPU have AMD-V with NPT or VT-x with EPT?)\n");
		return -ENODEV;
	}
	if (!found) {
		memcpy(sig, first.sig, 12);
		sig[12] = '\0';
		pr_err("a hypervisor runs but it is not Raum: CPUID leaf 0x%x signature is \"%s\" "
		       "(%08x %08x %08x), not the Raum CPUID signature \"RaumRaumRaum\"\n",
		       RAUM_CPUID_VENDOR_LEAF, sig, first.sig[0], first.sig[1], first.sig[2]);
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

static void raum_version_cpu(void *arg)
{
	unsigned int *r = arg;

	cpuid(RAUM_CPUID_VERSION_LEAF, &r[0], &r[1], &r[2], &r[3]);
}

static int __init raum_init(void)
{
	unsigned int eax, ebx, regs[4] = { 0 };
	int ret;

	/* The CPU set may not change between the probe and the hotplug guard. */
	cpus_read_lock();
	ret = raum_detect();
	if (!ret) {
		ret = cpuhp_setup_state_nocalls_cpuslocked(CPUHP_AP_ONLINE_DYN, "raum:online", NULL,
							   raum_cpu_down);
		if (ret >= 0) {
			raum_hp_state = ret;
			ret = 0;
		} else {
			pr_err("cannot guard CPU hotplug (error %d)\n", ret);
		}
	}
	cpus_read_unlock();
	if (ret)
		return ret;
	ret = misc_register(&raum_misc);
	if (ret) {
		pr_err("cannot register /dev/raum (error %d)\n", ret);
		cpuhp_remove_state_nocalls(raum_hp_state);
		return ret;
	}
	/* The version leaf is Raum's on raum_cpu: ask there too. */
	smp_call_function_single(raum_cpu, raum_version_cpu, regs, 1);
	eax = regs[0];
	ebx = regs[1];
	pr_info("Raum %u.%u.%u detected (%s) on CPU %u of %u: /dev/raum ready\n", eax >> 16,
		eax & 0xffff, ebx, raum_use_vmmcall ? "AMD-V, VMMCALL" : "Intel VT-x, VMCALL", raum_cpu,
		num_online_cpus());
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
