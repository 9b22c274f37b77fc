// SPDX-License-Identifier: MIT
/*
 * kernel/decode.c: the x86 decoder used to emulate refused guest memory
 * accesses. Every expected length below was checked against objdump
 * (-m i386:x86-64, -m i386, -m i8086) on the same bytes.
 *
 * Each successful decode is repeated from an exactly sized heap buffer (so
 * ASan catches a read past the end), with trailing junk (which must not
 * change the result), and cut at every shorter length (which must give
 * -RAUM_ERANGE).
 */
#include "unit.h"

#include <raum/decode.h>

#define LOAD X86_OP_LOAD
#define LOAD_ZX X86_OP_LOAD_ZX
#define LOAD_SX X86_OP_LOAD_SX
#define STORE X86_OP_STORE
#define STORE_IMM X86_OP_STORE_IMM

/* Expected decode: length, op, size, dst_size, reg, high8, imm. */
#define INSN(l, o, s, d, r, h, i) \
	((struct x86_insn){ .len = (l), .op = (o), .size = (s), .dst_size = (d), \
			    .reg = (r), .high8 = (h), .imm = (i) })

#define BYTES(...) (const u8[]){ __VA_ARGS__ }, sizeof((const u8[]){ __VA_ARGS__ })

static int decode_exact(const u8 *b, size_t n, int mode, struct x86_insn *out)
{
	/* an exactly sized copy: ASan reports any read beyond b[n - 1] */
	u8 *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	if (n)
		memcpy(copy, b, n);
	rc = x86_decode(copy, n, mode, out);
	free(copy);
	return rc;
}

static void dec_ok_at(int line, int mode, const u8 *b, size_t n, struct x86_insn want)
{
	struct x86_insn got;
	u8 padded[64];
	int rc;

	memset(&got, 0xa5, sizeof(got));
	rc = decode_exact(b, n, mode, &got);
	if (rc != 0)
		fail_msg("line %d: mode %d: rc %d, want 0", line, mode, rc);
	if (got.len != want.len || got.op != want.op || got.size != want.size ||
	    got.dst_size != want.dst_size || got.reg != want.reg || got.high8 != want.high8 ||
	    got.imm != want.imm)
		fail_msg("line %d: mode %d: got len %u op %u size %u dst %u reg %u high8 %d imm %#llx, "
			 "want len %u op %u size %u dst %u reg %u high8 %d imm %#llx",
			 line, mode, got.len, got.op, got.size, got.dst_size, got.reg, got.high8,
			 (unsigned long long)got.imm, want.len, want.op, want.size, want.dst_size,
			 want.reg, want.high8, (unsigned long long)want.imm);
	if (want.len != n)
		fail_msg("line %d: test bytes (%zu) are not exactly one instruction (%u)", line, n,
			 want.len);

	/* bytes after the instruction do not matter */
	assert_true(n + 16 <= sizeof(padded));
	memcpy(padded, b, n);
	memset(padded + n, 0x8b, 16);
	struct x86_insn again;
	rc = decode_exact(padded, n + 16, mode, &again);
	if (rc != 0 || again.len != got.len || again.imm != got.imm || again.reg != got.reg ||
	    again.size != got.size || again.dst_size != got.dst_size || again.op != got.op ||
	    again.high8 != got.high8)
		fail_msg("line %d: trailing bytes changed the result (rc %d)", line, rc);

	/* every cut point runs out of bytes */
	for (size_t cut = 0; cut < n; cut++) {
		rc = decode_exact(b, cut, mode, &again);
		if (rc != -RAUM_ERANGE)
			fail_msg("line %d: cut at %zu of %zu: rc %d, want -RAUM_ERANGE", line, cut, n, rc);
	}
}
#define DEC_OK(mode, want, ...) dec_ok_at(__LINE__, mode, BYTES(__VA_ARGS__), want)

static void dec_err_at(int line, int mode, const u8 *b, size_t n, int want)
{
	struct x86_insn got;
	int rc = decode_exact(b, n, mode, &got);

	if (rc != want)
		fail_msg("line %d: mode %d: rc %d, want %d", line, mode, rc, want);
}
#define DEC_ERR(mode, want, ...) dec_err_at(__LINE__, mode, BYTES(__VA_ARGS__), want)
#define DEC_INVAL(mode, ...) DEC_ERR(mode, -RAUM_EINVAL, __VA_ARGS__)

#define D32 0x78, 0x56, 0x34, 0x12 /* a disp32 / imm32 */
#define D16 0x34, 0x12             /* a disp16 / imm16 */
#define M64 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 /* moffs64 */

static void test_mov_reg_forms_64(void **state)
{
	(void)state;
	/* mov [rax],ecx / rcx / cx / cl */
	DEC_OK(64, INSN(2, STORE, 4, 4, GPR_RCX, false, 0), 0x89, 0x08);
	DEC_OK(64, INSN(3, STORE, 8, 8, GPR_RCX, false, 0), 0x48, 0x89, 0x08);
	DEC_OK(64, INSN(3, STORE, 2, 2, GPR_RCX, false, 0), 0x66, 0x89, 0x08);
	DEC_OK(64, INSN(2, STORE, 1, 1, GPR_RCX, false, 0), 0x88, 0x08);
	/* mov [rax],ah / spl / r12b */
	DEC_OK(64, INSN(2, STORE, 1, 1, 4, true, 0), 0x88, 0x20);
	DEC_OK(64, INSN(3, STORE, 1, 1, GPR_RSP, false, 0), 0x40, 0x88, 0x20);
	DEC_OK(64, INSN(3, STORE, 1, 1, GPR_R12, false, 0), 0x44, 0x88, 0x20);
	/* mov eax,[rip+disp32]; mov r15,[rip+disp32] */
	DEC_OK(64, INSN(6, LOAD, 4, 4, GPR_RAX, false, 0), 0x8b, 0x05, D32);
	DEC_OK(64, INSN(7, LOAD, 8, 8, GPR_R15, false, 0), 0x4c, 0x8b, 0x3d, D32);
	/* mov bh,[rsp]; mov dil,[r12]; mov r15b,[r13+0] */
	DEC_OK(64, INSN(3, LOAD, 1, 1, 7, true, 0), 0x8a, 0x3c, 0x24);
	DEC_OK(64, INSN(4, LOAD, 1, 1, GPR_RDI, false, 0), 0x41, 0x8a, 0x3c, 0x24);
	DEC_OK(64, INSN(4, LOAD, 1, 1, GPR_R15, false, 0), 0x45, 0x8a, 0x7d, 0x00);
	/* mov ax,[rbx+rsi*4+0x10]; mov rdx,[rsp+disp32] */
	DEC_OK(64, INSN(5, LOAD, 2, 2, GPR_RAX, false, 0), 0x66, 0x8b, 0x44, 0xb3, 0x10);
	DEC_OK(64, INSN(8, LOAD, 8, 8, GPR_RDX, false, 0), 0x48, 0x8b, 0x94, 0x24, D32);
	/* mov eax,[r12*1+disp32] (REX.X index, SIB base 101 with mod 00) */
	DEC_OK(64, INSN(8, LOAD, 4, 4, GPR_RAX, false, 0), 0x42, 0x8b, 0x04, 0x25, D32);
}

