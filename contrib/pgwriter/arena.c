/*
 * arena.c: a bump arena for cJSON, per thread (see arena.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "arena.h"

/* The first chunk's size: an event of a few KiB parses well within it. */
#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;     /* the chunk filled before this one */
	size_t cap;
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

/* This thread's current chunk, and whether a span is open. */
static _Thread_local struct arena_chunk *arena_top;
static _Thread_local int arena_open;

static void *arena_xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "pgwriter: malloc(%zu) failed\n", n);
		abort();
	}
	return p;
}

/* A new chunk of at least n bytes on top of the current one. */
static void arena_grow(size_t n)
{
	size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
	struct arena_chunk *c = arena_xmalloc(sizeof(*c) + cap);

	c->next = arena_top;
	c->cap = cap;
	c->used = 0;
	arena_top = c;
}

static void *arena_malloc(size_t n)
{
	void *p;

	if (!arena_open)
		return malloc(n);
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (!arena_top || arena_top->cap - arena_top->used < n)
		arena_grow(n);
	p = arena_top->data + arena_top->used;
	arena_top->used += n;
	return p;
}

static void arena_free(void *p)
{
	if (!arena_open)
		free(p);
}

void arena_install(void)
{
	cJSON_Hooks hooks = { arena_malloc, arena_free };

	cJSON_InitHooks(&hooks);
}

void arena_begin(void)
{
	arena_open = 1;
}

/* Keep the oldest chunk for the next span; an event that needed more
 * gives the rest back. */
void arena_end(void)
{
	struct arena_chunk *c;

	arena_open = 0;
	while (arena_top && arena_top->next) {
		c = arena_top;
		arena_top = c->next;
		free(c);
	}
	if (arena_top)
		arena_top->used = 0;
}
