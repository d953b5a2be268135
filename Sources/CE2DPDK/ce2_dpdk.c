// The shim's functions that are not static inline: those that call DPDK's experimental API.
#define _GNU_SOURCE 1
#define ALLOW_EXPERIMENTAL_API 1
#include <errno.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include "ce2_dpdk.h"

int ce2_pcap_compile(const char *filter, struct bpf_program *program, char *error, size_t error_size) {
    pcap_t *handle = pcap_open_dead(DLT_EN10MB, 65535);
    if (handle == NULL) {
        snprintf(error, error_size, "pcap_open_dead failed");
        return -1;
    }
    if (pcap_compile(handle, program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(error, error_size, "%s", pcap_geterr(handle));
        pcap_close(handle);
        return -1;
    }
    pcap_close(handle);
    return 0;
}

struct rte_bpf *ce2_bpf_load_pcap_filter(const char *filter, char *error, size_t error_size) {
    struct bpf_program program;
    if (ce2_pcap_compile(filter, &program, error, error_size) != 0) return NULL;
    struct rte_bpf_prm *prm = rte_bpf_convert(&program);
    pcap_freecode(&program);
    if (prm == NULL) {
        snprintf(error, error_size, "rte_bpf_convert: %s", rte_strerror(rte_errno));
        return NULL;
    }
    struct rte_bpf *bpf = rte_bpf_load(prm);
    rte_free(prm);
    if (bpf == NULL) {
        snprintf(error, error_size, "rte_bpf_load: %s", rte_strerror(rte_errno));
        return NULL;
    }
    return bpf;
}

// MARK: AF_PACKET sockets on a legacy vport's interface

int ce2_packet_socket(const char *interface) {
    unsigned index = if_nametoindex(interface);
    if (index == 0) return -1;
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return -1;
    struct sockaddr_ll address = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)index };
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    int one = 1, size = 8 << 20;
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    return fd;
}

int ce2_packet_send_batch(int fd, uint8_t *frames, unsigned stride, const uint32_t *lengths, unsigned n) {
    struct mmsghdr messages[64];
    struct iovec vectors[64];
    if (n > 64) n = 64;
    memset(messages, 0, sizeof messages);
    for (unsigned i = 0; i < n; i++) {
        vectors[i].iov_base = frames + (size_t)i * stride;
        vectors[i].iov_len = lengths[i];
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    return sendmmsg(fd, messages, n, 0);
}

int ce2_packet_receive_batch(int fd, uint8_t *frames, unsigned stride, uint32_t *lengths, unsigned n) {
    struct mmsghdr messages[64];
    struct iovec vectors[64];
    if (n > 64) n = 64;
    memset(messages, 0, sizeof messages);
    for (unsigned i = 0; i < n; i++) {
        vectors[i].iov_base = frames + (size_t)i * stride;
        vectors[i].iov_len = stride;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int received = recvmmsg(fd, messages, n, MSG_DONTWAIT, NULL);
    for (int i = 0; i < received; i++) lengths[i] = messages[i].msg_len;
    return received;
}
