// SPDX-License-Identifier: MIT
/*
 * drivers/acpi.c: the RSDP / XSDT / RSDT walk (acpi_find_table), hiding a
 * table from the root tables (acpi_hide_table), and the DMAR, IVRS and MCFG
 * parsers, each with a good table shaped like QEMU's and malformed ones.
 *
 * The root-table functions read a fake physical memory: one heap buffer at
 * FAKE_BASE; the map callbacks return a pointer into it when the whole range
 * is inside, else NULL. The table parsers get an exact-size heap copy of the
 * table, so AddressSanitizer catches any read past its length.
 */
#include "unit.h"

#include <raum/acpi.h>

/* ---- little-endian writers, checksums, error assertions ---- */

static void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void put32(u8 *p, u32 v) { for (int i = 0; i < 4; i++) p[i] = (u8)(v >> (8 * i)); }
static void put64(u8 *p, u64 v) { for (int i = 0; i < 8; i++) p[i] = (u8)(v >> (8 * i)); }
static u32 get32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u64 get64(const u8 *p) { return (u64)get32(p) | (u64)get32(p + 4) << 32; }

/* Sets p[at] so that the len bytes at p sum to 0. */
static void fix_checksum(u8 *p, u32 len, u32 at)
{
	u8 sum = 0;

	p[at] = 0;
	for (u32 i = 0; i < len; i++)
		sum = (u8)(sum + p[i]);
	p[at] = (u8)-sum;
}

static void write_header(u8 *p, const char *sig, u32 len)
{
	memset(p, 0, ACPI_HEADER_LEN);
	memcpy(p, sig, 4);
	put32(p + 4, len);
	p[8] = 1;                       /* revision */
	memcpy(p + 10, "RAUMTS", 6);    /* OEM ID */
	memcpy(p + 16, "UNITTEST", 8);  /* OEM table ID */
	put32(p + 24, 1);               /* OEM revision */
	memcpy(p + 28, "RAUM", 4);      /* creator ID */
	put32(p + 32, 0x20240101);      /* creator revision */
}

#define assert_err(err, sub)                                                    \
	do {                                                                    \
		if (!strstr((err), (sub)))                                      \
			fail_msg("error \"%s\" does not contain \"%s\"", (err), (sub)); \
	} while (0)

/* ---- table builder for the parsers ---- */

struct tbl {
	u8 b[4096];
	u32 len;
};

/* A header with signature sig and fixed - 36 zero bytes after it. */
static void tbl_begin(struct tbl *t, const char *sig, u32 fixed)
{
	memset(t, 0, sizeof(*t));
	write_header(t->b, sig, fixed);
	t->len = fixed;
}

/* Appends n zero bytes and returns them. */
static u8 *tbl_add(struct tbl *t, u32 n)
{
	assert_true(t->len + n <= sizeof(t->b));
	u8 *p = t->b + t->len;
	t->len += n;
	return p;
}

/* The header's length and checksum for the bytes so far (call again after any change). */
static void tbl_end(struct tbl *t)
{
	put32(t->b + 4, t->len);
	fix_checksum(t->b, t->len, 9);
}

/* An exact-size heap copy of the first len bytes, so ASan sees any read past them. */
static u8 *heap_copy(const struct tbl *t, u32 len)
{
	u8 *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, t->b, len);
	return p;
}

/* ---- fake physical memory ---- */

#define FAKE_BASE 0x7fe00000ULL
#define FAKE_SIZE 0x10000u
#define P(off) (FAKE_BASE + (u64)(off))

struct fake {
	u8 *mem;
	u64 base, size;
};

static void *fake_at(struct fake *f, u64 phys, u64 len)
{
	if (phys < f->base || len > f->size || phys - f->base > f->size - len)
		return NULL;
	return f->mem + (phys - f->base);
}

static const void *map_ro(void *ctx, u64 phys, u64 len) { return fake_at(ctx, phys, len); }
static void *map_rw(void *ctx, u64 phys, u64 len) { return fake_at(ctx, phys, len); }

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->mem = calloc(1, FAKE_SIZE);
	if (!f->mem)
		return -1;
	f->base = FAKE_BASE;
	f->size = FAKE_SIZE;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	free(f->mem);
	free(f);
	return 0;
}

/* A table of len bytes at off with a payload pattern and a right checksum. */
static void put_table(struct fake *f, u32 off, const char *sig, u32 len)
{
	u8 *p = f->mem + off;
	write_header(p, sig, len);
	for (u32 i = ACPI_HEADER_LEN; i < len; i++)
		p[i] = (u8)(i * 7 + sig[0]);
	fix_checksum(p, len, 9);
}

/* An XSDT (x) or RSDT at off with n entries, its length field len (0: the right one), checksum right. */
static void put_root_len(struct fake *f, u32 off, bool x, const u64 *e, unsigned n, u32 len)
{
	unsigned esz = x ? 8 : 4;
	u32 real = ACPI_HEADER_LEN + n * esz;
	u8 *p = f->mem + off;

	memset(p, 0, real);
	write_header(p, x ? "XSDT" : "RSDT", len ? len : real);
	for (unsigned i = 0; i < n; i++) {
		if (x)
			put64(p + ACPI_HEADER_LEN + 8 * i, e[i]);
		else
			put32(p + ACPI_HEADER_LEN + 4 * i, (u32)e[i]);
	}
	fix_checksum(p, len ? MIN(len, real) : real, 9); /* a length past the entries: only checked for mapping */
}

static void put_root(struct fake *f, u32 off, bool x, const u64 *e, unsigned n) { put_root_len(f, off, x, e, n, 0); }

/* An RSDP at off: revision 0 is the 20-byte ACPI 1.0 structure (nothing written past it). */
static void put_rsdp(struct fake *f, u32 off, u8 rev, u32 rsdt, u64 xsdt)
{
	u8 *r = f->mem + off;

	memset(r, 0, rev >= 2 ? 36 : 20);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "RAUMTS", 6);
	r[15] = rev;
	put32(r + 16, rsdt);
	fix_checksum(r, 20, 8);
	if (rev >= 2) {
		put32(r + 20, 36);
		put64(r + 24, xsdt);
		fix_checksum(r, 36, 32);
	}
}

enum {
	O_RSDP = 0x0,
	O_XSDT = 0x100,
	O_RSDT = 0x400,
	O_FACP = 0x1000,
	O_DMAR = 0x2000,
	O_APIC = 0x3000,
	O_MCFG = 0x4000,
	L_FACP = 276,
	L_DMAR = 80,
	L_APIC = 120,
	L_MCFG = 60,
};

static const u64 std_entries[] = { P(O_FACP), P(O_DMAR), P(O_APIC), P(O_MCFG) };

/* FACP, DMAR, APIC, MCFG listed by an RSDT (and, from revision 2, an XSDT) through an RSDP at O_RSDP. */
static void std_layout(struct fake *f, u8 rev)
{
	put_table(f, O_FACP, "FACP", L_FACP);
	put_table(f, O_DMAR, "DMAR", L_DMAR);
	put_table(f, O_APIC, "APIC", L_APIC);
	put_table(f, O_MCFG, "MCFG", L_MCFG);
	put_root(f, O_XSDT, true, std_entries, 4);
	put_root(f, O_RSDT, false, std_entries, 4);
	put_rsdp(f, O_RSDP, rev, (u32)P(O_RSDT), rev >= 2 ? P(O_XSDT) : 0);
}

static int find_at(struct fake *f, u64 rsdp, const char *sig, u64 *phys, u32 *len, char *err)
{
	memset(err, 0, ACPI_ERR_MAX);
	*phys = 0;
	*len = 0;
	return acpi_find_table(map_ro, f, rsdp, sig, phys, len, err, ACPI_ERR_MAX);
}

static int find(struct fake *f, const char *sig, u64 *phys, u32 *len, char *err)
{
	return find_at(f, P(O_RSDP), sig, phys, len, err);
}

static void assert_found(struct fake *f, u64 rsdp, const char *sig, u64 want_phys, u32 want_len)
{
	char err[ACPI_ERR_MAX];
	u64 phys;
	u32 len;
	int rc = find_at(f, rsdp, sig, &phys, &len, err);

	if (rc != 1)
		fail_msg("%s: rc %d (%s)", sig, rc, err);
	assert_int_equal(phys, want_phys);
	assert_int_equal(len, want_len);
}

static void assert_find_err(struct fake *f, u64 rsdp, const char *sig, const char *sub)
{
	char err[ACPI_ERR_MAX];
	u64 phys;
	u32 len;

	assert_rc(find_at(f, rsdp, sig, &phys, &len, err), -RAUM_EINVAL);
	assert_err(err, sub);
}

/* ---- acpi_checksum_ok ---- */

static void test_checksum(void **state)
{
	(void)state;
	u8 b[8] = { 1, 2, 3, 4, 5, 6, 7, 0 };

	assert_false(acpi_checksum_ok(b, 8));
	fix_checksum(b, 8, 7);
	assert_int_equal(b[7], (u8)-28);
	assert_true(acpi_checksum_ok(b, 8));
	b[3] ^= 0x10;
	assert_false(acpi_checksum_ok(b, 8));
	assert_true(acpi_checksum_ok(b, 0));
	u8 z = 0xff;
	assert_false(acpi_checksum_ok(&z, 1));
}

/* ---- acpi_find_table ---- */

