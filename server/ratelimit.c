#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    uint64_t hash; /* 0: empty */
    long window;   /* start of its minute, in seconds */
    int count;
};

struct koop_ratelimit {
    pthread_mutex_t lock;
    size_t mask;
    struct slot *slots;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

struct koop_ratelimit *koop_ratelimit_new(int slots)
{
    size_t n = 64;
    while ((int)n < slots && n < (1u << 24))
        n <<= 1;
    struct koop_ratelimit *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->slots = calloc(n, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void koop_ratelimit_free(struct koop_ratelimit *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->slots);
    free(t);
}

#define PROBES 8

bool koop_ratelimit_take(struct koop_ratelimit *t, const char *key, long now_s, int limit,
                         int *retry_after_s)
{
    uint64_t h = fnv1a(key);
    long window = now_s - now_s % 60;
    pthread_mutex_lock(&t->lock);
    /* the key's slot among PROBES neighbours; else an empty or the stalest one */
    struct slot *s = NULL, *victim = NULL;
    for (size_t i = 0; i < PROBES; i++) {
        struct slot *c = &t->slots[(h + i) & t->mask];
        if (c->hash == h) {
            s = c;
            break;
        }
        if (!victim || c->hash == 0 || (victim->hash != 0 && c->window < victim->window))
            victim = c;
    }
    if (!s) {
        s = victim;
        s->hash = h;
        s->window = window;
        s->count = 0;
    }
    if (s->window != window) {
        s->window = window;
        s->count = 0;
    }
    bool ok = s->count < limit;
    if (ok)
        s->count++;
    pthread_mutex_unlock(&t->lock);
    if (!ok && retry_after_s)
        *retry_after_s = (int)(window + 60 - now_s);
    return ok;
}
