// SPDX-License-Identifier: MIT
/*
 * ACPI tables for the IOMMU: see include/raum/acpi.h for the contracts.
 * Every multi-byte field is read byte by byte (little-endian, no unaligned
 * casts) after its bounds are checked.
 */
#include <raum/acpi.h>
#include <raum/errno.h>
#include <raum/fmt.h>

static u16 rd16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 rd32(const u8 *p) { return (u32)rd16(p) | (u32)rd16(p + 2) << 16; }
static u64 rd64(const u8 *p) { return (u64)rd32(p) | (u64)rd32(p + 4) << 32; }
static void wr32(u8 *p, u32 v) { for (int i = 0; i < 4; i++) p[i] = (u8)(v >> (8 * i)); }

static bool sig_eq(const u8 *p, const char *sig) { return p[0] == sig[0] && p[1] == sig[1] && p[2] == sig[2] && p[3] == sig[3]; }

bool acpi_checksum_ok(const void *t, size_t len)
{
	const u8 *p = t;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (u8)(sum + p[i]);
	return sum == 0;
}

#define ERR(...) (raum_snprintf(err, errlen, __VA_ARGS__), -RAUM_EINVAL)

/* A table's header and its whole length mapped, its signature as wanted, its checksum right. */
static const u8 *map_table(acpi_map_fn map, void *ctx, u64 phys, const char *sig, u32 *len, char *err, size_t errlen,
			   int *rc)
{
	const u8 *h = map(ctx, phys, ACPI_HEADER_LEN);

	*rc = 0;
	if (!h) {
		*rc = ERR("%.4s: its header at %#llx is not in readable memory", sig, (unsigned long long)phys);
		return NULL;
	}
	if (!sig_eq(h, sig)) {
		*rc = ERR("%.4s: the table at %#llx has signature '%.4s'", sig, (unsigned long long)phys, (const char *)h);
		return NULL;
	}
	u32 l = rd32(h + 4);
	if (l < ACPI_HEADER_LEN) {
		*rc = ERR("%.4s: length %u at %#llx is shorter than the 36-byte header", sig, l, (unsigned long long)phys);
		return NULL;
	}
	const u8 *t = map(ctx, phys, l);
	if (!t) {
		*rc = ERR("%.4s: its %u bytes at %#llx run out of readable memory", sig, l, (unsigned long long)phys);
		return NULL;
	}
	if (!acpi_checksum_ok(t, l)) {
		*rc = ERR("%.4s: bad checksum (the %u bytes at %#llx do not sum to 0)", sig, l, (unsigned long long)phys);
		return NULL;
	}
	*len = l;
	return t;
}

/* The root table (XSDT, else RSDT) through the RSDP: ACPI 6.5 5.2.5. */
static const u8 *root_table(acpi_map_fn map, void *ctx, u64 rsdp_phys, bool *x, u32 *len, char *err, size_t errlen,
			    int *rc)
{
	const u8 *r = map(ctx, rsdp_phys, 20);

	*rc = 0;
	if (!r || !(r[0] == 'R' && r[1] == 'S' && r[2] == 'D' && r[3] == ' ' && r[4] == 'P' && r[5] == 'T' &&
		    r[6] == 'R' && r[7] == ' ')) {
		*rc = ERR("RSDP: no 'RSD PTR ' signature at %#llx", (unsigned long long)rsdp_phys);
		return NULL;
	}
	if (!acpi_checksum_ok(r, 20)) {
		*rc = ERR("RSDP: bad checksum over its first 20 bytes");
		return NULL;
	}
	u32 rsdt = rd32(r + 16);
	u64 xsdt = 0;
	if (r[15] >= 2) {
		const u8 *r2 = map(ctx, rsdp_phys, 36);
		if (!r2 || rd32(r2 + 20) < 36 || !acpi_checksum_ok(r2, 36)) {
			*rc = ERR("RSDP: revision %u, but its extended part (length, checksum) is bad", r[15]);
			return NULL;
		}
		xsdt = rd64(r2 + 24);
	}
	*x = xsdt != 0;
	const u8 *t = map_table(map, ctx, *x ? xsdt : rsdt, *x ? "XSDT" : "RSDT", len, err, errlen, rc);
	if (t && (*len - ACPI_HEADER_LEN) % (*x ? 8 : 4)) {
		*rc = ERR("%s: length %u leaves a partial entry", *x ? "XSDT" : "RSDT", *len);
		return NULL;
	}
	return t;
}