static void test_find_via_xsdt(void **state)
{
	struct fake *f = *state;

	std_layout(f, 2);
	assert_found(f, P(O_RSDP), "FACP", P(O_FACP), L_FACP);
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);
	assert_found(f, P(O_RSDP), "APIC", P(O_APIC), L_APIC);
	assert_found(f, P(O_RSDP), "MCFG", P(O_MCFG), L_MCFG);

	/* the XSDT is used, not the RSDT: an RSDT without DMAR and a bad RSDT address change nothing */
	const u64 no_dmar[] = { P(O_FACP), P(O_APIC) };
	put_root(f, O_RSDT, false, no_dmar, 2);
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);
	put_rsdp(f, O_RSDP, 2, 0xdead0000, P(O_XSDT));
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);

	/* two tables with the signature: the first one listed */
	put_table(f, 0x5000, "DMAR", 48);
	const u64 two[] = { P(0x5000), P(O_DMAR) };
	put_root(f, O_XSDT, true, two, 2);
	assert_found(f, P(O_RSDP), "DMAR", P(0x5000), 48); /* the first one listed */
}

static void test_find_via_rsdt(void **state)
{
	struct fake *f = *state;
	const u64 no_dmar[] = { P(O_FACP), P(O_APIC) };

	/* revision 0: the RSDT; the XSDT in memory (here without DMAR) is not looked at */
	std_layout(f, 0);
	put_root(f, O_XSDT, true, no_dmar, 2);
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);
	assert_found(f, P(O_RSDP), "MCFG", P(O_MCFG), L_MCFG);

	/* a revision-0 RSDP in the last 20 bytes of memory: nothing past them is read */
	put_rsdp(f, FAKE_SIZE - 20, 0, (u32)P(O_RSDT), 0);
	assert_found(f, P(FAKE_SIZE - 20), "DMAR", P(O_DMAR), L_DMAR);

	/* revision 2 with a zero XSDT address: the RSDT */
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), 0);
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);
}

static void test_find_absent(void **state)
{
	struct fake *f = *state;
	char err[ACPI_ERR_MAX];
	u64 phys;
	u32 len;

	std_layout(f, 2);
	assert_rc(find(f, "HPET", &phys, &len, err), 0);
	assert_rc(find(f, "DMA", &phys, &len, err), 0); /* "DMA\0" is not "DMAR" */
	std_layout(f, 0);
	assert_rc(find(f, "IVRS", &phys, &len, err), 0);

	/* an empty XSDT */
	std_layout(f, 2);
	put_root(f, O_XSDT, true, NULL, 0);
	assert_rc(find(f, "DMAR", &phys, &len, err), 0);
}

static void test_find_bad_rsdp(void **state)
{
	struct fake *f = *state;

	std_layout(f, 2);
	f->mem[O_RSDP + 7] = '_'; /* "RSD PTR_" */
	assert_find_err(f, P(O_RSDP), "DMAR", "no 'RSD PTR ' signature");
	assert_find_err(f, P(FAKE_SIZE), "DMAR", "no 'RSD PTR ' signature"); /* outside memory */
	assert_find_err(f, P(FAKE_SIZE - 19), "DMAR", "no 'RSD PTR ' signature"); /* only 19 bytes readable */

	/* the 20-byte checksum */
	std_layout(f, 2);
	f->mem[O_RSDP + 8] ^= 1;
	assert_find_err(f, P(O_RSDP), "DMAR", "bad checksum over its first 20 bytes");

	/* revision 2: the extended checksum, the length field, the extended part unreadable */
	std_layout(f, 2);
	f->mem[O_RSDP + 32] ^= 1;
	assert_find_err(f, P(O_RSDP), "DMAR", "extended part");
	std_layout(f, 2);
	put32(f->mem + O_RSDP + 20, 20);
	fix_checksum(f->mem + O_RSDP, 36, 32);
	assert_find_err(f, P(O_RSDP), "DMAR", "extended part");
	put_rsdp(f, FAKE_SIZE - 36, 2, (u32)P(O_RSDT), P(O_XSDT));
	assert_found(f, P(FAKE_SIZE - 36), "DMAR", P(O_DMAR), L_DMAR);
	memmove(f->mem + FAKE_SIZE - 20, f->mem + FAKE_SIZE - 36, 20); /* its first 20 bytes at the very end */
	assert_find_err(f, P(FAKE_SIZE - 20), "DMAR", "extended part");

	/* an err buffer shorter than the message: cut, terminated, nothing written past it */
	char small[8];
	u64 phys;
	u32 len;
	memset(small, 'x', sizeof(small));
	assert_rc(acpi_find_table(map_ro, f, P(FAKE_SIZE), "DMAR", &phys, &len, small, 6), -RAUM_EINVAL);
	assert_int_equal(strlen(small), 5);
	assert_int_equal(small[6], 'x');
}

static void test_find_bad_root(void **state)
{
	struct fake *f = *state;

	/* an XSDT with one and a half entries */
	std_layout(f, 2);
	put_root_len(f, O_XSDT, true, std_entries, 2, ACPI_HEADER_LEN + 12);
	assert_find_err(f, P(O_RSDP), "DMAR", "XSDT: length 48 leaves a partial entry");

	/* an RSDT with one and a half entries */
	std_layout(f, 0);
	put_root_len(f, O_RSDT, false, std_entries, 2, ACPI_HEADER_LEN + 6);
	assert_find_err(f, P(O_RSDP), "DMAR", "RSDT: length 42 leaves a partial entry");

	/* a root table with a bad checksum */
	std_layout(f, 2);
	f->mem[O_XSDT + ACPI_HEADER_LEN] ^= 0x40;
	assert_find_err(f, P(O_RSDP), "DMAR", "XSDT: bad checksum");
	std_layout(f, 0);
	f->mem[O_RSDT + 20] ^= 0x40;
	assert_find_err(f, P(O_RSDP), "DMAR", "RSDT: bad checksum");

	/* the XSDT address pointing at the RSDT */
	std_layout(f, 2);
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), P(O_RSDT));
	assert_find_err(f, P(O_RSDP), "DMAR", "has signature 'RSDT'");

	/* a root length below the header */
	std_layout(f, 2);
	put_root_len(f, O_XSDT, true, NULL, 0, 20);
	assert_find_err(f, P(O_RSDP), "DMAR", "shorter than the 36-byte header");

	/* a root address outside memory, a root running past its end */
	std_layout(f, 2);
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), 0x100000000ULL);
	assert_find_err(f, P(O_RSDP), "DMAR", "not in readable memory");
	std_layout(f, 2);
	put_root_len(f, FAKE_SIZE - 64, true, std_entries, 3, 0); /* 60 bytes: fits */
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), P(FAKE_SIZE - 64));
	assert_found(f, P(O_RSDP), "APIC", P(O_APIC), L_APIC);
	put_root_len(f, FAKE_SIZE - 64, true, std_entries, 3, 68); /* 68 bytes claimed, 64 there */
	assert_find_err(f, P(O_RSDP), "APIC", "run out of readable memory");
}

static void test_find_bad_wanted(void **state)
{
	struct fake *f = *state;

	/* the wanted table's checksum: an error; tables before and after it are still found */
	std_layout(f, 2);
	f->mem[O_DMAR + 40] ^= 1;
	assert_find_err(f, P(O_RSDP), "DMAR", "DMAR: bad checksum");
	assert_found(f, P(O_RSDP), "FACP", P(O_FACP), L_FACP);
	assert_found(f, P(O_RSDP), "APIC", P(O_APIC), L_APIC);

	/* its length running out of memory */
	std_layout(f, 2);
	put_table(f, FAKE_SIZE - 64, "DMAR", 64);
	const u64 e[] = { P(O_FACP), P(FAKE_SIZE - 64) };
	put_root(f, O_XSDT, true, e, 2);
	assert_found(f, P(O_RSDP), "DMAR", P(FAKE_SIZE - 64), 64);
	put32(f->mem + FAKE_SIZE - 64 + 4, 128);
	fix_checksum(f->mem + FAKE_SIZE - 64, 64, 9);
	assert_find_err(f, P(O_RSDP), "DMAR", "run out of readable memory");

	/* its length below the header */
	std_layout(f, 2);
	put32(f->mem + O_DMAR + 4, 35);
	assert_find_err(f, P(O_RSDP), "DMAR", "shorter than the 36-byte header");

	/* its signature readable but not its header: the last 4 bytes of memory */
	std_layout(f, 2);
	memcpy(f->mem + FAKE_SIZE - 4, "DMAR", 4);
	const u64 e2[] = { P(O_FACP), P(FAKE_SIZE - 4), P(O_DMAR) };
	put_root(f, O_XSDT, true, e2, 3);
	assert_find_err(f, P(O_RSDP), "DMAR", "not in readable memory");
}

static void test_find_skips_unreadable(void **state)
{
	struct fake *f = *state;
	const u64 e[] = {
		0x100000000ULL,          /* outside memory */
		0,                       /* a null entry */
		0xfffffffffffffff0ULL,   /* phys + len wraps */
		P(FAKE_SIZE - 2),        /* only 2 bytes readable: no signature */
		P(FAKE_SIZE),            /* just past the end */
		FAKE_BASE - 2,           /* starting just below */
		P(O_FACP),
		P(O_DMAR),
	};

	std_layout(f, 2);
	memcpy(f->mem + FAKE_SIZE - 2, "DM", 2);
	put_root(f, O_XSDT, true, e, ARRAY_SIZE(e));
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);
	assert_found(f, P(O_RSDP), "FACP", P(O_FACP), L_FACP);

	/* the same in an RSDT (32-bit entries) */
	std_layout(f, 0);
	const u64 r[] = { 0xfffffff0, 0, P(FAKE_SIZE - 2), P(O_DMAR) };
	put_root(f, O_RSDT, false, r, ARRAY_SIZE(r));
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);
}

