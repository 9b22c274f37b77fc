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
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
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

	hc.result = raum_hypercall(hc.control, virt_to_phys((void *)in_page),
				   virt_to_phys((void *)out_page));

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

/* Returns 0 when Raum runs below us, else -ENODEV after saying why not. */
static int raum_detect(void)
{
	unsigned int eax, ebx, ecx, edx;
	char sig[13];

	if (!(cpuid_ecx(1) & (1u << 31))) {
		pr_err("no hypervisor: CPUID.1:ECX[31] (hypervisor present) is clear, so Raum is not running "
		       "(did the Raum loader start this OS, and does the CPU have AMD-V with NPT or VT-x with EPT?)\n");
		return -ENODEV;
	}
	cpuid(RAUM_CPUID_VENDOR_LEAF, &eax, &ebx, &ecx, &edx);
	memcpy(sig + 0, &ebx, 4);
	memcpy(sig + 4, &ecx, 4);
	memcpy(sig + 8, &edx, 4);
	sig[12] = '\0';
	if (ebx != RAUM_CPUID_SIGNATURE_EBX || ecx != RAUM_CPUID_SIGNATURE_ECX ||
	    edx != RAUM_CPUID_SIGNATURE_EDX) {
		pr_err("a hypervisor runs but it is not Raum: CPUID leaf 0x%x signature is \"%s\" "
		       "(%08x %08x %08x), not the Raum CPUID signature \"RaumRaumRaum\"\n",
		       RAUM_CPUID_VENDOR_LEAF, sig, ebx, ecx, edx);
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

static int __init raum_init(void)
{
	unsigned int eax, ebx, ecx, edx;
	int ret;

	ret = raum_detect();
	if (ret)
		return ret;
	ret = misc_register(&raum_misc);
	if (ret) {
		pr_err("cannot register /dev/raum (error %d)\n", ret);
		return ret;
	}
	cpuid(RAUM_CPUID_VERSION_LEAF, &eax, &ebx, &ecx, &edx);
	pr_info("Raum %u.%u.%u detected (%s): /dev/raum ready\n", eax >> 16, eax & 0xffff, ebx,
		raum_use_vmmcall ? "AMD-V, VMMCALL" : "Intel VT-x, VMCALL");
	return 0;
}

static void __exit raum_exit(void)
{
	misc_deregister(&raum_misc);
}

module_init(raum_init);
module_exit(raum_exit);

MODULE_LICENSE("Dual MIT/GPL");
MODULE_AUTHOR("The Raum project");
MODULE_DESCRIPTION("Raum root partition: hypercalls for user space through /dev/raum");