int acpi_find_table(acpi_map_fn map, void *ctx, u64 rsdp_phys, const char *sig, u64 *phys, u32 *len, char *err,
		    size_t errlen)
{
	bool x;
	u32 rlen;
	int rc;
	const u8 *root = root_table(map, ctx, rsdp_phys, &x, &rlen, err, errlen, &rc);

	if (!root)
		return rc;
	unsigned esz = x ? 8 : 4;
	for (u32 off = ACPI_HEADER_LEN; off + esz <= rlen; off += esz) {
		u64 p = x ? rd64(root + off) : rd32(root + off);
		const u8 *h = p ? map(ctx, p, 4) : NULL;
		if (!h || !sig_eq(h, sig))
			continue; /* a header Raum cannot read is not the wanted table as far as it can tell */
		if (!map_table(map, ctx, p, sig, len, err, errlen, &rc))
			return rc;
		*phys = p;
		return 1;
	}
	return 0;
}

/* ---- DMAR: Intel VT-d 4.1 chapter 8 ---- */

/* Device scopes from off to end (exclusive) inside structure st of the DMAR at t: their number, or an error. */
static int check_scopes(const u8 *t, u32 st, u32 off, u32 end, char *err, size_t errlen)
{
	int n = 0;

	while (off < end) {
		if (end - off < 6 || t[off + 1] < 6 || t[off + 1] > end - off)
			return ERR("DMAR: a device scope at offset %u of the structure at offset %u is cut short", off, st);
		off += t[off + 1];
		n++;
	}
	return n;
}

