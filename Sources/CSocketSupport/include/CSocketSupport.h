#ifndef CSOCKETSUPPORT_H
#define CSOCKETSUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// Thin wrappers for what Swift's Glibc import lacks or makes awkward: the CMSG_* macros of
// SCM_RIGHTS, SO_PEERCRED's struct ucred, memfd seals, ppoll with nanoseconds, and epoll's packed
// event struct. Every function returns -errno on failure (never sets errno for the caller to read).

/// The kernel's limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD).
#define HURD_SOCK_MAX_FDS 253

/// A SOCK_SEQPACKET socketpair, both ends close-on-exec and non-blocking.
int hurd_sock_pair(int fds[2]);
/// A listening SOCK_SEQPACKET socket bound to `path` (which must not exist), non-blocking.
int hurd_sock_listen(const char *path, int backlog);
/// A connected SOCK_SEQPACKET socket to `path`, non-blocking.
int hurd_sock_connect(const char *path);
/// accept4 with close-on-exec and non-blocking.
int hurd_sock_accept(int listener);

/// sendmsg of one datagram plus `nfds` descriptors (SCM_RIGHTS), MSG_NOSIGNAL | `flags`.
ssize_t hurd_sock_send(int fd, const void *buf, size_t len, const int *fds, int nfds, int flags);
/// recvmsg of one datagram; received descriptors (close-on-exec) go to `fds` (room for `maxfds`),
/// their count to `*nfds`; `*truncated` is non-zero if the datagram or its descriptors did not fit.
ssize_t hurd_sock_receive(int fd, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated, int flags);
/// One datagram of `hurd_sock_receive_two`: its length (0: end of file), descriptor count, and
/// whether it or its descriptors were truncated.
struct hurd_received {
  ssize_t length;
  int nfds;
  int truncated;
};
/// recvmmsg of up to two datagrams without waiting, into `buf0`/`fds0` and `buf1`/`fds1` (`len`
/// bytes and `maxfds` descriptors each). Returns how many arrived (fewer than 2: the queue was
/// empty then), or -errno (-EAGAIN: none). One system call tells a server whether a connection
/// has more queued behind the datagram it takes.
int hurd_sock_receive_two(int fd, void *buf0, void *buf1, size_t len, int *fds0, int *fds1, int maxfds,
                          struct hurd_received received[2]);
/// Clears (or sets) O_NONBLOCK: a client waits for its reply inside recvmsg, without a poll first.
int hurd_sock_set_blocking(int fd, int blocking);

/// The peer's pid/uid/gid as the kernel recorded them at connect time.
int hurd_sock_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid);

/// Waits for `events` (POLLIN/POLLOUT) on `fd` up to `timeout_ns` (negative: forever).
/// Returns the revents, 0 on timeout, -errno on error.
int hurd_poll(int fd, short events, int64_t timeout_ns);
extern const short hurd_poll_in, hurd_poll_out, hurd_poll_hup, hurd_poll_err, hurd_poll_rdhup;

/// A sealable memfd of `size` bytes (close-on-exec).
int hurd_memfd_create(const char *name, uint64_t size);
/// Adds seals; `immutable` seals write/shrink/grow, otherwise only shrink/grow (size fixed).
int hurd_memfd_seal(int fd, int immutable);
/// Whether the fd is a memfd whose size can no longer shrink (so mapping it cannot SIGBUS),
/// whether it is immutable (write-sealed), and its size. Returns 0 or -errno.
int hurd_memfd_inspect(int fd, int *size_fixed, int *immutable, uint64_t *size, uint64_t *device, uint64_t *inode);

/// The device and inode of a regular file (one fstat): how a receiver recognises a memfd it
/// already maps without inspecting its seals again (seals are never removed). Returns 0 or -errno.
int hurd_fd_identity(int fd, uint64_t *device, uint64_t *inode);

/// epoll helpers: add/modify/delete `fd` with `events` and user data `data`; wait for one event.
int hurd_epoll_create(void);
int hurd_epoll_control(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Returns 1 with `*events`/`*data` set, 0 on timeout/EINTR, -errno on error.
int hurd_epoll_wait_one(int epfd, uint32_t *events, uint64_t *data, int timeout_ms);
extern const int hurd_epoll_add, hurd_epoll_mod, hurd_epoll_del;
extern const uint32_t hurd_epollin, hurd_epollrdhup, hurd_epollhup, hurd_epollerr, hurd_epolloneshot, hurd_epollet;

/// An eventfd (non-blocking, close-on-exec) and its signal.
int hurd_eventfd(void);
int hurd_eventfd_signal(int fd);

/// In a child process: asks the kernel for SIGKILL when the thread that spawned it ends
/// (PR_SET_PDEATHSIG), then checks that `parent` is still its parent. Returns 0, -ESRCH if the
/// parent is already gone (the child was re-parented before the request took effect), or -errno.
int hurd_die_with_parent(pid_t parent);

#endif