/* ---- acpi_hide_table ---- */

static int hide(struct fake *f, const char *sig, char *err)
{
	memset(err, 0, ACPI_ERR_MAX);
	return acpi_hide_table(map_rw, f, P(O_RSDP), sig, NULL, err, ACPI_ERR_MAX);
}

/* The root table at off lists exactly e[0..n) and is a valid table of the right length. */
static void assert_root(struct fake *f, u32 off, bool x, const u64 *e, unsigned n)
{
	const u8 *p = f->mem + off;
	unsigned esz = x ? 8 : 4;
	u32 len = ACPI_HEADER_LEN + n * esz;

	assert_memory_equal(p, x ? "XSDT" : "RSDT", 4);
	assert_int_equal(get32(p + 4), len);
	assert_true(acpi_checksum_ok(p, len));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(x ? get64(p + ACPI_HEADER_LEN + 8 * i) : get32(p + ACPI_HEADER_LEN + 4 * i), e[i]);
	/* the rest of the header as it was */
	assert_int_equal(p[8], 1);
	assert_memory_equal(p + 10, "RAUMTS", 6);
	assert_memory_equal(p + 16, "UNITTEST", 8);
	assert_memory_equal(p + 28, "RAUM", 4);
}

/* Every byte outside [a, a + alen) and [b, b + blen) equal in x and y. */
static void assert_same_outside(const u8 *x, const u8 *y, u32 a, u32 alen, u32 b, u32 blen)
{
	for (u32 i = 0; i < FAKE_SIZE; i++) {
		if ((i >= a && i < a + alen) || (i >= b && i < b + blen))
			continue;
		if (x[i] != y[i])
			fail_msg("byte %#x changed from %#x to %#x", i, x[i], y[i]);
	}
}

/* hidden with a backup, then put back: every byte as before; a root table too long to keep refuses first */
static void test_hide_and_unhide(void **state)
{
	struct fake *f = *state;
	char err[ACPI_ERR_MAX] = "";
	u8 *before = malloc(FAKE_SIZE);
	struct acpi_root_backup *b = malloc(sizeof(*b));

	assert_non_null(before);
	assert_non_null(b);
	std_layout(f, 2);
	memcpy(before, f->mem, FAKE_SIZE);
	assert_rc(acpi_hide_table(map_rw, f, P(O_RSDP), "DMAR", b, err, ACPI_ERR_MAX), 2);
	assert_int_equal(b->n, 2);
	assert_int_equal(b->phys[0], P(O_XSDT));
	assert_int_equal(b->phys[1], P(O_RSDT));
	u64 phys;
	u32 len;
	assert_rc(find(f, "DMAR", &phys, &len, err), 0);
	acpi_unhide(map_rw, f, b);
	assert_memory_equal(before, f->mem, FAKE_SIZE);
	assert_found(f, P(O_RSDP), "DMAR", P(O_DMAR), L_DMAR);

	/* nothing to hide: nothing saved, and unhiding changes nothing */
	assert_rc(acpi_hide_table(map_rw, f, P(O_RSDP), "IVRS", b, err, ACPI_ERR_MAX), 0);
	assert_int_equal(b->n, 0);
	acpi_unhide(map_rw, f, b);
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	/* an XSDT longer than the backup holds (DMAR among 200 entries): refused, nothing written */
	u64 *many = calloc(200, sizeof(u64));
	assert_non_null(many);
	for (int i = 0; i < 200; i++)
		many[i] = P(O_FACP);
	many[199] = P(O_DMAR);
	put_root(f, 0x5000, true, many, 200); /* 1636 bytes: past the others */
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), P(0x5000));
	memcpy(before, f->mem, FAKE_SIZE);
	assert_rc(acpi_hide_table(map_rw, f, P(O_RSDP), "DMAR", b, err, ACPI_ERR_MAX), -RAUM_EINVAL);
	assert_non_null(strstr(err, "more than the 1024 Raum can keep"));
	assert_memory_equal(before, f->mem, FAKE_SIZE);
	/* without a backup the same hides */
	assert_rc(acpi_hide_table(map_rw, f, P(O_RSDP), "DMAR", NULL, err, ACPI_ERR_MAX), 2);
	free(many);
	free(b);
	free(before);
}

static void test_hide(void **state)
{
	struct fake *f = *state;
	char err[ACPI_ERR_MAX];
	u8 *before = malloc(FAKE_SIZE);

	assert_non_null(before);
	std_layout(f, 2);
	memcpy(before, f->mem, FAKE_SIZE);
	int rc = hide(f, "DMAR", err);
	if (rc != 2)
		fail_msg("rc %d (%s)", rc, err);

	const u64 rest[] = { P(O_FACP), P(O_APIC), P(O_MCFG) };
	assert_root(f, O_XSDT, true, rest, 3);
	assert_root(f, O_RSDT, false, rest, 3);
	/* nothing else written: the RSDP, the DMAR itself, the other tables */
	assert_same_outside(before, f->mem, O_XSDT, ACPI_HEADER_LEN + 32, O_RSDT, ACPI_HEADER_LEN + 16);

	u64 phys;
	u32 len;
	assert_rc(find(f, "DMAR", &phys, &len, err), 0);
	assert_found(f, P(O_RSDP), "FACP", P(O_FACP), L_FACP);
	assert_found(f, P(O_RSDP), "APIC", P(O_APIC), L_APIC);
	assert_found(f, P(O_RSDP), "MCFG", P(O_MCFG), L_MCFG);
	/* through the RSDT too (a revision-0 RSDP over the same tables) */
	put_rsdp(f, O_RSDP, 0, (u32)P(O_RSDT), 0);
	assert_rc(find(f, "DMAR", &phys, &len, err), 0);
	assert_found(f, P(O_RSDP), "MCFG", P(O_MCFG), L_MCFG);
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), P(O_XSDT));

	/* hiding it again: nothing left to remove, nothing changed */
	memcpy(before, f->mem, FAKE_SIZE);
	assert_rc(hide(f, "DMAR", err), 0);
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	/* the first and the last entries */
	assert_rc(hide(f, "FACP", err), 2);
	assert_rc(hide(f, "MCFG", err), 2);
	const u64 apic[] = { P(O_APIC) };
	assert_root(f, O_XSDT, true, apic, 1);
	assert_root(f, O_RSDT, false, apic, 1);
	assert_found(f, P(O_RSDP), "APIC", P(O_APIC), L_APIC);
	/* the only one: empty root tables, still valid */
	assert_rc(hide(f, "APIC", err), 2);
	assert_root(f, O_XSDT, true, NULL, 0);
	assert_root(f, O_RSDT, false, NULL, 0);
	assert_rc(find(f, "APIC", &phys, &len, err), 0);
	free(before);
}

static void test_hide_several_and_rsdt_only(void **state)
{
	struct fake *f = *state;
	char err[ACPI_ERR_MAX];
	u64 phys;
	u32 len;

	/* DMAR listed twice in the XSDT (two copies), once in the RSDT; an unreadable entry kept */
	std_layout(f, 2);
	put_table(f, 0x5000, "DMAR", 48);
	const u64 x[] = { P(0x5000), P(O_FACP), 0x100000000ULL, P(O_DMAR), P(O_APIC) };
	put_root(f, O_XSDT, true, x, ARRAY_SIZE(x));
	int rc = hide(f, "DMAR", err);
	if (rc != 3)
		fail_msg("rc %d (%s)", rc, err);
	const u64 xr[] = { P(O_FACP), 0x100000000ULL, P(O_APIC) };
	const u64 rr[] = { P(O_FACP), P(O_APIC), P(O_MCFG) };
	assert_root(f, O_XSDT, true, xr, 3);
	assert_root(f, O_RSDT, false, rr, 3);
	assert_rc(find(f, "DMAR", &phys, &len, err), 0);

	/* revision 0: the RSDT only (an XSDT in memory is not touched) */
	std_layout(f, 0);
	rc = hide(f, "DMAR", err);
	if (rc != 1)
		fail_msg("rc %d (%s)", rc, err);
	assert_root(f, O_RSDT, false, rr, 3);
	assert_root(f, O_XSDT, true, std_entries, 4);
	assert_rc(find(f, "DMAR", &phys, &len, err), 0);
}

