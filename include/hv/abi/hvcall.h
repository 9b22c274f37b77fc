/* SPDX-License-Identifier: MIT */
/*
 * Raum's public hypercall ABI: shared by the hypervisor, the root
 * partition's kernel module and tools, and guests. Fixed-width types only;
 * includes nothing private. Builds in the hypervisor, in Linux kernel code
 * (with <linux/types.h> providing the uintN_t names) and in user space.
 *
 * Calling convention (Hyper-V TLFS, "Hypercall Interface"):
 *   RCX = hypercall input value (below), RDX = input GPA (or first fast
 *   input), R8 = output GPA (or second fast input); VMMCALL (AMD) or VMCALL
 *   (Intel) from CPL 0; RAX = hypercall result value: HV_STATUS in bits
 *   15:0, reps completed in 43:32. A hypercall from CPL > 0 raises #UD.
 *   Input and output GPAs are 8-byte aligned and their parameter blocks do
 *   not cross a page boundary (else HV_STATUS_INVALID_ALIGNMENT).
 *
 * Codes 0x0001-0x00ff follow the TLFS where it defines the operation.
 * Calls the TLFS lacks use 0x4000-0x40ff, a range it does not use (the TLFS
 * puts its own extended calls at 0x8001 and up). See docs/hypercall-abi.md.
 */
#ifndef HV_ABI_HVCALL_H
#define HV_ABI_HVCALL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* ---- hypercall input value (TLFS) ------------------------------------- */
#define HV_HYPERCALL_CODE_MASK 0x000000000000ffffULL     /* bits 15:0 */
#define HV_HYPERCALL_FAST_BIT 0x0000000000010000ULL      /* bit 16 */
#define HV_HYPERCALL_VARHEAD_SHIFT 17                    /* bits 26:17 */
#define HV_HYPERCALL_VARHEAD_MASK 0x0000000007fe0000ULL
#define HV_HYPERCALL_REP_COUNT_SHIFT 32                  /* bits 43:32 */
#define HV_HYPERCALL_REP_COUNT_MASK 0x00000fff00000000ULL
#define HV_HYPERCALL_REP_START_SHIFT 48                  /* bits 59:48 */
#define HV_HYPERCALL_REP_START_MASK 0x0fff000000000000ULL
/* RsvdZ: bits 31:27, 47:44, 63:60 */
#define HV_HYPERCALL_RSVD_MASK 0xf000f000f8000000ULL

/* ---- hypercall result value ------------------------------------------- */
#define HV_HYPERCALL_RESULT_MASK 0xffffULL
#define HV_HYPERCALL_REP_COMP_SHIFT 32

/* ---- HV_STATUS (TLFS datatypes/hv_status.md) --------------------------- */
#define HV_STATUS_SUCCESS 0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE 0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003
#define HV_STATUS_INVALID_ALIGNMENT 0x0004
#define HV_STATUS_INVALID_PARAMETER 0x0005
#define HV_STATUS_ACCESS_DENIED 0x0006
#define HV_STATUS_INVALID_PARTITION_STATE 0x0007
#define HV_STATUS_OPERATION_DENIED 0x0008
#define HV_STATUS_INSUFFICIENT_MEMORY 0x000b
#define HV_STATUS_INVALID_PARTITION_ID 0x000d
#define HV_STATUS_INVALID_VP_INDEX 0x000e
#define HV_STATUS_INVALID_VP_STATE 0x0015
#define HV_STATUS_NO_RESOURCES 0x001d

/* ---- partitions (TLFS "Partition Management") ------------------------- */
/*
 * Partition IDs are u64. 0 names none; HV_PARTITION_ID_SELF the caller;
 * the root is RAUM_ROOT_PARTITION_ID; children get IDs from a counter that
 * never reuses a value within a boot (a stale ID never names a new one).
 */
#define HV_PARTITION_ID_INVALID 0ULL
#define HV_PARTITION_ID_SELF (~0ULL)
#define RAUM_ROOT_PARTITION_ID 1ULL

