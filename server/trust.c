#include "trust.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- trusted proxies ---- */

#define MAX_PROXIES 64
struct cidr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits;
};
static struct cidr proxies[MAX_PROXIES];
static int nproxies;

/* Parses an address (IPv4, IPv6, or IPv4-mapped IPv6 as IPv4). */
static int parse_addr(const char *s, unsigned char out[16], int *family)
{
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out, mapped, 12) == 0) {
            memmove(out, out + 12, 4);
            *family = AF_INET;
        } else {
            *family = AF_INET6;
        }
        return 0;
    }
    return -1;
}

int koop_proxies_set(const char *list, char *err, size_t errlen)
{
    nproxies = 0;
    for (const char *p = list ? list : ""; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, ", ");
        char item[80];
        if (n >= sizeof item || nproxies == MAX_PROXIES) {
            snprintf(err, errlen, "KOOP_TRUSTED_PROXIES: entry too long or more than %d entries",
                     MAX_PROXIES);
            return -1;
        }
        memcpy(item, p, n);
        item[n] = 0;
        p += n;
        struct cidr c = {0};
        char *slash = strchr(item, '/');
        if (slash)
            *slash = 0;
        if (parse_addr(item, c.addr, &c.family) != 0) {
            snprintf(err, errlen, "KOOP_TRUSTED_PROXIES: '%s' is not an IP address", item);
            return -1;
        }
        int max = c.family == AF_INET ? 32 : 128;
        c.bits = max;
        if (slash) {
            char *end;
            errno = 0;
            long b = strtol(slash + 1, &end, 10);
            if (errno || end == slash + 1 || *end || b < 0 || b > max) {
                snprintf(err, errlen, "KOOP_TRUSTED_PROXIES: bad prefix length in '%s/%s'", item,
                         slash + 1);
                return -1;
            }
            c.bits = (int)b;
        }
        proxies[nproxies++] = c;
    }
    return 0;
}

bool koop_proxy_trusted(const char *ip)
{
    unsigned char a[16];
    int fam;
    if (!ip || parse_addr(ip, a, &fam) != 0)
        return false;
    for (int i = 0; i < nproxies; i++) {
        const struct cidr *c = &proxies[i];
        if (c->family != fam)
            continue;
        int full = c->bits / 8, rest = c->bits % 8;
        if (memcmp(a, c->addr, (size_t)full) != 0)
            continue;
        if (rest && ((a[full] ^ c->addr[full]) & (0xff << (8 - rest)) & 0xff))
            continue;
        return true;
    }
    return false;
}

/* ---- the client address ---- */

#define MAX_HOPS 64
struct hop {
    char addr[64]; /* "" when the entry is not an address */
};

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* An X-Forwarded-For entry: an address, possibly [v6]:port or v4:port. */
static void hop_from(const char *s, size_t n, struct hop *h)
{
    h->addr[0] = 0;
    trim(&s, &n);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        s++, n -= 2;
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *a = buf;
    if (*a == '[') { /* [v6] or [v6]:port */
        char *e = strchr(a, ']');
        if (!e)
            return;
        *e = 0;
        a++;
    } else if (strchr(a, ':') && strchr(a, ':') == strrchr(a, ':')) {
        *strchr(a, ':') = 0; /* v4:port */
    }
    unsigned char bin[16];
    int fam;
    if (parse_addr(a, bin, &fam) != 0)
        return;
    inet_ntop(fam, bin, h->addr, sizeof h->addr);
}

/* The next slot for a hop: when max are held, the oldest (left-most) goes. The trustworthy
 * entries are the right-most, which the proxies appended, so a client sending many entries can
 * only push out its own. */
static struct hop *next_hop(struct hop *hops, int *n, int max)
{
    if (*n == max) {
        memmove(hops, hops + 1, (size_t)(max - 1) * sizeof *hops);
        (*n)--;
    }
    return &hops[(*n)++];
}

static int split_xff(const char *const *v, int nv, struct hop *hops, int max)
{
    int n = 0;
    for (int i = 0; i < nv; i++)
        for (const char *p = v[i]; p;) {
            size_t len = strcspn(p, ",");
            hop_from(p, len, next_hop(hops, &n, max));
            p = p[len] ? p + len + 1 : NULL;
        }
    return n;
}

/* RFC 7239: elements separated by ',', pairs by ';'; the for= of each. */
static int split_forwarded(const char *const *v, int nv, struct hop *hops, int max)
{
    int n = 0;
    for (int i = 0; i < nv; i++)
        for (const char *p = v[i]; p;) {
            size_t len = strcspn(p, ",");
            struct hop *h = next_hop(hops, &n, max);
            h->addr[0] = 0;
            for (const char *q = p; q < p + len;) {
                size_t pl = strcspn(q, ";,");
                if (pl > len - (size_t)(q - p))
                    pl = len - (size_t)(q - p);
                const char *k = q;
                size_t kl = pl;
                trim(&k, &kl);
                if (kl > 4 && strncasecmp(k, "for=", 4) == 0)
                    hop_from(k + 4, kl - 4, h);
                q += pl;
                if (q < p + len)
                    q++;
            }
            p = p[len] ? p + len + 1 : NULL;
        }
    return n;
}

/* Which header the proxies write: a client can send the other one through a proxy that does not
 * strip it, so only one is believed. */
static bool use_forwarded;

int koop_proxy_header_set(const char *name, char *err, size_t errlen)
{
    if (!name || !*name || strcasecmp(name, "x-forwarded-for") == 0) {
        use_forwarded = false;
    } else if (strcasecmp(name, "forwarded") == 0) {
        use_forwarded = true;
    } else {
        snprintf(err, errlen, "KOOP_PROXY_HEADER must be x-forwarded-for or forwarded, not '%s'",
                 name);
        return -1;
    }
    return 0;
}

