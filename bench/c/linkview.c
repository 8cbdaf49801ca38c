/* A headless viewer of evscope's live link, for bench/run's class-of-viewers row: connects to a
 * program traced with EVSCOPE_TRACE=tcp:HOST:PORT, shows the token in TOKEN_FILE (the owner's
 * or the follower token), prints "ready" once the program's first line (the trace header) has
 * arrived, then reads and discards everything until the link closes or it is killed. It takes
 * the stream as fast as the kernel hands it over: the most a viewer can ask of the program.
 *
 *   linkview HOST PORT TOKEN_FILE
 *
 * On the end of the stream it prints "bytes=N" (everything read). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: linkview HOST PORT TOKEN_FILE\n");
		return 2;
	}
	char token[256];
	FILE *f = fopen(argv[3], "r");
	if (!f || !fgets(token, sizeof token, f)) {
		perror("linkview: token file");
		return 1;
	}
	fclose(f);
	token[strcspn(token, "\r\n")] = 0;

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
	int n = snprintf(line, sizeof line, "{\"auth\":\"%s\"}\n", token);
	if (n <= 0 || n >= (int)sizeof line || write(fd, line, (size_t)n) != n) {
		perror("linkview: token");
		return 1;
	}
	static char buf[1 << 16];
	unsigned long long total = 0;
	int ready = 0;
	for (;;) {
		ssize_t got = read(fd, buf, sizeof buf);
		if (got <= 0)
			break;
		if (!ready && memchr(buf, '\n', (size_t)got)) {
			if (memcmp(buf, "{\"format\"", 9) != 0) {
				fprintf(stderr, "linkview: not let in: %.*s\n", (int)got, buf);
				return 1;
			}
			ready = 1;
			printf("ready\n");
			fflush(stdout);
		}
		total += (unsigned long long)got;
	}
	printf("bytes=%llu\n", total);
	return 0;
}