/* TLFS call codes Raum implements (docs/hypercall-abi.md). */
#define HVCALL_CREATE_PARTITION 0x0040    /* root only */
#define HVCALL_INITIALIZE_PARTITION 0x0041 /* root only */
#define HVCALL_FINALIZE_PARTITION 0x0042  /* root only */
#define HVCALL_DELETE_PARTITION 0x0043    /* root only */
#define HVCALL_GET_PARTITION_PROPERTY 0x0044 /* root only */
#define HVCALL_SET_PARTITION_PROPERTY 0x0045 /* root only */
#define HVCALL_GET_NEXT_CHILD_PARTITION 0x0047 /* root only */
#define HVCALL_DEPOSIT_MEMORY 0x0048      /* rep; root only */
#define HVCALL_WITHDRAW_MEMORY 0x0049     /* rep; root only */
#define HVCALL_GET_MEMORY_BALANCE 0x004a  /* root only */
#define HVCALL_MAP_GPA_PAGES 0x004b       /* rep; root only */
#define HVCALL_UNMAP_GPA_PAGES 0x004c     /* rep; root only */

/* The most child partitions that exist at once. */
#define RAUM_MAX_CHILD_PARTITIONS 64

/*
 * CreatePartition (mshv's hv_input_create_partition): Raum defines no
 * creation flag yet, so flags, the disabled processor features and the
 * isolation properties must be 0 (INVALID_PARAMETER); the proximity domain
 * and compatibility version are ignored. The partition object comes from
 * the caller's (the root's) pool: INSUFFICIENT_MEMORY when it is empty.
 * Output: the new partition's ID.
 */
struct hv_create_partition_in {
	uint64_t flags;
	uint64_t proximity_domain_info;
	uint32_t compatibility_version;
	uint32_t padding;
	uint64_t disabled_processor_features[2];
	uint64_t disabled_xsave_features;
	uint64_t isolation_properties;
};

struct hv_create_partition_out {
	uint64_t partition_id;
};

/* InitializePartition, FinalizePartition, DeletePartition: the partition's ID alone. */
struct hv_partition_id_in {
	uint64_t partition_id;
};

/*
 * Get/SetPartitionProperty: a u64 per property code (Hyper-V's codes, as
 * Linux's mshv headers spell them). Raum knows these; any other code is
 * INVALID_PARAMETER, and so is setting a read-only one:
 *   PROCESSOR_VENDOR        read-only: 0 AMD, 1 Intel (HV_PROCESSOR_VENDOR)
 *   PHYSICAL_ADDRESS_WIDTH  read-only: the partition's physical-address bits
 *   GUEST_OS_ID             read / write: what the root records for the guest (HV_X64_MSR_GUEST_OS_ID's
 *                           format); kept with the partition for save and restore
 */
#define HV_PARTITION_PROPERTY_PROCESSOR_VENDOR 0x00060000
#define HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH 0x00060006
#define HV_PARTITION_PROPERTY_GUEST_OS_ID 0x00070000
#define HV_PROCESSOR_VENDOR_AMD 0
#define HV_PROCESSOR_VENDOR_INTEL 1

struct hv_get_partition_property_in {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t padding;          /* must be 0 */
};

struct hv_get_partition_property_out {
	uint64_t property_value;
};

struct hv_set_partition_property_in {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t padding;          /* must be 0 */
	uint64_t property_value;
};

/*
 * GetNextChildPartition (TLFS 2.0 HvGetNextChildPartition): the child of
 * parent_id with the lowest ID above previous_child_id (0: the first);
 * next_child_id 0 (HV_PARTITION_ID_INVALID) when there is none.
 */
struct hv_get_next_child_in {
	uint64_t parent_id;
	uint64_t previous_child_id;
};

struct hv_get_next_child_out {
	uint64_t next_child_id;
};

/*
 * DepositMemory: the header, then rep count elements, each a u64 GPA page
 * number of the caller's (the root's) RAM. Each page leaves the root's
 * SLAT and the IOMMU's DMA map before the call returns, is zeroed and feeds
 * the target partition's pool (its metadata: docs/partitions.md).
 */
struct hv_deposit_memory {
	uint64_t partition_id;
	/* uint64_t gpa_page_list[rep count] follows */
};

/*
 * WithdrawMemory: the header; the output is rep count elements, each a
 * u64 page number returned to the root (scrubbed, mapped again). When the
 * pool has no free page left the call ends with HV_STATUS_NO_RESOURCES and
 * the reps completed say how many pages came back (as Hyper-V does).
 */
struct hv_withdraw_memory_in {
	uint64_t partition_id;
	uint32_t proximity_domain; /* HV_PROXIMITY_DOMAIN_INFO: ignored, Raum has one pool per partition */
	uint32_t proximity_flags;
};

