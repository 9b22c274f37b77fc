/* SPDX-License-Identifier: MIT */
/*
 * A VM's configuration file for raumd (docs/raumd-config.md): `key = value`
 * lines naming the guest, its memory, its image and how raumd runs it.
 *
 * vmconfig_parse is pure code over a byte buffer (tests/unit/test_vmconfig.c
 * feeds it mutated files); vmconfig_load reads a file and parses it,
 * vmconfig_check_files stat()s the files a config names, vmconfig_run_args
 * turns a config into `raumctl run`'s arguments (docs/raumctl-run.md),
 * vmconfig_to_json (vmconfig_json.c, json-c) into raumd's `info --json`.
 *
 * Every error is one line: "FILE:LINE: FIELD: "VALUE" <what is wrong and
 * what is allowed>", the value quoted with its unprintable bytes escaped and
 * cut to 64 bytes. The first error ends the parse; the struct is then
 * not to be used.
 */
#ifndef RAUMD_VMCONFIG_H
#define RAUMD_VMCONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMCONFIG_FILE_MAX (64 * 1024) /* bytes in a config file */
#define VMCONFIG_LINE_MAX 4096        /* bytes in a line, its line ending not counted */
#define VMCONFIG_NAME_MAX 32
#define VMCONFIG_CMDLINE_MAX 1024
#define VMCONFIG_MODULES_MAX 8        /* as MB_MAX_MODULES (tools/raumctl/image.h) */
#define VMCONFIG_MEM_MIN_MB 2
#define VMCONFIG_MEM_DEFAULT_MB 16
#define VMCONFIG_STOP_TIMEOUT_MAX 3600
#define VMCONFIG_STOP_TIMEOUT_DEFAULT 30
#define VMCONFIG_LOG_DIR "/var/log/raum" /* the default console_log: VMCONFIG_LOG_DIR/<name>.console */

/* The keys, in the order docs/raumd-config.md lists them; line[] is indexed by them. */
enum vmconfig_key {
	VMC_NAME,
	VMC_MEMORY,
	VMC_VPS,
	VMC_IMAGE,
	VMC_KIND,
	VMC_LOAD,
	VMC_ENTRY,
	VMC_CMDLINE,
	VMC_MODULE,       /* line[VMC_MODULE]: the first module's line; each module has its own */
	VMC_CONSOLE_LOG,
	VMC_STOP_TIMEOUT,
	VMC_NKEYS
};

enum vm_kind { VM_MULTIBOOT, VM_FLAT16, VM_FLAT32, VM_FLAT64 };

struct vmconfig_module {
	char path[PATH_MAX];                 /* absolute, no whitespace, no '=' (raumctl's FILE[=ARGS]) */
	char args[VMCONFIG_CMDLINE_MAX + 1]; /* "" when none; the module's string is "PATH ARGS" */
	unsigned line;
};

struct vmconfig {
	char file[PATH_MAX];                 /* the config's file name, for vmconfig_check_files' messages */
	char name[VMCONFIG_NAME_MAX + 1];
	unsigned mem_mb;
	unsigned vps;
	char image[PATH_MAX];
	enum vm_kind kind;
	uint64_t load, entry;                /* flat kinds only; has_* say they were given */
	bool has_load, has_entry;
	char cmdline[VMCONFIG_CMDLINE_MAX + 1];
	bool has_cmdline;                    /* given (even empty): raumctl gets --cmdline */
	unsigned nmodules;
	struct vmconfig_module module[VMCONFIG_MODULES_MAX];
	char console_log[PATH_MAX];
	unsigned stop_timeout_s;
	unsigned line[VMC_NKEYS];            /* the line each key was given on; 0: not given (the default) */
};

/* The key's name as the file spells it ("stop_timeout"). */
const char *vmconfig_key_name(enum vmconfig_key k);
/* "multiboot", "flat16", "flat32", "flat64". */
const char *vmconfig_kind_name(enum vm_kind k);

/*
 * Parses text[0..len) (it need not end in NUL; NUL bytes are refused) into
 * *out, the defaults filled in for keys not given. file_name only names
 * the file in messages. 0, or -1 with the message in err (always
 * NUL-terminated when errlen > 0, cut to errlen).
 */
int vmconfig_parse(const char *file_name, const char *text, size_t len, struct vmconfig *out, char *err,
		   size_t errlen);

/*
 * Reads the regular file at path (at most VMCONFIG_FILE_MAX bytes) and
 * parses it. 0, or -1 with the message in err ("PATH: cannot read: <errno
 * text>" when the file cannot be read).
 */
int vmconfig_load(const char *path, struct vmconfig *out, char *err, size_t errlen);

/*
 * Whether the image and every module are regular files no larger than the
 * guest's memory, as `raumctl run` will want them. 0, or -1 naming the
 * config file, the line, the field and the file ("web.conf:4: image:
 * "/guests/x.elf": cannot stat: No such file or directory").
 */
int vmconfig_check_files(const struct vmconfig *c, char *err, size_t errlen);

/* The most arguments vmconfig_run_args makes, the terminating NULL not counted. */
#define VMCONFIG_ARGS_MAX (1 + 2 * 3 + 2 * VMCONFIG_MODULES_MAX + 1 + 2 * 3)

/* `raumctl run`'s arguments, self-contained: argv points into buf. */
struct vmconfig_args {
	int argc;
	char *argv[VMCONFIG_ARGS_MAX + 1];   /* argv[argc] == NULL */
	char buf[3 * PATH_MAX + VMCONFIG_CMDLINE_MAX + 1 +
		 VMCONFIG_MODULES_MAX * (PATH_MAX + VMCONFIG_CMDLINE_MAX + 2) + 256];
};

/*
 * The arguments that follow `raumctl run` for c (docs/raumctl-run.md):
 * IMAGE --mem N [--cmdline T] [--module PATH[=ARGS]]... --log FILE, and for
 * flat kinds --flat --load A --entry A --mode 16|32|64. Returns argc, or
 * -1 when c does not fit (a config vmconfig_parse accepted always fits).
 */
int vmconfig_run_args(const struct vmconfig *c, struct vmconfig_args *a);

struct json_object;
/*
 * c as one JSON object (json-c; the caller puts it): name, memory_mb, vps,
 * image, kind, load and entry (flat kinds), cmdline, modules ([{path,
 * args}]), console_log, stop_timeout_s. 0, or -1 when out of memory.
 */
int vmconfig_to_json(const struct vmconfig *c, struct json_object **out);

#endif
