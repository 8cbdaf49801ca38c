/* A headless viewer of evscope's live link, for bench/run's class-of-viewers row: connects to a
 * program traced with EVSCOPE_TRACE=tcp:HOST:PORT, shows the token in TOKEN_FILE (the owner's
 * or the follower token) and asks for records in zstd frames, as evscope's own viewers do
 * (with --lines: in whole JSON lines), prints "ready" once the program's first line (the trace
 * header) has arrived, then reads everything until the link closes or it gets SIGTERM. It takes
 * the stream as fast as the kernel hands it over: the most a viewer can ask of the program. It
 * follows the stream's framing (a frame's line says how many bytes follow) without
 * decompressing, and counts what it got.
 *
 *   linkview HOST PORT TOKEN_FILE [--lines]
 *
 * At the end it prints "bytes=N records=R dropped=D frames=F": everything read, the records
 * received (in frames and in lines), and the records the program skipped for this viewer
 * because it did not keep up (the sum of the `dropped` records' counts). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The unsigned number after KEY in LINE, or -1. */
static long long field(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	if (!p)
		return -1;
	return strtoll(p + strlen(key), NULL, 10);
}

int main(int argc, char **argv)
{
	if (argc != 4 && !(argc == 5 && strcmp(argv[4], "--lines") == 0)) {
		fprintf(stderr, "usage: linkview HOST PORT TOKEN_FILE [--lines]\n");
		return 2;
	}
	int frames = argc == 4;
	char token[256];
	FILE *f = fopen(argv[3], "r");
	if (!f || !fgets(token, sizeof token, f)) {
		perror("linkview: token file");
		return 1;
	}
	fclose(f);
	token[strcspn(token, "\r\n")] = 0;

	struct sigaction sa_term = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa_term, NULL); /* no SA_RESTART: read() returns EINTR */

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "linkview: bad address %s\n", argv[1]);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("linkview: connect");
		return 1;
	}
	char line[400];
	int n = snprintf(line, sizeof line, "{\"auth\":\"%s\"%s}\n", token,
			 frames ? ",\"frames\":\"zstd\"" : "");
	if (n <= 0 || n >= (int)sizeof line || write(fd, line, (size_t)n) != n) {
		perror("linkview: token");
		return 1;
	}
	static char buf[1 << 16];
	static char text[4096]; /* the line being read (longer ones are only counted) */
	size_t text_len = 0;
	unsigned long long total = 0, records = 0, dropped = 0, nframes = 0, skip = 0;
	int ready = 0;
	while (!stop) {
		ssize_t got = read(fd, buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		total += (unsigned long long)got;
		for (ssize_t i = 0; i < got;) {
			if (skip > 0) { /* a frame's bytes */
				size_t take = (size_t)got - (size_t)i < skip ? (size_t)got - (size_t)i : skip;
				skip -= take;
				i += (ssize_t)take;
				continue;
			}
			char c = buf[i++];
			if (c != '\n') {
				if (text_len < sizeof text - 1)
					text[text_len++] = c;
				continue;
			}
			text[text_len] = 0;
			text_len = 0;
			if (!ready) {
				if (strncmp(text, "{\"format\"", 9) != 0) {
					fprintf(stderr, "linkview: not let in: %s\n", text);
					return 1;
				}
				ready = 1;
				printf("ready\n");
				fflush(stdout);
			} else if (strncmp(text, "{\"frame\"", 8) == 0) {
				long long b = field(text, "\"bytes\":"), r = field(text, "\"records\":");
				if (b < 0 || r < 0) {
					fprintf(stderr, "linkview: a bad frame line: %s\n", text);
					return 1;
				}
				skip = (unsigned long long)b;
				records += (unsigned long long)r;
				nframes++;
			} else if (strstr(text, "\"kind\":\"dropped\"")) {
				long long d = field(text, "\"count\":");
				dropped += d > 0 ? (unsigned long long)d : 0;
			} else if (strstr(text, "\"kind\":")) {
				records++;
			}
		}
	}
	printf("bytes=%llu records=%llu dropped=%llu frames=%llu\n", total, records, dropped, nframes);
	return 0;
}
