// SPDX-License-Identifier: GPL-2.0
/*
 * insncount: a QEMU TCG plugin that counts executed guest instructions per
 * translation block, in windows delimited by executions of a marker address.
 *
 *   -plugin file=insncount.so,outdir=DIR,marker=0xffffffff811cf180
 *
 * Each translated block (TB) gets a counter keyed by (start vaddr, number of
 * instructions); an inline ADD_U64 of 1 bumps it every time the block runs.
 * Every time a block starting at the marker address runs (e.g. the kernel's
 * __x64_sys_sync, so the guest opens and closes windows with sync(1)), the plugin
 * writes the non-zero counters to DIR/window-<N>.txt and zeroes them; N counts
 * from 0 (boot up to the first marker). At exit the last window is written.
 *
 * File format: a '#' header line, then one line per block that ran:
 *   <vaddr hex> <n_insns> <executions>
 * Instructions = n_insns * executions.
 *
 * The inline counters are not atomic: run the guest with one vCPU (or
 * -accel tcg,thread=single) for exact counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_min.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct counter {
	uint64_t execs;		/* bumped inline by the translated code */
	uint64_t vaddr;
	uint64_t n_insns;
};

/* Counters live in chunks that never move: translated code points into them. */
#define CHUNK 65536
struct chunk {
	struct chunk *next;
	size_t used;
	struct counter c[CHUNK];
};

static struct chunk *chunks;
static struct counter **table;	/* open addressing, power-of-two size */
static size_t table_size, table_used;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static char outdir[4096] = ".";
static uint64_t marker;
static int have_marker;
static unsigned int window;

static inline size_t hash(uint64_t vaddr, uint64_t n)
{
	uint64_t h = vaddr * 0x9e3779b97f4a7c15ull ^ (n + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 29));
}

static void table_grow(void)
{
	size_t nsize = table_size ? table_size * 2 : 1 << 16;
	struct counter **nt = calloc(nsize, sizeof(*nt));
	if (!nt) {
		perror("insncount: calloc");
		abort();
	}
	for (size_t i = 0; i < table_size; i++) {
		struct counter *c = table[i];
		if (!c)
			continue;
		size_t j = hash(c->vaddr, c->n_insns) & (nsize - 1);
		while (nt[j])
			j = (j + 1) & (nsize - 1);
		nt[j] = c;
	}
	free(table);
	table = nt;
	table_size = nsize;
}

static struct counter *counter_get(uint64_t vaddr, uint64_t n)
{
	if ((table_used + 1) * 2 > table_size)
		table_grow();
	size_t j = hash(vaddr, n) & (table_size - 1);
	while (table[j]) {
		if (table[j]->vaddr == vaddr && table[j]->n_insns == n)
			return table[j];
		j = (j + 1) & (table_size - 1);
	}
	if (!chunks || chunks->used == CHUNK) {
		struct chunk *ch = calloc(1, sizeof(*ch));
		if (!ch) {
			perror("insncount: calloc");
			abort();
		}
		ch->next = chunks;
		chunks = ch;
	}
	struct counter *c = &chunks->c[chunks->used++];
	c->vaddr = vaddr;
	c->n_insns = n;
	table[j] = c;
	table_used++;
	return c;
}

/* Write the non-zero counters to window-<window>.txt and zero them. */
static void dump_window(const char *why)
{
	char path[4200], tmp[4300];
	snprintf(path, sizeof(path), "%s/window-%u.txt", outdir, window);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		char msg[4400];
		snprintf(msg, sizeof(msg), "insncount: cannot write %s: %s\n", tmp, strerror(errno));
		qemu_plugin_outs(msg);
	}
	static char buf[1 << 20];
	if (f)
		setvbuf(f, buf, _IOFBF, sizeof(buf));
	uint64_t insns = 0, blocks = 0;
	for (struct chunk *ch = chunks; ch; ch = ch->next)
		for (size_t i = 0; i < ch->used; i++) {
			struct counter *c = &ch->c[i];
			if (!c->execs)
				continue;
			insns += c->execs * c->n_insns;
			blocks++;
		}
	if (f)
		fprintf(f, "# insncount window %u end=%s insns=%" PRIu64 " blocks=%" PRIu64 "\n",
			window, why, insns, blocks);
	for (struct chunk *ch = chunks; ch; ch = ch->next)
		for (size_t i = 0; i < ch->used; i++) {
			struct counter *c = &ch->c[i];
			if (!c->execs)
				continue;
			if (f)
				fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", c->vaddr, c->n_insns, c->execs);
			c->execs = 0;
		}
	if (f) {
		/* Rename last: a reader that sees window-N.txt sees all of it. */
		if (fclose(f) == 0)
			rename(tmp, path);
	}
	window++;
}

static void on_marker(unsigned int vcpu_index, void *userdata)
{
	(void)vcpu_index;
	(void)userdata;
	pthread_mutex_lock(&lock);
	dump_window("marker");
	pthread_mutex_unlock(&lock);
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	uint64_t n = qemu_plugin_tb_n_insns(tb);
	pthread_mutex_lock(&lock);
	struct counter *c = counter_get(vaddr, n);
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &c->execs, 1);
	if (have_marker && vaddr == marker)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	pthread_mutex_lock(&lock);
	dump_window("exit");
	pthread_mutex_unlock(&lock);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "arg=", 4))	/* the older "arg=name=value" form */
			a += 4;
		if (!strncmp(a, "outdir=", 7)) {
			snprintf(outdir, sizeof(outdir), "%s", a + 7);
		} else if (!strncmp(a, "marker=", 7)) {
			char *end;
			marker = strtoull(a + 7, &end, 0);
			if (*end || end == a + 7) {
				fprintf(stderr, "insncount: bad marker address '%s'\n", a + 7);
				return -1;
			}
			have_marker = 1;
		} else {
			fprintf(stderr, "insncount: unknown argument '%s'\n", a);
			return -1;
		}
	}
	if (info->system_emulation && info->system.max_vcpus > 1)
		qemu_plugin_outs("insncount: warning: several vCPUs; counts are exact only with "
				 "-accel tcg,thread=single\n");
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