void koop_client_address(const char *peer, const char *const *xff, int nxff, const char *const *fwd,
                         int nfwd, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", peer ? peer : "unknown");
    if (nproxies == 0 || !koop_proxy_trusted(peer))
        return;
    static _Thread_local struct hop hops[MAX_HOPS];
    int n = use_forwarded ? split_forwarded(fwd, nfwd, hops, MAX_HOPS)
                          : split_xff(xff, nxff, hops, MAX_HOPS);
    for (int i = n - 1; i >= 0; i--) {
        if (!hops[i].addr[0])
            return; /* garbage: the proxy that passed it on is the client we know */
        snprintf(out, outlen, "%s", hops[i].addr);
        if (!koop_proxy_trusted(hops[i].addr))
            return;
    }
}

/* ---- per-client concurrency ---- */

#define CLIENT_SLOTS 4096
static struct {
    char ip[64];
    int n;
} clients[CLIENT_SLOTS];
static pthread_mutex_t client_mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int koop_client_enter(const char *ip, int limit)
{
    unsigned h = hash(ip) % CLIENT_SLOTS;
    int slot = -1;
    pthread_mutex_lock(&client_mu);
    /* linear probing over a few slots: the client's own slot wherever it is in the
     * neighbourhood, else the first free one; a full neighbourhood shares its first slot */
    for (unsigned i = 0; i < 16 && slot < 0; i++) {
        unsigned s = (h + i) % CLIENT_SLOTS;
        if (clients[s].n > 0 && strcmp(clients[s].ip, ip) == 0)
            slot = (int)s;
    }
    for (unsigned i = 0; i < 16 && slot < 0; i++) {
        unsigned s = (h + i) % CLIENT_SLOTS;
        if (clients[s].n == 0)
            slot = (int)s;
    }
    if (slot < 0)
        slot = (int)h;
    if (clients[slot].n == 0)
        snprintf(clients[slot].ip, sizeof clients[slot].ip, "%s", ip);
    if (clients[slot].n >= limit)
        slot = -1;
    else
        clients[slot].n++;
    pthread_mutex_unlock(&client_mu);
    return slot;
}

void koop_client_leave(int slot)
{
    if (slot < 0 || slot >= CLIENT_SLOTS)
        return;
    pthread_mutex_lock(&client_mu);
    if (clients[slot].n > 0)
        clients[slot].n--;
    pthread_mutex_unlock(&client_mu);
}

/* ---- token buckets ---- */

#define BUCKETS 4096
static struct {
    char key[80]; /* a token id, or "public:" and an IPv6 address */
    double tokens;
    uint64_t at_us;
} buckets[BUCKETS];
static pthread_mutex_t bucket_mu = PTHREAD_MUTEX_INITIALIZER;

bool koop_rate_take(const char *key, int per_minute, uint64_t now_us, long *retry_after_s)
{
    unsigned h = hash(key) % BUCKETS, s = h;
    bool ok, found = false;
    pthread_mutex_lock(&bucket_mu);
    /* the key's bucket among 8 neighbours (two keys never share one: a shared bucket would be
     * refilled by each); a new key takes an empty or the longest-unused bucket */
    for (unsigned i = 0; i < 8 && !found; i++) {
        unsigned c = (h + i) % BUCKETS;
        if (strcmp(buckets[c].key, key) == 0) {
            s = c;
            found = true;
        } else if (!buckets[c].key[0] ||
                   (buckets[s].key[0] && buckets[c].at_us < buckets[s].at_us)) {
            s = c;
        }
    }
    if (!found) {
        snprintf(buckets[s].key, sizeof buckets[s].key, "%s", key);
        buckets[s].tokens = per_minute;
        buckets[s].at_us = now_us;
    }
    double add = (double)(now_us - buckets[s].at_us) * per_minute / 60e6;
    buckets[s].tokens = buckets[s].tokens + add > per_minute ? per_minute : buckets[s].tokens + add;
    buckets[s].at_us = now_us;
    ok = buckets[s].tokens >= 1.0;
    if (ok) {
        buckets[s].tokens -= 1.0;
    } else {
        double need_s = (1.0 - buckets[s].tokens) * 60.0 / per_minute;
        *retry_after_s = (long)need_s + 1;
    }
    pthread_mutex_unlock(&bucket_mu);
    return ok;
}

/* ---- the heavy pool ---- */

static pthread_mutex_t heavy_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t heavy_cv = PTHREAD_COND_INITIALIZER;
static int heavy_running, heavy_waiting;

bool koop_heavy_enter(int slots, int queue, int wait_ms)
{
    pthread_mutex_lock(&heavy_mu);
    if (heavy_running >= slots) {
        if (heavy_waiting >= queue) {
            pthread_mutex_unlock(&heavy_mu);
            return false;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        heavy_waiting++;
        while (heavy_running >= slots)
            if (pthread_cond_timedwait(&heavy_cv, &heavy_mu, &until) != 0)
                break;
        heavy_waiting--;
        if (heavy_running >= slots) {
            pthread_mutex_unlock(&heavy_mu);
            return false;
        }
    }
    heavy_running++;
    pthread_mutex_unlock(&heavy_mu);
    return true;
}

void koop_heavy_leave(void)
{
    pthread_mutex_lock(&heavy_mu);
    heavy_running--;
    pthread_cond_signal(&heavy_cv);
    pthread_mutex_unlock(&heavy_mu);
}