static void test_mov_reg_forms_32_16(void **state)
{
	(void)state;
	/* 32-bit: mov [eax],ecx / cx / dh; mov ecx,[disp32]; addr16 mov ecx,[0x1234] */
	DEC_OK(32, INSN(2, STORE, 4, 4, GPR_RCX, false, 0), 0x89, 0x08);
	DEC_OK(32, INSN(3, STORE, 2, 2, GPR_RCX, false, 0), 0x66, 0x89, 0x08);
	DEC_OK(32, INSN(2, STORE, 1, 1, 6, true, 0), 0x88, 0x30);
	DEC_OK(32, INSN(6, LOAD, 4, 4, GPR_RCX, false, 0), 0x8b, 0x0d, D32);
	DEC_OK(32, INSN(5, LOAD, 4, 4, GPR_RCX, false, 0), 0x67, 0x8b, 0x0e, D16);
	DEC_OK(32, INSN(3, LOAD, 1, 1, GPR_RBX, false, 0), 0x8a, 0x1c, 0x24);

	/* 16-bit: mov [bx+si],cx / ecx; mov cx,[0x1234]; addr32 mov cx,[disp32] */
	DEC_OK(16, INSN(2, STORE, 2, 2, GPR_RCX, false, 0), 0x89, 0x08);
	DEC_OK(16, INSN(3, STORE, 4, 4, GPR_RCX, false, 0), 0x66, 0x89, 0x08);
	DEC_OK(16, INSN(4, LOAD, 2, 2, GPR_RCX, false, 0), 0x8b, 0x0e, D16);
	DEC_OK(16, INSN(7, LOAD, 2, 2, GPR_RCX, false, 0), 0x67, 0x8b, 0x0d, D32);
	/* mov ax,[bx+0x10]; mov ax,[bx+0x1234]; mov [0x1234],ah; mov bh,[si] */
	DEC_OK(16, INSN(3, LOAD, 2, 2, GPR_RAX, false, 0), 0x8b, 0x47, 0x10);
	DEC_OK(16, INSN(4, LOAD, 2, 2, GPR_RAX, false, 0), 0x8b, 0x87, D16);
	DEC_OK(16, INSN(4, STORE, 1, 1, 4, true, 0), 0x88, 0x26, D16);
	DEC_OK(16, INSN(2, LOAD, 1, 1, 7, true, 0), 0x8a, 0x3c);
}

static void test_mov_imm(void **state)
{
	(void)state;
	/* mov byte [rax],0x7f; mov byte [rip+disp32],0xff */
	DEC_OK(64, INSN(3, STORE_IMM, 1, 1, 0, false, 0x7f), 0xc6, 0x00, 0x7f);
	DEC_OK(64, INSN(7, STORE_IMM, 1, 1, 0, false, 0xff), 0xc6, 0x05, D32, 0xff);
	/* mov dword [rax],0x12345678; mov word [rax],0x1234 */
	DEC_OK(64, INSN(6, STORE_IMM, 4, 4, 0, false, 0x12345678), 0xc7, 0x00, D32);
	DEC_OK(64, INSN(5, STORE_IMM, 2, 2, 0, false, 0x1234), 0x66, 0xc7, 0x00, D16);
	/* REX.W: imm32 sign-extended to 64 bits */
	DEC_OK(64, INSN(7, STORE_IMM, 8, 8, 0, false, 0xffffffffffffffffULL),
	       0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff);
	DEC_OK(64, INSN(7, STORE_IMM, 8, 8, 0, false, 0xffffffff80000000ULL),
	       0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80);
	DEC_OK(64, INSN(7, STORE_IMM, 8, 8, 0, false, 0x7fffffff),
	       0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f);
	/* REX.W beats 66: still imm32 */
	DEC_OK(64, INSN(8, STORE_IMM, 8, 8, 0, false, 0x12345678), 0x66, 0x48, 0xc7, 0x00, D32);
	/* mov qword [rsp+disp32],imm32; mov qword [r12+8],imm32 */
	DEC_OK(64, INSN(12, STORE_IMM, 8, 8, 0, false, 0x12345678),
	       0x48, 0xc7, 0x84, 0x24, D32, D32);
	DEC_OK(64, INSN(9, STORE_IMM, 8, 8, 0, false, 0xffffffff87654321ULL),
	       0x49, 0xc7, 0x44, 0x24, 0x08, 0x21, 0x43, 0x65, 0x87);
	/* REX.R on C6 does not matter: reg is 0 in the result */
	DEC_OK(64, INSN(4, STORE_IMM, 1, 1, 0, false, 0x80), 0x44, 0xc6, 0x00, 0x80);

	/* 32-bit: imm32, 66 imm16, addr16 mov dword [0x1234],imm32 */
	DEC_OK(32, INSN(6, STORE_IMM, 4, 4, 0, false, 0x12345678), 0xc7, 0x00, D32);
	DEC_OK(32, INSN(5, STORE_IMM, 2, 2, 0, false, 0x1234), 0x66, 0xc7, 0x00, D16);
	DEC_OK(32, INSN(9, STORE_IMM, 4, 4, 0, false, 0x12345678), 0x67, 0xc7, 0x06, D16, D32);
	DEC_OK(32, INSN(4, STORE_IMM, 1, 1, 0, false, 0x80), 0xc6, 0x45, 0xfc, 0x80);

	/* 16-bit: imm16, 66 imm32, mov word [0x1234],imm16 */
	DEC_OK(16, INSN(4, STORE_IMM, 2, 2, 0, false, 0x1234), 0xc7, 0x00, D16);
	DEC_OK(16, INSN(7, STORE_IMM, 4, 4, 0, false, 0x12345678), 0x66, 0xc7, 0x00, D32);
	DEC_OK(16, INSN(6, STORE_IMM, 2, 2, 0, false, 0xabcd), 0xc7, 0x06, D16, 0xcd, 0xab);
	DEC_OK(16, INSN(3, STORE_IMM, 1, 1, 0, false, 0x01), 0xc6, 0x07, 0x01);

	/* reg field != 0: not MOV */
	for (u8 r = 1; r < 8; r++) {
		DEC_INVAL(64, 0xc6, (u8)(r << 3), 0x01);
		DEC_INVAL(64, 0xc7, (u8)(r << 3), D32);
		DEC_INVAL(32, 0xc7, (u8)(0x40 | r << 3), 0x00, D32);
		DEC_INVAL(16, 0xc7, (u8)(r << 3), D16);
	}
	/* register destination; XABORT (C6 F8) and XBEGIN (C7 F8) */
	DEC_INVAL(64, 0xc6, 0xc0, 0x01);
	DEC_INVAL(64, 0x48, 0xc7, 0xc0, D32);
	DEC_INVAL(64, 0xc6, 0xf8, 0x01);
	DEC_INVAL(64, 0xc7, 0xf8, D32);
}