int dmar_parse(const void *table, u32 len, struct dmar_info *out, char *err, size_t errlen)
{
	const u8 *t = table;

	*out = (struct dmar_info){ 0 };
	if (len < 48 || rd32(t + 4) != len || !acpi_checksum_ok(t, len))
		return ERR("DMAR: length %u is below 48 or disagrees with its header, or the checksum is bad", len);
	out->haw = (u8)(t[36] + 1);
	out->flags = t[37];
	if (out->haw < 32)
		return ERR("DMAR: host address width %u is below 32 bits", out->haw);
	for (u32 off = 48; off < len;) {
		if (len - off < 4)
			return ERR("DMAR: the structure at offset %u is cut short by the table's end", off);
		u16 type = rd16(t + off), l = rd16(t + off + 2);
		if (l < 4 || l > len - off)
			return ERR("DMAR: the structure at offset %u has length %u (below 4 or past the table's end)", off, l);
		if (type == 0) { /* DRHD */
			if (l < 16)
				return ERR("DMAR: the DRHD at offset %u is %u bytes, below its 16-byte fixed part", off, l);
			u64 base = rd64(t + off + 8);
			u8 size = t[off + 5] & 0xf;
			if (!base || base & 0xfff)
				return ERR("DMAR: the DRHD at offset %u has register base %#llx (zero or not 4 KiB aligned)", off,
					   (unsigned long long)base);
			if (out->nr_units == DMAR_MAX_UNITS)
				return ERR("DMAR: more than %u remapping units (DRHD at offset %u)", DMAR_MAX_UNITS, off);
			struct dmar_unit u = { .reg_base = base, .reg_size = PAGE_SIZE << size, .segment = rd16(t + off + 6),
					       .include_all = t[off + 4] & 1 };
			if (base + u.reg_size < base)
				return ERR("DMAR: the DRHD at offset %u has a register window that wraps", off);
			for (unsigned i = 0; i < out->nr_units; i++) {
				const struct dmar_unit *o = &out->unit[i];
				if (base < o->reg_base + o->reg_size && o->reg_base < base + u.reg_size)
					return ERR("DMAR: the DRHD at offset %u overlaps unit %u's registers at %#llx", off, i,
						   (unsigned long long)o->reg_base);
				if (u.include_all && o->include_all && o->segment == u.segment)
					return ERR("DMAR: the DRHD at offset %u is a second INCLUDE_PCI_ALL unit of segment %u",
						   off, u.segment);
			}
			int rc = check_scopes(t, off, off + 16, off + l, err, errlen);
			if (rc < 0)
				return rc;
			u.nr_scopes = (u16)rc;
			out->unit[out->nr_units++] = u;
		} else if (type == 1) { /* RMRR */
			if (l < 24)
				return ERR("DMAR: the RMRR at offset %u is %u bytes, below its 24-byte fixed part", off, l);
			u64 base = rd64(t + off + 8), limit = rd64(t + off + 16);
			if (base & 0xfff || (limit & 0xfff) != 0xfff || base > limit)
				return ERR("DMAR: the RMRR at offset %u covers %#llx-%#llx (unaligned or empty)", off,
					   (unsigned long long)base, (unsigned long long)limit);
			if (out->nr_rmrr == DMAR_MAX_RMRR)
				return ERR("DMAR: more than %u reserved-memory ranges (RMRR at offset %u)", DMAR_MAX_RMRR, off);
			int rc = check_scopes(t, off, off + 24, off + l, err, errlen);
			if (rc < 0)
				return rc;
			out->rmrr[out->nr_rmrr++] = (struct dmar_rmrr){ base, limit, rd16(t + off + 6) };
		}
		/* types 2-6 (ATSR, RHSA, ANDD, SATC, SIDP) and later ones are skipped by their length */
		off += l;
	}
	if (!out->nr_units)
		return ERR("DMAR: no remapping unit (DRHD)");
	return 0;
}

/* ---- IVRS: AMD IOMMU specification 48882, section 5.2 ---- */

#define IVRS_MMIO_SIZE 0x4000ULL

/* Length of the IVHD device entry at p (avail bytes left), or 0 when unknown or cut short. */
static u32 ivhd_entry_len(const u8 *p, u32 avail)
{
	u8 type = p[0];
	u32 l;

	if (type == 0xf0) { /* ACPI HID device: 22 bytes and the UID it names */
		if (avail < 22)
			return 0;
		l = 22 + p[21];
	} else if (type < 0x40) {
		l = 4;
	} else if (type < 0x80) {
		l = 8;
	} else {
		return 0;
	}
	return l <= avail ? l : 0;
}

