/*
 * The SSE benchmark's subscribers in C (one epoll loop): the same protocol as bench/sse/clients.ts,
 * at a few microseconds per read, so that with 1,000+ subscribers the bench measures the server
 * rather than its clients. bench/sse/main.ts compiles it with `cc -O2` into bench/.data/ and falls
 * back to clients.ts when no C compiler is installed.
 *
 *   sse_clients PORT COUNT TOPIC
 *
 * stdout, one JSON document a line: {"connected":N} once every stream answered; {"all":k} each time
 * every subscriber has received k events; after the line "report" on stdin,
 * {"report":{"<lsn>":[epochMs,...],...}}. It exits when stdin ends. Times are CLOCK_REALTIME in
 * milliseconds with microseconds (the clock the Deno processes read as timeOrigin + now()).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_BATCH 200
#define TAIL 256
#define MAX_EVENTS_KEPT 4096

typedef struct {
  int fd;
  int opened;
  int seen;
  int carry;
  char tail[TAIL];
} sub_t;

typedef struct {
  long lsn;
  int n;
  int cap;
  double *at;
} lsn_times_t;

static sub_t *subs;
static int count;
static int *reached;
static int reached_cap;
static int announced;
static lsn_times_t kept[MAX_EVENTS_KEPT];
static int kept_n;
static char pattern[128];

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void record(long lsn, double at, int seen) {
  lsn_times_t *slot = NULL;
  for (int i = kept_n - 1; i >= 0 && i >= kept_n - 8; i--) {
    if (kept[i].lsn == lsn) slot = &kept[i];
  }
  if (slot == NULL) {
    for (int i = 0; i < kept_n && slot == NULL; i++) {
      if (kept[i].lsn == lsn) slot = &kept[i];
    }
  }
  if (slot == NULL && kept_n < MAX_EVENTS_KEPT) {
    slot = &kept[kept_n++];
    slot->lsn = lsn;
    slot->n = 0;
    slot->cap = 0;
    slot->at = NULL;
  }
  if (slot != NULL) {
    if (slot->n == slot->cap) {
      slot->cap = slot->cap ? slot->cap * 2 : 64;
      slot->at = realloc(slot->at, sizeof(double) * slot->cap);
    }
    slot->at[slot->n++] = at;
  }
  if (seen >= reached_cap) {
    int cap = reached_cap ? reached_cap * 2 : 1024;
    while (cap <= seen) cap *= 2;
    reached = realloc(reached, sizeof(int) * cap);
    memset(reached + reached_cap, 0, sizeof(int) * (cap - reached_cap));
    reached_cap = cap;
  }
  reached[seen]++;
  while (announced + 1 < reached_cap && reached[announced + 1] == count) {
    printf("{\"all\":%d}\n", ++announced);
    fflush(stdout);
  }
}

/* Scans the bytes read for "id: N\nevent: TOPIC\n"; keeps an unfinished block's start. */
static void scan(sub_t *s, const char *data, int len, double at) {
  static char buf[TAIL + 65536 + 1];
  size_t plen = strlen(pattern);
  memcpy(buf, s->tail, s->carry);
  memcpy(buf + s->carry, data, len);
  int total = s->carry + len;
  buf[total] = 0;
  char *p = buf;
  char *keep = NULL;
  while ((p = strstr(p, "id: ")) != NULL) {
    char *q = p + 4;
    long lsn = 0;
    while (*q >= '0' && *q <= '9') lsn = lsn * 10 + (*q++ - '0');
    if (*q == 0) {
      keep = p; /* cut inside the number */
      break;
    }
    if (*q == '\n') {
      size_t avail = (size_t)(buf + total - (q + 1));
      if (avail < plen) {
        if (strncmp(q + 1, pattern, avail) == 0) {
          keep = p; /* the event line may still come */
          break;
        }
      } else if (strncmp(q + 1, pattern, plen) == 0) {
        record(lsn, at, ++s->seen);
      }
    }
    p = q;
  }
  if (keep == NULL) keep = total > 8 ? buf + total - 8 : buf; /* a partial "id: " */
  int rest = (int)(buf + total - keep);
  if (rest > TAIL) {
    keep = buf + total - TAIL;
    rest = TAIL;
  }
  memmove(s->tail, keep, rest);
  s->carry = rest;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: sse_clients PORT COUNT TOPIC\n");
    return 2;
  }
  int port = atoi(argv[1]);
  count = atoi(argv[2]);
  snprintf(pattern, sizeof pattern, "event: %s\n", argv[3]);
  char request[256];
  int request_len = snprintf(request, sizeof request, "GET /events?topic=%s HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n", argv[3]);
  subs = calloc(count, sizeof(sub_t));
  int ep = epoll_create1(0);
  struct epoll_event ev, events[256];
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  int opened = 0, connected = 0, stdin_open = 1;
  static char data[65536];
  char line[64];
  int line_len = 0;
  while (stdin_open) {
    while (connected < count && connected - opened < CONNECT_BATCH) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("sse_clients: connect");
        return 1;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (write(fd, request, request_len) != request_len) {
        perror("sse_clients: write");
        return 1;
      }
      subs[connected].fd = fd;
      ev.events = EPOLLIN;
      ev.data.u64 = (uint64_t)(connected + 1) << 1;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      connected++;
    }
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    double at = now_ms();
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == 0) { /* stdin */
        ssize_t r = read(0, line + line_len, sizeof line - 1 - line_len);
        if (r <= 0) {
          stdin_open = 0;
          break;
        }
        line_len += r;
        line[line_len] = 0;
        if (strstr(line, "report\n") != NULL) {
          line_len = 0;
          printf("{\"report\":{");
          for (int k = 0; k < kept_n; k++) {
            printf("%s\"%ld\":[", k ? "," : "", kept[k].lsn);
            for (int j = 0; j < kept[k].n; j++) printf("%s%.3f", j ? "," : "", kept[k].at[j]);
            printf("]");
          }
          printf("}}\n");
          fflush(stdout);
        } else if (line_len > 32) line_len = 0;
        continue;
      }
      sub_t *s = &subs[(events[i].data.u64 >> 1) - 1];
      ssize_t r = read(s->fd, data, sizeof data);
      if (r <= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        continue;
      }
      if (!s->opened) {
        s->opened = 1;
        if (++opened == count) {
          printf("{\"connected\":%d}\n", count);
          fflush(stdout);
        }
      }
      scan(s, data, (int)r, at);
    }
  }
  for (int i = 0; i < connected; i++) close(subs[i].fd);
  return 0;
}
