/*
 * arena.h: cJSON's memory while one message is parsed and mapped.
 *
 * A parsed event is some thirty small allocations (a node per member, a
 * copy of every string and name), all freed together by cJSON_Delete() a
 * few microseconds later: malloc() and free() were a fifth of the
 * writer's instructions per event.  After arena_install(), cJSON takes
 * its memory from a bump arena while the calling thread is between
 * arena_begin() and arena_end(): frees inside the span do nothing and
 * arena_end() releases the whole tree at once.  Outside a span, and in
 * every other thread (the HTTP server's /metrics), cJSON uses malloc()
 * and free() as before.
 *
 * The rule that makes it safe: a cJSON value made inside a span is
 * neither kept nor freed after it, and one made outside is not freed
 * inside it.
 */
#ifndef PGW_ARENA_H
#define PGW_ARENA_H

/* Make cJSON allocate through the arena (once, before any cJSON use). */
void arena_install(void);
/* Start a span in this thread. */
void arena_begin(void);
/* End it: everything cJSON allocated in it is gone. */
void arena_end(void);

#endif