static void test_hide_absent_or_malformed(void **state)
{
	struct fake *f = *state;
	char err[ACPI_ERR_MAX];
	u8 *before = malloc(FAKE_SIZE);

	assert_non_null(before);

	/* absent: 0, nothing changed */
	std_layout(f, 2);
	memcpy(before, f->mem, FAKE_SIZE);
	assert_rc(hide(f, "IVRS", err), 0);
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	/* the RSDT malformed while the XSDT is fine: an error, and the XSDT not touched either */
	put_root_len(f, O_RSDT, false, std_entries, 4, ACPI_HEADER_LEN + 14);
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "RSDT");
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	std_layout(f, 2);
	f->mem[O_RSDT + 30] ^= 1; /* checksum */
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "checksum is bad");
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	/* the XSDT malformed */
	std_layout(f, 2);
	put_root_len(f, O_XSDT, true, std_entries, 4, ACPI_HEADER_LEN + 28);
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "partial entry");
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	/* the XSDT address pointing at something else */
	std_layout(f, 2);
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), P(O_FACP));
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "no XSDT table");
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	/* a root table running out of memory */
	std_layout(f, 2);
	put_root_len(f, FAKE_SIZE - 64, true, std_entries, 3, 68);
	put_rsdp(f, O_RSDP, 2, (u32)P(O_RSDT), P(FAKE_SIZE - 64));
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "not readable");
	assert_memory_equal(before, f->mem, FAKE_SIZE);

	/* the RSDP: bad signature, bad checksum, bad extended checksum, no root at all */
	std_layout(f, 2);
	f->mem[O_RSDP] = 'r';
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "RSDP");
	assert_memory_equal(before, f->mem, FAKE_SIZE);
	std_layout(f, 2);
	f->mem[O_RSDP + 16] ^= 1;
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "RSDP");
	assert_memory_equal(before, f->mem, FAKE_SIZE);
	std_layout(f, 2);
	f->mem[O_RSDP + 24] ^= 1;
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "extended part");
	assert_memory_equal(before, f->mem, FAKE_SIZE);
	std_layout(f, 2);
	put_rsdp(f, O_RSDP, 2, 0, 0);
	memcpy(before, f->mem, FAKE_SIZE);
	assert_true(hide(f, "DMAR", err) < 0);
	assert_err(err, "neither an XSDT nor an RSDT");
	assert_memory_equal(before, f->mem, FAKE_SIZE);
	free(before);
}

/* ---- DMAR ---- */

static void dmar_begin(struct tbl *t, u8 haw_field, u8 flags)
{
	tbl_begin(t, "DMAR", 48);
	t->b[36] = haw_field;
	t->b[37] = flags;
}

/* A remapping structure of type and length len (the body zero). */
static u8 *dmar_struct(struct tbl *t, u16 type, u16 len)
{
	u8 *p = tbl_add(t, len);
	put16(p, type);
	put16(p + 2, len);
	return p;
}

/* A DRHD with room for scope_bytes of device scopes (from its byte 16). */
static u8 *drhd(struct tbl *t, u8 flags, u8 size, u16 seg, u64 base, u16 scope_bytes)
{
	u8 *p = dmar_struct(t, 0, (u16)(16 + scope_bytes));
	p[4] = flags;
	p[5] = size;
	put16(p + 6, seg);
	put64(p + 8, base);
	return p;
}

/* An RMRR with room for scope_bytes of device scopes (from its byte 24). */
static u8 *rmrr(struct tbl *t, u16 seg, u64 base, u64 limit, u16 scope_bytes)
{
	u8 *p = dmar_struct(t, 1, (u16)(24 + scope_bytes));
	put16(p + 6, seg);
	put64(p + 8, base);
	put64(p + 16, limit);
	return p;
}

/* A device scope of len bytes at p (one path entry when len >= 8). */
static void scope(u8 *p, u8 type, u8 len, u8 bus, u8 dev, u8 fn)
{
	p[0] = type;
	p[1] = len;
	if (len >= 8) {
		p[4] = 0;
		p[5] = bus;
		p[6] = dev;
		p[7] = fn;
	}
}

static int dmar_len(const struct tbl *t, u32 len, struct dmar_info *out, char *err)
{
	u8 *p = heap_copy(t, len);
	memset(err, 0, ACPI_ERR_MAX);
	int rc = dmar_parse(p, len, out, err, ACPI_ERR_MAX);
	free(p);
	return rc;
}

static int dmar(const struct tbl *t, struct dmar_info *out, char *err) { return dmar_len(t, t->len, out, err); }

static void assert_dmar_ok(const struct tbl *t, struct dmar_info *out)
{
	char err[ACPI_ERR_MAX];
	int rc = dmar(t, out, err);
	if (rc)
		fail_msg("rc %d (%s)", rc, err);
}

static void assert_dmar_err(const struct tbl *t, const char *sub)
{
	struct dmar_info *d = malloc(sizeof(*d));
	char err[ACPI_ERR_MAX];

	assert_non_null(d);
	assert_rc(dmar(t, d, err), -RAUM_EINVAL);
	assert_err(err, sub);
	free(d);
}

/* QEMU's intel-iommu: HAW 39, interrupt remapping, one INCLUDE_PCI_ALL DRHD at 0xfed90000. */
static void qemu_dmar(struct tbl *t)
{
	dmar_begin(t, 38, 1);
	drhd(t, 1, 0, 0, 0xfed90000, 0);
	tbl_end(t);
}

static void test_dmar_qemu(void **state)
{
	(void)state;
	struct tbl t;
	struct dmar_info d;

	qemu_dmar(&t);
	assert_int_equal(t.len, 64);
	memset(&d, 0xa5, sizeof(d));
	assert_dmar_ok(&t, &d);
	assert_int_equal(d.haw, 39);
	assert_int_equal(d.flags, DMAR_F_INTR_REMAP);
	assert_int_equal(d.nr_units, 1);
	assert_int_equal(d.nr_rmrr, 0);
	assert_int_equal(d.unit[0].reg_base, 0xfed90000);
	assert_int_equal(d.unit[0].reg_size, 4096);
	assert_int_equal(d.unit[0].segment, 0);
	assert_true(d.unit[0].include_all);
}

static void test_dmar_full(void **state)
{
	(void)state;
	struct tbl t;
	struct dmar_info d;
	u8 *p;

	dmar_begin(&t, 45, 3); /* 46 bits, interrupt remapping, x2APIC opt-out */
	/* a unit for two devices: a PCI endpoint and a subhierarchy with a two-step path */
	p = drhd(&t, 0, 0, 0, 0xfed91000, 18);
	scope(p + 16, 1, 8, 0, 2, 0);
	scope(p + 24, 2, 10, 0, 0x1c, 0);
	p[32] = 0; p[33] = 0;
	/* the catch-all units of segments 0 and 1, 16 KiB of registers each */
	drhd(&t, 1, 2, 0, 0xfed94000, 0);
	drhd(&t, 1, 2, 1, 0xfed98000, 0);
	/* a unit right after the first one's 4 KiB */
	drhd(&t, 0, 0, 1, 0xfed92000, 0);
	/* an RMRR with an endpoint scope */
	p = rmrr(&t, 0, 0x7d000000, 0x7d7fffff, 8);
	scope(p + 24, 1, 8, 0, 0x14, 0);
	rmrr(&t, 1, 0x1000, 0x1fff, 0);
	/* ATSR, RHSA, ANDD, SATC, and reserved types 0x80 and 0xffff: skipped */
	dmar_struct(&t, 2, 8);
	dmar_struct(&t, 3, 20);
	dmar_struct(&t, 4, 12);
	dmar_struct(&t, 5, 16);
	dmar_struct(&t, 0x80, 4);
	dmar_struct(&t, 0xffff, 9);
	tbl_end(&t);
	assert_dmar_ok(&t, &d);
	assert_int_equal(d.haw, 46);
	assert_int_equal(d.flags, DMAR_F_INTR_REMAP | DMAR_F_X2APIC_OPT_OUT);
	assert_int_equal(d.nr_units, 4);
	assert_int_equal(d.unit[0].reg_base, 0xfed91000);
	assert_int_equal(d.unit[0].reg_size, 4096);
	assert_false(d.unit[0].include_all);
	assert_int_equal(d.unit[1].reg_base, 0xfed94000);
	assert_int_equal(d.unit[1].reg_size, 16384);
	assert_true(d.unit[1].include_all);
	assert_int_equal(d.unit[1].segment, 0);
	assert_int_equal(d.unit[2].segment, 1);
	assert_true(d.unit[2].include_all);
	assert_int_equal(d.unit[3].reg_base, 0xfed92000);
	assert_int_equal(d.unit[3].segment, 1);
	assert_int_equal(d.nr_rmrr, 2);
	assert_int_equal(d.rmrr[0].base, 0x7d000000);
	assert_int_equal(d.rmrr[0].limit, 0x7d7fffff);
	assert_int_equal(d.rmrr[0].segment, 0);
	assert_int_equal(d.rmrr[1].base, 0x1000);
	assert_int_equal(d.rmrr[1].limit, 0x1fff);
	assert_int_equal(d.rmrr[1].segment, 1);

	/* HAW 32 is the lowest accepted; exactly DMAR_MAX_UNITS units and DMAR_MAX_RMRR RMRRs */
	dmar_begin(&t, 31, 0);
	for (unsigned i = 0; i < DMAR_MAX_UNITS; i++)
		drhd(&t, 0, 0, 0, 0xfed00000 + 0x1000ULL * i, 0);
	for (unsigned i = 0; i < DMAR_MAX_RMRR; i++)
		rmrr(&t, 0, 0x100000ULL * (i + 1), 0x100000ULL * (i + 1) + 0xfff, 0);
	tbl_end(&t);
	assert_dmar_ok(&t, &d);
	assert_int_equal(d.haw, 32);
	assert_int_equal(d.nr_units, DMAR_MAX_UNITS);
	assert_int_equal(d.nr_rmrr, DMAR_MAX_RMRR);
	assert_int_equal(d.unit[7].reg_base, 0xfed07000);
}

