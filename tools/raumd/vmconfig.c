// SPDX-License-Identifier: MIT
/*
 * A VM's configuration file (vmconfig.h, docs/raumd-config.md).
 *
 * The parse goes line by line over a byte buffer that may hold anything:
 * every line is bounded (VMCONFIG_LINE_MAX) and checked for NUL bytes
 * before it is looked at, every value is copied into a buffer of the
 * line's size, and every field's length is checked before it is stored.
 * Keys may come in any order, so what depends on two keys (a flat kind
 * needs load and entry; cmdline and modules are Multiboot's) is checked
 * once the file is read, naming the line of the key that is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hv/abi/raumdev.h>

#include "vmconfig.h"

#define MEM_MAX_MB ((unsigned)(RAUM_PART_MEM_MAX >> 20)) /* raumctl run --mem's limit */
#define QUOTE_MAX 64                                    /* bytes of a bad value a message shows */
#define LOW_1MIB 0x100000ULL                            /* a 16-bit image lies below it */
#define ADDR_LIMIT (1ULL << 32)

static const char *const key_names[VMC_NKEYS] = {
	[VMC_NAME] = "name",       [VMC_MEMORY] = "memory",   [VMC_VPS] = "vps",
	[VMC_IMAGE] = "image",     [VMC_KIND] = "kind",       [VMC_LOAD] = "load",
	[VMC_ENTRY] = "entry",     [VMC_CMDLINE] = "cmdline", [VMC_MODULE] = "module",
	[VMC_CONSOLE_LOG] = "console_log", [VMC_STOP_TIMEOUT] = "stop_timeout",
};

static const char *const kind_names[] = {
	[VM_MULTIBOOT] = "multiboot", [VM_FLAT16] = "flat16", [VM_FLAT32] = "flat32", [VM_FLAT64] = "flat64",
};

const char *vmconfig_key_name(enum vmconfig_key k) { return (unsigned)k < VMC_NKEYS ? key_names[k] : "?"; }