/*
 * MapGpaPages: maps rep count root pages (the elements: u64 page numbers of
 * the root's RAM) into the target child at consecutive GPA pages from
 * target_gpa_base (a page number), with the access map_flags allow. Each
 * source page must be the root's RAM and neither deposited nor mapped into
 * a child already; the target GPA must be unmapped and below the child's
 * GPA limit. The child's page tables come from its pool (INSUFFICIENT_MEMORY).
 * The page stays the root's to read and write (the root is the child's VMM).
 */
#define HV_MAP_GPA_READABLE 0x1
#define HV_MAP_GPA_WRITABLE 0x2
#define HV_MAP_GPA_KERNEL_EXECUTABLE 0x4
#define HV_MAP_GPA_USER_EXECUTABLE 0x8
#define HV_MAP_GPA_EXECUTABLE (HV_MAP_GPA_KERNEL_EXECUTABLE | HV_MAP_GPA_USER_EXECUTABLE)
struct hv_map_gpa_pages {
	uint64_t target_partition_id;
	uint64_t target_gpa_base;   /* GPA page number of the first element's page */
	uint32_t map_flags;         /* R, RW, R+X or RWX (X = kernel and user executable); others INVALID_PARAMETER */
	uint32_t padding;
	/* uint64_t source_gpa_page_list[rep count] follows */
};

/*
 * UnmapGpaPages (rep, no elements): unmaps rep count GPA pages of the
 * child from target_gpa_base; a page not mapped is left as it is. Before
 * the call returns, every CPU that may cache the child's translations has
 * flushed them; only then are the root's pages free to be deposited or
 * mapped elsewhere.
 */
struct hv_unmap_gpa_pages {
	uint64_t target_partition_id;
	uint64_t target_gpa_base;
	uint32_t unmap_flags;       /* must be 0 (Raum maps no large pages for a child) */
	uint32_t padding;
};

struct hv_get_memory_balance_in {
	uint64_t partition_id;
	uint32_t proximity_domain; /* ignored, as for WithdrawMemory */
	uint32_t proximity_flags;
};

struct hv_memory_balance {
	uint64_t pages_available; /* deposited, free */
	uint64_t pages_in_use;    /* deposited, holding the partition's metadata */
};

/* ---- virtual processors of a child (TLFS "Virtual Processor Management") ---- */
#define HVCALL_CREATE_VP 0x004e           /* root only */
#define HVCALL_DELETE_VP 0x004f           /* root only */
#define HVCALL_GET_VP_REGISTERS 0x0050    /* rep; root only */
#define HVCALL_SET_VP_REGISTERS 0x0051    /* rep; root only */
/* The most VPs a child has (VP indexes 0 .. RAUM_MAX_CHILD_VPS - 1). */
#define RAUM_MAX_CHILD_VPS 64
/*
 * CreateVp: a VP of an initialized (active) child. Its state (the vendor's
 * control block, the XSAVE area) comes from the child's pool:
 * INSUFFICIENT_MEMORY when it is short (the root deposits and retries).
 * flags and reserved must be 0. A new VP is in the x86 reset state
 * (CS:IP f000:fff0, CR0 0x60000010); the root sets its registers.
 */
struct hv_create_vp_in {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t reserved;
	uint64_t flags;
};
/* DeleteVp: a VP that is not being dispatched (INVALID_VP_STATE otherwise). */
struct hv_delete_vp_in {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t reserved;
};
/*
 * Get/SetVpRegisters (rep): the header, then rep count elements.
 * Get: each input element is a u32 register name (HV_X64_REGISTER_*),
 * each output element a 16-byte value. Set: each element is a struct hv_register_assoc. A name
 * Raum does not know, or a value no CPU accepts (a reserved bit of CR0,
 * CR4, EFER, RFLAGS, DR6 / DR7, a PAT entry that is no memory type, a
 * non-canonical address) ends the call with INVALID_PARAMETER at that
 * element; the elements before it took effect. The rules that tie
 * registers together (paging needs protected mode, long mode needs PAE,
 * the segments of the mode) are checked before each entry instead
 * (DispatchVp: INVALID_VP_STATE and the rule, nothing entered), so the
 * order of the elements does not matter. Not while the VP is dispatched.
 * input_vtl must be 0.
 */