int ivrs_parse(const void *table, u32 len, struct ivrs_info *out, char *err, size_t errlen)
{
	const u8 *t = table;

	*out = (struct ivrs_info){ 0 };
	if (len < 48 || rd32(t + 4) != len || !acpi_checksum_ok(t, len))
		return ERR("IVRS: length %u is below 48 or disagrees with its header, or the checksum is bad", len);
	out->ivinfo = rd32(t + 36);
	for (u32 off = 48; off < len;) {
		if (len - off < 4)
			return ERR("IVRS: the block at offset %u is cut short by the table's end", off);
		u8 type = t[off];
		u16 l = rd16(t + off + 2);
		if (l < 4 || l > len - off)
			return ERR("IVRS: the block at offset %u has length %u (below 4 or past the table's end)", off, l);
		if (type == 0x10 || type == 0x11 || type == 0x40) {
			u32 hl = type == 0x10 ? 24 : 40;
			if (l < hl)
				return ERR("IVRS: the IVHD at offset %u is %u bytes, below its %u-byte header", off, l, hl);
			struct ivrs_unit u = { .type = type, .flags = t[off + 1], .bdf = rd16(t + off + 4),
					       .cap_offset = rd16(t + off + 6), .mmio_base = rd64(t + off + 8),
					       .segment = rd16(t + off + 16), .info = rd16(t + off + 18),
					       .feature = rd32(t + off + 20), .efr = type == 0x10 ? 0 : rd64(t + off + 24) };
			if (!u.mmio_base || u.mmio_base & (IVRS_MMIO_SIZE - 1) || u.mmio_base + IVRS_MMIO_SIZE < u.mmio_base)
				return ERR("IVRS: the IVHD at offset %u has MMIO base %#llx (zero or not 16 KiB aligned)", off,
					   (unsigned long long)u.mmio_base);
			for (u32 e = off + hl; e < off + l;) {
				u32 el = ivhd_entry_len(t + e, off + l - e);
				if (!el)
					return ERR("IVRS: the IVHD at offset %u has a device entry of type %#x at offset %u that "
						   "is unknown or cut short", off, t[e], e);
				e += el;
			}
			bool same = false;
			for (unsigned i = 0; i < out->nr_units; i++) {
				struct ivrs_unit *o = &out->unit[i];
				if (o->segment == u.segment && o->bdf == u.bdf) {
					if (o->mmio_base != u.mmio_base)
						return ERR("IVRS: the IVHD at offset %u names IOMMU %04x with another MMIO base "
							   "than an earlier block", off, u.bdf);
					if (u.type > o->type)
						*o = u; /* the highest type this parser knows describes it best */
					same = true;
				} else if (u.mmio_base < o->mmio_base + IVRS_MMIO_SIZE &&
					   o->mmio_base < u.mmio_base + IVRS_MMIO_SIZE) {
					return ERR("IVRS: the IVHD at offset %u overlaps unit %u's MMIO at %#llx", off, i,
						   (unsigned long long)o->mmio_base);
				}
			}
			if (!same) {
				if (out->nr_units == IVRS_MAX_UNITS)
					return ERR("IVRS: more than %u IOMMUs (IVHD at offset %u)", IVRS_MAX_UNITS, off);
				out->unit[out->nr_units++] = u;
			}
		} else if (type == 0x20 || type == 0x21 || type == 0x22) {
			if (l < 32)
				return ERR("IVRS: the IVMD at offset %u is %u bytes, below 32", off, l);
			struct ivrs_ivmd m = { .type = type, .flags = t[off + 1], .first = rd16(t + off + 4),
					       .base = rd64(t + off + 16), .length = rd64(t + off + 24) };
			m.last = type == 0x20 ? 0xffff : type == 0x22 ? rd16(t + off + 6) : m.first;
			if (type == 0x20)
				m.first = 0;
			if (m.base & 0xfff || m.length & 0xfff || !m.length || m.base + m.length < m.base || m.first > m.last)
				return ERR("IVRS: the IVMD at offset %u covers %#llx + %#llx for devices %04x-%04x "
					   "(unaligned, empty, wrapping or a reversed range)", off, (unsigned long long)m.base,
					   (unsigned long long)m.length, m.first, m.last);
			if (out->nr_ivmd == IVRS_MAX_IVMD)
				return ERR("IVRS: more than %u memory definitions (IVMD at offset %u)", IVRS_MAX_IVMD, off);
			out->ivmd[out->nr_ivmd++] = m;
		}
		off += l; /* unknown block types are skipped by their length */
	}
	if (!out->nr_units)
		return ERR("IVRS: no IOMMU (IVHD)");
	return 0;
}

/* ---- Hiding a table from the OS ---- */

struct root_ref {
	u8 *t;
	u32 len;
	unsigned esz;
	unsigned hits;
};