static void test_dmar_bad_table(void **state)
{
	(void)state;
	struct tbl t;
	struct dmar_info d;
	char err[ACPI_ERR_MAX];

	/* shorter than 48 */
	tbl_begin(&t, "DMAR", 40);
	t.b[36] = 38;
	tbl_end(&t);
	assert_dmar_err(&t, "length 40 is below 48");
	tbl_begin(&t, "DMAR", 36);
	tbl_end(&t);
	assert_dmar_err(&t, "length 36 is below 48");

	/* a length that disagrees with the header */
	qemu_dmar(&t);
	assert_rc(dmar_len(&t, 63, &d, err), -RAUM_EINVAL);
	assert_err(err, "disagrees");

	/* a bad checksum */
	qemu_dmar(&t);
	t.b[20] ^= 1;
	assert_dmar_err(&t, "checksum is bad");

	/* HAW below 32 */
	dmar_begin(&t, 30, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "host address width 31 is below 32");

	/* no DRHD: an RMRR only, nothing at all */
	dmar_begin(&t, 38, 1);
	rmrr(&t, 0, 0x1000, 0x1fff, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "no remapping unit");
	dmar_begin(&t, 38, 1);
	tbl_end(&t);
	assert_dmar_err(&t, "no remapping unit");

	/* more units or RMRRs than the arrays hold */
	dmar_begin(&t, 38, 0);
	for (unsigned i = 0; i <= DMAR_MAX_UNITS; i++)
		drhd(&t, 0, 0, 0, 0xfed00000 + 0x1000ULL * i, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "more than 8 remapping units");
	dmar_begin(&t, 38, 0);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	for (unsigned i = 0; i <= DMAR_MAX_RMRR; i++)
		rmrr(&t, 0, 0x100000ULL * (i + 1), 0x100000ULL * (i + 1) + 0xfff, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "more than 16 reserved-memory ranges");
}

static void test_dmar_bad_structures(void **state)
{
	(void)state;
	struct tbl t;
	u8 *p;

	/* structure lengths: below 4, past the end, a partial structure header at the end */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	p = dmar_struct(&t, 2, 8);
	put16(p + 2, 2);
	tbl_end(&t);
	assert_dmar_err(&t, "the structure at offset 64 has length 2 (below 4");
	put16(p + 2, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "has length 0");
	put16(p + 2, 12);
	tbl_end(&t);
	assert_dmar_err(&t, "past the table's end");

	qemu_dmar(&t);
	put16(t.b + 48 + 2, 24); /* the DRHD claims 24 bytes, 16 are there */
	tbl_end(&t);
	assert_dmar_err(&t, "past the table's end");

	qemu_dmar(&t);
	tbl_add(&t, 3);
	tbl_end(&t);
	assert_dmar_err(&t, "the structure at offset 64 is cut short by the table's end");

	/* a DRHD below its fixed part */
	dmar_begin(&t, 38, 1);
	dmar_struct(&t, 0, 12);
	tbl_end(&t);
	assert_dmar_err(&t, "below its 16-byte fixed part");

	/* an RMRR below its fixed part */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	dmar_struct(&t, 1, 16);
	tbl_end(&t);
	assert_dmar_err(&t, "below its 24-byte fixed part");

	/* unknown types (SIDP 6 and later ones, reserved 0x80+) are skipped by their length: new firmware keeps its IOMMU */
	for (unsigned type = 6; type <= 0x7f; type += 0x79) {
		struct dmar_info *d = malloc(sizeof(*d));
		char err[ACPI_ERR_MAX] = "";
		assert_non_null(d);
		dmar_begin(&t, 38, 1);
		drhd(&t, 1, 0, 0, 0xfed90000, 0);
		dmar_struct(&t, (u16)type, 8);
		tbl_end(&t);
		assert_rc(dmar(&t, d, err), 0);
		assert_int_equal(d->nr_units, 1);
		free(d);
	}
	/* but an unknown structure still may not run past the table */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	u8 *u = dmar_struct(&t, 7, 8);
	put16(u + 2, 200); /* its length */
	tbl_end(&t);
	assert_dmar_err(&t, "past the table's end");
}

static void test_dmar_bad_drhd(void **state)
{
	(void)state;
	struct tbl t;
	struct dmar_info d;

	/* zero and unaligned register bases */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "register base 0 (zero or not 4 KiB aligned)");
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90800, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "register base 0xfed90800");

	/* overlapping register windows: the first unit is 8 KiB (size 1) */
	dmar_begin(&t, 38, 1);
	drhd(&t, 0, 1, 0, 0xfed90000, 0);
	drhd(&t, 1, 0, 0, 0xfed91000, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "overlaps unit 0's registers at 0xfed90000");
	dmar_begin(&t, 38, 1);
	drhd(&t, 0, 1, 0, 0xfed90000, 0);
	drhd(&t, 1, 0, 0, 0xfed92000, 0);
	tbl_end(&t);
	assert_dmar_ok(&t, &d);
	assert_int_equal(d.unit[0].reg_size, 8192);
	/* the same base twice, in another segment: still one register page */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	drhd(&t, 1, 0, 1, 0xfed90000, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "overlaps unit 0");
	/* a later unit whose window covers an earlier one */
	dmar_begin(&t, 38, 1);
	drhd(&t, 0, 0, 0, 0xfed93000, 0);
	drhd(&t, 1, 3, 0, 0xfed90000, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "overlaps unit 0");

	/* a register window that wraps */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 5, 0, 0xffffffffffff0000ULL, 0); /* 128 KiB from 64 KiB below the top */
	tbl_end(&t);
	assert_dmar_err(&t, "wraps");

	/* two INCLUDE_PCI_ALL units in one segment */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	drhd(&t, 0, 0, 0, 0xfed91000, 0);
	drhd(&t, 1, 0, 0, 0xfed92000, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "second INCLUDE_PCI_ALL unit of segment 0");
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 7, 0xfed90000, 0);
	drhd(&t, 1, 0, 7, 0xfed91000, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "second INCLUDE_PCI_ALL unit of segment 7");
}

static void test_dmar_bad_rmrr(void **state)
{
	(void)state;
	struct tbl t;

	static const struct { u64 base, limit; } bad[] = {
		{ 0x2000, 0x0fff },   /* base > limit */
		{ 0x1800, 0x2fff },   /* unaligned base */
		{ 0x1000, 0x1ffe },   /* limit + 1 unaligned */
		{ 0x1000, 0x1000 },   /* limit + 1 unaligned */
		{ 0x2000, 0x1fff },   /* empty: base == limit + 1 */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		dmar_begin(&t, 38, 1);
		drhd(&t, 1, 0, 0, 0xfed90000, 0);
		rmrr(&t, 0, bad[i].base, bad[i].limit, 0);
		tbl_end(&t);
		assert_dmar_err(&t, "(unaligned or empty)");
	}
}

static void test_dmar_bad_scopes(void **state)
{
	(void)state;
	struct tbl t;
	u8 *p;

	/* a scope length below 6 (0 would never advance) */
	static const u8 short_lens[] = { 0, 1, 5 };
	for (unsigned i = 0; i < ARRAY_SIZE(short_lens); i++) {
		dmar_begin(&t, 38, 1);
		p = drhd(&t, 0, 0, 0, 0xfed90000, 8);
		scope(p + 16, 1, short_lens[i], 0, 0, 0);
		tbl_end(&t);
		assert_dmar_err(&t, "device scope at offset 64 of the structure at offset 48 is cut short");
	}
	/* a scope longer than what is left of its structure (the table goes on after it) */
	dmar_begin(&t, 38, 1);
	p = drhd(&t, 0, 0, 0, 0xfed90000, 8);
	scope(p + 16, 1, 10, 0, 2, 0);
	drhd(&t, 1, 0, 0, 0xfed91000, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "cut short");
	/* a good scope followed by 4 bytes */
	dmar_begin(&t, 38, 1);
	p = drhd(&t, 0, 0, 0, 0xfed90000, 12);
	scope(p + 16, 1, 8, 0, 2, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "device scope at offset 72 of the structure at offset 48 is cut short");
	/* a 6-byte scope (no path) fits */
	dmar_begin(&t, 38, 1);
	p = drhd(&t, 1, 0, 0, 0xfed90000, 6);
	scope(p + 16, 3, 6, 0, 0, 0);
	tbl_end(&t);
	struct dmar_info d;
	assert_dmar_ok(&t, &d);
	/* an RMRR's scopes are checked too */
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	p = rmrr(&t, 0, 0x1000, 0x1fff, 8);
	scope(p + 24, 1, 4, 0, 0, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "of the structure at offset 64 is cut short");
	dmar_begin(&t, 38, 1);
	drhd(&t, 1, 0, 0, 0xfed90000, 0);
	p = rmrr(&t, 0, 0x1000, 0x1fff, 8);
	scope(p + 24, 1, 9, 0, 0, 0);
	tbl_end(&t);
	assert_dmar_err(&t, "cut short");
}

/* ---- IVRS ---- */

static void ivrs_begin(struct tbl *t, u32 ivinfo)
{
	tbl_begin(t, "IVRS", 48);
	put32(t->b + 36, ivinfo);
}

