// SPDX-License-Identifier: MIT
/*
 * AMD-V backend (AMD APM vol. 2, chapter 15).
 *
 * Enabling SVM on a CPU (APM 15.4): EFER.SVME = 1, which VM_CR.SVMDIS
 * forbids (the loader checked it), and VM_HSAVE_PA pointing at a 4 KiB
 * page where VMRUN saves host state.
 */
#include <raum/errno.h>
#include <raum/hwcheck.h>
#include <raum/log.h>
#include <raum/vendor.h>
#include <raum/vm.h>
#include <raum/x86.h>

#define MSR_VM_HSAVE_PA 0xc0010117

struct svm_cpu {
	u64 hsave_phys; /* host save area */
	u64 efer_before;
};

static struct svm_cpu svm_cpus[RAUM_MAX_CPUS];

static int svm_cpu_enable(struct cpu *c)
{
	struct svm_cpu *s = &svm_cpus[c->id];
	u64 efer = rdmsr(MSR_EFER);

	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("svm: VM_CR.SVMDIS is set: AMD-V is disabled in the firmware setup");
		return -RAUM_ENODEV;
	}
	if (efer & EFER_SVME) {
		/* Someone else turned SVM on: another hypervisor's leftovers. Not ours to take. */
		pr_err("svm: EFER.SVME is already set on cpu%u: another hypervisor owns SVM", c->id);
		return -RAUM_EBUSY;
	}
	int rc = page_alloc_zeroed(1, &s->hsave_phys);
	if (rc)
		return rc;
	s->efer_before = efer;
	wrmsr(MSR_EFER, efer | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, s->hsave_phys);
	c->vendor = s;
	pr_info("svm: EFER.SVME set on cpu%u, host save area at %p", c->id, (void *)s->hsave_phys);
	return 0;
}

static void svm_cpu_disable(struct cpu *c)
{
	struct svm_cpu *s = c->vendor;

	if (!s)
		return;
	wrmsr(MSR_VM_HSAVE_PA, 0);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SVME);
	palloc_free(&hv_pool, s->hsave_phys, 1);
	s->hsave_phys = 0;
	c->vendor = NULL;
	pr_debug("svm: SVM off on cpu%u", c->id);
}

const struct vendor_ops svm_ops = {
	.name = "svm",
	.vendor = RAUM_VENDOR_AMD,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
};
