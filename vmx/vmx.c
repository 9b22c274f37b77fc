// SPDX-License-Identifier: MIT
/*
 * Intel VT-x backend (Intel SDM vol. 3C, chapters 23-28).
 *
 * Entering VMX operation (SDM 23.7, 24.11.5): IA32_FEATURE_CONTROL locked
 * with VMX-outside-SMX (the loader sets it when the firmware left it
 * unlocked), CR0 and CR4 inside the IA32_VMX_CR{0,4}_FIXED{0,1} bounds
 * (which include CR4.VMXE), and a 4 KiB-aligned VMXON region that starts
 * with the VMCS revision identifier from IA32_VMX_BASIC[30:0].
 */
#include <raum/errno.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/trap.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/x86.h>

#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define VMX_BASIC_REVISION(b) ((u32)((b)&0x7fffffff))
#define VMX_BASIC_REGION_SIZE(b) ((u32)(((b) >> 32) & 0x1fff))

struct vmx_cpu {
	u64 vmxon_phys;
	u64 cr0_before, cr4_before;
};

static struct vmx_cpu vmx_cpus[RAUM_MAX_CPUS];

/* VMX instructions report failure in RFLAGS (SDM 30.2): CF = VMfailInvalid, ZF = VMfailValid. */
static int vmxon(u64 phys)
{
	u8 cf, zf;
	__asm__ volatile("vmxon %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return cf ? -RAUM_EIO : zf ? -RAUM_EBUSY : 0;
}

static int vmx_cpu_enable(struct cpu *c)
{
	struct vmx_cpu *v = &vmx_cpus[c->id];
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);

	if (!(fc & FEATCTL_LOCK) || !(fc & FEATCTL_VMX_OUTSIDE_SMX)) {
		pr_err("vmx: IA32_FEATURE_CONTROL is %#llx on cpu%u: VMX outside SMX is not "
		       "enabled and locked", (unsigned long long)fc, c->id);
		return -RAUM_ENODEV;
	}
	if (VMX_BASIC_REGION_SIZE(basic) > PAGE_SIZE) {
		pr_err("vmx: VMXON region of %u bytes is larger than a page",
		       VMX_BASIC_REGION_SIZE(basic));
		return -RAUM_ENOTSUP;
	}
	if (read_cr4() & CR4_VMXE) {
		pr_err("vmx: CR4.VMXE is already set on cpu%u: another hypervisor owns VMX", c->id);
		return -RAUM_EBUSY;
	}
	int rc = page_alloc_zeroed(1, &v->vmxon_phys);
	if (rc)
		return rc;
	*(u32 *)phys_to_virt(v->vmxon_phys) = VMX_BASIC_REVISION(basic);

	v->cr0_before = read_cr0();
	v->cr4_before = read_cr4();
	write_cr0((v->cr0_before | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1));
	write_cr4((v->cr4_before | rdmsr(MSR_IA32_VMX_CR4_FIXED0) | CR4_VMXE) &
		  rdmsr(MSR_IA32_VMX_CR4_FIXED1));
	rc = vmxon(v->vmxon_phys);
	if (rc) {
		write_cr4(v->cr4_before);
		write_cr0(v->cr0_before);
		palloc_free(&hv_pool, v->vmxon_phys, 1);
		pr_err("vmx: VMXON failed on cpu%u (%s)", c->id,
		       rc == -RAUM_EIO ? "VMfailInvalid: bad VMXON region or CR0/CR4" : "VMfailValid");
		return rc;
	}
	c->vendor = v;
	pr_info("vmx: VMXON on cpu%u, VMCS revision %#x, VMXON region at %p", c->id,
		VMX_BASIC_REVISION(basic), (void *)v->vmxon_phys);
	return 0;
}

static void vmx_cpu_disable(struct cpu *c)
{
	struct vmx_cpu *v = c->vendor;

	if (!v)
		return;
	__asm__ volatile("vmxoff" ::: "cc", "memory");
	write_cr4(v->cr4_before);
	write_cr0(v->cr0_before);
	palloc_free(&hv_pool, v->vmxon_phys, 1);
	c->vendor = NULL;
	pr_debug("vmx: VMXOFF on cpu%u", c->id);
}

/*
 * The VT-x late launch (VMCS, EPT, exit handling) is the next step of the
 * Intel work; until it lands the loader gets the CPU back unvirtualized
 * and says so. The VP accessors are unreachable without a launched VP.
 */
static int vmx_launch_root(struct cpu *c __unused, struct partition *root __unused,
			   const struct fw_ctx *fw __unused, u64 rax __unused)
{
	return -RAUM_ENOTSUP;
}

static void vmx_get_ctrl(struct vp *vp __unused, struct vp_ctrl *c __unused)
{
	panic("vmx: no VP exists before the VT-x late launch");
}

static void vmx_inject_exception(struct vp *vp __unused, u8 v __unused, bool e __unused, u32 err __unused)
{
	panic("vmx: no VP exists before the VT-x late launch");
}

const struct vendor_ops vmx_ops = {
	.name = "vmx",
	.vendor = RAUM_VENDOR_INTEL,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.slat_rwx = PTE_W, /* placeholder until the EPT encoder lands: EPT bits differ */
	.launch_root = vmx_launch_root,
	.get_ctrl = vmx_get_ctrl,
	.inject_exception = vmx_inject_exception,
};