static void test_movzx_movsx(void **state)
{
	(void)state;
	/* movzx eax,byte [rax]; movzx rax,byte [rax]; movzx ax,byte [rax] */
	DEC_OK(64, INSN(3, LOAD_ZX, 1, 4, GPR_RAX, false, 0), 0x0f, 0xb6, 0x00);
	DEC_OK(64, INSN(4, LOAD_ZX, 1, 8, GPR_RAX, false, 0), 0x48, 0x0f, 0xb6, 0x00);
	DEC_OK(64, INSN(4, LOAD_ZX, 1, 2, GPR_RAX, false, 0), 0x66, 0x0f, 0xb6, 0x00);
	/* movzx ecx,word [rax]; movzx r9,word [rip+disp32] */
	DEC_OK(64, INSN(3, LOAD_ZX, 2, 4, GPR_RCX, false, 0), 0x0f, 0xb7, 0x08);
	DEC_OK(64, INSN(8, LOAD_ZX, 2, 8, GPR_R9, false, 0), 0x4c, 0x0f, 0xb7, 0x0d, D32);
	/* movsx r15,word [rax]; movsx esp,byte [rax] (wide destination: never AH) */
	DEC_OK(64, INSN(4, LOAD_SX, 2, 8, GPR_R15, false, 0), 0x4c, 0x0f, 0xbf, 0x38);
	DEC_OK(64, INSN(3, LOAD_SX, 1, 4, GPR_RSP, false, 0), 0x0f, 0xbe, 0x20);
	DEC_OK(64, INSN(5, LOAD_SX, 1, 2, GPR_RDI, false, 0), 0x66, 0x0f, 0xbe, 0x3c, 0x24);
	/* movsx cx,word [rax] (66 0F BF) */
	DEC_OK(64, INSN(4, LOAD_SX, 2, 2, GPR_RCX, false, 0), 0x66, 0x0f, 0xbf, 0x08);

	DEC_OK(32, INSN(3, LOAD_ZX, 1, 4, GPR_RAX, false, 0), 0x0f, 0xb6, 0x00);
	DEC_OK(32, INSN(4, LOAD_SX, 1, 2, GPR_RAX, false, 0), 0x66, 0x0f, 0xbe, 0x00);
	DEC_OK(32, INSN(7, LOAD_SX, 2, 4, GPR_RDX, false, 0), 0x0f, 0xbf, 0x15, D32);
	DEC_OK(16, INSN(3, LOAD_ZX, 1, 2, GPR_RAX, false, 0), 0x0f, 0xb6, 0x00);
	DEC_OK(16, INSN(4, LOAD_ZX, 2, 4, GPR_RAX, false, 0), 0x66, 0x0f, 0xb7, 0x00);
	DEC_OK(16, INSN(5, LOAD_SX, 1, 2, GPR_RBX, false, 0), 0x0f, 0xbe, 0x1e, D16);

	/* register sources; other two-byte opcodes */
	DEC_INVAL(64, 0x0f, 0xb6, 0xc0);
	DEC_INVAL(64, 0x48, 0x0f, 0xbf, 0xc1);
	DEC_INVAL(64, 0x0f, 0xb8, 0x00);		/* POPCNT without F3 */
	DEC_INVAL(64, 0x0f, 0x10, 0x00);		/* MOVUPS */
	DEC_INVAL(64, 0x0f, 0xc3, 0x00);		/* MOVNTI */
	DEC_INVAL(64, 0x0f, 0xb1, 0x08);		/* CMPXCHG */
	DEC_INVAL(64, 0x0f, 0x0b);			/* UD2 */
	DEC_INVAL(64, 0x0f, 0x48, 0xb6, 0x00);		/* CMOVS, not REX + MOVZX */
}

static void test_movsxd(void **state)
{
	(void)state;
	/* movsxd rax,dword [rax]; movsxd r15,dword [r12] */
	DEC_OK(64, INSN(3, LOAD_SX, 4, 8, GPR_RAX, false, 0), 0x48, 0x63, 0x00);
	DEC_OK(64, INSN(4, LOAD_SX, 4, 8, GPR_R15, false, 0), 0x4d, 0x63, 0x3c, 0x24);
	/* 66 does not matter next to REX.W */
	DEC_OK(64, INSN(4, LOAD_SX, 4, 8, GPR_RAX, false, 0), 0x66, 0x48, 0x63, 0x00);
	DEC_OK(64, INSN(8, LOAD_SX, 4, 8, GPR_RCX, false, 0), 0x67, 0x48, 0x63, 0x0d, D32);

	/* without REX.W, with an ignored REX.W, in 32-bit mode (ARPL), register source */
	DEC_INVAL(64, 0x63, 0x00);
	DEC_INVAL(64, 0x44, 0x63, 0x00);
	DEC_INVAL(64, 0x66, 0x63, 0x00);
	DEC_INVAL(64, 0x48, 0x66, 0x63, 0x00);
	DEC_INVAL(32, 0x63, 0x00);
	DEC_INVAL(16, 0x63, 0x00);
	DEC_INVAL(64, 0x48, 0x63, 0xc0);
}

static void test_moffs(void **state)
{
	(void)state;
	/* 64-bit: moffs64, or moffs32 with 67; the operand size is separate */
	DEC_OK(64, INSN(9, LOAD, 1, 1, GPR_RAX, false, 0), 0xa0, M64);
	DEC_OK(64, INSN(9, LOAD, 4, 4, GPR_RAX, false, 0), 0xa1, M64);
	DEC_OK(64, INSN(10, LOAD, 8, 8, GPR_RAX, false, 0), 0x48, 0xa1, M64);
	DEC_OK(64, INSN(10, LOAD, 2, 2, GPR_RAX, false, 0), 0x66, 0xa1, M64);
	DEC_OK(64, INSN(6, LOAD, 4, 4, GPR_RAX, false, 0), 0x67, 0xa1, D32);
	DEC_OK(64, INSN(9, STORE, 1, 1, GPR_RAX, false, 0), 0xa2, M64);
	DEC_OK(64, INSN(9, STORE, 4, 4, GPR_RAX, false, 0), 0xa3, M64);
	DEC_OK(64, INSN(10, STORE, 8, 8, GPR_RAX, false, 0), 0x48, 0xa3, M64);
	DEC_OK(64, INSN(7, STORE, 8, 8, GPR_RAX, false, 0), 0x67, 0x48, 0xa3, D32);
	DEC_OK(64, INSN(6, STORE, 1, 1, GPR_RAX, false, 0), 0x67, 0xa2, D32);
	/* REX.R / REX.B do not pick another register; AL is never AH */
	DEC_OK(64, INSN(10, LOAD, 1, 1, GPR_RAX, false, 0), 0x45, 0xa0, M64);
	DEC_OK(64, INSN(10, STORE, 4, 4, GPR_RAX, false, 0), 0x44, 0xa3, M64);
	DEC_OK(64, INSN(11, LOAD, 8, 8, GPR_RAX, false, 0), 0x64, 0x4f, 0xa1, M64);

	/* 32-bit: moffs32, moffs16 with 67 */
	DEC_OK(32, INSN(5, LOAD, 4, 4, GPR_RAX, false, 0), 0xa1, D32);
	DEC_OK(32, INSN(4, LOAD, 4, 4, GPR_RAX, false, 0), 0x67, 0xa1, D16);
	DEC_OK(32, INSN(6, STORE, 2, 2, GPR_RAX, false, 0), 0x66, 0xa3, D32);
	DEC_OK(32, INSN(5, STORE, 1, 1, GPR_RAX, false, 0), 0x2e, 0x67, 0xa2, D16);

	/* 16-bit: moffs16, moffs32 with 67 */
	DEC_OK(16, INSN(3, LOAD, 2, 2, GPR_RAX, false, 0), 0xa1, D16);
	DEC_OK(16, INSN(6, LOAD, 2, 2, GPR_RAX, false, 0), 0x67, 0xa1, D32);
	DEC_OK(16, INSN(4, LOAD, 4, 4, GPR_RAX, false, 0), 0x66, 0xa1, D16);
	DEC_OK(16, INSN(3, STORE, 1, 1, GPR_RAX, false, 0), 0xa2, D16);
	DEC_OK(16, INSN(7, STORE, 4, 4, GPR_RAX, false, 0), 0x66, 0x67, 0xa3, D32);
}

