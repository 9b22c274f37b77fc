// SPDX-License-Identifier: MIT
/*
 * printf-style formatting without libc. Used by the hypervisor's log and by
 * the loader's console output; tested on the host against the C library's
 * snprintf (tests/unit/test_fmt.c).
 */
#include <raum/fmt.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters produced so far, including those that did not fit */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

#define F_LEFT 1
#define F_ZERO 2
#define F_ALT 4
#define F_PLUS 8
#define F_SPACE 16

/*
 * Emits one integer. 'neg' tells whether the (already made positive) value
 * was negative. Precision gives the minimum number of digits; a precision
 * of 0 with a value of 0 prints no digits, as C requires.
 */
static void put_num(struct out *o, u64 v, bool neg, unsigned base, bool upper,
		    int flags, int width, int prec)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	char sign = 0;
	const char *prefix = "";
	int plen = 0;

	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	if (prec < 0) {
		if (n == 0)
			tmp[n++] = '0';
	} else {
		flags &= ~F_ZERO; /* C: the 0 flag is ignored when a precision is given */
	}
	if (neg)
		sign = '-';
	else if (flags & F_PLUS)
		sign = '+';
	else if (flags & F_SPACE)
		sign = ' ';
	if ((flags & F_ALT) && base == 16 && n > 0 && !(n == 1 && tmp[0] == '0')) {
		prefix = upper ? "0X" : "0x";
		plen = 2;
	}
	if ((flags & F_ALT) && base == 8 && (n == 0 || tmp[n - 1] != '0') && prec <= n) {
		prec = n + 1; /* %#o: force a leading zero */
	}

	int zeros = prec > n ? prec - n : 0;
	int total = n + zeros + plen + (sign ? 1 : 0);
	int fill = width > total ? width - total : 0;

	if (!(flags & F_LEFT) && !(flags & F_ZERO))
		pad(o, ' ', fill);
	if (sign)
		put(o, sign);
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	if (!(flags & F_LEFT) && (flags & F_ZERO))
		pad(o, '0', fill);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (flags & F_LEFT)
		pad(o, ' ', fill);
}

static void put_str(struct out *o, const char *s, int flags, int width, int prec)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while ((prec < 0 || n < prec) && s[n])
		n++;
	if (!(flags & F_LEFT))
		pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (flags & F_LEFT)
		pad(o, ' ', width - n);
}

enum len_mod { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE };

int raum_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p++;
		int flags = 0;
		for (;; p++) {
			if (*p == '-')
				flags |= F_LEFT;
			else if (*p == '0')
				flags |= F_ZERO;
			else if (*p == '#')
				flags |= F_ALT;
			else if (*p == '+')
				flags |= F_PLUS;
			else if (*p == ' ')
				flags |= F_SPACE;
			else
				break;
		}
		int width = 0;
		if (*p == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			p++;
		} else {
			while (*p >= '0' && *p <= '9')
				width = width * 10 + (*p++ - '0');
		}
		int prec = -1;
		if (*p == '.') {
			p++;
			prec = 0;
			if (*p == '*') {
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
				p++;
			} else {
				while (*p >= '0' && *p <= '9')
					prec = prec * 10 + (*p++ - '0');
			}
		}
		enum len_mod len = L_INT;
		if (*p == 'h') {
			len = L_SHORT;
			if (*++p == 'h') {
				len = L_CHAR;
				p++;
			}
		} else if (*p == 'l') {
			len = L_LONG;
			if (*++p == 'l') {
				len = L_LLONG;
				p++;
			}
		} else if (*p == 'z' || *p == 'j' || *p == 't') {
			len = L_SIZE;
			p++;
		}

		u64 u;
		s64 s;
		switch (*p) {
		case 'd':
		case 'i':
			switch (len) {
			case L_LONG: s = va_arg(ap, long); break;
			case L_LLONG: s = va_arg(ap, long long); break;
			case L_SIZE: s = (s64)va_arg(ap, size_t); break;
			case L_CHAR: s = (signed char)va_arg(ap, int); break;
			case L_SHORT: s = (short)va_arg(ap, int); break;
			default: s = va_arg(ap, int); break;
			}
			/* negate in unsigned arithmetic: INT64_MIN has no positive s64 */
			put_num(&o, s < 0 ? -(u64)s : (u64)s, s < 0, 10, false, flags, width, prec);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			switch (len) {
			case L_LONG: u = va_arg(ap, unsigned long); break;
			case L_LLONG: u = va_arg(ap, unsigned long long); break;
			case L_SIZE: u = va_arg(ap, size_t); break;
			case L_CHAR: u = (unsigned char)va_arg(ap, unsigned); break;
			case L_SHORT: u = (unsigned short)va_arg(ap, unsigned); break;
			default: u = va_arg(ap, unsigned); break;
			}
			put_num(&o, u, false, *p == 'o' ? 8 : (*p == 'u' ? 10 : 16), *p == 'X',
				flags & ~(F_PLUS | F_SPACE), width, prec);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (u64)(uintptr_t)va_arg(ap, void *), false, 16, false, 0, 16, 16);
			break;
		case 'c':
			if (!(flags & F_LEFT))
				pad(&o, ' ', width - 1);
			put(&o, (char)va_arg(ap, int));
			if (flags & F_LEFT)
				pad(&o, ' ', width - 1);
			break;
		case 's':
			put_str(&o, va_arg(ap, const char *), flags, width, prec);
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			/* a lone '%' at the end: print it and stop */
			put(&o, '%');
			p--;
			break;
		default:
			/* unknown conversion: print it verbatim, so the mistake shows */
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int raum_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = raum_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
