/* What the load clients (loadgen, mcload) share: the clock, the loopback check, the latency
 * histogram and its percentiles, and how they read a process's CPU time and its wait for a cpu
 * from /proc. */
#ifndef BENCH_LOAD_H
#define BENCH_LOAD_H

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define LAT_BUCKETS 100000 /* 1 µs each; the last one holds everything slower */

/* Round trips by whole microseconds. */
static uint32_t lat[LAT_BUCKETS];

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* True for an IPv4 loopback address (127.0.0.0/8): the only hosts the clients load. */
static inline int loopback_only(const char *host) {
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1) return 0;
    return (ntohl(a.s_addr) >> 24) == 127;
}

/* User + system clock ticks of process pid (/proc/PID/stat fields 14 and 15), all threads. */
static inline uint64_t cpu_ticks(long pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Field 2 (comm) may hold spaces; count fields after its closing parenthesis. */
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return 0;
    return utime + stime;
}

/* Nanoseconds a task has spent runnable but not running (schedstat's run_delay); `who` is a
 * path below /proc: "self", a pid, or "PID/task/TID". */
static inline uint64_t wait_ns(const char *who) {
    char path[320];
    snprintf(path, sizeof path, "/proc/%s/schedstat", who);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long long run = 0, wait = 0;
    int ok = fscanf(f, "%llu %llu", &run, &wait);
    fclose(f);
    return ok == 2 ? wait : 0;
}

/* Field `field` of /proc/PID/task/TID/schedstat (1: time on a cpu, 2: time runnable but
 * waiting for one; in ns) summed over the threads of process pid whose name (comm) starts with
 * prefix ("" for all); how many threads that is goes to *threads. */
static inline uint64_t threads_sched_ns(long pid, const char *prefix, int field, int *threads) {
    char dir[64], path[400], comm[64];
    snprintf(dir, sizeof dir, "/proc/%ld/task", pid);
    *threads = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (*prefix) {
            snprintf(path, sizeof path, "%s/%s/comm", dir, e->d_name);
            FILE *f = fopen(path, "r");
            if (!f) continue;
            int named = fgets(comm, sizeof comm, f) && strncmp(comm, prefix, strlen(prefix)) == 0;
            fclose(f);
            if (!named) continue;
        }
        snprintf(path, sizeof path, "%s/%s/schedstat", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        unsigned long long v[2] = {0, 0};
        if (fscanf(f, "%llu %llu", &v[0], &v[1]) == 2) {
            sum += v[field == 2];
            (*threads)++;
        }
        fclose(f);
    }
    closedir(d);
    return sum;
}

/* wait_ns summed over every thread of process pid. */
static inline uint64_t process_wait_ns(long pid) {
    int threads;
    return threads_sched_ns(pid, "", 2, &threads);
}

/* This process's user + system CPU seconds. */
static inline double self_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The q-quantile (0..1) of the `total` round trips in `lat`, in microseconds. */
static inline unsigned percentile(uint64_t total, double q) {
    uint64_t want = (uint64_t)(q * (double)total), seen = 0;
    for (unsigned i = 0; i < LAT_BUCKETS; i++) {
        seen += lat[i];
        if (seen > want) return i;
    }
    return LAT_BUCKETS - 1;
}

#endif
