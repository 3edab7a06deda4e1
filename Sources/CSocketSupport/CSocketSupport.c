#define _GNU_SOURCE
#include "CSocketSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

const short hurd_poll_in = POLLIN, hurd_poll_out = POLLOUT, hurd_poll_hup = POLLHUP, hurd_poll_err = POLLERR,
            hurd_poll_rdhup = POLLRDHUP;
const int hurd_epoll_add = EPOLL_CTL_ADD, hurd_epoll_mod = EPOLL_CTL_MOD, hurd_epoll_del = EPOLL_CTL_DEL;
const uint32_t hurd_epollin = EPOLLIN, hurd_epollrdhup = EPOLLRDHUP, hurd_epollhup = EPOLLHUP, hurd_epollerr = EPOLLERR,
               hurd_epolloneshot = EPOLLONESHOT, hurd_epollet = EPOLLET;

static int address(const char *path, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) return -ENAMETOOLONG;
  strcpy(addr->sun_path, path);
  return 0;
}

int hurd_sock_pair(int fds[2]) {
  return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0 ? 0 : -errno;
}

int hurd_sock_listen(const char *path, int backlog) {
  struct sockaddr_un addr;
  int rc = address(path, &addr);
  if (rc < 0) return rc;
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

int hurd_sock_connect(const char *path) {
  struct sockaddr_un addr;
  int rc = address(path, &addr);
  if (rc < 0) return rc;
  // Blocking connect (a Unix-domain connect completes at once or fails), then non-blocking use.
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return fd;
}

int hurd_sock_accept(int listener) {
  int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  return fd >= 0 ? fd : -errno;
}

ssize_t hurd_sock_send(int fd, const void *buf, size_t len, const int *fds, int nfds, int flags) {
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int) * HURD_SOCK_MAX_FDS)];
    struct cmsghdr align;
  } control;
  if (nfds > HURD_SOCK_MAX_FDS) return -EINVAL;
  if (nfds > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, MSG_NOSIGNAL | flags);
  } while (n < 0 && errno == EINTR);
  return n >= 0 ? n : -errno;
}

/// Moves the SCM_RIGHTS descriptors of a received message to `fds` (closing any beyond `maxfds`)
/// and notes truncation of the datagram or its control data.
static void take_descriptors(struct msghdr *msg, int *fds, int maxfds, int *nfds, int *truncated) {
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    int *received = (int *)CMSG_DATA(cmsg);
    for (int i = 0; i < count; i++) {
      if (*nfds < maxfds) {
        fds[(*nfds)++] = received[i];
      } else {
        close(received[i]);  // more than the caller has room for: never leak one
        *truncated = 1;
      }
    }
  }
  if (msg->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) *truncated = 1;
}

ssize_t hurd_sock_receive(int fd, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated, int flags) {
  struct iovec iov = {.iov_base = buf, .iov_len = len};
  union {
    char buf[CMSG_SPACE(sizeof(int) * HURD_SOCK_MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  *nfds = 0;
  *truncated = 0;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  take_descriptors(&msg, fds, maxfds, nfds, truncated);
  return n;
}

int hurd_sock_receive_two(int fd, void *buf0, void *buf1, size_t len, int *fds0, int *fds1, int maxfds,
                          struct hurd_received received[2]) {
  void *bufs[2] = {buf0, buf1};
  int *fds[2] = {fds0, fds1};
  struct iovec iov[2];
  union {
    char buf[CMSG_SPACE(sizeof(int) * HURD_SOCK_MAX_FDS)];
    struct cmsghdr align;
  } control[2];
  struct mmsghdr msgs[2];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < 2; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = len;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = control[i].buf;
    msgs[i].msg_hdr.msg_controllen = sizeof control[i].buf;
    received[i] = (struct hurd_received){0, 0, 0};
  }
  int n;
  do {
    n = recvmmsg(fd, msgs, 2, MSG_CMSG_CLOEXEC | MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    received[i].length = (ssize_t)msgs[i].msg_len;
    take_descriptors(&msgs[i].msg_hdr, fds[i], maxfds, &received[i].nfds, &received[i].truncated);
  }
  return n;
}

int hurd_sock_set_blocking(int fd, int blocking) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  int wanted = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (wanted != flags && fcntl(fd, F_SETFL, wanted) != 0) return -errno;
  return 0;
}

int hurd_sock_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid) {
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return -errno;
  *pid = cred.pid;
  *uid = cred.uid;
  *gid = cred.gid;
  return 0;
}

int hurd_poll(int fd, short events, int64_t timeout_ns) {
  struct pollfd p = {.fd = fd, .events = events};
  struct timespec ts, *tsp = NULL;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    tsp = &ts;
  }
  int n = ppoll(&p, 1, tsp, NULL);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  return n == 0 ? 0 : p.revents;
}

int hurd_memfd_create(const char *name, uint64_t size) {
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -errno;
  if (ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

int hurd_memfd_seal(int fd, int immutable) {
  int seals = F_SEAL_SHRINK | F_SEAL_GROW | (immutable ? F_SEAL_WRITE : 0);
  return fcntl(fd, F_ADD_SEALS, seals) == 0 ? 0 : -errno;
}

int hurd_memfd_inspect(int fd, int *size_fixed, int *immutable, uint64_t *size, uint64_t *device, uint64_t *inode) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -EBADF;
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) return -errno;
  *size_fixed = (seals & F_SEAL_SHRINK) != 0;
  *immutable = (seals & F_SEAL_WRITE) != 0;
  *size = (uint64_t)st.st_size;
  *device = (uint64_t)st.st_dev;
  *inode = (uint64_t)st.st_ino;
  return 0;
}

int hurd_fd_identity(int fd, uint64_t *device, uint64_t *inode) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -EBADF;
  *device = (uint64_t)st.st_dev;
  *inode = (uint64_t)st.st_ino;
  return 0;
}

int hurd_epoll_create(void) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

int hurd_epoll_control(int epfd, int op, int fd, uint32_t events, uint64_t data) {
  struct epoll_event event = {.events = events, .data.u64 = data};
  return epoll_ctl(epfd, op, fd, &event) == 0 ? 0 : -errno;
}

int hurd_epoll_wait_one(int epfd, uint32_t *events, uint64_t *data, int timeout_ms) {
  struct epoll_event event;
  int n = epoll_wait(epfd, &event, 1, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  if (n == 0) return 0;
  *events = event.events;
  *data = event.data.u64;
  return 1;
}

int hurd_eventfd(void) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return fd >= 0 ? fd : -errno;
}

int hurd_eventfd_signal(int fd) {
  uint64_t one = 1;
  return write(fd, &one, sizeof one) == sizeof one ? 0 : -errno;
}

int hurd_die_with_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return -errno;
  // The parent may have died before prctl: the signal was then never armed for it.
  return getppid() == parent ? 0 : -ESRCH;
}