struct hv_vp_registers_hdr {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t input_vtl;
	uint8_t reserved[3];
};
struct hv_register_value {
	uint64_t low, high; /* segments: base@0, limit u32@8, selector u16@12, attributes u16@14 */
};
struct hv_register_assoc {
	uint32_t name;
	uint32_t reserved1;
	uint64_t reserved2;
	struct hv_register_value value;
};
/* Register names (TLFS HV_REGISTER_NAME; Linux's hvgdk_mini.h spells them so). */
#define HV_X64_REGISTER_RAX 0x00020000 /* RAX .. R15: 0x00020000 + the x86 register number */
#define HV_X64_REGISTER_R15 0x0002000f
#define HV_X64_REGISTER_RIP 0x00020010
#define HV_X64_REGISTER_RFLAGS 0x00020011
#define HV_X64_REGISTER_XMM0 0x00030000 /* XMM0 .. XMM15: 0x00030000 + n, 128-bit values */
#define HV_X64_REGISTER_XMM15 0x0003000f
/* ST0 .. ST7 (MM0 .. MM7): 0x00030010 + n, the 80-bit register in bits 79:0 */
#define HV_X64_REGISTER_FP_MMX0 0x00030010
#define HV_X64_REGISTER_FP_MMX7 0x00030017
/*
 * The x87 control and status (TLFS HV_X64_FP_CONTROL_STATUS_REGISTER):
 * low bits 15:0 FCW, 31:16 FSW, 39:32 the abridged tag word (FXSAVE's: a
 * bit per register, 1 = valid), 47:40 reserved (0), 58:48 FOP (63:59
 * reserved, 0); high: the last instruction's RIP (FXSAVE64's FIP).
 */
#define HV_X64_REGISTER_FP_CONTROL_STATUS 0x00030018
/*
 * SSE control and status (TLFS HV_X64_XMM_CONTROL_STATUS_REGISTER): low the
 * last data pointer (FXSAVE64's FDP); high bits 31:0 MXCSR, 63:32
 * MXCSR_MASK (read only: the CPU's; a set keeps it). A set of MXCSR with
 * a bit outside the mask is INVALID_PARAMETER (FXRSTOR would fault).
 */
#define HV_X64_REGISTER_XMM_CONTROL_STATUS 0x00030019
#define HV_X64_REGISTER_CR0 0x00040000
#define HV_X64_REGISTER_CR2 0x00040001
#define HV_X64_REGISTER_CR3 0x00040002
#define HV_X64_REGISTER_CR4 0x00040003
#define HV_X64_REGISTER_CR8 0x00040004 /* the task priority, bits 3:0 (a child's is its own: never the APIC's) */
#define HV_X64_REGISTER_DR0 0x00050000 /* DR0 .. DR3: 0x00050000 + n */
#define HV_X64_REGISTER_DR3 0x00050003
#define HV_X64_REGISTER_DR6 0x00050004
#define HV_X64_REGISTER_DR7 0x00050005
#define HV_X64_REGISTER_ES 0x00060000 /* ES CS SS DS FS GS LDTR TR: 0x00060000 .. 0x00060007 */
#define HV_X64_REGISTER_CS 0x00060001
#define HV_X64_REGISTER_SS 0x00060002
#define HV_X64_REGISTER_DS 0x00060003
#define HV_X64_REGISTER_FS 0x00060004
#define HV_X64_REGISTER_GS 0x00060005
#define HV_X64_REGISTER_LDTR 0x00060006
#define HV_X64_REGISTER_TR 0x00060007
#define HV_X64_REGISTER_IDTR 0x00070000 /* table registers: limit u16@8, base@0 */
#define HV_X64_REGISTER_GDTR 0x00070001
#define HV_X64_REGISTER_TSC 0x00080000
#define HV_X64_REGISTER_EFER 0x00080001
#define HV_X64_REGISTER_KERNEL_GS_BASE 0x00080002
#define HV_X64_REGISTER_APIC_BASE 0x00080003
#define HV_X64_REGISTER_PAT 0x00080004
#define HV_X64_REGISTER_SYSENTER_CS 0x00080005
#define HV_X64_REGISTER_SYSENTER_EIP 0x00080006
#define HV_X64_REGISTER_SYSENTER_ESP 0x00080007
#define HV_X64_REGISTER_STAR 0x00080008
#define HV_X64_REGISTER_LSTAR 0x00080009
#define HV_X64_REGISTER_CSTAR 0x0008000a
#define HV_X64_REGISTER_SFMASK 0x0008000b
#define HV_X64_REGISTER_TSC_AUX 0x0008007b /* bits 31:0 (RDTSCP's ECX, RDPID): the child's own */
/*
 * An event for the VP's next entry (TLFS HV_X64_PENDING_INTERRUPTION_REGISTER):
 * bit 0 pending, bits 3:1 type (0 external interrupt, 2 NMI, 3 exception),
 * bit 4 deliver the error code, bits 31:16 the vector, 63:32 the error code.
 * An external interrupt waits in the VP until it can take it (RFLAGS.IF set,
 * no STI / MOV SS shadow: AMD's virtual interrupt, V_IRQ); NMIs and
 * exceptions go in at the next entry. Reading it shows what is still
 * pending. Vectors 0-31 are exceptions only; 2 is the NMI's.
 */
