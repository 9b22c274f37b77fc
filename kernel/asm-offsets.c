// SPDX-License-Identifier: MIT
/*
 * Structure offsets for assembly, generated at build time: compiled with -S
 * and turned into build/gen/asm-offsets.h, so the stubs never hold offsets
 * typed by hand.
 */
#include <raum/bootinfo.h>
#include <raum/fwctx.h>
#include <raum/trap.h>

#include "../svm/svm.h"
#include "../vmx/vmcs.h"
#include "../vmx/vmx.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %0\"" ::"i"(val))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(FW_RBX, offsetof(struct fw_ctx, rbx));
	DEFINE(FW_RBP, offsetof(struct fw_ctx, rbp));
	DEFINE(FW_R12, offsetof(struct fw_ctx, r12));
	DEFINE(FW_R13, offsetof(struct fw_ctx, r13));
	DEFINE(FW_R14, offsetof(struct fw_ctx, r14));
	DEFINE(FW_R15, offsetof(struct fw_ctx, r15));
	DEFINE(FW_RSP, offsetof(struct fw_ctx, rsp));
	DEFINE(FW_RFLAGS, offsetof(struct fw_ctx, rflags));
	DEFINE(FW_CR0, offsetof(struct fw_ctx, cr0));
	DEFINE(FW_CR3, offsetof(struct fw_ctx, cr3));
	DEFINE(FW_CR4, offsetof(struct fw_ctx, cr4));
	DEFINE(FW_EFER, offsetof(struct fw_ctx, efer));
	DEFINE(FW_CS, offsetof(struct fw_ctx, cs));
	DEFINE(FW_DS, offsetof(struct fw_ctx, ds));
	DEFINE(FW_ES, offsetof(struct fw_ctx, es));
	DEFINE(FW_SS, offsetof(struct fw_ctx, ss));
	DEFINE(FW_FS, offsetof(struct fw_ctx, fs));
	DEFINE(FW_GS, offsetof(struct fw_ctx, gs));
	DEFINE(FW_TR, offsetof(struct fw_ctx, tr));
	DEFINE(FW_LDTR, offsetof(struct fw_ctx, ldtr));
	DEFINE(FW_GDTR, offsetof(struct fw_ctx, gdtr));
	DEFINE(FW_IDTR, offsetof(struct fw_ctx, idtr));
	DEFINE(FW_CTX_SIZE, sizeof(struct fw_ctx));
	DEFINE(TF_VECTOR, offsetof(struct trap_frame, vector));
	DEFINE(TF_RIP, offsetof(struct trap_frame, rip));
	DEFINE(IMAGE_MAGIC, RAUM_IMAGE_MAGIC);
	DEFINE(SVP_GPR, offsetof(struct svm_vp, vp.gpr));
	DEFINE(SVP_VMCB_PA, offsetof(struct svm_vp, vmcb_phys));
	DEFINE(SVP_HOST_VMCB_PA, offsetof(struct svm_vp, host_vmcb_phys));
	DEFINE(VXP_GPR, offsetof(struct vmx_vp, vp.gpr));
	DEFINE(VXP_LAUNCHED, offsetof(struct vmx_vp, launched));
	DEFINE(VXP_HOST_NMI, offsetof(struct vmx_vp, host_nmi_pending));
	DEFINE(VXP_HOST_RSP, offsetof(struct vmx_vp, host_rsp));
	DEFINE(VXP_FAIL_RFLAGS, offsetof(struct vmx_vp, fail_rflags));
	DEFINE(SVP_SC, offsetof(struct svm_vp, vp.spec_ctrl));
	DEFINE(VXP_SC, offsetof(struct vmx_vp, vp.spec_ctrl));
	DEFINE(SC_ON, offsetof(struct vp_spec_ctrl, on));
	DEFINE(SC_ROOT, offsetof(struct vp_spec_ctrl, root));
	DEFINE(SC_RAUM, offsetof(struct vp_spec_ctrl, raum));
	DEFINE(SVP_DBGCTL, offsetof(struct svm_vp, dbgctl));
	DEFINE(VMCS_HOST_RSP, VMCS_HOST_RSP); /* the field encoding vmrun.S writes: from vmx/vmcs.h, once */
}
