// SPDX-License-Identifier: MIT
/*
 * A VM's configuration as JSON (json-c) for raumd's `info --json`: see
 * vmconfig_to_json in vmconfig.h. Apart from vmconfig.c so that the parser
 * links with libc alone.
 */
#include <json-c/json.h>

#include "vmconfig.h"

/* Adds key = v to o; v NULL (json-c out of memory) fails. */
static int add(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

int vmconfig_to_json(const struct vmconfig *c, struct json_object **out)
{
	json_object *o = json_object_new_object(), *mods = json_object_new_array();
	int rc = 0;

	*out = NULL;
	if (!o || !mods) {
		json_object_put(o);
		json_object_put(mods);
		return -1;
	}
	rc |= add(o, "name", json_object_new_string(c->name));
	rc |= add(o, "memory_mb", json_object_new_int64(c->mem_mb));
	rc |= add(o, "vps", json_object_new_int64(c->vps));
	rc |= add(o, "image", json_object_new_string(c->image));
	rc |= add(o, "kind", json_object_new_string(vmconfig_kind_name(c->kind)));
	if (c->kind != VM_MULTIBOOT) {
		rc |= add(o, "load", json_object_new_int64((int64_t)c->load));
		rc |= add(o, "entry", json_object_new_int64((int64_t)c->entry));
	}
	rc |= add(o, "cmdline", json_object_new_string(c->cmdline));
	for (unsigned i = 0; i < c->nmodules && i < VMCONFIG_MODULES_MAX; i++) {
		json_object *m = json_object_new_object();
		if (!m || add(m, "path", json_object_new_string(c->module[i].path)) ||
		    add(m, "args", json_object_new_string(c->module[i].args)) || json_object_array_add(mods, m)) {
			json_object_put(m);
			rc = -1;
			break;
		}
	}
	rc |= add(o, "modules", mods);
	rc |= add(o, "console_log", json_object_new_string(c->console_log));
	rc |= add(o, "stop_timeout_s", json_object_new_int64(c->stop_timeout_s));
	if (rc) {
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}