#define HV_X64_REGISTER_PENDING_INTERRUPTION 0x00010002
#define HV_X64_PENDING_INTERRUPT 0
#define HV_X64_PENDING_NMI 2
#define HV_X64_PENDING_EXCEPTION 3
/* Read only: bit 0 an STI / MOV SS shadow is in effect, bit 1 NMIs are blocked. */
#define HV_X64_REGISTER_INTERRUPT_STATE 0x00010003
/* Raum's names (a range the TLFS leaves free): the VP's XCR0. */
#define RAUM_REGISTER_XCR0 0x40000000

/*
 * InstallIntercept (TLFS 2.0 HvInstallIntercept, root only): exits of an
 * active child the root handles. Types: CPUID (parameter: the leaf; its
 * exit RAUM_VPEXIT_CPUID, completed by setting RAX..RDX and dispatching
 * with COMPLETE) and MSR (parameter: the index, access_type read 1 / write 2;
 * RAUM_VPEXIT_MSR, a read completed with the value in 'data') and
 * EXCEPTION (parameter: the vector; access_type any non-zero mask;
 * RAUM_VPEXIT_EXCEPTION before the CPU delivers it: RIP at the faulting
 * instruction, nothing delivered; the root fixes the state, or sets
 * PENDING_INTERRUPTION to deliver it, and dispatches again). Exceptions
 * that can be intercepted: RAUM_INTERCEPT_EXCEPTIONS (faults and #DB;
 * not #NMI, #BP, #OF (software: their RIP semantics differ), #DF, #MC, or
 * reserved vectors). Port I/O always exits (type IO_PORT accepted,
 * nothing to install). At most RAUM_MAX_INTERCEPTS CPUID leaves and MSRs
 * per partition (NO_RESOURCES beyond).
 */
#define HVCALL_INSTALL_INTERCEPT 0x004d   /* root only */
#define HV_INTERCEPT_ACCESS_READ 0x1
#define HV_INTERCEPT_ACCESS_WRITE 0x2
#define HV_INTERCEPT_TYPE_X64_IO_PORT 0
#define HV_INTERCEPT_TYPE_X64_MSR 1
#define HV_INTERCEPT_TYPE_X64_CPUID 2
#define HV_INTERCEPT_TYPE_EXCEPTION 3
/* #DE #DB #BR #UD #NM #TS #NP #SS #GP #PF #MF #AC #XM */
#define RAUM_INTERCEPT_EXCEPTIONS 0x000b7ce3u
#define RAUM_MAX_INTERCEPTS 16
struct hv_install_intercept_in {
	uint64_t partition_id;
	uint32_t access_type;
	uint32_t intercept_type;
	uint64_t parameter;
};

/* ---- CPUID (the hypervisor leaves) ------------------------------------ */
#define RAUM_CPUID_VENDOR_LEAF 0x40000000 /* EAX = max leaf, EBX ECX EDX = signature */
#define RAUM_CPUID_SIGNATURE_EBX 0x6d756152 /* "Raum" */
#define RAUM_CPUID_SIGNATURE_ECX 0x6d756152 /* "Raum" */
#define RAUM_CPUID_SIGNATURE_EDX 0x6d756152 /* "Raum" */
#define RAUM_CPUID_VERSION_LEAF 0x40000001 /* EAX = major << 16 | minor, EBX = patch */

/* ---- Raum's calls (0x4000 range) -------------------------------------- */
#define RAUM_CALL_GET_VERSION 0x4001    /* out: struct raum_version */
#define RAUM_CALL_GET_EXIT_STATS 0x4002 /* in: struct raum_stats_in; out: struct raum_exit_stats */
#define RAUM_CALL_LOG_WRITE 0x4003      /* in: struct raum_log_write */
#define RAUM_CALL_LOG_READ 0x4004       /* in: struct raum_log_read_in; out: struct raum_log_read_out */
#define RAUM_CALL_NULL 0x4005           /* fast only, no effect: for measuring the round trip */
#define RAUM_CALL_GET_HEALTH 0x4006     /* out: struct raum_health */

