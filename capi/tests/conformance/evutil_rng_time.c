/* The secure RNG (properties of its bytes: filled, not all zero, two draws differ), the
 * monotonic timer (never goes back, moves across a sleep), and evutil_date_rfc1123 (exact text
 * for a given struct tm; length and shape for "now"). */
#include "common.h"
#include <ctype.h>
#include <time.h>

static int all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void rng(void)
{
    printf("evutil_secure_rng_init = %d\n", evutil_secure_rng_init());
    static char dev[] = "/dev/urandom";
    printf("evutil_secure_rng_set_urandom_device_file = %d\n",
           evutil_secure_rng_set_urandom_device_file(dev));
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    evutil_secure_rng_get_bytes(a, sizeof a);
    evutil_secure_rng_get_bytes(b, sizeof b);
    printf("64 bytes: a all zero=%s b all zero=%s a==b=%s\n", yesno(all_zero(a, 64)),
           yesno(all_zero(b, 64)), yesno(memcmp(a, b, 64) == 0));
    /* Only the n bytes asked for are written. */
    unsigned char c[32];
    memset(c, 0xAA, sizeof c);
    evutil_secure_rng_get_bytes(c + 8, 16);
    int untouched = 1;
    for (int i = 0; i < 8; i++)
        untouched &= c[i] == 0xAA && c[24 + i] == 0xAA;
    printf("16 bytes into the middle: outside untouched=%s inside all 0xAA=%s\n",
           yesno(untouched),
           yesno(c[8] == 0xAA && c[9] == 0xAA && c[10] == 0xAA && c[11] == 0xAA &&
                 c[12] == 0xAA && c[13] == 0xAA && c[14] == 0xAA && c[15] == 0xAA));
    evutil_secure_rng_get_bytes(c, 0);
    printf("0 bytes: c[0] still 0xAA=%s\n", yesno(c[0] == 0xAA));
    /* Many single bytes: not all the same value. */
    unsigned char first, other;
    int differs = 0;
    evutil_secure_rng_get_bytes(&first, 1);
    for (int i = 0; i < 64; i++) {
        evutil_secure_rng_get_bytes(&other, 1);
        differs |= other != first;
    }
    printf("64 single bytes vary=%s\n", yesno(differs));
    static const char seed[] = "some extra entropy";
    evutil_secure_rng_add_bytes(seed, sizeof seed);
    evutil_secure_rng_get_bytes(a, sizeof a);
    printf("after add_bytes: all zero=%s\n", yesno(all_zero(a, 64)));
}

static int tv_le(const struct timeval *x, const struct timeval *y)
{
    return x->tv_sec < y->tv_sec || (x->tv_sec == y->tv_sec && x->tv_usec <= y->tv_usec);
}

static void monotonic(void)
{
    int flags[] = {0, EV_MONOT_PRECISE, EV_MONOT_FALLBACK};
    const char *names[] = {"0", "EV_MONOT_PRECISE", "EV_MONOT_FALLBACK"};
    for (int f = 0; f < 3; f++) {
        struct evutil_monotonic_timer *t = evutil_monotonic_timer_new();
        printf("timer_new: %s\n", t ? "non-NULL" : "NULL");
        printf("configure(%s) = %d\n", names[f], evutil_configure_monotonic_time(t, flags[f]));
        struct timeval prev, now;
        int r = evutil_gettime_monotonic(t, &prev);
        int ok = r == 0, nondecreasing = 1, usec_ok = prev.tv_usec >= 0 && prev.tv_usec < 1000000;
        for (int i = 0; i < 1000; i++) {
            ok &= evutil_gettime_monotonic(t, &now) == 0;
            nondecreasing &= tv_le(&prev, &now);
            usec_ok &= now.tv_usec >= 0 && now.tv_usec < 1000000;
            prev = now;
        }
        usleep(30000);
        ok &= evutil_gettime_monotonic(t, &now) == 0;
        long long moved = (now.tv_sec - prev.tv_sec) * 1000000LL + (now.tv_usec - prev.tv_usec);
        printf("  gettime all 0=%s non-decreasing=%s usec in range=%s moved >=20ms across a "
               "30ms sleep=%s\n",
               yesno(ok), yesno(nondecreasing), yesno(usec_ok), yesno(moved >= 20000));
        evutil_monotonic_timer_free(t);
    }
    evutil_monotonic_timer_free(NULL);
    printf("timer_free(NULL): fine\n");
}

static void date(void)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = 2021 - 1900;
    tm.tm_mon = 0;
    tm.tm_mday = 5;
    tm.tm_wday = 2;
    tm.tm_hour = 7;
    tm.tm_min = 8;
    tm.tm_sec = 9;
    char buf[64];
    int n = evutil_date_rfc1123(buf, sizeof buf, &tm);
    printf("date_rfc1123(tm) = %d \"%s\"\n", n, buf);
    tm.tm_year = 99;
    tm.tm_mon = 11;
    tm.tm_mday = 31;
    tm.tm_wday = 5;
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 60;
    n = evutil_date_rfc1123(buf, sizeof buf, &tm);
    printf("date_rfc1123(tm) = %d \"%s\"\n", n, buf);
    char small[10];
    n = evutil_date_rfc1123(small, sizeof small, &tm);
    printf("date_rfc1123(tm, 10 bytes) = %d \"%s\"\n", n, small);

    n = evutil_date_rfc1123(buf, sizeof buf, NULL);
    /* "Www, DD Mmm YYYY HH:MM:SS GMT" */
    static const char *days = "Sun Mon Tue Wed Thu Fri Sat ";
    static const char *months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec ";
    char day[4] = {0}, mon[4] = {0};
    memcpy(day, buf, 3);
    memcpy(mon, buf + 8, 3);
    int shape = n == 29 && strlen(buf) == 29 && strstr(days, day) && buf[3] == ',' &&
                buf[4] == ' ' && isdigit((unsigned char)buf[5]) &&
                isdigit((unsigned char)buf[6]) && buf[7] == ' ' && strstr(months, mon) &&
                buf[11] == ' ' && isdigit((unsigned char)buf[12]) && buf[16] == ' ' &&
                buf[19] == ':' && buf[22] == ':' && strcmp(buf + 25, " GMT") == 0;
    printf("date_rfc1123(NULL) = %d shape ok=%s\n", n, yesno(shape));
}

int main(void)
{
    start();
    event_base_free(new_base());
    rng();
    monotonic();
    date();
    printf("done\n");
    return 0;
}