static void test_prefix_order_and_repeats(void **state)
{
	(void)state;
	/* repeated 66 */
	DEC_OK(64, INSN(5, STORE, 2, 2, GPR_RCX, false, 0), 0x66, 0x66, 0x66, 0x89, 0x08);
	/* all segment overrides, any order */
	DEC_OK(64, INSN(8, LOAD, 4, 4, GPR_RAX, false, 0),
	       0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x8b, 0x00);
	DEC_OK(64, INSN(8, LOAD, 4, 4, GPR_RAX, false, 0),
	       0x65, 0x64, 0x3e, 0x36, 0x2e, 0x26, 0x8b, 0x00);
	DEC_OK(64, INSN(5, STORE, 2, 2, GPR_RCX, false, 0), 0x2e, 0x66, 0x3e, 0x89, 0x08);
	/* 66 and 67 in both orders, and repeated */
	DEC_OK(64, INSN(7, LOAD, 2, 2, GPR_RAX, false, 0), 0x66, 0x67, 0xa1, D32);
	DEC_OK(64, INSN(7, LOAD, 2, 2, GPR_RAX, false, 0), 0x67, 0x66, 0xa1, D32);
	DEC_OK(64, INSN(7, LOAD, 4, 4, GPR_RAX, false, 0), 0x67, 0x67, 0xa1, D32);
	DEC_OK(64, INSN(4, STORE, 8, 8, GPR_RCX, false, 0), 0x66, 0x48, 0x89, 0x08);
	/* 16-bit mode, 66 + 67: 32-bit operand and addressing */
	DEC_OK(16, INSN(8, LOAD, 4, 4, GPR_RAX, false, 0), 0x66, 0x67, 0x8b, 0x05, D32);
	DEC_OK(16, INSN(8, LOAD, 4, 4, GPR_RAX, false, 0), 0x67, 0x66, 0x8b, 0x05, D32);
	DEC_OK(16, INSN(9, LOAD, 4, 4, GPR_RAX, false, 0), 0x67, 0x66, 0x67, 0x8b, 0x05, D32);
	/* 32-bit mode, 66 + 67: 16-bit operand and addressing */
	DEC_OK(32, INSN(6, LOAD, 2, 2, GPR_RAX, false, 0), 0x67, 0x66, 0x8b, 0x06, D16);
	DEC_OK(32, INSN(7, LOAD, 2, 2, GPR_RAX, false, 0), 0x3e, 0x66, 0x67, 0x8b, 0x06, D16);
	DEC_OK(32, INSN(7, STORE_IMM, 2, 2, 0, false, 0x1234), 0x36, 0x66, 0x67, 0xc7, 0x07, D16);
}

static void test_rex_rules(void **state)
{
	(void)state;
	/* REX followed by a legacy prefix is ignored */
	DEC_OK(64, INSN(4, STORE, 2, 2, GPR_RCX, false, 0), 0x48, 0x66, 0x89, 0x08);
	DEC_OK(64, INSN(4, STORE, 4, 4, GPR_RCX, false, 0), 0x44, 0x2e, 0x89, 0x08);
	DEC_OK(64, INSN(4, STORE, 1, 1, 4, true, 0), 0x40, 0x2e, 0x88, 0x20);
	DEC_OK(64, INSN(7, LOAD, 4, 4, GPR_RAX, false, 0), 0x48, 0x67, 0xa1, D32);
	DEC_OK(64, INSN(8, STORE_IMM, 4, 4, 0, false, 0x80000000), 0x48, 0x3e, 0xc7, 0x00, 0x00,
	       0x00, 0x00, 0x80);
	/* of two REX bytes in a row, the last counts */
	DEC_OK(64, INSN(4, STORE, 8, 8, GPR_RCX, false, 0), 0x41, 0x48, 0x89, 0x08);
	DEC_OK(64, INSN(4, STORE, 4, 4, GPR_R9, false, 0), 0x48, 0x44, 0x89, 0x08);
	/* REX.R extends reg; REX.W gives 64 bits */
	DEC_OK(64, INSN(3, STORE, 4, 4, GPR_R9, false, 0), 0x44, 0x89, 0x08);
	DEC_OK(64, INSN(3, LOAD, 8, 8, GPR_R8, false, 0), 0x4c, 0x8b, 0x00);
	DEC_OK(64, INSN(3, LOAD, 8, 8, GPR_RAX, false, 0), 0x48, 0x8b, 0x00);
	/* REX.B / REX.X pick other registers but do not change the length */
	DEC_OK(64, INSN(3, STORE, 4, 4, GPR_RCX, false, 0), 0x41, 0x89, 0x08);
	DEC_OK(64, INSN(4, STORE, 4, 4, GPR_RCX, false, 0), 0x41, 0x89, 0x0c, 0x24);  /* [r12] */
	DEC_OK(64, INSN(4, STORE, 4, 4, GPR_RCX, false, 0), 0x41, 0x89, 0x4d, 0x00);  /* [r13+0] */
	DEC_OK(64, INSN(7, STORE, 4, 4, GPR_RCX, false, 0), 0x41, 0x89, 0x0d, D32);   /* [rip+d] */
	DEC_OK(64, INSN(4, STORE, 4, 4, GPR_RCX, false, 0), 0x42, 0x89, 0x0c, 0x24);  /* [rsp] */
	DEC_OK(64, INSN(8, STORE, 8, 8, GPR_R9, false, 0), 0x4f, 0x89, 0x0c, 0x25, D32);
	DEC_OK(64, INSN(4, STORE, 8, 8, GPR_R9, false, 0), 0x4f, 0x89, 0x0c, 0x24);
	/* REX before 0F */
	DEC_OK(64, INSN(4, LOAD_ZX, 1, 4, GPR_R10, false, 0), 0x44, 0x0f, 0xb6, 0x10);
	/* no REX outside 64-bit mode: 40-4F are INC / DEC there */
	for (u8 rex = 0x40; rex <= 0x4f; rex++) {
		DEC_INVAL(32, rex, 0x89, 0x08);
		DEC_INVAL(16, rex, 0x89, 0x08);
	}
	/* a REX alone or at the end runs out of bytes */
	DEC_ERR(64, -RAUM_ERANGE, 0x48);
	DEC_ERR(64, -RAUM_ERANGE, 0x66, 0x48);
}

static void test_high8(void **state)
{
	(void)state;
	for (u8 r = 0; r < 8; r++) {
		u8 modrm = (u8)(r << 3);
		bool h = r >= 4;

		/* no REX: AH CH DH BH for 4-7 */
		DEC_OK(64, INSN(2, STORE, 1, 1, r, h, 0), 0x88, modrm);
		DEC_OK(64, INSN(2, LOAD, 1, 1, r, h, 0), 0x8a, modrm);
		DEC_OK(32, INSN(2, STORE, 1, 1, r, h, 0), 0x88, modrm);
		DEC_OK(16, INSN(2, LOAD, 1, 1, r, h, 0), 0x8a, modrm);
		/* an ignored REX is no REX */
		DEC_OK(64, INSN(4, LOAD, 1, 1, r, h, 0), 0x40, 0x3e, 0x8a, modrm);
		/* any REX: SPL BPL SIL DIL (or R8B-R15B with REX.R) */
		for (u8 rex = 0x40; rex <= 0x4f; rex++) {
			u8 reg = (u8)(r | ((rex & 4) ? 8 : 0));

			DEC_OK(64, INSN(3, STORE, 1, 1, reg, false, 0), rex, 0x88, modrm);
			DEC_OK(64, INSN(3, LOAD, 1, 1, reg, false, 0), rex, 0x8a, modrm);
		}
		/* wider registers are never high */
		DEC_OK(64, INSN(2, LOAD, 4, 4, r, false, 0), 0x8b, modrm);
		DEC_OK(16, INSN(2, LOAD, 2, 2, r, false, 0), 0x8b, modrm);
		DEC_OK(64, INSN(3, LOAD_ZX, 1, 4, r, false, 0), 0x0f, 0xb6, modrm);
		DEC_OK(32, INSN(3, LOAD_SX, 1, 4, r, false, 0), 0x0f, 0xbe, modrm);
		DEC_OK(32, INSN(4, LOAD_ZX, 1, 2, r, false, 0), 0x66, 0x0f, 0xb6, modrm);
	}
}