/*
 * DispatchVp (RAUM_CALL_DISPATCH_VP, root only): the calling root VP's CPU
 * runs the child's VP until an intercept the root must handle or the root's
 * own interrupt arrives, then returns (SUCCESS) with struct raum_vp_exit.
 * The root's thread calls it in a loop (docs/partitions.md, "Dispatch").
 * flags: RAUM_DISPATCH_COMPLETE finishes the last intercept first: an IN
 * takes 'data' into AL / AX / EAX, an RDMSR into EDX:EAX, and IN, OUT, HLT,
 * CPUID (RAX..RDX as the root set them) and the MSR accesses step over their
 * instruction (INVALID_PARAMETER when nothing is pending). Refused:
 * INVALID_VP_INDEX (no such VP), INVALID_VP_STATE (being dispatched on
 * another CPU, stopped after a triple fault or a failed entry, or a state
 * the CPU would refuse: the exit's 'why' then names the rule).
 */
#define RAUM_CALL_DISPATCH_VP 0x4007    /* in: struct raum_dispatch_in; out: struct raum_vp_exit */
#define RAUM_DISPATCH_COMPLETE 0x1
struct raum_dispatch_in {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t flags;
	uint64_t data;
	uint64_t reserved;              /* must be 0 */
};
enum raum_vp_exit_kind {
	RAUM_VPEXIT_NONE = 0,
	RAUM_VPEXIT_INTERRUPTED,        /* the root's interrupt or NMI arrived, or (VT-x) the time slice ended: dispatch again */
	RAUM_VPEXIT_IO,                 /* port, size, flags (WRITE, STRING, REP), data (OUT) */
	RAUM_VPEXIT_MEMORY,             /* an access to a GPA not mapped (or not so): gpa, flags (WRITE, EXECUTE) */
	RAUM_VPEXIT_HLT,                /* HLT: complete steps over it */
	RAUM_VPEXIT_SHUTDOWN,           /* triple fault: the VP is stopped, its state readable */
	RAUM_VPEXIT_FAILED,             /* Raum cannot run it on (why): stopped, state readable; with
					 * RAUM_VPEXIT_F_REFUSED nothing ran and it is not stopped */
	RAUM_VPEXIT_CPUID,              /* an installed CPUID intercept: index the leaf, data the subleaf */
	RAUM_VPEXIT_MSR,                /* an installed MSR intercept: index, flags WRITE, data the value written */
	RAUM_VPEXIT_EXCEPTION,          /* an installed exception intercept: index the vector, error_code
					 * (F_ERROR_CODE), address (#PF: the linear address, CR2 not written) */
	RAUM_VPEXIT_KINDS
};
#define RAUM_VPEXIT_F_WRITE 0x1
#define RAUM_VPEXIT_F_STRING 0x2         /* INS / OUTS: not completed by Raum */
#define RAUM_VPEXIT_F_REP 0x4
#define RAUM_VPEXIT_F_EXECUTE 0x8
#define RAUM_VPEXIT_F_REFUSED 0x10       /* FAILED before entry: a register breaks an entry rule (why); fix and retry */
#define RAUM_VPEXIT_F_ERROR_CODE 0x20    /* EXCEPTION: error_code is the one the CPU would push */
struct raum_vp_exit {
	uint32_t kind;                  /* enum raum_vp_exit_kind */
	uint32_t flags;                 /* RAUM_VPEXIT_F_* */
	uint64_t rip;                   /* of the intercepted instruction */
	uint64_t rflags;
	uint64_t gpa;                   /* MEMORY */
	uint64_t data;                  /* IO, OUT: the value written */
	uint16_t port;                  /* IO */
	uint8_t size;                   /* IO: 1, 2 or 4 */
	uint8_t mode;                   /* the code size at rip: 16, 32 or 64 */
	uint32_t index;                 /* CPUID: the leaf; MSR: its index */
	uint64_t exits;                 /* exits of this VP Raum handled itself during this dispatch */
	uint64_t address;               /* EXCEPTION #PF: the linear address */
	uint32_t error_code;            /* EXCEPTION with F_ERROR_CODE */
	/*
	 * MEMORY, IO, EXCEPTION: the bytes at CS:RIP as Raum read them through
	 * the child's page tables and its GPA map (insn_len of them: fewer than
	 * 15 where a page is not readable, 0 when none is), so that the root
	 * can emulate the access without reading the child's memory itself.
	 */
	uint8_t insn_len;
	uint8_t reserved[3];
	uint8_t insn[16];
	char why[64];                   /* FAILED, SHUTDOWN: what happened, NUL-terminated */
};
struct raum_version {
	uint32_t major, minor, patch;
	uint32_t vendor;    /* 1 = Intel VT-x, 2 = AMD-V */
	uint64_t features;  /* optional-feature bits: none are defined yet (0) */
	char build[32];     /* NUL-terminated build date */
};

