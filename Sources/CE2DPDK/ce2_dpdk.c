// The shim's functions that are not static inline: those that call DPDK's experimental API.
#define ALLOW_EXPERIMENTAL_API 1
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