/*
 * ModRM / SIB / displacement lengths, from SDM vol. 2 table 2-1 (16-bit
 * addressing) and tables 2-2 / 2-3 (32- and 64-bit addressing).
 */
static size_t operand_len(bool addr16, u8 modrm, u8 sib)
{
	u8 mod = modrm >> 6, rm = modrm & 7;

	if (addr16) {
		if (mod == 0)
			return 1 + (rm == 6 ? 2 : 0);
		return 1 + (mod == 1 ? 1 : 2);
	}
	size_t len = 1 + (rm == 4);
	if (mod == 1)
		return len + 1;
	if (mod == 2 || rm == 5 || (rm == 4 && (sib & 7) == 5))
		return len + 4;
	return len;
}

static void test_modrm_sib_lengths_exhaustive(void **state)
{
	(void)state;
	static const struct {
		int mode;
		u8 npfx;
		u8 pfx[2];
		bool addr16;
	} cfg[] = {
		{ 16, 0, { 0 }, true },
		{ 16, 1, { 0x67 }, false },
		{ 32, 0, { 0 }, false },
		{ 32, 1, { 0x67 }, true },
		{ 64, 0, { 0 }, false },
		{ 64, 1, { 0x67 }, false },
		{ 64, 1, { 0x41 }, false },	/* REX.B */
		{ 64, 1, { 0x42 }, false },	/* REX.X */
		{ 64, 2, { 0x67, 0x4b }, false },
	};
	unsigned checked = 0;

	for (size_t c = 0; c < ARRAY_SIZE(cfg); c++) {
		for (unsigned modrm = 0; modrm < 0xc0; modrm++) {
			for (unsigned sib = 0; sib < 256; sib++) {
				u8 b[16];
				size_t n = 0, olen = operand_len(cfg[c].addr16, (u8)modrm, (u8)sib);
				struct x86_insn in;

				/* SIB only varies where there is one */
				if (sib && (cfg[c].addr16 || (modrm & 7) != 4))
					break;
				memcpy(b, cfg[c].pfx, cfg[c].npfx);
				n = cfg[c].npfx;
				b[n++] = 0x8b;
				b[n++] = (u8)modrm;
				b[n++] = (u8)sib;
				/* displacement bytes */
				memset(b + n, 0x5a, sizeof(b) - n);
				size_t want = cfg[c].npfx + 1 + olen;

				int rc = decode_exact(b, want, cfg[c].mode, &in);
				if (rc != 0 || in.len != want)
					fail_msg("mode %d cfg %zu modrm %02x sib %02x: rc %d len %u, want %zu",
						 cfg[c].mode, c, modrm, sib, rc, in.len, want);
				assert_int_equal(in.reg, (modrm >> 3) & 7);
				assert_rc(decode_exact(b, want - 1, cfg[c].mode, &in), -RAUM_ERANGE);
				/* the same with an imm32 store (C7 /0) */
				b[cfg[c].npfx] = 0xc7;
				b[cfg[c].npfx + 1] = (u8)(modrm & 0xc7);
				if ((modrm & 0x38) == 0) {
					size_t imm = cfg[c].mode == 16 ? 2 : 4;

					rc = decode_exact(b, want + imm, cfg[c].mode, &in);
					if (rc != 0 || in.len != want + imm || in.op != STORE_IMM)
						fail_msg("C7 mode %d modrm %02x sib %02x: rc %d len %u",
							 cfg[c].mode, modrm, sib, rc, in.len);
				}
				checked++;
			}
		}
	}
	/* 9 configurations, of which 7 have SIB: 192 + 7 * 24 * 255 */
	assert_int_equal(checked, 9 * 192 + 7 * 24 * 255);
}

static void test_known_addressing_forms(void **state)
{
	(void)state;
	/* 64-bit */
	DEC_OK(64, INSN(7, LOAD, 4, 4, 0, false, 0), 0x8b, 0x04, 0x25, D32);	/* [disp32] */
	DEC_OK(64, INSN(3, LOAD, 4, 4, 0, false, 0), 0x8b, 0x04, 0x24);		/* [rsp] */
	DEC_OK(64, INSN(4, LOAD, 4, 4, 0, false, 0), 0x8b, 0x44, 0x24, 0x08);	/* [rsp+8] */
	DEC_OK(64, INSN(7, LOAD, 4, 4, 0, false, 0), 0x8b, 0x84, 0x24, D32);	/* [rsp+d32] */
	DEC_OK(64, INSN(3, LOAD, 4, 4, 0, false, 0), 0x8b, 0x45, 0x00);		/* [rbp+0] */
	DEC_OK(64, INSN(6, LOAD, 4, 4, 0, false, 0), 0x8b, 0x85, D32);		/* [rbp+d32] */
	DEC_OK(64, INSN(7, LOAD, 4, 4, 0, false, 0), 0x8b, 0x04, 0x05, D32);	/* [rax*1+d32] */
	DEC_OK(64, INSN(4, LOAD, 4, 4, 0, false, 0), 0x8b, 0x44, 0x05, 0x08);	/* [rbp+rax+8] */
	DEC_OK(64, INSN(7, LOAD, 4, 4, 0, false, 0), 0x8b, 0x04, 0xed, D32);	/* [rbp*8+d32] */
	DEC_OK(64, INSN(7, LOAD, 4, 4, 0, false, 0), 0x67, 0x8b, 0x05, D32);	/* [eip+d32] */
	DEC_OK(64, INSN(3, LOAD, 4, 4, 0, false, 0), 0x67, 0x8b, 0x00);		/* [eax] */
	/* 32-bit */
	DEC_OK(32, INSN(6, LOAD, 4, 4, 0, false, 0), 0x8b, 0x05, D32);		/* [d32] */
	DEC_OK(32, INSN(7, LOAD, 4, 4, 0, false, 0), 0x8b, 0x04, 0x8d, D32);	/* [ecx*4+d32] */
	DEC_OK(32, INSN(4, LOAD, 4, 4, 0, false, 0), 0x8b, 0x44, 0x8d, 0x10);	/* [ebp+ecx*4+16] */
	/* 32-bit with 67: 16-bit ModRM, rm 100 is [si], no SIB */
	DEC_OK(32, INSN(3, LOAD, 4, 4, 0, false, 0), 0x67, 0x8b, 0x04);		/* [si] */
	DEC_OK(32, INSN(4, LOAD, 4, 4, 0, false, 0), 0x67, 0x8b, 0x46, 0x08);	/* [bp+8] */
	DEC_OK(32, INSN(3, LOAD, 4, 4, 0, false, 0), 0x67, 0x8b, 0x05);		/* [di] */
	DEC_OK(32, INSN(5, LOAD, 4, 4, 0, false, 0), 0x67, 0x8b, 0x87, D16);	/* [bx+d16] */
	/* 16-bit */
	DEC_OK(16, INSN(2, LOAD, 2, 2, 0, false, 0), 0x8b, 0x04);		/* [si] */
	DEC_OK(16, INSN(2, LOAD, 2, 2, 0, false, 0), 0x8b, 0x05);		/* [di] */
	DEC_OK(16, INSN(3, LOAD, 2, 2, 0, false, 0), 0x8b, 0x46, 0x00);		/* [bp+0] */
	DEC_OK(16, INSN(4, LOAD, 2, 2, 0, false, 0), 0x8b, 0x06, D16);		/* [d16] */
	DEC_OK(16, INSN(4, LOAD, 2, 2, 0, false, 0), 0x8b, 0x86, D16);		/* [bp+d16] */
	/* 16-bit with 67: 32-bit ModRM with SIB */
	DEC_OK(16, INSN(4, LOAD, 2, 2, 0, false, 0), 0x67, 0x8b, 0x04, 0x24);	/* [esp] */
	DEC_OK(16, INSN(8, LOAD, 2, 2, 0, false, 0), 0x67, 0x8b, 0x04, 0x25, D32);/* [d32] */
	DEC_OK(16, INSN(8, LOAD, 2, 2, 0, false, 0), 0x67, 0x8b, 0x84, 0x24, D32);/* [esp+d32] */
}