/* Exit reasons counted per VP, the same for both vendors. */
enum raum_exit_reason {
	RAUM_EXIT_CPUID = 0,
	RAUM_EXIT_MSR_READ,
	RAUM_EXIT_MSR_WRITE,
	RAUM_EXIT_HYPERCALL,
	RAUM_EXIT_SVM_INSN,     /* VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA */
	RAUM_EXIT_VMX_INSN,     /* VMXON, VMCLEAR, ... */
	RAUM_EXIT_NPF,          /* nested / EPT page fault */
	RAUM_EXIT_HV_MEMORY,    /* of those, accesses to hypervisor memory refused */
	RAUM_EXIT_IO,
	RAUM_EXIT_NMI,
	RAUM_EXIT_INTR,
	RAUM_EXIT_HLT,
	RAUM_EXIT_CR_ACCESS,
	RAUM_EXIT_XSETBV,
	RAUM_EXIT_INIT_SIPI,
	RAUM_EXIT_SHUTDOWN,
	RAUM_EXIT_OTHER,
	RAUM_EXIT_REASONS       /* count */
};

struct raum_stats_in {
	uint32_t vp_index;
	uint32_t reserved;
};

struct raum_exit_stats {
	uint32_t vp_index;
	uint32_t nr_reasons;    /* RAUM_EXIT_REASONS */
	uint64_t total;
	uint64_t count[RAUM_EXIT_REASONS];
};

#define RAUM_LOG_TEXT_MAX 240
struct raum_log_write {
	uint32_t level;         /* 0 error .. 3 debug */
	uint32_t len;           /* bytes of text, at most RAUM_LOG_TEXT_MAX */
	char text[RAUM_LOG_TEXT_MAX];
};

struct raum_log_read_in {
	uint64_t seq;           /* where to read from: 0 for the oldest byte held */
	uint32_t max;           /* at most RAUM_LOG_READ_MAX */
	uint32_t reserved;
};

#define RAUM_LOG_READ_MAX 4000
struct raum_log_read_out {
	uint64_t next_seq;      /* pass back as seq for the next read */
	uint64_t lost;          /* bytes overwritten before they were read */
	uint32_t len;           /* bytes in data */
	uint32_t reserved;
	char data[RAUM_LOG_READ_MAX];
};

/*
 * Raum's own integrity as seen from the root: a canary page inside Raum's
 * memory that Raum checks on every call, and counters of the hostile acts
 * Raum refused. The hostile-root test suite reads it after each attack.
 */
/*
 * Byte i (0-4095) of Raum's canary page: a pattern no zeroing, all-ones
 * write or stray copy of a neighbour produces. Public so that a root-side
 * test can tell Raum's data when a read it attempted returns some.
 */
static inline uint8_t raum_canary_byte(uint64_t i) { return (uint8_t)(0xa5 ^ (i * 131) ^ (i >> 8)); }

struct raum_health {
	uint64_t canary_phys;       /* host-physical address of the canary page (Raum's memory) */
	uint32_t canary_ok;         /* 1: every byte of the canary still holds its pattern */
	uint32_t reserved;
	uint64_t msr_denied;        /* MSR accesses the policy refused with #GP (all VPs) */
	uint32_t last_denied_msr;   /* index of the latest refused MSR */
	uint32_t last_denied_write; /* 1: the latest refusal was a write */
	uint64_t buffers_refused;   /* hypercall blocks refused because they are not RAM */
	uint64_t fixups;            /* instructions Raum ran for the root that faulted (the root got #GP) */
	uint64_t invd;              /* INVD by the root, done as WBINVD */
	uint64_t mtrr_writes;       /* MTRR writes kept in the root's shadow MTRRs */
	/* the IOMMU (docs/iommu.md) */
	uint64_t neighbour_phys;    /* a root page right after Raum's region (reserved in the root's memory map):
	                               device DMA into it succeeds, one page lower it is blocked; 0: none */
	uint32_t iommu;             /* DMA remapping: 0 not active, 1 Intel VT-d, 2 AMD-Vi */
	uint32_t iommu_units;       /* units Raum programmed */
	uint64_t dma_faults;        /* blocked DMAs the units recorded (polled by this call and on exits) */
	uint64_t dma_fault_overflows; /* times a unit's fault log overflowed (records lost) */
	uint64_t pci_refused;       /* PCI configuration accesses refused: to a hidden function, a write to a
	                               locked host-bridge register, a straddling or string access to 0xCF8-0xCFF */
};

