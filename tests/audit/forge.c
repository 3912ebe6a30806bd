/* A forger for tests/integration/audit.bats: sends one user audit record
 * (netlink, as libaudit does) whose text claims to be ward's:
 *   forge TYPE TEXT     e.g. forge 2500 'virt=ward op=delete vm="c1" uuid=...'
 * Prints "sent" or the errno's name; exits 0 when the kernel took it. Static,
 * no libaudit: it runs in the test's busybox rootfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: forge TYPE TEXT\n");
		return 2;
	}
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	size_t len = strlen(argv[2]) + 1;
	char buf[NLMSG_SPACE(8192)];
	if (len > 8192)
		return 2;
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	nh->nlmsg_len = NLMSG_LENGTH(len);
	nh->nlmsg_type = (unsigned short)atoi(argv[1]);
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	memcpy(NLMSG_DATA(nh), argv[2], len);
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
	if (sendto(fd, buf, nh->nlmsg_len, 0, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	/* The kernel's answer: an NLMSG_ERROR carrying 0 (taken) or -errno. */
	char reply[NLMSG_SPACE(sizeof(struct nlmsgerr)) + 64];
	ssize_t n = recv(fd, reply, sizeof(reply), 0);
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		struct nlmsghdr *rh = (struct nlmsghdr *)reply;
		struct nlmsgerr *e = NLMSG_DATA(rh);
		if (rh->nlmsg_type == NLMSG_ERROR && e->error) {
			printf("%s\n", strerrorname_np(-e->error));
			return 1;
		}
	}
	printf("sent\n");
	return 0;
}