/* An IVHD of type 0x10 (24-byte header) or 0x11 / 0x40 (40) with room for entries bytes of device entries. */
static u8 *ivhd(struct tbl *t, u8 type, u16 bdf, u16 seg, u64 base, u16 entries)
{
	u16 hl = type == 0x10 ? 24 : 40;
	u8 *p = tbl_add(t, hl + entries);
	p[0] = type;
	p[1] = (u8)(0xb0 | (type & 3)); /* flags, different per type */
	put16(p + 2, (u16)(hl + entries));
	put16(p + 4, bdf);
	put16(p + 6, 0x40);        /* capability offset */
	put64(p + 8, base);
	put16(p + 16, seg);
	put16(p + 18, 0x1300);     /* IOMMU info */
	put32(p + 20, 0x80048f6e ^ type); /* feature reporting / attributes */
	if (type != 0x10)
		put64(p + 24, 0x00000a0000000000ULL | type); /* EFR image */
	return p;
}

static void ent4(u8 *p, u8 type, u16 devid, u8 dte)
{
	p[0] = type;
	put16(p + 1, devid);
	p[3] = dte;
}

/* A type-0xF0 ACPI HID entry with a UID of uid_len bytes: 22 + uid_len bytes. */
static void ent_hid(u8 *p, u16 devid, u8 uid_len)
{
	p[0] = 0xf0;
	put16(p + 1, devid);
	memcpy(p + 4, "AMDI0020", 8); /* HID */
	memset(p + 12, 0, 8);         /* CID */
	p[20] = 2;                    /* UID format: a string */
	p[21] = uid_len;
	for (u8 i = 0; i < uid_len; i++)
		p[22 + i] = (u8)('0' + i % 10);
}

#define QEMU_ENTRIES (4 + 4 + 8 + 26)

/* QEMU-like device entries: select-all range 0000-ffff, an alias, an ACPI HID device with a 4-byte UID. */
static void qemu_entries(u8 *e)
{
	ent4(e, 3, 0x0000, 0);      /* start of range */
	ent4(e + 4, 4, 0xffff, 0);  /* end of range */
	ent4(e + 8, 0x42, 0x00a0, 0); /* alias select: 8 bytes */
	put16(e + 8 + 5, 0x00a8);
	ent_hid(e + 16, 0x00a0, 4);
}

static u8 *ivmd(struct tbl *t, u8 type, u8 flags, u16 dev, u16 aux, u64 start, u64 len)
{
	u8 *p = tbl_add(t, 32);
	p[0] = type;
	p[1] = flags;
	put16(p + 2, 32);
	put16(p + 4, dev);
	put16(p + 6, aux);
	put64(p + 16, start);
	put64(p + 24, len);
	return p;
}

static int ivrs_len(const struct tbl *t, u32 len, struct ivrs_info *out, char *err)
{
	u8 *p = heap_copy(t, len);
	memset(err, 0, ACPI_ERR_MAX);
	int rc = ivrs_parse(p, len, out, err, ACPI_ERR_MAX);
	free(p);
	return rc;
}

static void assert_ivrs_ok(const struct tbl *t, struct ivrs_info *out)
{
	char err[ACPI_ERR_MAX];
	int rc = ivrs_len(t, t->len, out, err);
	if (rc)
		fail_msg("rc %d (%s)", rc, err);
}

static void assert_ivrs_err(const struct tbl *t, const char *sub)
{
	struct ivrs_info *v = malloc(sizeof(*v));
	char err[ACPI_ERR_MAX];

	assert_non_null(v);
	assert_rc(ivrs_len(t, t->len, v, err), -RAUM_EINVAL);
	assert_err(err, sub);
	free(v);
}

/* QEMU's amd-iommu at 00:02.0 (bdf 0x0010), MMIO 0xfed80000: an IVHD 10h and an IVHD 11h. */
static void qemu_ivrs(struct tbl *t)
{
	ivrs_begin(t, 0x00203041);
	qemu_entries(ivhd(t, 0x10, 0x0010, 0, 0xfed80000, QEMU_ENTRIES) + 24);
	qemu_entries(ivhd(t, 0x11, 0x0010, 0, 0xfed80000, QEMU_ENTRIES) + 40);
	tbl_end(t);
}

static void test_ivrs_qemu(void **state)
{
	(void)state;
	struct tbl t;
	struct ivrs_info v;

	qemu_ivrs(&t);
	assert_int_equal(t.len, 48 + 24 + QEMU_ENTRIES + 40 + QEMU_ENTRIES);
	memset(&v, 0xa5, sizeof(v));
	assert_ivrs_ok(&t, &v);
	assert_int_equal(v.ivinfo, 0x00203041);
	assert_int_equal(v.nr_units, 1);
	assert_int_equal(v.nr_ivmd, 0);
	assert_int_equal(v.unit[0].type, 0x11);
	assert_int_equal(v.unit[0].flags, 0xb1);
	assert_int_equal(v.unit[0].bdf, 0x0010);
	assert_int_equal(v.unit[0].cap_offset, 0x40);
	assert_int_equal(v.unit[0].segment, 0);
	assert_int_equal(v.unit[0].info, 0x1300);
	assert_int_equal(v.unit[0].mmio_base, 0xfed80000);
	assert_int_equal(v.unit[0].efr, 0x00000a0000000011ULL);
	assert_int_equal(v.unit[0].feature, 0x80048f6e ^ 0x11);

	/* the 10h block alone: a type-10h unit, no EFR */
	ivrs_begin(&t, 0);
	qemu_entries(ivhd(&t, 0x10, 0x0010, 0, 0xfed80000, QEMU_ENTRIES) + 24);
	tbl_end(&t);
	assert_ivrs_ok(&t, &v);
	assert_int_equal(v.nr_units, 1);
	assert_int_equal(v.unit[0].type, 0x10);
	assert_int_equal(v.unit[0].efr, 0);
	assert_int_equal(v.unit[0].feature, 0x80048f6e ^ 0x10);
}

static void test_ivrs_merge_and_skip(void **state)
{
	(void)state;
	struct tbl t;
	struct ivrs_info v;

	/* 11h before 10h, then 40h: the highest type wins whatever the order */
	ivrs_begin(&t, 0);
	ivhd(&t, 0x11, 0x0010, 0, 0xfed80000, 0);
	ivhd(&t, 0x10, 0x0010, 0, 0xfed80000, 0);
	tbl_end(&t);
	assert_ivrs_ok(&t, &v);
	assert_int_equal(v.nr_units, 1);
	assert_int_equal(v.unit[0].type, 0x11);
	assert_int_equal(v.unit[0].efr, 0x00000a0000000011ULL);
	ivhd(&t, 0x40, 0x0010, 0, 0xfed80000, 8);
	tbl_end(&t);
	assert_ivrs_ok(&t, &v);
	assert_int_equal(v.nr_units, 1);
	assert_int_equal(v.unit[0].type, 0x40);
	assert_int_equal(v.unit[0].efr, 0x00000a0000000040ULL);

	/* two IOMMUs, MMIO windows next to each other; an unknown block type skipped; IVMDs */
	ivrs_begin(&t, 0);
	ivhd(&t, 0x10, 0x0010, 0, 0xfed80000, 0);
	u8 *p = tbl_add(&t, 12);
	p[0] = 0x30;
	put16(p + 2, 12);
	ivhd(&t, 0x10, 0x4010, 0, 0xfed84000, 0);
	ivhd(&t, 0x10, 0x0010, 1, 0xfed88000, 0); /* same device ID, another segment: another IOMMU */
	ivmd(&t, 0x20, 0x7, 0, 0, 0x100000, 0x10000);
	ivmd(&t, 0x21, 0x1, 0x00a0, 0, 0x200000, 0x1000);
	ivmd(&t, 0x22, 0x8, 0x0100, 0x01ff, 0x300000, 0x2000);
	ivmd(&t, 0x22, 0x1, 0x0100, 0x0100, 0xffffffffffffe000ULL, 0x1000); /* one device; high up */
	tbl_end(&t);
	assert_ivrs_ok(&t, &v);
	assert_int_equal(v.nr_units, 3);
	assert_int_equal(v.unit[1].bdf, 0x4010);
	assert_int_equal(v.unit[1].mmio_base, 0xfed84000);
	assert_int_equal(v.unit[2].segment, 1);
	assert_int_equal(v.nr_ivmd, 4);
	assert_int_equal(v.ivmd[0].type, 0x20);
	assert_int_equal(v.ivmd[0].flags, 7);
	assert_int_equal(v.ivmd[0].first, 0);
	assert_int_equal(v.ivmd[0].last, 0xffff);
	assert_int_equal(v.ivmd[0].base, 0x100000);
	assert_int_equal(v.ivmd[0].length, 0x10000);
	assert_int_equal(v.ivmd[1].first, 0x00a0);
	assert_int_equal(v.ivmd[1].last, 0x00a0);
	assert_int_equal(v.ivmd[2].type, 0x22);
	assert_int_equal(v.ivmd[2].first, 0x0100);
	assert_int_equal(v.ivmd[2].last, 0x01ff);
	assert_int_equal(v.ivmd[2].flags, 8);
	assert_int_equal(v.ivmd[3].last, 0x0100);

	/* exactly IVRS_MAX_UNITS units and IVRS_MAX_IVMD IVMDs */
	ivrs_begin(&t, 0);
	for (unsigned i = 0; i < IVRS_MAX_UNITS; i++)
		ivhd(&t, 0x10, (u16)(0x10 + i), 0, 0xfd000000 + 0x4000ULL * i, 0);
	for (unsigned i = 0; i < IVRS_MAX_IVMD; i++)
		ivmd(&t, 0x21, 1, (u16)i, 0, 0x100000ULL * (i + 1), 0x1000);
	tbl_end(&t);
	assert_ivrs_ok(&t, &v);
	assert_int_equal(v.nr_units, IVRS_MAX_UNITS);
	assert_int_equal(v.nr_ivmd, IVRS_MAX_IVMD);
}