static void test_refused(void **state)
{
	(void)state;
	static const int modes[] = { 16, 32, 64 };

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		int m = modes[i];

		/* LOCK, REPNE, REP (before or after other prefixes) */
		DEC_INVAL(m, 0xf0, 0x89, 0x08);
		DEC_INVAL(m, 0xf2, 0x89, 0x08);
		DEC_INVAL(m, 0xf3, 0x89, 0x08);
		DEC_INVAL(m, 0x66, 0xf3, 0xa5);
		DEC_INVAL(m, 0x2e, 0x67, 0xf0, 0x89, 0x08);
		DEC_INVAL(m, 0xf3);
		/* register operands (mod 11) */
		for (u8 modrm = 0xc0; modrm != 0; modrm++) {
			DEC_INVAL(m, 0x89, modrm);
			DEC_INVAL(m, 0x88, modrm);
			DEC_INVAL(m, 0x8b, modrm);
			DEC_INVAL(m, 0x8a, modrm);
			DEC_INVAL(m, 0x0f, 0xb7, modrm);
			DEC_INVAL(m, 0x0f, 0xbe, modrm);
		}
		/* string moves, RMW arithmetic, other moves and LEA */
		DEC_INVAL(m, 0xa4);			/* MOVSB */
		DEC_INVAL(m, 0xa5);			/* MOVS */
		DEC_INVAL(m, 0xaa);			/* STOSB */
		DEC_INVAL(m, 0xac);			/* LODSB */
		DEC_INVAL(m, 0x01, 0x08);		/* ADD */
		DEC_INVAL(m, 0x80, 0x00, 0x01);		/* ADD imm8 */
		DEC_INVAL(m, 0xff, 0x00);		/* INC */
		DEC_INVAL(m, 0x86, 0x08);		/* XCHG */
		DEC_INVAL(m, 0x87, 0x08);
		DEC_INVAL(m, 0x84, 0x08);		/* TEST */
		DEC_INVAL(m, 0x38, 0x08);		/* CMP */
		DEC_INVAL(m, 0x8c, 0x08);		/* MOV r/m, Sreg */
		DEC_INVAL(m, 0x8e, 0x08);		/* MOV Sreg, r/m */
		DEC_INVAL(m, 0x8d, 0x00);		/* LEA */
		DEC_INVAL(m, 0xb8, D32);		/* MOV r, imm */
		DEC_INVAL(m, 0x90);			/* NOP */
		/* C4 C5 62: VEX / EVEX in 64-bit mode, LES LDS BOUND elsewhere */
		DEC_INVAL(m, 0xc5, 0xf9, 0x6f, 0x00);			/* vmovdqa */
		DEC_INVAL(m, 0xc4, 0xe2, 0x79, 0x18, 0x00);		/* vbroadcastss */
		DEC_INVAL(m, 0x62, 0xf1, 0x7c, 0x48, 0x10, 0x00);	/* vmovups zmm */
		DEC_INVAL(m, 0xc5);
		DEC_INVAL(m, 0x66, 0xc4);
	}
	/* VEX after a REX is still refused */
	DEC_INVAL(64, 0x48, 0xc5, 0xf9, 0x6f, 0x00);

	/* bad modes and arguments */
	struct x86_insn in;
	const u8 mov[] = { 0x89, 0x08 };
	static const int bad_modes[] = { 0, 8, 15, 17, 33, 63, 65, 128, -16, -64 };
	for (size_t i = 0; i < ARRAY_SIZE(bad_modes); i++)
		assert_rc(x86_decode(mov, sizeof(mov), bad_modes[i], &in), -RAUM_EINVAL);
	assert_rc(x86_decode(NULL, 0, 64, &in), -RAUM_EINVAL);
	assert_rc(x86_decode(mov, sizeof(mov), 64, NULL), -RAUM_EINVAL);
}

static void test_length_limit(void **state)
{
	(void)state;
	u8 b[32];
	struct x86_insn in;

	/* 13 prefixes + 8B 00: 15 bytes, fine; 14 prefixes: 16, invalid */
	memset(b, 0x2e, sizeof(b));
	b[13] = 0x8b;
	b[14] = 0x00;
	assert_rc(x86_decode(b, 15, 64, &in), 0);
	assert_int_equal(in.len, 15);
	for (size_t cut = 0; cut < 15; cut++)
		assert_rc(x86_decode(b, cut, 64, &in), -RAUM_ERANGE);
	memset(b, 0x66, sizeof(b));
	b[14] = 0x8b;
	b[15] = 0x00;
	for (int m = 16; m <= 64; m *= 2) {
		assert_rc(x86_decode(b, 16, m, &in), -RAUM_EINVAL);
		assert_rc(x86_decode(b, sizeof(b), m, &in), -RAUM_EINVAL);
		/* the limit is hit before the buffer runs out */
		assert_rc(x86_decode(b, 15, m, &in), -RAUM_EINVAL);
	}
	/* only prefixes */
	memset(b, 0x67, sizeof(b));
	assert_rc(x86_decode(b, sizeof(b), 64, &in), -RAUM_EINVAL);
	assert_rc(x86_decode(b, 14, 64, &in), -RAUM_ERANGE);

	/* 3 prefixes + 12-byte mov qword [rsp+d32],imm32 = 15; 4 = 16 */
	static const u8 big[] = { 0x48, 0xc7, 0x84, 0x24, D32, D32 };
	for (size_t np = 0; np < 8; np++) {
		memset(b, 0x66, np);
		memcpy(b + np, big, sizeof(big));
		int rc = x86_decode(b, np + sizeof(big), 64, &in);
		if (np + sizeof(big) <= 15) {
			assert_rc(rc, 0);
			assert_int_equal(in.len, np + sizeof(big));
			assert_int_equal(in.imm, 0x12345678);
		} else {
			assert_rc(rc, -RAUM_EINVAL);
			/* invalid even though the bytes are all there and more follow */
			memset(b + np + sizeof(big), 0, 4);
			assert_rc(x86_decode(b, np + sizeof(big) + 4, 64, &in), -RAUM_EINVAL);
		}
	}
	/* 16-bit mode: 67 + 8B 05 disp32 is 7 bytes; 9 of them 15 */
	memset(b, 0x67, sizeof(b));
	for (size_t np = 1; np <= 11; np++) {
		memset(b, 0x67, np);
		b[np] = 0x8b;
		b[np + 1] = 0x05;
		memset(b + np + 2, 0x11, 4);
		assert_rc(x86_decode(b, np + 6, 16, &in), np + 6 <= 15 ? 0 : -RAUM_EINVAL);
	}
	/* a 15-byte instruction */
	DEC_OK(64, INSN(15, STORE_IMM, 8, 8, 0, false, 0x12345678),
	       0x2e, 0x66, 0x67, 0x48, 0xc7, 0x84, 0x24, D32, D32);
}