/* Checks one root table (XSDT or RSDT) at phys and counts its entries that point at sig; writes nothing. */
static int check_root(acpi_map_rw_fn map, void *ctx, u64 phys, bool x, const char *sig, struct root_ref *r, char *err,
		      size_t errlen)
{
	const char *rs = x ? "XSDT" : "RSDT";
	u8 *h = map(ctx, phys, ACPI_HEADER_LEN);

	if (!h || !sig_eq(h, rs))
		return ERR("%s: no %s table at %#llx", rs, rs, (unsigned long long)phys);
	u32 l = rd32(h + 4);
	r->esz = x ? 8 : 4;
	if (l < ACPI_HEADER_LEN || (l - ACPI_HEADER_LEN) % r->esz)
		return ERR("%s: length %u is below the header or leaves a partial entry", rs, l);
	u8 *t = map(ctx, phys, l);
	if (!t || !acpi_checksum_ok(t, l))
		return ERR("%s: its %u bytes at %#llx are not readable or their checksum is bad", rs, l,
			   (unsigned long long)phys);
	r->t = t;
	r->len = l;
	r->hits = 0;
	for (u32 off = ACPI_HEADER_LEN; off < l; off += r->esz) {
		u64 p = x ? rd64(t + off) : rd32(t + off);
		const u8 *e = p ? map(ctx, p, 4) : NULL;
		if (e && sig_eq(e, sig))
			r->hits++;
	}
	return 0;
}

/* Drops the counted entries from a checked root table, then fixes its length and checksum (ACPI 6.5 5.2.6). */
static void drop_entries(acpi_map_rw_fn map, void *ctx, struct root_ref *r, const char *sig)
{
	u32 out = ACPI_HEADER_LEN;

	for (u32 off = ACPI_HEADER_LEN; off < r->len; off += r->esz) {
		u64 p = r->esz == 8 ? rd64(r->t + off) : rd32(r->t + off);
		const u8 *e = p ? map(ctx, p, 4) : NULL;
		if (e && sig_eq(e, sig))
			continue;
		for (unsigned i = 0; i < r->esz; i++)
			r->t[out + i] = r->t[off + i];
		out += r->esz;
	}
	for (u32 i = out; i < r->len; i++)
		r->t[i] = 0;
	wr32(r->t + 4, out);
	r->t[9] = 0;
	u8 sum = 0;
	for (u32 i = 0; i < out; i++)
		sum = (u8)(sum + r->t[i]);
	r->t[9] = (u8)-sum;
}

int acpi_hide_table(acpi_map_rw_fn map, void *ctx, u64 rsdp_phys, const char *sig, struct acpi_root_backup *b,
		    char *err, size_t errlen)
{
	const u8 *rsdp = map(ctx, rsdp_phys, 20);
	struct root_ref x = { 0 }, r = { 0 };
	u64 xsdt = 0;
	u32 rsdt;
	int rc;

	if (!rsdp || !sig_eq(rsdp, "RSD ") || !sig_eq(rsdp + 4, "PTR ") || !acpi_checksum_ok(rsdp, 20))
		return ERR("RSDP: no valid 'RSD PTR ' structure at %#llx", (unsigned long long)rsdp_phys);
	rsdt = rd32(rsdp + 16);
	if (rsdp[15] >= 2) {
		const u8 *r2 = map(ctx, rsdp_phys, 36);
		if (!r2 || rd32(r2 + 20) < 36 || !acpi_checksum_ok(r2, 36))
			return ERR("RSDP: revision %u, but its extended part (length, checksum) is bad", rsdp[15]);
		xsdt = rd64(r2 + 24);
	}
	if (!xsdt && !rsdt)
		return ERR("RSDP: neither an XSDT nor an RSDT address");
	/* Every check on both tables before the first write: an error changes nothing. */
	if (xsdt && (rc = check_root(map, ctx, xsdt, true, sig, &x, err, errlen)))
		return rc;
	if (rsdt && (rc = check_root(map, ctx, rsdt, false, sig, &r, err, errlen)))
		return rc;
	if (b) {
		b->n = 0;
		if ((x.hits && x.len > ACPI_ROOT_BACKUP_MAX) || (r.hits && r.len > ACPI_ROOT_BACKUP_MAX))
			return ERR("%s: %u bytes, more than the %u Raum can keep to put it back", x.hits ? "XSDT" : "RSDT",
				   x.hits ? x.len : r.len, ACPI_ROOT_BACKUP_MAX);
		const struct root_ref *t[2] = { &x, &r };
		const u64 at[2] = { xsdt, rsdt };
		for (int i = 0; i < 2; i++) {
			if (!t[i]->hits)
				continue;
			b->phys[b->n] = at[i];
			b->len[b->n] = t[i]->len;
			for (u32 k = 0; k < t[i]->len; k++)
				b->bytes[b->n][k] = t[i]->t[k];
			b->n++;
		}
	}
	if (x.hits)
		drop_entries(map, ctx, &x, sig);
	if (r.hits)
		drop_entries(map, ctx, &r, sig);
	return (int)(x.hits + r.hits);
}