const char *vmconfig_kind_name(enum vm_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

/* A message built in the caller's buffer: appends stop at its end, it stays NUL-terminated. */
struct msg {
	char *buf;
	size_t n, at;
};

__attribute__((format(printf, 2, 0))) static void vput(struct msg *m, const char *fmt, va_list ap)
{
	if (!m->buf || m->n == 0 || m->at >= m->n - 1)
		return;
	int w = vsnprintf(m->buf + m->at, m->n - m->at, fmt, ap);
	if (w > 0)
		m->at = m->at + (size_t)w < m->n - 1 ? m->at + (size_t)w : m->n - 1;
}

__attribute__((format(printf, 2, 3))) static void put(struct msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(m, fmt, ap);
	va_end(ap);
}

/* v[0..len) in double quotes: '"' and '\' escaped, bytes outside printable ASCII as \xHH, cut at QUOTE_MAX. */
static void put_quoted(struct msg *m, const char *v, size_t len)
{
	put(m, "\"");
	for (size_t i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch == '"' || ch == '\\')
			put(m, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			put(m, "\\x%02x", ch);
		else
			put(m, "%c", ch);
	}
	put(m, len > QUOTE_MAX ? "\"..." : "\"");
}

__attribute__((format(printf, 8, 0))) static int verrorf(char *err, size_t errlen, const char *file, unsigned line,
							 const char *field, const char *value, size_t vlen,
							 const char *fmt, va_list ap)
{
	struct msg m = { .buf = err, .n = errlen };

	if (err && errlen)
		err[0] = '\0';
	put(&m, "%s", file);
	if (line)
		put(&m, ":%u", line);
	put(&m, ": ");
	if (field)
		put(&m, "%s: ", field);
	if (value) {
		put_quoted(&m, value, vlen);
		put(&m, " ");
	}
	vput(&m, fmt, ap);
	return -1;
}

/*
 * The one error format: "FILE[:LINE]: [FIELD: ]["VALUE" ]WHAT". line 0,
 * field NULL and value NULL leave their part out. Returns -1.
 */
__attribute__((format(printf, 8, 9))) static int errorf(char *err, size_t errlen, const char *file, unsigned line,
							const char *field, const char *value, size_t vlen,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf(err, errlen, file, line, field, value, vlen, fmt, ap);
	va_end(ap);
	return -1;
}

struct parser {
	const char *file;
	unsigned line;        /* the line being parsed, from 1 */
	char *err;
	size_t errlen;
	struct vmconfig *c;
};

/* The current line's key k has the bad value v: "FILE:LINE: KEY: "V" WHAT". */
#define BAD(p, k, v, ...) errorf((p)->err, (p)->errlen, (p)->file, (p)->line, key_names[k], (v), strlen(v), __VA_ARGS__)

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static int is_space(char ch) { return ch == ' ' || ch == '\t'; }

/*
 * A number: decimal digits, or 0x and hex digits when hex is allowed (no
 * octal: "010" is ten). Stops at the first byte that is not a digit and
 * returns it in *end. -1 when there is no digit or the number passes
 * UINT64_MAX.
 */
static int parse_u64(const char *s, int hex, uint64_t *v, const char **end)
{
	unsigned base = 10;
	uint64_t x = 0;
	const char *q = s;

	if (hex && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		base = 16;
		q += 2;
	}
	const char *first = q;
	for (;; q++) {
		unsigned d;
		if (is_digit(*q))
			d = (unsigned)(*q - '0');
		else if (base == 16 && *q >= 'a' && *q <= 'f')
			d = (unsigned)(*q - 'a' + 10);
		else if (base == 16 && *q >= 'A' && *q <= 'F')
			d = (unsigned)(*q - 'A' + 10);
		else
			break;
		if (x > (UINT64_MAX - d) / base)
			return -1;
		x = x * base + d;
	}
	if (q == first)
		return -1;
	*v = x;
	*end = q;
	return 0;
}

/* An absolute path that fits PATH_MAX; copied into dst (PATH_MAX bytes). */
static int set_path(struct parser *p, enum vmconfig_key k, const char *v, char *dst)
{
	size_t n = strlen(v);

	if (v[0] != '/')
		return BAD(p, k, v, "is not an absolute path (it starts with /, e.g. %s = /guests/hello.elf)",
			   key_names[k]);
	if (n >= PATH_MAX)
		return BAD(p, k, v, "is longer than %d bytes", PATH_MAX - 1);
	memcpy(dst, v, n + 1);
	return 0;
}

static int set_name(struct parser *p, const char *v)
{
	size_t n = strlen(v);
	int ok = n >= 1 && n <= VMCONFIG_NAME_MAX && v[0] != '.' && v[0] != '-';

	for (size_t i = 0; ok && i < n; i++) {
		char ch = v[i];
		ok = is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.' ||
		     ch == '-';
	}
	if (!ok)
		return BAD(p, VMC_NAME, v, "is not a VM name: 1 to %d of A-Z a-z 0-9 _ . -, not starting with . or -",
			   VMCONFIG_NAME_MAX);
	memcpy(p->c->name, v, n + 1);
	return 0;
}

/* MiB: "64", "64M", "1G" (m and g too). */
static int set_memory(struct parser *p, const char *v)
{
	uint64_t x;
	const char *end;

	if (parse_u64(v, 0, &x, &end) || (*end && end[1]) || (*end && !strchr("MmGg", *end)))
		return BAD(p, VMC_MEMORY, v, "is not a size: MiB as a number, or with M or G (e.g. 64, 64M, 1G)");
	if (*end == 'G' || *end == 'g')
		x = x > UINT64_MAX / 1024 ? UINT64_MAX : x * 1024;
	if (x < VMCONFIG_MEM_MIN_MB || x > MEM_MAX_MB)
		return BAD(p, VMC_MEMORY, v, "is out of range: %d to %u MiB", VMCONFIG_MEM_MIN_MB, MEM_MAX_MB);
	p->c->mem_mb = (unsigned)x;
	return 0;
}

static int set_vps(struct parser *p, const char *v)
{
	uint64_t x;
	const char *end;

	if (parse_u64(v, 0, &x, &end) || *end)
		return BAD(p, VMC_VPS, v, "is not a number: vps = 1 (only 1 VP is supported by raumctl run yet)");
	if (x != 1)
		return BAD(p, VMC_VPS, v, "is not supported: only 1 VP is supported by raumctl run yet (vps = 1)");
	p->c->vps = 1;
	return 0;
}

static int set_kind(struct parser *p, const char *v)
{
	for (unsigned k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
		if (strcmp(v, kind_names[k]) == 0) {
			p->c->kind = (enum vm_kind)k;
			return 0;
		}
	}
	return BAD(p, VMC_KIND, v, "is not a kind: multiboot, flat16, flat32 or flat64");
}

/* load and entry: a guest-physical address below 4 GiB, 0x... or decimal. */
static int set_addr(struct parser *p, enum vmconfig_key k, const char *v, uint64_t *dst, bool *has)
{
	uint64_t x;
	const char *end;

	if (parse_u64(v, 1, &x, &end) || *end)
		return BAD(p, k, v, "is not an address: hex 0x... or decimal (e.g. %s = 0x100000)", key_names[k]);
	if (x >= ADDR_LIMIT)
		return BAD(p, k, v, "is out of range: below 4 GiB (0x100000000)");
	*dst = x;
	*has = true;
	return 0;
}

static int set_cmdline(struct parser *p, const char *v)
{
	size_t n = strlen(v);

	if (n > VMCONFIG_CMDLINE_MAX)
		return BAD(p, VMC_CMDLINE, v, "is %zu bytes long: %d at most", n, VMCONFIG_CMDLINE_MAX);
	memcpy(p->c->cmdline, v, n + 1);
	p->c->has_cmdline = true;
	return 0;
}

/* "PATH" or "PATH ARGS": raumctl run gets --module PATH=ARGS and splits at the first '=', so PATH holds none. */
static int set_module(struct parser *p, const char *v)
{
	struct vmconfig *c = p->c;
	size_t plen = strcspn(v, " ");
	const char *args = v + plen;

	if (c->nmodules == VMCONFIG_MODULES_MAX)
		return BAD(p, VMC_MODULE, v, "is one module too many: %d at most", VMCONFIG_MODULES_MAX);
	if (v[0] != '/')
		return BAD(p, VMC_MODULE, v, "does not start with an absolute path: module = PATH [ARGS] (e.g. "
					     "module = /guests/initrd.img rw)");
	if (memchr(v, '=', plen))
		return BAD(p, VMC_MODULE, v, "has a path holding '=': raumctl run takes --module PATH=ARGS, so the "
					     "path cannot hold one");
	if (plen >= PATH_MAX)
		return BAD(p, VMC_MODULE, v, "has a path longer than %d bytes", PATH_MAX - 1);
	while (*args == ' ')
		args++;
	if (strlen(args) > VMCONFIG_CMDLINE_MAX)
		return BAD(p, VMC_MODULE, v, "has arguments longer than %d bytes", VMCONFIG_CMDLINE_MAX);
	struct vmconfig_module *m = &c->module[c->nmodules++];
	memcpy(m->path, v, plen);
	m->path[plen] = '\0';
	strcpy(m->args, args);
	m->line = p->line;
	return 0;
}

/* Seconds, "30" or "30s", 0 to VMCONFIG_STOP_TIMEOUT_MAX. */
static int set_stop_timeout(struct parser *p, const char *v)
{
	uint64_t x;
	const char *end;

	if (parse_u64(v, 0, &x, &end) || (*end && (*end != 's' || end[1])))
		return BAD(p, VMC_STOP_TIMEOUT, v, "is not a time: seconds, with or without s (e.g. 30, 30s)");
	if (x > VMCONFIG_STOP_TIMEOUT_MAX)
		return BAD(p, VMC_STOP_TIMEOUT, v, "is out of range: 0 to %d seconds", VMCONFIG_STOP_TIMEOUT_MAX);
	p->c->stop_timeout_s = (unsigned)x;
	return 0;
}

static int set_key(struct parser *p, enum vmconfig_key k, const char *v)
{
	struct vmconfig *c = p->c;

	switch (k) {
	case VMC_NAME: return set_name(p, v);
	case VMC_MEMORY: return set_memory(p, v);
	case VMC_VPS: return set_vps(p, v);
	case VMC_IMAGE: return set_path(p, k, v, c->image);
	case VMC_KIND: return set_kind(p, v);
	case VMC_LOAD: return set_addr(p, k, v, &c->load, &c->has_load);
	case VMC_ENTRY: return set_addr(p, k, v, &c->entry, &c->has_entry);
	case VMC_CMDLINE: return set_cmdline(p, v);
	case VMC_MODULE: return set_module(p, v);
	case VMC_CONSOLE_LOG: return set_path(p, k, v, c->console_log);
	case VMC_STOP_TIMEOUT: return set_stop_timeout(p, v);
	case VMC_NKEYS: break;
	}
	return -1;
}

/*
 * The value after '=' (s[0..n), leading blanks skipped) into val (n + 1
 * bytes at least): a quoted value with its \" and \\ escapes undone and
 * only blanks or a comment after it, or an unquoted one up to a '#' that
 * starts it or follows a blank, its trailing blanks dropped. Control bytes are refused either way.
 */
static int take_value(struct parser *p, const char *key, const char *s, size_t n, char *val)
{
	size_t i = 0, o = 0;

	if (n && s[0] == '"') {
		for (i = 1;; i++) {
			if (i == n)
				return errorf(p->err, p->errlen, p->file, p->line, key, s, n,
					      "has no closing quote (a quoted value ends with \" on its line)");
			if (s[i] == '"')
				break;
			if (s[i] == '\\') {
				if (i + 1 == n || (s[i + 1] != '"' && s[i + 1] != '\\'))
					return errorf(p->err, p->errlen, p->file, p->line, key, s, n,
						      "has a \\ escape other than \\\" and \\\\ in quotes");
				i++;
			}
			val[o++] = s[i];
		}
		for (i++; i < n && is_space(s[i]); i++)
			;
		if (i < n && s[i] != '#')
			return errorf(p->err, p->errlen, p->file, p->line, key, s, n,
				      "has more after its closing quote (only a # comment may follow)");
	} else {
		for (; i < n && !(s[i] == '#' && (i == 0 || is_space(s[i - 1]))); i++)
			val[o++] = s[i];
		while (o && is_space(val[o - 1]))
			o--;
	}
	val[o] = '\0';
	for (i = 0; i < o; i++)
		if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f)
			return errorf(p->err, p->errlen, p->file, p->line, key, val, o,
				      "holds a control character (byte 0x%02x at %zu)", (unsigned char)val[i], i + 1);
	return 0;
}