static void test_truncation(void **state)
{
	(void)state;
	struct x86_insn in;

	/* DEC_OK cuts every instruction above at every length; a few more */
	assert_rc(x86_decode((const u8 *)"", 0, 64, &in), -RAUM_ERANGE);
	DEC_ERR(64, -RAUM_ERANGE, 0x66);
	DEC_ERR(64, -RAUM_ERANGE, 0x0f);
	DEC_ERR(64, -RAUM_ERANGE, 0x66, 0x0f);
	DEC_ERR(64, -RAUM_ERANGE, 0x8b);
	DEC_ERR(64, -RAUM_ERANGE, 0x8b, 0x04);		/* SIB missing */
	DEC_ERR(64, -RAUM_ERANGE, 0x8b, 0x04, 0x25);	/* disp32 missing */
	DEC_ERR(64, -RAUM_ERANGE, 0x8b, 0x05, 0x00, 0x00, 0x00);
	DEC_ERR(64, -RAUM_ERANGE, 0xc6, 0x00);		/* imm8 missing */
	DEC_ERR(64, -RAUM_ERANGE, 0x48, 0xc7, 0x00, 0x00, 0x00, 0x00);
	DEC_ERR(64, -RAUM_ERANGE, 0xa1, 1, 2, 3, 4, 5, 6, 7);
	DEC_ERR(32, -RAUM_ERANGE, 0xa1, 1, 2, 3);
	DEC_ERR(16, -RAUM_ERANGE, 0xa1, 1);
	DEC_ERR(16, -RAUM_ERANGE, 0x8b, 0x06, 0x34);
	DEC_ERR(16, -RAUM_ERANGE, 0x66, 0xc7, 0x00, 0x00, 0x00, 0x00);
	/* a refusal that needs no more bytes wins over running out */
	DEC_INVAL(64, 0x89, 0xc8);
	DEC_INVAL(64, 0xc7, 0x08);
	DEC_INVAL(64, 0x63);
	/* long instructions, cut everywhere */
	DEC_OK(64, INSN(14, STORE_IMM, 8, 8, 0, false, 0xffffffff87654321ULL),
	       0x65, 0x67, 0x48, 0xc7, 0x84, 0xa4, D32, 0x21, 0x43, 0x65, 0x87);
	DEC_OK(32, INSN(13, STORE_IMM, 4, 4, 0, false, 0x12345678),
	       0x26, 0x36, 0xc7, 0x84, 0x8d, D32, D32);
	DEC_OK(16, INSN(13, STORE_IMM, 4, 4, 0, false, 0x12345678),
	       0x66, 0x67, 0xc7, 0x84, 0x8d, D32, D32);
	DEC_OK(64, INSN(11, LOAD, 8, 8, GPR_RAX, false, 0), 0x64, 0x48, 0xa1, M64);
}

/* Fills g with a distinct pattern per register. */
#define RESET() \
	do { \
		for (int i_ = 0; i_ < GPR_COUNT; i_++) \
			g[i_] = 0x1111111111111111ULL * (u64)(i_ + 1); \
	} while (0)
/* Decodes into 'in', which must succeed. */
#define DECODE(mode, ...) assert_rc(x86_decode(BYTES(__VA_ARGS__), mode, &in), 0)

static void test_write_reg(void **state)
{
	(void)state;
	u64 g[GPR_COUNT];
	struct x86_insn in;

	/* 32-bit destination: zero-extends */
	RESET();
	DECODE(64, 0x8b, 0x08);		/* mov ecx,[rax] */
	x86_write_reg(g, &in, 0x89abcdef);
	assert_int_equal(g[GPR_RCX], 0x89abcdefULL);
	assert_int_equal(g[GPR_RAX], 0x1111111111111111ULL);
	/* bits above size are ignored */
	x86_write_reg(g, &in, 0xffffffff00000001ULL);
	assert_int_equal(g[GPR_RCX], 1);

	/* 64-bit */
	RESET();
	DECODE(64, 0x4c, 0x8b, 0x38);	/* mov r15,[rax] */
	x86_write_reg(g, &in, 0xfedcba9876543210ULL);
	assert_int_equal(g[GPR_R15], 0xfedcba9876543210ULL);
	assert_int_equal(g[GPR_R14], 0xffffffffffffffffULL);

	/* 16-bit: merges */
	RESET();
	DECODE(64, 0x66, 0x8b, 0x10);	/* mov dx,[rax] */
	x86_write_reg(g, &in, 0xabcd1234);
	assert_int_equal(g[GPR_RDX], 0x3333333333331234ULL);

	/* 8-bit: merges; AH writes bits 15:8 of RAX and leaves RSP alone */
	RESET();
	DECODE(64, 0x8a, 0x18);		/* mov bl,[rax] */
	x86_write_reg(g, &in, 0x1ab);
	assert_int_equal(g[GPR_RBX], 0x44444444444444abULL);
	DECODE(64, 0x8a, 0x20);		/* mov ah,[rax] */
	assert_true(in.high8);
	x86_write_reg(g, &in, 0x1cd);
	assert_int_equal(g[GPR_RAX], 0x111111111111cd11ULL);
	assert_int_equal(g[GPR_RSP], 0x5555555555555555ULL);
	DECODE(64, 0x8a, 0x38);		/* mov bh,[rax] */
	x86_write_reg(g, &in, 0xee);
	assert_int_equal(g[GPR_RBX], 0x444444444444eeabULL);
	assert_int_equal(g[GPR_RDI], 0x8888888888888888ULL);
	DECODE(16, 0x8a, 0x2c);		/* mov ch,[si] */
	x86_write_reg(g, &in, 0x00);
	assert_int_equal(g[GPR_RCX], 0x2222222222220022ULL);
	DECODE(32, 0x8a, 0x34, 0x24);	/* mov dh,[esp] */
	x86_write_reg(g, &in, 0x7f);
	assert_int_equal(g[GPR_RDX], 0x3333333333337f33ULL);
	/* SPL with REX: the low byte of RSP */
	DECODE(64, 0x40, 0x8a, 0x20);
	x86_write_reg(g, &in, 0x99);
	assert_int_equal(g[GPR_RSP], 0x5555555555555599ULL);
	assert_int_equal(g[GPR_RAX], 0x111111111111cd11ULL);
	/* R12B */
	DECODE(64, 0x44, 0x8a, 0x20);
	x86_write_reg(g, &in, 0x42);
	assert_int_equal(g[GPR_R12], 0xdddddddddddddd42ULL);

	/* MOVZX */
	RESET();
	DECODE(64, 0x0f, 0xb6, 0x00);	/* movzx eax,byte */
	x86_write_reg(g, &in, 0xff80);
	assert_int_equal(g[GPR_RAX], 0x80);
	DECODE(64, 0x66, 0x0f, 0xb6, 0x08);	/* movzx cx,byte */
	x86_write_reg(g, &in, 0x80);
	assert_int_equal(g[GPR_RCX], 0x2222222222220080ULL);
	DECODE(64, 0x48, 0x0f, 0xb7, 0x10);	/* movzx rdx,word */
	x86_write_reg(g, &in, 0xffff8001);
	assert_int_equal(g[GPR_RDX], 0x8001);
	DECODE(16, 0x0f, 0xb6, 0x18);	/* movzx bx,byte */
	x86_write_reg(g, &in, 0xfe);
	assert_int_equal(g[GPR_RBX], 0x44444444444400feULL);

	/* MOVSX */
	RESET();
	DECODE(64, 0x0f, 0xbe, 0x00);	/* movsx eax,byte */
	x86_write_reg(g, &in, 0x80);
	assert_int_equal(g[GPR_RAX], 0xffffff80ULL);
	x86_write_reg(g, &in, 0x17f);
	assert_int_equal(g[GPR_RAX], 0x7f);
	DECODE(64, 0x66, 0x0f, 0xbe, 0x08);	/* movsx cx,byte */
	x86_write_reg(g, &in, 0x80);
	assert_int_equal(g[GPR_RCX], 0x222222222222ff80ULL);
	DECODE(64, 0x48, 0x0f, 0xbf, 0x10);	/* movsx rdx,word */
	x86_write_reg(g, &in, 0x8000);
	assert_int_equal(g[GPR_RDX], 0xffffffffffff8000ULL);
	DECODE(64, 0x48, 0x0f, 0xbe, 0x18);	/* movsx rbx,byte */
	x86_write_reg(g, &in, 0x7f);
	assert_int_equal(g[GPR_RBX], 0x7f);
	DECODE(64, 0x0f, 0xbf, 0x20);		/* movsx esp,word */
	x86_write_reg(g, &in, 0xffff);
	assert_int_equal(g[GPR_RSP], 0xffffffffULL);
	DECODE(16, 0x66, 0x0f, 0xbe, 0x28);	/* movsx ebp,byte */
	x86_write_reg(g, &in, 0x81);
	assert_int_equal(g[GPR_RBP], 0xffffff81ULL);

	/* MOVSXD */
	RESET();
	DECODE(64, 0x4c, 0x63, 0x00);		/* movsxd r8,dword */
	x86_write_reg(g, &in, 0x80000000);
	assert_int_equal(g[GPR_R8], 0xffffffff80000000ULL);
	x86_write_reg(g, &in, 0xffffffff7fffffffULL);
	assert_int_equal(g[GPR_R8], 0x7fffffffULL);

	/* moffs loads into AL / AX / EAX / RAX */
	RESET();
	DECODE(64, 0xa0, M64);
	x86_write_reg(g, &in, 0x12);
	assert_int_equal(g[GPR_RAX], 0x1111111111111112ULL);
	DECODE(64, 0x66, 0xa1, M64);
	x86_write_reg(g, &in, 0x3456);
	assert_int_equal(g[GPR_RAX], 0x1111111111113456ULL);
	DECODE(64, 0xa1, M64);
	x86_write_reg(g, &in, 0x789a);
	assert_int_equal(g[GPR_RAX], 0x789a);
	DECODE(64, 0x48, 0xa1, M64);
	x86_write_reg(g, &in, 0x8000000000000001ULL);
	assert_int_equal(g[GPR_RAX], 0x8000000000000001ULL);
	/* nothing else changed */
	for (int i = 1; i < GPR_COUNT; i++)
		assert_int_equal(g[i], 0x1111111111111111ULL * (u64)(i + 1));
}