static void test_ivrs_bad_table(void **state)
{
	(void)state;
	struct tbl t;
	struct ivrs_info v;
	char err[ACPI_ERR_MAX];
	u8 *p;

	tbl_begin(&t, "IVRS", 44);
	tbl_end(&t);
	assert_ivrs_err(&t, "length 44 is below 48");
	qemu_ivrs(&t);
	t.b[100] ^= 1;
	assert_ivrs_err(&t, "checksum is bad");
	qemu_ivrs(&t);
	assert_rc(ivrs_len(&t, t.len - 1, &v, err), -RAUM_EINVAL);
	assert_err(err, "disagrees");

	/* no IVHD: nothing, an IVMD only, an unknown block only */
	ivrs_begin(&t, 0);
	tbl_end(&t);
	assert_ivrs_err(&t, "no IOMMU (IVHD)");
	ivmd(&t, 0x20, 1, 0, 0, 0x100000, 0x1000);
	p = tbl_add(&t, 8);
	p[0] = 0x50;
	put16(p + 2, 8);
	tbl_end(&t);
	assert_ivrs_err(&t, "no IOMMU (IVHD)");

	/* block lengths: past the end, below 4, a partial block header, below the IVHD header */
	qemu_ivrs(&t);
	put16(t.b + 48 + 24 + QEMU_ENTRIES + 2, 40 + QEMU_ENTRIES + 1);
	tbl_end(&t);
	assert_ivrs_err(&t, "past the table's end");
	qemu_ivrs(&t);
	put16(t.b + 48 + 2, 3);
	tbl_end(&t);
	assert_ivrs_err(&t, "the block at offset 48 has length 3");
	qemu_ivrs(&t);
	tbl_add(&t, 2);
	tbl_end(&t);
	assert_ivrs_err(&t, "is cut short by the table's end");
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 0);
	p[0] = 0x11; /* a 24-byte block claiming type 11h */
	tbl_end(&t);
	assert_ivrs_err(&t, "the IVHD at offset 48 is 24 bytes, below its 40-byte header");
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 0);
	put16(p + 2, 20);
	tbl_end(&t);
	assert_ivrs_err(&t, "below its 24-byte header");

	/* more units / IVMDs than the arrays hold */
	ivrs_begin(&t, 0);
	for (unsigned i = 0; i <= IVRS_MAX_UNITS; i++)
		ivhd(&t, 0x10, (u16)(0x10 + i), 0, 0xfd000000 + 0x4000ULL * i, 0);
	tbl_end(&t);
	assert_ivrs_err(&t, "more than 8 IOMMUs");
	ivrs_begin(&t, 0);
	ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 0);
	for (unsigned i = 0; i <= IVRS_MAX_IVMD; i++)
		ivmd(&t, 0x21, 1, (u16)i, 0, 0x100000ULL * (i + 1), 0x1000);
	tbl_end(&t);
	assert_ivrs_err(&t, "more than 16 memory definitions");
}

static void test_ivrs_bad_ivhd(void **state)
{
	(void)state;
	struct tbl t;
	u8 *p;

	/* MMIO bases: zero, 4 / 8 KiB but not 16 KiB aligned, unaligned */
	static const u64 bases[] = { 0, 0xfed81000, 0xfed82000, 0xfed80010 };
	for (unsigned i = 0; i < ARRAY_SIZE(bases); i++) {
		ivrs_begin(&t, 0);
		ivhd(&t, i & 1 ? 0x11 : 0x10, 0x10, 0, bases[i], 0);
		tbl_end(&t);
		assert_ivrs_err(&t, "(zero or not 16 KiB aligned)");
	}

	/* two IOMMUs whose 16 KiB windows overlap */
	ivrs_begin(&t, 0);
	ivhd(&t, 0x10, 0x0010, 0, 0xfed80000, 0);
	ivhd(&t, 0x10, 0x0018, 0, 0xfed80000, 0); /* aligned 16 KiB windows overlap only when equal */
	tbl_end(&t);
	assert_ivrs_err(&t, "overlaps unit 0's MMIO at 0xfed80000");
	ivrs_begin(&t, 0);
	ivhd(&t, 0x10, 0x0010, 0, 0xfed80000, 0);
	ivhd(&t, 0x10, 0x0010, 1, 0xfed80000, 0); /* another segment, same window */
	tbl_end(&t);
	assert_ivrs_err(&t, "overlaps unit 0");

	/* one IOMMU (same segment and device ID) with two MMIO bases */
	ivrs_begin(&t, 0);
	ivhd(&t, 0x10, 0x0010, 0, 0xfed80000, 0);
	ivhd(&t, 0x11, 0x0010, 0, 0xfed84000, 0);
	tbl_end(&t);
	assert_ivrs_err(&t, "names IOMMU 0010 with another MMIO base");

	/* device entries of unknown types */
	static const u8 unknown[] = { 0x80, 0xbf, 0xef, 0xf1, 0xff };
	for (unsigned i = 0; i < ARRAY_SIZE(unknown); i++) {
		ivrs_begin(&t, 0);
		p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 4 + 32);
		ent4(p + 24, 3, 0, 0);
		ent4(p + 28, unknown[i], 0, 0);
		tbl_end(&t);
		char sub[64];
		snprintf(sub, sizeof(sub), "device entry of type %#x at offset 76", unknown[i]);
		assert_ivrs_err(&t, sub);
	}

	/* device entries cut short by their block (another block follows, so the table goes on) */
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x11, 0x10, 0, 0xfed80000, 4 + 4);
	ent4(p + 40, 1, 0, 0);
	ent4(p + 44, 0x42, 0x00a0, 0); /* 8 bytes, 4 left */
	ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 0);
	tbl_end(&t);
	assert_ivrs_err(&t, "device entry of type 0x42 at offset 92 that is unknown or cut short");
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 2);
	p[24] = 2;
	ivhd(&t, 0x11, 0x10, 0, 0xfed80000, 0);
	tbl_end(&t);
	assert_ivrs_err(&t, "device entry of type 0x2 at offset 72");
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 20); /* an ACPI HID entry without room for its 22 bytes */
	p[24] = 0xf0;
	ivhd(&t, 0x11, 0x10, 0, 0xfed80000, 0);
	tbl_end(&t);
	assert_ivrs_err(&t, "device entry of type 0xf0");
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 22 + 4);
	ent_hid(p + 24, 0xa0, 5); /* a UID one byte longer than the block */
	ivhd(&t, 0x11, 0x10, 0, 0xfed80000, 0);
	tbl_end(&t);
	assert_ivrs_err(&t, "device entry of type 0xf0 at offset 72");
	/* the same UID length with room for it: fine */
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 22 + 5);
	ent_hid(p + 24, 0xa0, 5);
	tbl_end(&t);
	struct ivrs_info v;
	assert_ivrs_ok(&t, &v);
	/* an ACPI HID entry with no UID, then an 8-byte entry */
	ivrs_begin(&t, 0);
	p = ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 22 + 8);
	ent_hid(p + 24, 0xa0, 0);
	ent4(p + 46, 0x48, 0, 0xd7);
	tbl_end(&t);
	assert_ivrs_ok(&t, &v);
}

static void test_ivrs_bad_ivmd(void **state)
{
	(void)state;
	struct tbl t;

	static const struct { u8 type; u16 dev, aux; u64 start, len; } bad[] = {
		{ 0x20, 0, 0, 0x100800, 0x1000 },              /* unaligned base */
		{ 0x21, 0xa0, 0, 0x100000, 0x1800 },           /* unaligned length */
		{ 0x21, 0xa0, 0, 0x100000, 0 },                /* zero length */
		{ 0x20, 0, 0, 0xfffffffffff00000ULL, 0x200000 }, /* wraps */
		{ 0x22, 0x0020, 0x0010, 0x100000, 0x1000 },     /* last < first */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		ivrs_begin(&t, 0);
		ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 0);
		ivmd(&t, bad[i].type, 1, bad[i].dev, bad[i].aux, bad[i].start, bad[i].len);
		tbl_end(&t);
		assert_ivrs_err(&t, "(unaligned, empty, wrapping or a reversed range)");
	}
	/* an IVMD shorter than 32 bytes */
	ivrs_begin(&t, 0);
	ivhd(&t, 0x10, 0x10, 0, 0xfed80000, 0);
	u8 *p = tbl_add(&t, 24);
	p[0] = 0x21;
	put16(p + 2, 24);
	tbl_end(&t);
	assert_ivrs_err(&t, "the IVMD at offset 72 is 24 bytes, below 32");
}

/* ---- MCFG ---- */

static void mcfg_begin(struct tbl *t) { tbl_begin(t, "MCFG", 44); }

static u8 *mcfg_ent(struct tbl *t, u64 base, u16 seg, u8 bus_start, u8 bus_end)
{
	u8 *p = tbl_add(t, 16);
	put64(p, base);
	put16(p + 8, seg);
	p[10] = bus_start;
	p[11] = bus_end;
	return p;
}

static int mcfg_len(const struct tbl *t, u32 len, struct mcfg_seg *out, char *err)
{
	u8 *p = heap_copy(t, len);
	memset(err, 0, ACPI_ERR_MAX);
	int rc = mcfg_parse(p, len, out, err, ACPI_ERR_MAX);
	free(p);
	return rc;
}

