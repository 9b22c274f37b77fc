/* SPDX-License-Identifier: MIT */
/*
 * The VMX instructions Raum uses besides VMREAD / VMWRITE (vmx/vmcs.h) and
 * VMLAUNCH / VMRESUME (vmx/vmrun.S). Each reports failure in RFLAGS (SDM
 * vol. 3C 31.2): CF = VMfailInvalid, ZF = VMfailValid.
 */
#ifndef RAUM_VMX_INSN_H
#define RAUM_VMX_INSN_H

#include <raum/errno.h>
#include <raum/types.h>

static inline int vmx_insn_result(u8 cf, u8 zf) { return cf ? -RAUM_EIO : zf ? -RAUM_EBUSY : 0; }

static inline int vmxon(u64 phys)
{
	u8 cf, zf;
	__asm__ volatile("vmxon %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

static inline void vmxoff(void) { __asm__ volatile("vmxoff" ::: "cc", "memory"); }

static inline int vmclear(u64 phys)
{
	u8 cf, zf;
	__asm__ volatile("vmclear %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

static inline int vmptrld(u64 phys)
{
	u8 cf, zf;
	__asm__ volatile("vmptrld %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

/* INVEPT / INVVPID types (SDM vol. 3C 31.3) and descriptors. */
#define INVEPT_SINGLE 1
#define INVEPT_ALL 2
#define INVVPID_SINGLE 1
#define INVVPID_ALL 2
static inline int invept(u64 type, u64 ept_pointer)
{
	struct { u64 eptp, zero; } d = { ept_pointer, 0 };
	u8 cf, zf;
	__asm__ volatile("invept %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

static inline int invvpid(u64 type, u16 vpid)
{
	struct { u64 vpid, addr; } d = { vpid, 0 };
	u8 cf, zf;
	__asm__ volatile("invvpid %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_insn_result(cf, zf);
}

#endif