void acpi_unhide(acpi_map_rw_fn map, void *ctx, const struct acpi_root_backup *b)
{
	for (unsigned i = 0; i < b->n && i < 2; i++) {
		u8 *t = map(ctx, b->phys[i], b->len[i]);
		if (!t)
			continue; /* it was writable when hidden; a map that changed since keeps what it has */
		for (u32 k = 0; k < b->len[i]; k++)
			t[k] = b->bytes[i][k];
	}
}

/* ---- MCFG: PCI Firmware Specification 3.3, 4.1.2 ---- */

int mcfg_parse(const void *table, u32 len, struct mcfg_seg *out, char *err, size_t errlen)
{
	const u8 *t = table;
	int n = 0;

	if (len < 44 || rd32(t + 4) != len || !acpi_checksum_ok(t, len) || (len - 44) % 16)
		return ERR("MCFG: length %u is below 44, disagrees with its header, leaves a partial entry, or the "
			   "checksum is bad", len);
	for (u32 off = 44; off < len; off += 16) {
		struct mcfg_seg s = { .base = rd64(t + off), .segment = rd16(t + off + 8), .bus_start = t[off + 10],
				      .bus_end = t[off + 11] };
		if (!s.base || s.base & 0xfffff || s.bus_start > s.bus_end)
			return ERR("MCFG: the entry at offset %u has ECAM base %#llx for buses %u-%u (zero, not 1 MiB "
				   "aligned, or a reversed bus range)", off, (unsigned long long)s.base, s.bus_start,
				   s.bus_end);
		u64 lo = s.base + ((u64)s.bus_start << 20), hi = s.base + ((u64)(s.bus_end + 1) << 20);
		if (hi < lo)
			return ERR("MCFG: the entry at offset %u wraps", off);
		for (int i = 0; i < n; i++) {
			u64 olo = out[i].base + ((u64)out[i].bus_start << 20), ohi = out[i].base + ((u64)(out[i].bus_end + 1) << 20);
			if (lo < ohi && olo < hi)
				return ERR("MCFG: the entry at offset %u overlaps window %d at %#llx", off, i,
					   (unsigned long long)olo);
			if (out[i].segment == s.segment && s.bus_start <= out[i].bus_end && out[i].bus_start <= s.bus_end)
				return ERR("MCFG: the entry at offset %u names buses %u-%u of segment %u again", off,
					   s.bus_start, s.bus_end, s.segment);
		}
		if (n == MCFG_MAX_SEGS)
			return ERR("MCFG: more than %u ECAM windows (entry at offset %u)", MCFG_MAX_SEGS, off);
		out[n++] = s;
	}
	return n;
}

u64 mcfg_ecam_addr(const struct mcfg_seg *s, u8 bus, u8 dev, u8 fn)
{
	if (bus < s->bus_start || bus > s->bus_end || dev > 31 || fn > 7)
		return 0;
	return s->base + ((u64)bus << 20) + ((u64)dev << 15) + ((u64)fn << 12);
}