/* Compile-time layout checks: the ABI must not drift. */
#define HV_ABI_ASSERT(c, m) _Static_assert(c, m)
HV_ABI_ASSERT(sizeof(struct raum_version) == 56, "raum_version");
HV_ABI_ASSERT(sizeof(struct raum_exit_stats) == 16 + 8 * RAUM_EXIT_REASONS, "raum_exit_stats");
HV_ABI_ASSERT(sizeof(struct raum_stats_in) == 8, "raum_stats_in");
HV_ABI_ASSERT(sizeof(struct raum_log_write) == 248, "raum_log_write");
HV_ABI_ASSERT(sizeof(struct raum_log_read_in) == 16, "raum_log_read_in");
HV_ABI_ASSERT(sizeof(struct raum_log_read_out) == 4024, "raum_log_read_out");
HV_ABI_ASSERT(sizeof(struct raum_health) == 104, "raum_health");
HV_ABI_ASSERT(sizeof(struct hv_deposit_memory) == 8, "hv_deposit_memory");
HV_ABI_ASSERT(sizeof(struct hv_create_partition_in) == 56, "hv_create_partition_in");
HV_ABI_ASSERT(__builtin_offsetof(struct hv_create_partition_in, isolation_properties) == 48, "isolation_properties");
HV_ABI_ASSERT(sizeof(struct hv_get_next_child_in) == 16, "hv_get_next_child_in");
HV_ABI_ASSERT(sizeof(struct hv_map_gpa_pages) == 24, "hv_map_gpa_pages");
HV_ABI_ASSERT(sizeof(struct hv_get_partition_property_in) == 16, "hv_get_partition_property_in");
HV_ABI_ASSERT(sizeof(struct hv_set_partition_property_in) == 24, "hv_set_partition_property_in");
HV_ABI_ASSERT(sizeof(struct hv_unmap_gpa_pages) == 24, "hv_unmap_gpa_pages");
HV_ABI_ASSERT(sizeof(struct hv_withdraw_memory_in) == 16, "hv_withdraw_memory_in");
HV_ABI_ASSERT(sizeof(struct hv_get_memory_balance_in) == 16, "hv_get_memory_balance_in");
HV_ABI_ASSERT(sizeof(struct hv_memory_balance) == 16, "hv_memory_balance");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_health, pci_refused) == 96, "raum_health.pci_refused");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_health, neighbour_phys) == 64, "raum_health.neighbour_phys");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_health, dma_faults) == 80, "raum_health.dma_faults");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_health, msr_denied) == 16, "raum_health.msr_denied");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_health, mtrr_writes) == 56, "raum_health.mtrr_writes");

HV_ABI_ASSERT(sizeof(struct hv_create_vp_in) == 24, "hv_create_vp_in");
HV_ABI_ASSERT(sizeof(struct hv_delete_vp_in) == 16, "hv_delete_vp_in");
HV_ABI_ASSERT(sizeof(struct hv_vp_registers_hdr) == 16, "hv_vp_registers_hdr");
HV_ABI_ASSERT(sizeof(struct hv_register_assoc) == 32, "hv_register_assoc");
HV_ABI_ASSERT(__builtin_offsetof(struct hv_register_assoc, value) == 16, "hv_register_assoc.value");
HV_ABI_ASSERT(sizeof(struct raum_dispatch_in) == 32, "raum_dispatch_in");
HV_ABI_ASSERT(sizeof(struct hv_install_intercept_in) == 24, "hv_install_intercept_in");
HV_ABI_ASSERT(sizeof(struct raum_vp_exit) == 152, "raum_vp_exit");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_vp_exit, address) == 56, "raum_vp_exit.address");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_vp_exit, insn) == 72, "raum_vp_exit.insn");
HV_ABI_ASSERT(__builtin_offsetof(struct raum_vp_exit, why) == 88, "raum_vp_exit.why");

#endif