/* One line s[0..n), its line ending gone, no NUL in it. */
static int parse_line(struct parser *p, const char *s, size_t n)
{
	char key[VMCONFIG_LINE_MAX + 1], val[VMCONFIG_LINE_MAX + 1];
	size_t i = 0;

	while (i < n && is_space(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	const char *eq = memchr(s + i, '=', n - i);
	if (!eq)
		return errorf(p->err, p->errlen, p->file, p->line, NULL, s + i, n - i,
			      "is not a key = value line (a comment starts with #)");
	size_t klen = (size_t)(eq - (s + i));
	while (klen && is_space(s[i + klen - 1]))
		klen--;
	if (!klen)
		return errorf(p->err, p->errlen, p->file, p->line, NULL, s + i, n - i, "has no key before '='");
	memcpy(key, s + i, klen);
	key[klen] = '\0';

	enum vmconfig_key k;
	for (k = 0; k < VMC_NKEYS && strcmp(key, key_names[k]) != 0; k++)
		;
	if (k == VMC_NKEYS)
		return errorf(p->err, p->errlen, p->file, p->line, NULL, key, klen,
			      "is not a key: name, memory, vps, image, kind, load, entry, cmdline, module, "
			      "console_log, stop_timeout");
	if (p->c->line[k] && k != VMC_MODULE)
		return errorf(p->err, p->errlen, p->file, p->line, key_names[k], NULL, 0,
			      "given twice (first on line %u)", p->c->line[k]);

	size_t v = (size_t)(eq + 1 - s);
	while (v < n && is_space(s[v]))
		v++;
	if (take_value(p, key_names[k], s + v, n - v, val))
		return -1;
	if (!p->c->line[k])
		p->c->line[k] = p->line;
	return set_key(p, k, val);
}

/* A required key not given: "FILE: KEY: missing (WHAT)". */
static int missing(struct parser *p, enum vmconfig_key k, const char *what, const char *kind)
{
	return errorf(p->err, p->errlen, p->file, 0, key_names[k], NULL, 0, "missing (%s%s%s)", kind ? "kind = " : "",
		      kind ? kind : "", what);
}

/* The address key k (load or entry) is wrong with the rest: its line, its value x in hex. */
__attribute__((format(printf, 4, 5))) static int addr_bad(struct parser *p, enum vmconfig_key k, uint64_t x,
							  const char *fmt, ...)
{
	char v[24];
	va_list ap;

	snprintf(v, sizeof(v), "0x%llx", (unsigned long long)x);
	va_start(ap, fmt);
	verrorf(p->err, p->errlen, p->file, p->c->line[k], key_names[k], v, strlen(v), fmt, ap);
	va_end(ap);
	return -1;
}

/* What depends on more than one key, once every line is read. */
static int check_whole(struct parser *p)
{
	struct vmconfig *c = p->c;
	const char *kind = kind_names[c->kind];

	if (!c->line[VMC_NAME])
		return missing(p, VMC_NAME, "1 to 32 of A-Z a-z 0-9 _ . -, e.g. name = web", NULL);
	if (!c->line[VMC_IMAGE])
		return missing(p, VMC_IMAGE, "the guest image's absolute path, e.g. image = /guests/hello.elf", NULL);
	if (c->kind == VM_MULTIBOOT) {
		if (c->has_load)
			return addr_bad(p, VMC_LOAD, c->load,
					"is for the flat kinds only (kind = flat16, flat32 or flat64); kind is %s", kind);
		if (c->has_entry)
			return addr_bad(p, VMC_ENTRY, c->entry,
					"is for the flat kinds only (kind = flat16, flat32 or flat64); kind is %s", kind);
	} else {
		if (!c->has_load)
			return missing(p, VMC_LOAD, " needs the image's load address, e.g. load = 0x100000", kind);
		if (!c->has_entry)
			return missing(p, VMC_ENTRY, " needs the entry address, e.g. entry = 0x100000", kind);
		if (c->has_cmdline)
			return errorf(p->err, p->errlen, p->file, c->line[VMC_CMDLINE], "cmdline", c->cmdline,
				      strlen(c->cmdline), "is for kind = multiboot only; kind is %s", kind);
		if (c->nmodules)
			return errorf(p->err, p->errlen, p->file, c->module[0].line, "module", c->module[0].path,
				      strlen(c->module[0].path), "is for kind = multiboot only; kind is %s", kind);
		uint64_t mem = (uint64_t)c->mem_mb << 20, top = c->kind == VM_FLAT16 ? LOW_1MIB : mem;
		if (c->load >= top)
			return addr_bad(p, VMC_LOAD, c->load, "lies beyond %s (%s)",
					c->kind == VM_FLAT16 ? "1 MiB" : "the guest's memory",
					c->kind == VM_FLAT16 ? "a 16-bit image lies below it" : "memory = more, or load lower");
		if (c->entry < c->load || c->entry >= top)
			return addr_bad(p, VMC_ENTRY, c->entry, "lies outside the image: from load (0x%llx) up, below 0x%llx",
					(unsigned long long)c->load, (unsigned long long)top);
	}
	if (!c->line[VMC_CONSOLE_LOG])
		snprintf(c->console_log, sizeof(c->console_log), "%s/%s.console", VMCONFIG_LOG_DIR, c->name);
	return 0;
}

int vmconfig_parse(const char *file_name, const char *text, size_t len, struct vmconfig *out, char *err,
		   size_t errlen)
{
	struct parser p = { .file = file_name, .err = err, .errlen = errlen, .c = out };

	memset(out, 0, sizeof(*out));
	snprintf(out->file, sizeof(out->file), "%s", file_name);
	out->mem_mb = VMCONFIG_MEM_DEFAULT_MB;
	out->vps = 1;
	out->kind = VM_MULTIBOOT;
	out->stop_timeout_s = VMCONFIG_STOP_TIMEOUT_DEFAULT;
	if (err && errlen)
		err[0] = '\0';
	if (len > VMCONFIG_FILE_MAX)
		return errorf(err, errlen, file_name, 0, NULL, NULL, 0, "is %zu bytes: a config file holds %d at most",
			      len, VMCONFIG_FILE_MAX);
	for (size_t at = 0; at < len;) {
		const char *s = text + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at;
		at += n + (nl != NULL);
		p.line++;
		if (n && s[n - 1] == '\r') /* CRLF */
			n--;
		if (n > VMCONFIG_LINE_MAX)
			return errorf(err, errlen, file_name, p.line, NULL, NULL, 0,
				      "the line is %zu bytes long: %d at most", n, VMCONFIG_LINE_MAX);
		const char *nul = memchr(s, '\0', n);
		if (nul)
			return errorf(err, errlen, file_name, p.line, NULL, NULL, 0,
				      "a NUL byte at column %zu (a config file is text)", (size_t)(nul - s) + 1);
		if (parse_line(&p, s, n))
			return -1;
	}
	return check_whole(&p);
}

int vmconfig_load(const char *path, struct vmconfig *out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errorf(err, errlen, path, 0, NULL, NULL, 0, "cannot read: %s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return errorf(err, errlen, path, 0, NULL, NULL, 0, "cannot read: not a regular file");
	}
	if (st.st_size > VMCONFIG_FILE_MAX) {
		close(fd);
		return errorf(err, errlen, path, 0, NULL, NULL, 0, "is %lld bytes: a config file holds %d at most",
			      (long long)st.st_size, VMCONFIG_FILE_MAX);
	}
	/* one byte more than the limit: a file that grew since fstat is still refused */
	char *buf = malloc(VMCONFIG_FILE_MAX + 1);
	size_t len = 0;
	if (!buf) {
		close(fd);
		return errorf(err, errlen, path, 0, NULL, NULL, 0, "cannot read: %s", strerror(ENOMEM));
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, VMCONFIG_FILE_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return errorf(err, errlen, path, 0, NULL, NULL, 0, "cannot read: %s", strerror(e));
		}
		if (r == 0 || (len += (size_t)r) == VMCONFIG_FILE_MAX + 1)
			break;
	}
	close(fd);
	int rc = vmconfig_parse(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

/* One file the guest needs: a regular file, no larger than its memory. */
static int check_file(const struct vmconfig *c, unsigned line, const char *field, const char *path, char *err,
		      size_t errlen)
{
	struct stat st;

	if (stat(path, &st))
		return errorf(err, errlen, c->file, line, field, path, strlen(path), "cannot stat: %s",
			      strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errorf(err, errlen, c->file, line, field, path, strlen(path), "is not a regular file");
	if ((uint64_t)st.st_size > (uint64_t)c->mem_mb << 20)
		return errorf(err, errlen, c->file, line, field, path, strlen(path),
			      "is %lld bytes, more than the guest's memory (memory = %u MiB)", (long long)st.st_size,
			      c->mem_mb);
	return 0;
}

int vmconfig_check_files(const struct vmconfig *c, char *err, size_t errlen)
{
	if (check_file(c, c->line[VMC_IMAGE], "image", c->image, err, errlen))
		return -1;
	for (unsigned i = 0; i < c->nmodules && i < VMCONFIG_MODULES_MAX; i++)
		if (check_file(c, c->module[i].line, "module", c->module[i].path, err, errlen))
			return -1;
	return 0;
}

/* Appends the NUL-terminated concatenation of parts (NULL-ended) to a as its next argument. */
static int push(struct vmconfig_args *a, size_t *used, const char *part, ...)
{
	va_list ap;
	char *start = a->buf + *used;

	if (a->argc == VMCONFIG_ARGS_MAX)
		return -1;
	va_start(ap, part);
	for (const char *s = part; s; s = va_arg(ap, const char *)) {
		size_t n = strlen(s);
		if (n >= sizeof(a->buf) - *used) {
			va_end(ap);
			return -1;
		}
		memcpy(a->buf + *used, s, n);
		*used += n;
	}
	va_end(ap);
	a->buf[(*used)++] = '\0';
	a->argv[a->argc++] = start;
	a->argv[a->argc] = NULL;
	return 0;
}

int vmconfig_run_args(const struct vmconfig *c, struct vmconfig_args *a)
{
	static const char *const modes[] = { [VM_FLAT16] = "16", [VM_FLAT32] = "32", [VM_FLAT64] = "64" };
	char mem[16], load[24], entry[24];
	size_t used = 0;
	int rc = 0;

	a->argc = 0;
	a->argv[0] = NULL;
	snprintf(mem, sizeof(mem), "%u", c->mem_mb);
	rc |= push(a, &used, c->image, NULL);
	rc |= push(a, &used, "--mem", NULL) | push(a, &used, mem, NULL);
	if (c->kind == VM_MULTIBOOT) {
		if (c->has_cmdline)
			rc |= push(a, &used, "--cmdline", NULL) | push(a, &used, c->cmdline, NULL);
		for (unsigned i = 0; i < c->nmodules && i < VMCONFIG_MODULES_MAX; i++) {
			const struct vmconfig_module *m = &c->module[i];
			rc |= push(a, &used, "--module", NULL);
			rc |= push(a, &used, m->path, m->args[0] ? "=" : "", m->args, NULL);
		}
	}
	rc |= push(a, &used, "--log", NULL) | push(a, &used, c->console_log, NULL);
	if (c->kind != VM_MULTIBOOT && (unsigned)c->kind < sizeof(modes) / sizeof(modes[0])) {
		snprintf(load, sizeof(load), "0x%llx", (unsigned long long)c->load);
		snprintf(entry, sizeof(entry), "0x%llx", (unsigned long long)c->entry);
		rc |= push(a, &used, "--flat", NULL);
		rc |= push(a, &used, "--load", NULL) | push(a, &used, load, NULL);
		rc |= push(a, &used, "--entry", NULL) | push(a, &used, entry, NULL);
		rc |= push(a, &used, "--mode", NULL) | push(a, &used, modes[c->kind], NULL);
	}
	return rc ? -1 : a->argc;
}
