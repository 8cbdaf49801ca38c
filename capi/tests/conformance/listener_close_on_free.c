/* evconnlistener_new on a socket of the program's own: evconnlistener_get_fd is that socket;
 * LEV_OPT_CLOSE_ON_FREE closes it on evconnlistener_free, without the flag it stays open;
 * backlog 0 leaves an already listening socket as it is. */
#include "common.h"

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    (void)l;
    (void)sa;
    (void)socklen;
    printf("accept_cb %s\n", ptr_name(arg));
    close(fd);
}

int main(void)
{
    start();
    struct event_base *base = new_base();
    static char a1[] = "with", a2[] = "without";
    name_ptr(a1, "with");
    name_ptr(a2, "without");

    struct sockaddr_in s1, s2;
    int fd1 = tcp_listener(&s1);
    int fd2 = tcp_listener(&s2);
    evutil_make_socket_nonblocking(fd1);
    evutil_make_socket_nonblocking(fd2);
    name_fd(fd1, "fd1");
    name_fd(fd2, "fd2");
    struct evconnlistener *with = evconnlistener_new(base, accept_cb, a1, LEV_OPT_CLOSE_ON_FREE, 0, fd1);
    struct evconnlistener *without = evconnlistener_new(base, accept_cb, a2, 0, 0, fd2);
    printf("get_fd: %s %s\n", fd_name(evconnlistener_get_fd(with)),
           fd_name(evconnlistener_get_fd(without)));

    int c1 = tcp_connect(&s1);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));
    int c2 = tcp_connect(&s2);
    printf("loop(ONCE) = %d\n", event_base_loop(base, EVLOOP_ONCE));

    evconnlistener_free(with);
    evconnlistener_free(without);
    printf("after free: fd1 %s, fd2 %s\n", fd_state(fd1), fd_state(fd2));
    printf("dispatch = %d\n", event_base_dispatch(base));
    close(fd2);
    close(c1);
    close(c2);
    event_base_free(base);
    printf("done\n");
    return 0;
}
