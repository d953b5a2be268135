// CE2DPDK: the thin C shim between E2Dataplane and DPDK 22.11 (plus libpcap for filters).
//
// Only what Swift cannot call directly lives here: function-like macros (rte_pktmbuf_mtod),
// thread-local macros (rte_errno) and burst calls kept static inline so they stay on the
// per-packet path without a call through a Swift thunk. Everything else is called from Swift.
#ifndef CE2_DPDK_H
#define CE2_DPDK_H

#include <stdint.h>
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_version.h>
#include <rte_bpf.h>
#include <rte_bus_vdev.h>
#include <rte_malloc.h>
#include <rte_hash_crc.h>
#include <rte_mbuf_dyn.h>
#include <pcap/pcap.h>

/// rte_errno is a per-lcore macro; Swift sees this function instead.
static inline int ce2_errno(void) { return rte_errno; }

/// The first byte of a packet's data (rte_pktmbuf_mtod).
static inline uint8_t *ce2_mbuf_data(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, uint8_t *); }

/// The bytes of a packet in its first segment (rte_pktmbuf_data_len).
static inline uint16_t ce2_mbuf_data_len(const struct rte_mbuf *m) { return m->data_len; }

/// The total length of a packet over all its segments (rte_pktmbuf_pkt_len).
static inline uint32_t ce2_mbuf_pkt_len(const struct rte_mbuf *m) { return m->pkt_len; }

/// The default size of a packet buffer: data room plus headroom (RTE_MBUF_DEFAULT_BUF_SIZE).
static inline uint16_t ce2_mbuf_default_buf_size(void) { return RTE_MBUF_DEFAULT_BUF_SIZE; }

/// Receives up to n packets from one queue of a port.
static inline uint16_t ce2_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n) {
    return rte_eth_rx_burst(port, queue, pkts, n);
}

/// Sends up to n packets on one queue of a port; the caller frees what was not taken.
static inline uint16_t ce2_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n) {
    return rte_eth_tx_burst(port, queue, pkts, n);
}

/// Frees n packets (the tail of a burst the port did not take).
static inline void ce2_free_burst(struct rte_mbuf **pkts, unsigned n) {
    rte_pktmbuf_free_bulk(pkts, n);
}

/// Takes n empty packets from a pool at once; 0 on success, as rte_pktmbuf_alloc_bulk.
static inline int ce2_alloc_burst(struct rte_mempool *pool, struct rte_mbuf **pkts, unsigned n) {
    return rte_pktmbuf_alloc_bulk(pool, pkts, n);
}

/// Grows a packet's data by len bytes at its tail; NULL when the buffer has no room.
static inline uint8_t *ce2_mbuf_append(struct rte_mbuf *m, uint16_t len) {
    return (uint8_t *)rte_pktmbuf_append(m, len);
}

/// Makes room for `len` bytes before the packet's data; NULL when the headroom is too small.
static inline uint8_t *ce2_mbuf_prepend(struct rte_mbuf *m, uint16_t len) {
    return (uint8_t *)rte_pktmbuf_prepend(m, len);
}

/// Removes `len` bytes from the front of the packet; NULL when it is shorter.
static inline uint8_t *ce2_mbuf_adj(struct rte_mbuf *m, uint16_t len) {
    return (uint8_t *)rte_pktmbuf_adj(m, len);
}

/// Registers E2's 8-byte metadata tag field in every mbuf; its offset, or -1 with rte_errno.
static inline int ce2_register_tag_field(void) {
    static const struct rte_mbuf_dynfield field = { .name = "e2_metadata_tags", .size = sizeof(uint64_t), .align = __alignof__(uint64_t) };
    return rte_mbuf_dynfield_register(&field);
}

/// The metadata tag word of a packet, at the registered offset.
static inline uint64_t *ce2_mbuf_tags(struct rte_mbuf *m, int offset) {
    return RTE_MBUF_DYNFIELD(m, offset, uint64_t *);
}

/// Compiles a libpcap filter for Ethernet and loads it as DPDK BPF (rte_bpf_convert is an
/// experimental API, so the call lives in ce2_dpdk.c, built with ALLOW_EXPERIMENTAL_API).
/// NULL on failure, with the reason in `error` (at least PCAP_ERRBUF_SIZE bytes).
struct rte_bpf *ce2_bpf_load_pcap_filter(const char *filter, char *error, size_t error_size);

/// Runs a loaded DPDK BPF filter over one packet in DPDK's interpreter.
static inline uint64_t ce2_bpf_run(const struct rte_bpf *bpf, struct rte_mbuf *m) {
    void *context = m;
    uint64_t rc = 0;
    rte_bpf_exec_burst(bpf, &context, &rc, 1);
    return rc;
}

/// Compiles a libpcap filter for Ethernet into `program` (free it with pcap_freecode).
/// 0 on success; else -1 with the reason in `error` (at least PCAP_ERRBUF_SIZE bytes).
int ce2_pcap_compile(const char *filter, struct bpf_program *program, char *error, size_t error_size);

/// Runs a classic BPF program (libpcap's own evaluator) over a single-segment packet.
static inline unsigned ce2_pcap_run(const struct bpf_program *program, struct rte_mbuf *m) {
    return bpf_filter(program->bf_insns, rte_pktmbuf_mtod(m, const u_char *), m->pkt_len, m->data_len);
}

#endif