static void test_store_value(void **state)
{
	(void)state;
	u64 g[GPR_COUNT];
	struct x86_insn in;

	for (int i = 0; i < GPR_COUNT; i++)
		g[i] = 0x0102030405060708ULL + 0x1010101010101010ULL * (u64)i;

	DECODE(64, 0x48, 0x89, 0x08);		/* mov [rax],rcx */
	assert_int_equal(x86_store_value(g, &in), 0x1112131415161718ULL);
	DECODE(64, 0x89, 0x08);			/* ecx */
	assert_int_equal(x86_store_value(g, &in), 0x15161718ULL);
	DECODE(64, 0x66, 0x89, 0x08);		/* cx */
	assert_int_equal(x86_store_value(g, &in), 0x1718);
	DECODE(64, 0x88, 0x08);			/* cl */
	assert_int_equal(x86_store_value(g, &in), 0x18);
	DECODE(64, 0x88, 0x28);			/* ch */
	assert_int_equal(x86_store_value(g, &in), 0x17);
	DECODE(64, 0x88, 0x20);			/* ah */
	assert_int_equal(x86_store_value(g, &in), 0x07);
	DECODE(64, 0x88, 0x3c, 0x24);		/* bh */
	assert_int_equal(x86_store_value(g, &in), 0x37);
	DECODE(64, 0x40, 0x88, 0x20);		/* spl */
	assert_int_equal(x86_store_value(g, &in), 0x48);
	DECODE(64, 0x44, 0x88, 0x38);		/* r15b */
	assert_int_equal(x86_store_value(g, &in), 0xf8);
	DECODE(64, 0x4c, 0x89, 0x20);		/* r12 */
	assert_int_equal(x86_store_value(g, &in), 0xc1c2c3c4c5c6c7c8ULL);
	DECODE(16, 0x89, 0x18);			/* bx */
	assert_int_equal(x86_store_value(g, &in), 0x3738);
	DECODE(16, 0x66, 0x89, 0x18);		/* ebx */
	assert_int_equal(x86_store_value(g, &in), 0x35363738);
	DECODE(32, 0x88, 0x36);			/* dh */
	assert_int_equal(x86_store_value(g, &in), 0x27);
	DECODE(64, 0xa2, M64);			/* al */
	assert_int_equal(x86_store_value(g, &in), 0x08);
	DECODE(64, 0x48, 0xa3, M64);		/* rax */
	assert_int_equal(x86_store_value(g, &in), 0x0102030405060708ULL);
	DECODE(32, 0x66, 0xa3, D32);		/* ax */
	assert_int_equal(x86_store_value(g, &in), 0x0708);

	/* immediates, truncated to size */
	DECODE(64, 0xc6, 0x00, 0x80);
	assert_int_equal(x86_store_value(g, &in), 0x80);
	DECODE(64, 0x66, 0xc7, 0x00, 0x00, 0x80);
	assert_int_equal(x86_store_value(g, &in), 0x8000);
	DECODE(64, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80);
	assert_int_equal(x86_store_value(g, &in), 0x80000000ULL);
	DECODE(64, 0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80);
	assert_int_equal(x86_store_value(g, &in), 0xffffffff80000000ULL);
	DECODE(16, 0xc7, 0x00, 0xff, 0xff);
	assert_int_equal(x86_store_value(g, &in), 0xffff);

	/* hand-built: bits of imm above size are dropped */
	in = INSN(3, STORE_IMM, 2, 2, 0, false, 0xabcdef);
	assert_int_equal(x86_store_value(g, &in), 0xcdef);
	in = INSN(3, STORE_IMM, 1, 1, 0, false, 0x1ff);
	assert_int_equal(x86_store_value(g, &in), 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_reg_forms_64),
		cmocka_unit_test(test_mov_reg_forms_32_16),
		cmocka_unit_test(test_mov_imm),
		cmocka_unit_test(test_movzx_movsx),
		cmocka_unit_test(test_movsxd),
		cmocka_unit_test(test_moffs),
		cmocka_unit_test(test_prefix_order_and_repeats),
		cmocka_unit_test(test_rex_rules),
		cmocka_unit_test(test_high8),
		cmocka_unit_test(test_modrm_sib_lengths_exhaustive),
		cmocka_unit_test(test_known_addressing_forms),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_write_reg),
		cmocka_unit_test(test_store_value),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL) ? 1 : 0;
}