static void assert_mcfg_err(const struct tbl *t, const char *sub)
{
	struct mcfg_seg s[MCFG_MAX_SEGS];
	char err[ACPI_ERR_MAX];

	assert_rc(mcfg_len(t, t->len, s, err), -RAUM_EINVAL);
	assert_err(err, sub);
}

static void test_mcfg_qemu(void **state)
{
	(void)state;
	struct tbl t;
	struct mcfg_seg s[MCFG_MAX_SEGS];
	char err[ACPI_ERR_MAX];

	/* QEMU q35: one window, 256 buses at 0xb0000000 */
	mcfg_begin(&t);
	mcfg_ent(&t, 0xb0000000, 0, 0, 255);
	tbl_end(&t);
	assert_int_equal(t.len, 60);
	memset(s, 0xa5, sizeof(s));
	assert_rc(mcfg_len(&t, t.len, s, err), 1);
	assert_int_equal(s[0].base, 0xb0000000);
	assert_int_equal(s[0].segment, 0);
	assert_int_equal(s[0].bus_start, 0);
	assert_int_equal(s[0].bus_end, 255);
	assert_int_equal(mcfg_ecam_addr(&s[0], 0, 3, 0), 0xb0000000 + (3 << 15));
	assert_int_equal(mcfg_ecam_addr(&s[0], 0, 0, 0), 0xb0000000);
	assert_int_equal(mcfg_ecam_addr(&s[0], 1, 2, 3), 0xb0000000 + (1 << 20) + (2 << 15) + (3 << 12));
	assert_int_equal(mcfg_ecam_addr(&s[0], 255, 31, 7), 0xb0000000 + 0x10000000 - 0x1000);
	assert_int_equal(mcfg_ecam_addr(&s[0], 0, 32, 0), 0); /* no device 32 */
	assert_int_equal(mcfg_ecam_addr(&s[0], 0, 0, 8), 0);  /* no function 8 */

	/* a window for buses 0x10-0x1f: the base is that of bus 0; buses outside give 0 */
	struct mcfg_seg w = { .base = 0xe0000000, .segment = 0, .bus_start = 0x10, .bus_end = 0x1f };
	assert_int_equal(mcfg_ecam_addr(&w, 0x10, 0, 0), 0xe0000000 + (0x10ULL << 20));
	assert_int_equal(mcfg_ecam_addr(&w, 0x1f, 1, 2), 0xe0000000 + (0x1fULL << 20) + (1 << 15) + (2 << 12));
	assert_int_equal(mcfg_ecam_addr(&w, 0x0f, 0, 0), 0);
	assert_int_equal(mcfg_ecam_addr(&w, 0x20, 0, 0), 0);
	assert_int_equal(mcfg_ecam_addr(&w, 0, 3, 0), 0);

	/* no entries at all; two segments; windows sharing a base with disjoint bus ranges */
	mcfg_begin(&t);
	tbl_end(&t);
	assert_rc(mcfg_len(&t, t.len, s, err), 0);
	mcfg_ent(&t, 0xb0000000, 0, 0, 255);
	mcfg_ent(&t, 0xc0000000, 1, 0, 127);
	mcfg_ent(&t, 0xd0000000, 2, 0, 63);
	mcfg_ent(&t, 0xd0000000, 3, 64, 127);
	tbl_end(&t);
	assert_rc(mcfg_len(&t, t.len, s, err), 4);
	assert_int_equal(s[1].base, 0xc0000000);
	assert_int_equal(s[1].segment, 1);
	assert_int_equal(s[1].bus_end, 127);
	assert_int_equal(s[3].segment, 3);
	assert_int_equal(s[3].bus_start, 64);

	/* exactly MCFG_MAX_SEGS windows */
	mcfg_begin(&t);
	for (unsigned i = 0; i < MCFG_MAX_SEGS; i++)
		mcfg_ent(&t, 0x100000000ULL + 0x10000000ULL * i, (u16)i, 0, 255);
	tbl_end(&t);
	assert_rc(mcfg_len(&t, t.len, s, err), MCFG_MAX_SEGS);
	assert_int_equal(s[7].base, 0x170000000ULL);
}

static void test_mcfg_bad(void **state)
{
	(void)state;
	struct tbl t;
	struct mcfg_seg s[MCFG_MAX_SEGS];
	char err[ACPI_ERR_MAX];

	tbl_begin(&t, "MCFG", 40);
	tbl_end(&t);
	assert_mcfg_err(&t, "length 40 is below 44");
	/* a partial entry */
	mcfg_begin(&t);
	mcfg_ent(&t, 0xb0000000, 0, 0, 255);
	tbl_add(&t, 8);
	tbl_end(&t);
	assert_mcfg_err(&t, "leaves a partial entry");
	/* the header's length, the checksum */
	mcfg_begin(&t);
	mcfg_ent(&t, 0xb0000000, 0, 0, 255);
	tbl_end(&t);
	assert_rc(mcfg_len(&t, 44, s, err), -RAUM_EINVAL);
	assert_err(err, "disagrees with its header");
	t.b[50] ^= 1;
	assert_mcfg_err(&t, "checksum is bad");

	/* zero, unaligned base; reversed bus range */
	static const struct { u64 base; u8 s, e; } bad[] = {
		{ 0, 0, 255 },
		{ 0xb0080000, 0, 255 },
		{ 0xb0001000, 0, 0 },
		{ 0xb0000000, 1, 0 },
		{ 0xb0000000, 255, 254 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		mcfg_begin(&t);
		mcfg_ent(&t, 0xc0000000, 1, 0, 255);
		mcfg_ent(&t, bad[i].base, 0, bad[i].s, bad[i].e);
		tbl_end(&t);
		assert_mcfg_err(&t, "the entry at offset 60 has ECAM base");
	}

	/* overlapping ECAM windows: same memory for two segments */
	mcfg_begin(&t);
	mcfg_ent(&t, 0xb0000000, 0, 0, 127);
	mcfg_ent(&t, 0xb0000000, 1, 64, 255);
	tbl_end(&t);
	assert_mcfg_err(&t, "the entry at offset 60 overlaps window 0 at 0xb0000000");
	mcfg_begin(&t);
	mcfg_ent(&t, 0xb0000000, 0, 0, 255);
	mcfg_ent(&t, 0xbff00000, 1, 0, 0); /* the last MiB of the first window */
	tbl_end(&t);
	assert_mcfg_err(&t, "overlaps window 0");
	mcfg_begin(&t);
	mcfg_ent(&t, 0xc0000000, 0, 0, 255);
	mcfg_ent(&t, 0xb0000000, 1, 0, 255);
	mcfg_ent(&t, 0xb8000000, 2, 0, 0);
	tbl_end(&t);
	assert_mcfg_err(&t, "the entry at offset 76 overlaps window 1");

	/* a window running past the top of the address space */
	mcfg_begin(&t);
	mcfg_ent(&t, 0xfffffffff8000000ULL, 0, 0, 255); /* 256 MiB from 128 MiB below the top */
	tbl_end(&t);
	assert_mcfg_err(&t, "wraps");

	/* more windows than MCFG_MAX_SEGS */
	mcfg_begin(&t);
	for (unsigned i = 0; i <= MCFG_MAX_SEGS; i++)
		mcfg_ent(&t, 0x100000000ULL + 0x10000000ULL * i, (u16)i, 0, 255);
	tbl_end(&t);
	assert_mcfg_err(&t, "more than 8 ECAM windows");
}

/*
 * Two windows claiming the same buses of the same segment at different
 * bases: config space of those buses would be at two addresses, and which
 * one mcfg_ecam_addr's caller picks depends on the order of the table.
 */
static void test_mcfg_same_bus_twice(void **state)
{
	(void)state;
	struct tbl t;

	mcfg_begin(&t);
	mcfg_ent(&t, 0xb0000000, 0, 0, 255);
	mcfg_ent(&t, 0xc0000000, 0, 0x80, 0x8f);
	tbl_end(&t);
	assert_mcfg_err(&t, "the entry at offset 60");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),
		cmocka_unit_test_setup_teardown(test_find_via_xsdt, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_find_via_rsdt, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_find_absent, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_find_bad_rsdp, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_find_bad_root, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_find_bad_wanted, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_find_skips_unreadable, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_hide, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_hide_and_unhide, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_hide_several_and_rsdt_only, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_hide_absent_or_malformed, fake_setup, fake_teardown),
		cmocka_unit_test(test_dmar_qemu),
		cmocka_unit_test(test_dmar_full),
		cmocka_unit_test(test_dmar_bad_table),
		cmocka_unit_test(test_dmar_bad_structures),
		cmocka_unit_test(test_dmar_bad_drhd),
		cmocka_unit_test(test_dmar_bad_rmrr),
		cmocka_unit_test(test_dmar_bad_scopes),
		cmocka_unit_test(test_ivrs_qemu),
		cmocka_unit_test(test_ivrs_merge_and_skip),
		cmocka_unit_test(test_ivrs_bad_table),
		cmocka_unit_test(test_ivrs_bad_ivhd),
		cmocka_unit_test(test_ivrs_bad_ivmd),
		cmocka_unit_test(test_mcfg_qemu),
		cmocka_unit_test(test_mcfg_bad),
		cmocka_unit_test(test_mcfg_same_bus_twice),
	};
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL) ? 1 : 0;
}
